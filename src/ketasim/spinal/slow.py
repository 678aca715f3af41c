"""The reduced slow model: sensitization over hours to days for a batch of conditions.

`simulate_slow` integrates the averaged calcium rules (`ketasim.spinal.plasticity`) with
look-ups in the spiking model's `ketasim.spinal.drive_table.DriveTable`, in one compiled
call. Time is in hours (``time`` coordinate ``units = "h"``), the batch dimension is
``condition``. The test ``test_spinal_sensitization.py`` checks it against the spiking model.
"""

from __future__ import annotations

from dataclasses import asdict
from numbers import Real

import numba as nb
import numpy as np
import xarray as xr

from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.core.record import Record
from ketasim.core.units import parse_quantity
from ketasim.core.validation import Instance, Interval, check, check_finite, check_work
from ketasim.spinal.drive_table import DriveTable, locate
from ketasim.spinal.modulation import (
    DEFAULT_SENSITIZATION,
    SENSITIZATION_CITATIONS,
    SensitizationSpec,
)
from ketasim.spinal.plasticity import (
    W_REST,
    gain_from_state,
    gain_parts_nb,
    params_vector,
    slow_plasticity_step,
)
from ketasim.spinal.plasticity import (
    relax_at_rest as _relax,
)

__all__ = ["simulate_slow", "gain_state_after", "relax_at_rest", "gain_of", "SLOW_VARIABLES",
           "MAX_STEPS"]

#: Traces the slow model can record (`Record.variables`).
SLOW_VARIABLES = ("gain", "W", "rho_bar", "out_Hz")
#: Cap on conditions x integration steps of one call; lift with ``max_steps=``.
MAX_STEPS = 2e8


def _hours(value, field: str) -> float:
    """A duration in hours: a number (h) or a quantity ("10 min")."""
    if isinstance(value, Real) and not isinstance(value, bool):
        v = float(value)
    else:
        v = parse_quantity(value, field, "h")
    return float(check(field, v, Interval(0, None, closed="neither")))


@nb.njit(cache=True, inline="always")
def _corners(ax0, ax1, ax2, x0, x1, x2, idx, wts):
    """Flat indices and weights of the 8 trilinear corners (shared by all look-ups)."""
    i, u = locate(ax0, x0)
    j, v = locate(ax1, x1)
    k, w = locate(ax2, x2)
    n1, n2 = ax1.shape[0], ax2.shape[0]
    i1 = min(i + 1, ax0.shape[0] - 1)
    j1 = min(j + 1, n1 - 1)
    k1 = min(k + 1, n2 - 1)
    n = 0
    for ii, wi in ((i, 1.0 - u), (i1, u)):
        for jj, wj in ((j, 1.0 - v), (j1, v)):
            for kk, wk in ((k, 1.0 - w), (k1, w)):
                idx[n] = (ii * n1 + jj) * n2 + kk
                wts[n] = wi * wj * wk
                n += 1


@nb.njit(cache=True, inline="always")
def _gain_nb(wv, rv, nk, early_amp, late_max):
    rb = 0.0
    for c in range(nk):
        rb += rv[0, c]
    rb /= nk
    early, late = gain_parts_nb(wv[0], rb, early_amp, late_max)
    return early * late, rb


@nb.njit(cache=True)
def _slow_kernel(c_sched, k_sched, sched_every, n_steps, dt_s, rec_every, ax_r, ax_k, ax_g,
                 tab_a, tab_b, tab_fp, tab_fd, p, early_amp, late_max, w, rho, out_g, out_w,
                 out_rho):
    # tables flattened over (rate, ketamine, gain): tab_a/tab_b (N,), tab_fp/tab_fd (N, nk)
    n_pat, nk = rho.shape
    a = np.empty(1)
    b = np.empty(1)
    fp = np.empty((1, nk))
    fd = np.empty((1, nk))
    wv = np.empty(1)
    rv = np.empty((1, nk))
    idx = np.empty(8, np.int64)
    wts = np.empty(8)
    for i in range(n_pat):
        ir = 0
        wv[0] = w[i]
        for c in range(nk):
            rv[0, c] = rho[i, c]
        for s in range(n_steps):
            row = s // sched_every
            g, _ = _gain_nb(wv, rv, nk, early_amp, late_max)
            _corners(ax_r, ax_k, ax_g, c_sched[i, row], k_sched[i, row], g, idx, wts)
            a[0] = 0.0
            b[0] = 0.0
            for c in range(nk):
                fp[0, c] = 0.0
                fd[0, c] = 0.0
            for m in range(8):
                q = idx[m]
                x = wts[m]
                if x == 0.0:
                    continue
                a[0] += x * tab_a[q]
                b[0] += x * tab_b[q]
                for c in range(nk):
                    fp[0, c] += x * tab_fp[q, c]
                    fd[0, c] += x * tab_fd[q, c]
            slow_plasticity_step(wv, rv, a, b, fp, fd, dt_s, p)
            if (s + 1) % rec_every == 0:
                g, rb = _gain_nb(wv, rv, nk, early_amp, late_max)
                out_w[i, ir] = wv[0]
                out_rho[i, ir] = rb
                out_g[i, ir] = g
                ir += 1
        w[i] = wv[0]
        for c in range(nk):
            rho[i, c] = rv[0, c]


