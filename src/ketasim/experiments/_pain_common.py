"""Shared helpers of the sensitization / pain experiments (m03, m04, m07, m11, m15).

Not an experiment (registers nothing). Everything here composes public functions of the
spinal and clinical layers: the spiking model is run through `ketasim.spinal.simulate`, the
slow model through `ketasim.spinal.slow.simulate_slow`, pain through
`ketasim.clinical.pain`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ketasim.clinical.pain import heat_to_c_rate, nrs_from_output, transfer_from_table
from ketasim.core.record import Record
from ketasim.spinal.calibration import calibrated_spec
from ketasim.spinal.circuit import simulate
from ketasim.spinal.drive_table import load_drive_table
from ketasim.spinal.modulation import (
    DEFAULT_SENSITIZATION,
    SensitizationSpec,
    modulated_params,
    modulation_from_gain,
)
from ketasim.spinal.protocols import (
    PINPRICK_ADELTA_HZ,
    TOUCH_ABETA_HZ,
    hfs_protocol,
    max_spikes_for,
    run_with_plasticity,
    steady_output,
    steady_protocol,
)
from ketasim.spinal.slow import gain_of, simulate_slow

TEST_TEMPERATURE_C = 47.0  # the heat test stimulus (also the transfer's anchor)


@lru_cache(maxsize=1)
def model_spec() -> SensitizationSpec:
    """The sensitization spec calibrated on the current spiking model (cached on disk)."""
    return calibrated_spec(DEFAULT_SENSITIZATION)


@lru_cache(maxsize=4)
def pain_model(spec: SensitizationSpec | None = None):
    """(drive table, pain transfer) for ``spec`` (default `model_spec`; table cached)."""
    table = load_drive_table(model_spec() if spec is None else spec)
    return table, transfer_from_table(table)


def heat_nrs(table, transfer, temperatures, ketamine_uM=0.0, gain=1.0):
    """(C rate, WDR output, NRS) for heat stimuli from the drive table."""
    r = heat_to_c_rate(np.asarray(temperatures, float))
    out = table.output(r, ketamine_uM, gain)
    return r, out, nrs_from_output(np.maximum(out, 0.0), transfer)


def probe_nrs(table, transfer, which, ketamine_uM=0.0, gain=1.0):
    """(WDR output, NRS) for the touch or pin-prick probe from the drive table."""
    out = np.maximum(table.probe(which, ketamine_uM, gain), 0.0)
    return out, nrs_from_output(out, transfer)


def hfs_states(conditions, spec: SensitizationSpec | None = None, seed: int = 3,
               n_trains: int = 5, interval_ms: float = 10_000.0):
    """Run high-frequency conditioning (klein2004 / benrath2005 design) on the spiking model
    with the calcium rules; return (W, rho, spiking dataset, plasticity dataset)."""
    spec = model_spec() if spec is None else spec
    prot = hfs_protocol(n_trains=n_trains, interval_ms=interval_ms)
    sp, pl = run_with_plasticity(prot, list(conditions), spec, seed=seed)
    return pl.W.values[:, -1].copy(), pl.rho.values[:, -1, :].copy(), sp, pl


def slow_after(table, w, rho, hours: float, spec: SensitizationSpec | None = None,
               c_rate_Hz: float = 0.0, ketamine_uM: float = 0.0, every_min: float = 10.0,
               dt_min: float = 1.0):
    """Slow model from states (W, rho) for ``hours`` at constant C drive and ketamine,
    recorded every ``every_min`` minutes (also the schedule step)."""
    spec = model_spec() if spec is None else spec
    n = len(w)
    n_sched = int(round(hours * 60 / every_min))
    c = np.full((n, n_sched), float(c_rate_Hz))
    k = np.full((n, n_sched), float(ketamine_uM))
    return simulate_slow(table, c, k, schedule_dt_h=f"{every_min} min", dt_h=f"{dt_min} min",
                         record=Record(every=f"{every_min} min", variables="all"), spec=spec,
                         w0=w, rho0=rho)


def spiking_steady(conditions, *, c_rate_Hz=0.0, fibre_rates=(), duration_ms=12000.0,
                   skip_ms=6000.0, seed=5, protocol_hook=None):
    """Steady WDR output (spikes/s) of a batch of conditions under a steady drive (same
    warm-up and window as the drive table: the response builds up over ~5 s)."""
    prot = steady_protocol(duration_ms)
    if c_rate_Hz > 0:
        prot = prot.with_rate_drive("c", float(c_rate_Hz))
    for fibre, rate in fibre_rates:
        prot = prot.with_rate_drive(fibre, float(rate))
    if protocol_hook is not None:
        prot = protocol_hook(prot)
    sp = simulate(prot, list(conditions), seed=seed, max_spikes=max_spikes_for(duration_ms))
    return steady_output(sp, skip_ms)


def json_clean(obj):
    """Summary dicts as strict JSON: NaN / inf become None (recursively).

    >>> json_clean({"a": [1.0, float("nan")]})
    {'a': [1.0, None]}
    """
    if isinstance(obj, dict):
        return {k: json_clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_clean(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    return obj


__all__ = ["json_clean", "model_spec", "pain_model", "heat_nrs", "probe_nrs", "hfs_states",
           "slow_after", "spiking_steady", "TEST_TEMPERATURE_C", "TOUCH_ABETA_HZ",
           "PINPRICK_ADELTA_HZ", "gain_of", "modulated_params", "modulation_from_gain"]
