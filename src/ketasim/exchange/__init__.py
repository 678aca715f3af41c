"""Exchange with the field's tools: NONMEM-style datasets in and out, SBML / COMBINE and
NMODL export.

Submodules are imported on first use (so that an optional dependency such as
python-libsbml is needed only by the export that uses it):

* `ketasim.exchange.nonmem`: `read_nonmem`, `simulate_nonmem`, `write_nonmem`,
  `compartment_table` (NONMEM-style dosing/observation records -> PRED/IPRED);
* `ketasim.exchange.sbml`: `export_sbml`, `export_omex` (PK models with effect site and
  metabolite, receptor occupancy as assignment rules, dosing as events);
* `ketasim.exchange.nmodl`: `export_nmodl`, `nmodl_files` (the spinal WDR circuit, its
  channels and synapses with the 20-state NMDA receptor, as NMODL plus a NEURON driver).

Every exported file carries its provenance (ketasim version, parameter hash) and the
citations of the model it encodes.

Examples
--------
>>> from ketasim import exchange
>>> exchange.nonmem.compartment_table("ketamine", "kamp")[0]
(1, 'central', 'ketamine_plasma')
"""

from __future__ import annotations

import importlib

_SUBMODULES = ("nonmem", "sbml", "nmodl")
#: public functions, by the submodule that defines them (imported on first access)
_FUNCTIONS = {"read_nonmem": "nonmem", "simulate_nonmem": "nonmem",
              "write_nonmem": "nonmem", "compartment_table": "nonmem",
              "export_sbml": "sbml", "export_omex": "sbml",
              "export_nmodl": "nmodl", "nmodl_files": "nmodl"}

__all__ = list(_FUNCTIONS)


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"ketasim.exchange.{name}")
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(f"ketasim.exchange.{_FUNCTIONS[name]}"), name)
    raise AttributeError(f"module 'ketasim.exchange' has no attribute {name!r}")
