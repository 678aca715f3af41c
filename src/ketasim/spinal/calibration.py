"""Calibration of the calcium rules' magnitudes on the current spiking model.

`calibrate` fits ``ca_scale`` and ``late_max`` of `ketasim.spinal.plasticity.CalciumGainSpec`
to high-frequency conditioning on the spiking model (benrath2005: 173 % at 1 h);
`calibrated_spec` returns the spec with them, loaded from the files shipped with the package
or from the cache (`ketasim.core.cache.cached_file`), keyed by `calibration_key`: the content
fingerprint of this module's import closure (spiking engine, receptor kernels, rules) plus
the spec, circuit parameters and calibration settings. Computing it takes ~40 s.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, replace
from pathlib import Path

from ketasim.core.cache import cached_file, fingerprint
from ketasim.core.record import Record
from ketasim.core.validation import Instance, Interval, check
from ketasim.spinal.circuit import Condition, simulate
from ketasim.spinal.drive_table import SHIPPED_DIR
from ketasim.spinal.modulation import DEFAULT_SENSITIZATION, SensitizationSpec
from ketasim.spinal.params import DEFAULT, SpinalParams
from ketasim.spinal.plasticity import gain_parts, integrate_calcium_gain, relax_at_rest
from ketasim.spinal.protocols import hfs_protocol, max_spikes_for, plasticity_drive

__all__ = ["calibrate", "calibrated_spec", "calibration_key", "BENRATH_GAIN_1H"]

#: Spinal LTP 1 h after HFS (benrath2005: C-fibre field potentials 173 +- 15 %).
BENRATH_GAIN_1H = 1.73


def _check(spec, base, seed, margin, target_gain_1h):
    check("spec", spec, Instance(SensitizationSpec))
    check("base", base, Instance(SpinalParams))
    check("seed", seed, Interval(0, None, integer=True))
    check("margin", margin, Interval(1, 10))
    check("target_gain_1h", target_gain_1h, Interval(1, 10, closed="neither"))


def calibrate(spec: SensitizationSpec = DEFAULT_SENSITIZATION, *,
              base: SpinalParams | None = None, seed: int = 3, margin: float = 1.2,
              target_gain_1h: float = BENRATH_GAIN_1H) -> dict:
    """Calibrate ``ca_scale`` and ``late_max`` on the spiking model (slow, ~40 s).

    1. ``ca_scale``: the smallest scale at which drug-free HFS (5 x 1 s at 100 Hz) leaves the
       highest-threshold synapse class above rho* at the end of conditioning (HFS treated
       as saturating the late phase), times ``margin``.
    2. ``late_max``: such that the gain 1 h after HFS (early phase decayed for 1 h, late
       phase drifted) equals ``target_gain_1h`` (benrath2005: 173 %).

    Returns a dict with the two values and the parts of the 1 h gain.

    Examples
    --------
    >>> cal = calibrate()   # doctest: +SKIP
    """
    base = DEFAULT if base is None else base
    _check(spec, base, seed, margin, target_gain_1h)
    prot = hfs_protocol()
    sp = simulate(prot, [Condition(params=base)], record=Record(0.5, "all"), seed=seed,
                  max_spikes=max_spikes_for(prot.duration_ms))
    drive = plasticity_drive(sp, spec)

    def top_rho(scale):
        g = spec.gain.with_(ca_scale=scale)
        pl = integrate_calcium_gain(drive, 0.5, g, record=Record(every=500.0))
        return float(pl.rho.values[0, -1, -1]), pl

    lo, hi = 1e-4, 10.0
    for _ in range(40):
        mid = math.sqrt(lo * hi)
        if top_rho(mid)[0] > spec.gain.late.rho_star:
            hi = mid
        else:
            lo = mid
    scale = hi * margin
    _, pl = top_rho(scale)
    w1, rho1 = relax_at_rest(pl.W.values[:, -1], pl.rho.values[:, -1, :], 1.0, spec.gain)
    rb = float(rho1.mean())
    early = float(gain_parts(w1[0], rb, spec.gain)[0])
    late_max = 1 + (target_gain_1h / early - 1) / rb
    return {"ca_scale": scale, "late_max": late_max, "early_1h": early,
            "rho_bar_1h": rb, "rho_bar_end_hfs": float(pl.rho_bar.values[0, -1])}


def calibration_key(spec: SensitizationSpec, base: SpinalParams, seed: int = 3,
                    margin: float = 1.2, target_gain_1h: float = BENRATH_GAIN_1H) -> str:
    """Content key of a calibration (`ketasim.core.cache.fingerprint` of this module and of
    its inputs).

    Examples
    --------
    >>> from ketasim.spinal import DEFAULT
    >>> len(calibration_key(DEFAULT_SENSITIZATION, DEFAULT))
    16
    """
    extra = json.dumps({"spec": asdict(spec), "base": asdict(base), "seed": int(seed),
                        "margin": float(margin), "target_gain_1h": float(target_gain_1h)},
                       sort_keys=True)
    return fingerprint(__name__, extra=extra)


def _save(cal: dict, path: Path) -> None:
    path.write_text(json.dumps(cal, indent=1))


def calibrated_spec(spec: SensitizationSpec = DEFAULT_SENSITIZATION, *,
                    base: SpinalParams | None = None, seed: int = 3, margin: float = 1.2,
                    target_gain_1h: float = BENRATH_GAIN_1H,
                    refresh: bool = False) -> SensitizationSpec:
    """``spec`` with ``ca_scale`` and ``late_max`` fitted by `calibrate` on the CURRENT
    spiking model (shipped file or cache, keyed by `calibration_key`). All sensitization
    experiments use this.

    Examples
    --------
    >>> spec = calibrated_spec()
    >>> round(spec.gain.late_max, 2)
    1.57
    """
    base = DEFAULT if base is None else base
    _check(spec, base, seed, margin, target_gain_1h)
    key = calibration_key(spec, base, seed, margin, target_gain_1h)
    cal = cached_file(
        f"calibration_{key}.json",
        lambda: {k: float(v) for k, v in calibrate(spec, base=base, seed=seed, margin=margin,
                                                   target_gain_1h=target_gain_1h).items()},
        lambda path: json.loads(path.read_text()), _save, shipped=SHIPPED_DIR, refresh=refresh)
    return replace(spec, gain=spec.gain.with_(ca_scale=cal["ca_scale"],
                                              late_max=cal["late_max"]))
