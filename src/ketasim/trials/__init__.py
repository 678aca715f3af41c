"""Virtual populations and trials on top of the scenario layer.

A trial (`load_trial`: YAML, validated) draws a population, allocates it to arms (regimens
on a common base scenario), runs it block by block of patients through the batched chain
(`ketasim.trials.batch`), streams the results into a Zarr store (`ketasim.trials.store`),
and summarises the outcomes with bootstrap CIs and arm comparisons
(`ketasim.trials.summary`). Backends: a local process pool (default) or Dask distributed
(`ketasim.trials.runner.run_trial`).
"""

from ketasim.trials.presets import init_trial, list_trial_presets
from ketasim.trials.schema import Trial, TrialError, load_trial, trial_hash

__all__ = ["Trial", "TrialError", "load_trial", "trial_hash", "list_trial_presets",
           "init_trial", "run_trial", "summarise"]


def __getattr__(name):
    if name == "run_trial":
        from ketasim.trials.runner import run_trial
        return run_trial
    if name == "summarise":
        from ketasim.trials.summary import summarise
        return summarise
    raise AttributeError(name)
