"""Canonical experiments of the seed's claims (M1..M18), one module each.

Use `experiments()` to list them and ``get(id).run(...)`` to run one.
"""

from ketasim.experiments.registry import Experiment, experiments, get, register

__all__ = ["Experiment", "experiments", "get", "register"]
