"""The Zarr store of a trial: results stream in block by block of patients.

Layout (one group, ``<out>/trial.zarr``): ``outcomes/<name>`` (arm, patient) float64;
``courses/<name>`` (arm, patient, time) float32 on the trial's ``every`` grid; ``aux/<name>``
(arm, patient); ``scales/<name>`` and ``covariates/<name>`` (patient); ``allocation``
(arm, patient) bool; ``done`` (block) bool; ``written`` (block, the time a block was
written) and ``writes`` (block, how often it was written). Chunks are one block of
patients, so a block is written as whole chunks (zarr writes each chunk file atomically).
The driver is the only writer: it writes a block's data, then sets ``done[block]``; a killed
run leaves at most blocks without their flag, which a resumed run recomputes (overwriting
the same chunks), so no patient is lost or duplicated.

The store's attributes hold the normalised trial and its hash; resuming with another trial
is refused.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ketasim.core.errors import InputError
from ketasim.trials.batch import COURSES, time_grid
from ketasim.trials.population import PD_SCALES, allocation, covariates
from ketasim.trials.schema import trial_hash

__all__ = ["STORE_NAME", "open_store", "write_block", "blocks", "done_blocks"]

STORE_NAME = "trial.zarr"
_AUX = ("slow_ketamine_clipped_fraction",)


def blocks(trial) -> list[tuple[int, int]]:
    """``(lo, hi)`` patient ranges of the blocks."""
    n, b = trial.population.size, trial.block_size
    return [(lo, min(lo + b, n)) for lo in range(0, n, b)]


def open_store(trial, out: str | Path, *, resume: bool = False):
    """Create (or, with ``resume``, reopen) the trial's store in folder ``out``."""
    import zarr

    path = Path(out) / STORE_NAME
    h = trial_hash(trial)
    if path.exists():
        if not resume:
            raise InputError("out", str(out), "a folder without a trial store (it holds "
                             f"{STORE_NAME}; pass resume=True / --resume to continue it, or "
                             "choose another folder)")
        g = zarr.open_group(str(path), mode="a")
        if g.attrs.get("trial_hash") != h:
            raise InputError("resume", str(out), f"a store of this trial (hash {h}; the "
                             f"store holds {g.attrs.get('trial_hash')!r})")
        return g
    g = zarr.open_group(str(path), mode="w")
    n, a, b = trial.population.size, len(trial.arms), trial.block_size
    t = time_grid(trial)
    nb = len(blocks(trial))
    for o in trial.outcomes:
        g.create_array(f"outcomes/{o.name}", shape=(a, n), chunks=(a, b), dtype="f8",
                       fill_value=np.nan)
    for c in COURSES:
        g.create_array(f"courses/{c}", shape=(a, n, t.size), chunks=(a, b, t.size),
                       dtype="f4", fill_value=np.nan)
    for x in _AUX + tuple(f"{o.name}_output_Hz" for o in trial.outcomes
                          if o.kind in ("heat", "pinprick", "touch")):
        g.create_array(f"aux/{x}", shape=(a, n), chunks=(a, b), dtype="f8",
                       fill_value=np.nan)
    for s in PD_SCALES:
        g.create_array(f"scales/{s}", shape=(n,), chunks=(b,), dtype="f8", fill_value=np.nan)
    cov = covariates(trial)
    for k, v in cov.as_dict().items():
        g.create_array(f"covariates/{k}", shape=(n,), chunks=(max(b, 1),), dtype="f8")[:] = v
    g.create_array("allocation", shape=(a, n), chunks=(a, b), dtype="bool")[:] = \
        allocation(trial)
    g.create_array("time_h", shape=(t.size,), dtype="f8")[:] = t
    g.create_array("done", shape=(nb,), chunks=(nb,), dtype="bool", fill_value=False)
    g.create_array("written", shape=(nb,), chunks=(nb,), dtype="f8", fill_value=np.nan)
    g.create_array("writes", shape=(nb,), chunks=(nb,), dtype="i4", fill_value=0)
    g.attrs.update(trial=trial.model_dump(mode="json"), trial_hash=h,
                   arms=trial.arm_names, outcomes=[o.name for o in trial.outcomes],
                   n_patients=n, block_size=b, courses=list(COURSES),
                   trial_json=json.dumps(trial.model_dump(mode="json"), sort_keys=True))
    return g


def done_blocks(g) -> np.ndarray:
    """Boolean per block: finished and written."""
    return np.asarray(g["done"][:], bool)


def write_block(g, trial, b: int, res: dict) -> None:
    """Write block ``b``'s results, then mark it done (``written[b]``: the time, ``writes[b]``:
    how often block ``b`` has been written, 1 in a run without a kill)."""
    lo, hi = res["lo"], res["hi"]
    for k, v in res["outcomes"].items():
        g[f"outcomes/{k}"][:, lo:hi] = v
    for k, v in res["courses"].items():
        g[f"courses/{k}"][:, lo:hi, :] = v
    for k, v in res["aux"].items():
        if f"aux/{k}" in g:
            g[f"aux/{k}"][:, lo:hi] = v
    for k, v in res["scales"].items():
        g[f"scales/{k}"][lo:hi] = v
    g["writes"][b] = int(g["writes"][b]) + 1
    g["written"][b] = time.time()
    g["done"][b] = True