def simulate_slow(table: DriveTable, c_rate_Hz, ketamine_uM, *, schedule_dt_h,
                  dt_h="1 min", record: Record | None = None,
                  spec: SensitizationSpec = DEFAULT_SENSITIZATION, w0=None, rho0=None,
                  max_steps: float = MAX_STEPS) -> xr.Dataset:
    """Reduced slow model: gain over hours-days for a batch of conditions (one compiled call).

    Parameters
    ----------
    table : `DriveTable` from the spiking model (`ketasim.spinal.drive_table.load_drive_table`).
    c_rate_Hz, ketamine_uM : arrays (condition, schedule_step) of ongoing C-fibre drive (Hz)
        and free ketamine at the receptor (uM), piecewise constant over ``schedule_dt_h``.
    schedule_dt_h : schedule step (h, or a quantity such as ``"10 min"``).
    dt_h : integration step (h or a quantity; default 1 min); must divide ``schedule_dt_h``.
        The linear parts of both rules are integrated exactly over a step (exponential), the
        Graupner-Brunel cubic term explicitly (rate <= 0.25/150 s^-1), so 1 min steps are
        accurate; the table is re-read every step at the current gain.
    record : `Record`: ``every`` is the output interval (h or a quantity, a multiple of
        ``dt_h``; default ``"10 min"``), ``variables`` the traces among `SLOW_VARIABLES`
        (default: all). The final states are always returned.
    w0, rho0 : initial early / late states (default rest), e.g. after a spiking conditioning.
    max_steps : cap on conditions x integration steps.

    Returns
    -------
    xarray.Dataset with traces ``gain``, ``W``, ``rho_bar`` and the WDR output ``out_Hz`` at
    the scheduled drive (condition, time[h]), and the final states ``W_end``, ``rho_end``
    (to continue a simulation).

    Examples
    --------
    >>> import numpy as np
    >>> tab = load_drive_table()   # doctest: +SKIP
    >>> ds = simulate_slow(tab, np.zeros((2, 4)), np.zeros((2, 4)),
    ...                    schedule_dt_h="15 min")   # doctest: +SKIP
    """
    check("table", table, Instance(DriveTable))
    check("spec", spec, Instance(SensitizationSpec))
    record = Record(every="10 min", variables="all") if record is None else check(
        "record", record, Instance(Record))
    names = record.names(SLOW_VARIABLES)
    sched_h = _hours(schedule_dt_h, "schedule_dt_h")
    step_h = _hours(dt_h, "dt_h")
    rec_h = record.interval("h", default=1.0 / 6.0)
    c = np.ascontiguousarray(np.atleast_2d(np.asarray(c_rate_Hz, float)))
    k = np.ascontiguousarray(np.atleast_2d(np.asarray(ketamine_uM, float)))
    if c.ndim != 2 or c.shape != k.shape:
        raise InputError("ketamine_uM", k.shape, f"the 2-D shape of c_rate_Hz {c.shape}")
    table.check_inside(c, k, None)
    every = sched_h / step_h
    if abs(every - round(every)) > 1e-9 or round(every) < 1:
        raise InputError("dt_h", dt_h, f"a step dividing schedule_dt_h = {schedule_dt_h}")
    rec = rec_h / step_h
    if abs(rec - round(rec)) > 1e-9 or round(rec) < 1:
        raise InputError("record.every", record.every, f"a multiple of dt_h = {dt_h}")
    every, rec = int(round(every)), int(round(rec))
    n_pat, n_sched = c.shape
    n_steps = n_sched * every
    check_work("condition x integration steps", n_pat * n_steps, max_steps,
               "pass max_steps=... to go past it")
    dt_s = round(step_h * 3600.0, 9)
    nk = spec.gain.late.n_classes
    w = np.full(n_pat, W_REST) if w0 is None else np.broadcast_to(
        np.asarray(w0, float), (n_pat,)).copy()
    rho = np.zeros((n_pat, nk)) if rho0 is None else np.broadcast_to(
        np.asarray(rho0, float), (n_pat, nk)).copy()
    if not (np.all((w >= 0) & (w <= 1)) and np.all((rho >= 0) & (rho <= 1))):
        raise InputError("w0/rho0", "values outside [0, 1]", "states in [0, 1]")
    n_out = n_steps // rec
    og, ow, orho = (np.zeros((n_pat, n_out)) for _ in range(3))
    _slow_kernel(c, k, every, n_steps, dt_s, rec, table.c_rate_Hz, table.ketamine_uM,
                 table.gain, table.a.ravel(), table.b.ravel(),
                 np.ascontiguousarray(table.f_p.reshape(-1, nk)),
                 np.ascontiguousarray(table.f_d.reshape(-1, nk)), params_vector(spec.gain),
                 spec.gain.early_amp, spec.gain.late_max, w, rho, og, ow, orho)
    t_h = (np.arange(n_out) + 1) * rec * step_h
    idx = np.minimum(((np.arange(n_out) + 1) * rec - 1) // every, n_sched - 1)
    traces = {"gain": og, "W": ow, "rho_bar": orho}
    if "out_Hz" in names:
        traces["out_Hz"] = table.output(c[:, idx], k[:, idx],
                                        np.clip(og, table.gain[0], table.gain[-1]))
    units = {"gain": "1", "W": "1", "rho_bar": "1", "out_Hz": "spikes/s"}
    dims = ("condition", "time")
    data = {n: (dims, traces[n], {"units": units[n]}) for n in names}
    data["W_end"] = ("condition", w, {"units": "1", "long_name": "final early state"})
    data["rho_end"] = (("condition", "syn_class"), rho,
                       {"units": "1", "long_name": "final late state per class"})
    data["gain_end"] = ("condition", gain_from_state(w, rho.mean(axis=1), spec.gain),
                        {"units": "1", "long_name": "final gain"})
    ds = xr.Dataset(data, coords={"time": ("time", t_h, {"units": "h"})})
    for n in ds.data_vars:
        check_finite(n, ds[n].values)
    ds.attrs["drive_table_key"] = table.key
    cites = [*SENSITIZATION_CITATIONS, *(x for x in table.citations.split(";") if x)]
    return stamp(ds, model="ketasim.spinal.slow.simulate_slow", citations=cites,
                 params={"spec": asdict(spec), "drive_table": table.key,
                         "c_rate_Hz": c.tolist(), "ketamine_uM": k.tolist(),
                         "schedule_dt_h": sched_h, "dt_h": step_h, "record_every_h": rec * step_h,
                         "variables": list(names), "w0": None if w0 is None else
                         np.asarray(w0, float).tolist(),
                         "rho0": None if rho0 is None else np.asarray(rho0, float).tolist()})


def gain_state_after(pl: xr.Dataset):
    """(W, rho) at the end of a spiking plasticity run, to start `simulate_slow` from.

    Examples
    --------
    >>> from ketasim.spinal import Condition, shock
    >>> from ketasim.spinal.protocols import run_with_plasticity
    >>> w, rho = gain_state_after(run_with_plasticity(shock(100.0), [Condition()])[1])
    >>> rho.shape
    (1, 8)
    """
    return pl.W.values[:, -1].copy(), pl.rho.values[:, -1, :].copy()


def relax_at_rest(w, rho, hours: float, spec: SensitizationSpec = DEFAULT_SENSITIZATION,
                  dt_s: float = 10.0):
    """Evolve (W, rho) for ``hours`` without Ca2+ drive (`ketasim.spinal.plasticity.relax_at_rest`
    with the spec's rules).

    Examples
    --------
    >>> import numpy as np
    >>> w, r = relax_at_rest(np.array([1.0]), np.zeros((1, 8)), 2.78)
    >>> round(float(w[0]), 2)
    0.53
    """
    return _relax(w, rho, hours, spec.gain, dt_s)


def gain_of(w, rho, spec: SensitizationSpec = DEFAULT_SENSITIZATION):
    """Gain for arrays of W (condition,) and rho (condition, n_classes).

    Examples
    --------
    >>> import numpy as np
    >>> float(gain_of(np.array([0.25]), np.zeros((1, 8)))[0])
    1.0
    """
    return gain_from_state(np.asarray(w), np.asarray(rho).mean(axis=-1), spec.gain)

