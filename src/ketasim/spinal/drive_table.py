"""The reduced model's drive table: what the spiking model produces in steady state.

`DriveTable` holds, for a grid of (C-fibre rate, free ketamine, gain), the WDR output rate
and the time-averaged plasticity drive (`ketasim.spinal.plasticity.calcium_drive_stats`) of
the spiking model. `compute_drive_table` runs the spiking model on the grid (slow: ~45 s on
two cores); `load_drive_table` reads it from the files shipped with the package
(``ketasim/spinal/data``) or from the cache (`ketasim.core.cache.cache_root`), keyed by
`table_key`: the content fingerprint of this module's import closure (spiking engine,
receptor kernels, rules) plus the spec, circuit parameters, grid and seed. A changed model
gives a new key, so a stale table is never read.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numba as nb
import numpy as np

from ketasim.core.cache import cached_file, fingerprint
from ketasim.core.errors import InputError
from ketasim.core.record import Record
from ketasim.core.validation import Each, Instance, Interval, check, check_work
from ketasim.spinal.circuit import Condition, simulate
from ketasim.spinal.modulation import (
    DEFAULT_SENSITIZATION,
    SensitizationSpec,
    modulated_params,
    modulation_from_gain,
)
from ketasim.spinal.params import DEFAULT, SpinalParams
from ketasim.spinal.plasticity import W_REST, CalciumGainSpec, calcium_drive_stats
from ketasim.spinal.protocols import (
    PINPRICK_ADELTA_HZ,
    TOUCH_ABETA_HZ,
    max_spikes_for,
    plasticity_drive,
    steady_output,
    steady_protocol,
)

__all__ = ["DriveTable", "compute_drive_table", "load_drive_table", "table_key",
           "DEFAULT_C_RATES", "DEFAULT_KETAMINE", "SHIPPED_DIR", "interp3_many"]

#: Folder of the tables and calibrations shipped with the package (looked up first).
SHIPPED_DIR = Path(__file__).parent / "data"
DEFAULT_C_RATES = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
DEFAULT_KETAMINE = (0.0, 1.0, 3.0)
#: Cap on the grid size (spiking runs of ``duration_ms`` each); lift with ``max_points=``.
MAX_GRID_POINTS = 2000


@dataclass(frozen=True)
class DriveTable:
    """Steady-state spiking-model drive on a (c_rate, ketamine, gain) grid.

    Arrays: ``out_Hz`` (nr, nk, ng) WDR rate; ``a``, ``b`` (nr, nk, ng) early-rule drive
    (1/s); ``f_p``, ``f_d`` (nr, nk, ng, n_classes) late-rule fractions of time above
    threshold; ``touch_Hz``, ``pinprick_Hz`` (nk, ng) probe-stimulus outputs. ``key`` is the
    `table_key`; ``citations`` the ';'-joined keys of the spiking run that made it.
    """

    c_rate_Hz: np.ndarray
    ketamine_uM: np.ndarray
    gain: np.ndarray
    out_Hz: np.ndarray
    a: np.ndarray
    b: np.ndarray
    f_p: np.ndarray
    f_d: np.ndarray
    touch_Hz: np.ndarray
    pinprick_Hz: np.ndarray
    key: str = ""
    citations: str = ""

    def save(self, path: Path) -> None:
        """Write the table as a compressed ``.npz`` file."""
        np.savez_compressed(path, **{k: np.asarray(v) for k, v in asdict(self).items()})

    @classmethod
    def load(cls, path: Path) -> DriveTable:
        """Read a table written by `save`."""
        with np.load(path) as z:
            d = {k: z[k] for k in z.files}
        return cls(**{k: (str(v) if k in ("key", "citations") else v) for k, v in d.items()})

    def output(self, c_rate_Hz, ketamine_uM, gain):
        """Interpolated WDR output rate (spikes/s) at arrays of (c_rate, ketamine, gain).

        Examples
        --------
        >>> tab = load_drive_table()   # doctest: +SKIP
        >>> tab.output(4.0, 0.0, 1.0)   # doctest: +SKIP
        """
        r, k, g = np.broadcast_arrays(np.asarray(c_rate_Hz, float),
                                      np.asarray(ketamine_uM, float), np.asarray(gain, float))
        self.check_inside(r, k, g)
        out = np.empty(r.size)
        interp3_many(self.c_rate_Hz, self.ketamine_uM, self.gain, self.out_Hz,
                     r.ravel(), k.ravel(), g.ravel(), out)
        return out.reshape(r.shape)

    def probe(self, which: str, ketamine_uM, gain):
        """Interpolated output for the ``"touch"`` or ``"pinprick"`` probe."""
        tab = {"touch": self.touch_Hz, "pinprick": self.pinprick_Hz}.get(which)
        if tab is None:
            raise InputError("probe", which, "'touch' or 'pinprick'")
        k, g = np.broadcast_arrays(np.asarray(ketamine_uM, float), np.asarray(gain, float))
        self.check_inside(None, k, g)
        out = np.empty(k.size)
        interp3_many(np.array([0.0, 1.0]), self.ketamine_uM, self.gain,
                     np.stack([tab, tab]), np.zeros(k.size), k.ravel(), g.ravel(), out)
        return out.reshape(k.shape)

    def check_inside(self, r, k, g):
        """Raise `InputError` if a value lies outside the grid (no extrapolation)."""
        for name, v, ax in (("c_rate_Hz", r, self.c_rate_Hz), ("ketamine_uM", k, self.ketamine_uM),
                            ("gain", g, self.gain)):
            if v is None:
                continue
            if np.any(~np.isfinite(v)) or np.any(v < ax[0] - 1e-9) or np.any(v > ax[-1] + 1e-9):
                raise InputError(name, f"{np.nanmin(v):g}..{np.nanmax(v):g}",
                                 f"values inside the drive table's grid {ax[0]:g}..{ax[-1]:g}")


@nb.njit(cache=True, inline="always")
def locate(ax, x):
    """(index, fraction) of ``x`` on the sorted axis ``ax`` (clamped at the ends)."""
    n = ax.shape[0]
    if n == 1:
        return 0, 0.0
    lo, hi = 0, n - 1
    if x <= ax[0]:
        return 0, 0.0
    if x >= ax[n - 1]:
        return n - 2, 1.0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ax[mid] <= x:
            lo = mid
        else:
            hi = mid
    return lo, (x - ax[lo]) / (ax[lo + 1] - ax[lo])


@nb.njit(cache=True, inline="always")
def _interp3(ax0, ax1, ax2, tab, x0, x1, x2):
    i, u = locate(ax0, x0)
    j, v = locate(ax1, x1)
    k, w = locate(ax2, x2)
    i1 = min(i + 1, ax0.shape[0] - 1)
    j1 = min(j + 1, ax1.shape[0] - 1)
    k1 = min(k + 1, ax2.shape[0] - 1)
    return ((1 - u) * ((1 - v) * ((1 - w) * tab[i, j, k] + w * tab[i, j, k1])
                       + v * ((1 - w) * tab[i, j1, k] + w * tab[i, j1, k1]))
            + u * ((1 - v) * ((1 - w) * tab[i1, j, k] + w * tab[i1, j, k1])
                   + v * ((1 - w) * tab[i1, j1, k] + w * tab[i1, j1, k1])))


@nb.njit(cache=True)
def interp3_many(ax0, ax1, ax2, tab, x0, x1, x2, out):
    """Trilinear interpolation of ``tab`` (on axes ax0, ax1, ax2) at the points (x0, x1, x2)."""
    for n in range(out.shape[0]):
        out[n] = _interp3(ax0, ax1, ax2, tab, x0[n], x1[n], x2[n])


def gain_axis(spec: CalciumGainSpec) -> np.ndarray:
    """Default gain grid: from full early-phase depression to full potentiation.

    Examples
    --------
    >>> gain_axis(CalciumGainSpec(late_max=1.5)).tolist()
    [0.95, 1.0, 1.241667, 1.483333, 1.725]
    """
    lo = 1.0 - spec.early_amp * W_REST / (1.0 - W_REST)
    hi = (1.0 + spec.early_amp) * spec.late_max
    return np.array(sorted({round(lo, 6), 1.0, *np.round(np.linspace(1.0, hi, 4), 6)}))


def _grid(spec, c_rates, ketamine_uM, gains):
    check("c_rates", c_rates, Each(Interval(0, 200)))
    check("ketamine_uM", ketamine_uM, Each(Interval(0, 1000)))
    g = gain_axis(spec.gain) if gains is None else np.asarray(
        check("gains", gains, Each(Interval(0, 20, closed="right"))), float)
    axes = (np.atleast_1d(np.asarray(c_rates, float)),
            np.atleast_1d(np.asarray(ketamine_uM, float)), np.atleast_1d(g))
    for name, ax in zip(("c_rates", "ketamine_uM", "gains"), axes, strict=True):
        if np.any(np.diff(ax) <= 0):
            raise InputError(name, ax.tolist(), "strictly increasing values")
    return axes


def table_key(spec: SensitizationSpec, base: SpinalParams, c_rates, ketamine_uM, gains,
              duration_ms: float, skip_ms: float, seed: int) -> str:
    """Content key of a drive table: `ketasim.core.cache.fingerprint` of this module's import
    closure (the spiking engine, the receptor kernels and the rules) and of the inputs.

    Examples
    --------
    >>> from ketasim.spinal import DEFAULT
    >>> len(table_key(DEFAULT_SENSITIZATION, DEFAULT, (0.0,), (0.0,), (1.0,), 1e3, 0.0, 0))
    16
    """
    extra = json.dumps({"spec": asdict(spec), "base": asdict(base),
                        "c_rate_Hz": [float(x) for x in np.ravel(c_rates)],
                        "ketamine_uM": [float(x) for x in np.ravel(ketamine_uM)],
                        "gain": [float(x) for x in np.ravel(gains)],
                        "duration_ms": float(duration_ms), "skip_ms": float(skip_ms),
                        "seed": int(seed)}, sort_keys=True)
    return fingerprint(__name__, extra=extra)


def _check_run(spec, base, duration_ms, skip_ms, seed):
    check("spec", spec, Instance(SensitizationSpec))
    check("base", base, Instance(SpinalParams))
    check("duration_ms", duration_ms, Interval(0, 600_000, closed="right"))
    check("skip_ms", skip_ms, Interval(0, duration_ms, closed="left"))
    check("seed", seed, Interval(0, None, integer=True))


def compute_drive_table(spec: SensitizationSpec = DEFAULT_SENSITIZATION, *,
                        base: SpinalParams | None = None, c_rates=DEFAULT_C_RATES,
                        ketamine_uM=DEFAULT_KETAMINE, gains=None, duration_ms: float = 12000.0,
                        skip_ms: float = 6000.0, seed: int = 11,
                        max_points: int = MAX_GRID_POINTS) -> DriveTable:
    """Run the spiking model on the grid and tabulate its steady-state drive (slow).

    Each grid point is a steady Poisson C-fibre drive at ``c_rate`` with background activity
    (aguiar2010 background synapses) for ``duration_ms``; statistics after ``skip_ms`` (the
    WDR response builds up over ~5 s through its slow currents, so the default skips 6 s and
    averages the next 6 s).

    Examples
    --------
    >>> t = compute_drive_table(c_rates=(0.0, 1.0), ketamine_uM=(0.0,), gains=(1.0, 1.5),
    ...                         duration_ms=600.0, skip_ms=100.0)
    >>> t.out_Hz.shape
    (2, 1, 2)
    """
    base = DEFAULT if base is None else base
    _check_run(spec, base, duration_ms, skip_ms, seed)
    c_rates, kets, gains = _grid(spec, c_rates, ketamine_uM, gains)
    nr, nk, ng = len(c_rates), len(kets), len(gains)
    check_work("drive table grid points", nr * nk * ng, max_points,
               "pass max_points=... to go past it")
    ncls = spec.gain.late.n_classes
    out = np.zeros((nr, nk, ng))
    a = np.zeros((nr, nk, ng))
    b = np.zeros((nr, nk, ng))
    fp = np.zeros((nr, nk, ng, ncls))
    fd = np.zeros((nr, nk, ng, ncls))
    conds = [Condition(params=modulated_params(base, modulation_from_gain(g, spec)),
                       ketamine_uM=float(k)) for k in kets for g in gains]
    rec_dt = 0.5
    cites: dict[str, None] = {}
    for i, r in enumerate(c_rates):
        prot = steady_protocol(duration_ms)
        if r > 0:
            prot = prot.with_rate_drive("c", float(r))
        sp = simulate(prot, conds, record=Record(rec_dt, "all"), seed=seed + i,
                      max_spikes=max_spikes_for(duration_ms))
        cites.update(dict.fromkeys(sp.attrs["citations"].split(";")))
        st = calcium_drive_stats(plasticity_drive(sp, spec), rec_dt, spec.gain, skip_ms=skip_ms)
        out[i] = steady_output(sp, skip_ms).reshape(nk, ng)
        a[i] = st["A"].reshape(nk, ng)
        b[i] = st["B"].reshape(nk, ng)
        fp[i] = st["f_p"].reshape(nk, ng, ncls)
        fd[i] = st["f_d"].reshape(nk, ng, ncls)
    probes = []
    for fibre, rate in (("abeta", TOUCH_ABETA_HZ), ("adelta", PINPRICK_ADELTA_HZ)):
        prot = steady_protocol(duration_ms).with_rate_drive(fibre, rate)
        sp = simulate(prot, conds, seed=seed + 100, max_spikes=max_spikes_for(duration_ms))
        probes.append(steady_output(sp, skip_ms).reshape(nk, ng))
    return DriveTable(c_rates, kets, gains, out, a, b, fp, fd, probes[0], probes[1],
                      key=table_key(spec, base, c_rates, kets, gains, duration_ms, skip_ms,
                                    seed),
                      citations=";".join(k for k in cites if k))


def load_drive_table(spec: SensitizationSpec = DEFAULT_SENSITIZATION, *,
                     base: SpinalParams | None = None, c_rates=DEFAULT_C_RATES,
                     ketamine_uM=DEFAULT_KETAMINE, gains=None, duration_ms: float = 12000.0,
                     skip_ms: float = 6000.0, seed: int = 11, refresh: bool = False
                     ) -> DriveTable:
    """The drive table from the shipped files or the cache, computed by the spiking model on
    a miss (`ketasim.core.cache.cached_file`: lock + atomic write).

    The file name carries `table_key`, so a changed model or input never reads a stale table.

    Examples
    --------
    >>> tab = load_drive_table()   # doctest: +SKIP
    """
    base = DEFAULT if base is None else base
    _check_run(spec, base, duration_ms, skip_ms, seed)
    c_rates, kets, gains = _grid(spec, c_rates, ketamine_uM, gains)
    key = table_key(spec, base, c_rates, kets, gains, duration_ms, skip_ms, seed)
    return cached_file(
        f"drive_table_{key}.npz",
        lambda: compute_drive_table(spec, base=base, c_rates=c_rates, ketamine_uM=kets,
                                    gains=gains, duration_ms=duration_ms, skip_ms=skip_ms,
                                    seed=seed),
        DriveTable.load, lambda tab, path: tab.save(path), shipped=SHIPPED_DIR, refresh=refresh)
