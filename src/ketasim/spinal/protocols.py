"""Protocols of the sensitization experiments on the spiking model, and the plasticity drive.

* `hfs_protocol`: high-frequency electrical conditioning (klein2004, benrath2005 design).
* `steady_protocol` / `steady_output`: a steady Poisson drive with background activity and
  the WDR rate after the build-up (the drive table and the pain readout use them).
* `plasticity_drive`: the WDR Ca2+ influx that drives the calcium rules
  (`ketasim.spinal.plasticity`), from a spiking run recorded with traces.
* `run_with_plasticity`: a spiking run and the calcium rules integrated along it.

Probe stimuli of the readout ([estimate]): light touch drives the A-beta pathway at
`TOUCH_ABETA_HZ` (low-threshold mechanoreceptors fire tens of Hz during stroking); a
pin-prick drives A-delta nociceptors at `PINPRICK_ADELTA_HZ`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ketasim.core.errors import InputError
from ketasim.core.record import Record
from ketasim.core.validation import Instance, Interval, check
from ketasim.receptors.subunits import as_mixture
from ketasim.spinal.afferents import Protocol
from ketasim.spinal.circuit import simulate
from ketasim.spinal.modulation import DEFAULT_SENSITIZATION, SensitizationSpec
from ketasim.spinal.plasticity import integrate_calcium_gain

__all__ = ["hfs_protocol", "steady_protocol", "steady_output", "plasticity_drive",
           "run_with_plasticity", "max_spikes_for", "TOUCH_ABETA_HZ", "PINPRICK_ADELTA_HZ"]

TOUCH_ABETA_HZ = 20.0  # [estimate]
PINPRICK_ADELTA_HZ = 10.0  # [estimate]


def max_spikes_for(duration_ms: float) -> int:
    """Spike-time buffer for a run: 400 spikes/s (above any WDR rate) plus slack.

    Examples
    --------
    >>> max_spikes_for(1000.0)
    1400
    """
    return int(duration_ms * 0.4) + 1000


def hfs_protocol(n_trains: int = 5, frequency_Hz: float = 100.0, train_ms: float = 1000.0,
                 interval_ms: float = 10_000.0, intensity: float = 2.0,
                 tail_ms: float = 2000.0) -> Protocol:
    """High-frequency conditioning: ``n_trains`` x ``train_ms`` at ``frequency_Hz`` every
    ``interval_ms`` (klein2004: 5 x 1 s at 100 Hz, 10 s apart; benrath2005 used the same
    classic spinal LTP design) at ``intensity`` x C threshold.

    Examples
    --------
    >>> p = hfs_protocol(n_trains=1, train_ms=100.0)
    >>> len(p.stim_times_ms)
    10
    """
    check("n_trains", n_trains, Interval(1, 100, integer=True))
    check("frequency_Hz", frequency_Hz, Interval(0, 1000, closed="right"))
    check("train_ms", train_ms, Interval(0, 60_000, closed="right"))
    check("interval_ms", interval_ms, Interval(0, 3.6e6, closed="right"))
    check("intensity", intensity, Interval(0, 100))
    check("tail_ms", tail_ms, Interval(0, 3.6e6))
    per_train = int(round(train_ms * frequency_Hz / 1000.0))
    if per_train < 1:
        raise InputError("train_ms", train_ms, f"a train holding >= 1 pulse at {frequency_Hz} Hz")
    times = []
    for i in range(int(n_trains)):
        t0 = 500.0 + i * interval_ms
        times += [t0 + k * 1000.0 / frequency_Hz for k in range(per_train)]
    dur = times[-1] + tail_ms
    return Protocol(dur, tuple(times), (float(intensity),) * len(times),
                    label=f"HFS {n_trains} x {train_ms:g} ms at {frequency_Hz:g} Hz")


def steady_protocol(duration_ms: float, background_Hz: float = 100.0) -> Protocol:
    """An empty protocol (one zero-intensity marker shock at t = 0, which recruits no fibre)
    with Poisson background (aguiar2010), to which rate drives are added.

    Examples
    --------
    >>> steady_protocol(1000.0).duration_ms
    1000.0
    """
    check("duration_ms", duration_ms, Interval(0, None, closed="neither"))
    check("background_Hz", background_Hz, Interval(0, 1000))
    return Protocol(float(duration_ms), (0.0,), (0.0,), label="steady").with_background(
        background_Hz)


def steady_output(sp: xr.Dataset, skip_ms: float) -> np.ndarray:
    """Mean WDR output rate (spikes/s) after ``skip_ms`` of a steady-drive run.

    Examples
    --------
    >>> sp = simulate(steady_protocol(1000.0))
    >>> steady_output(sp, 500.0).shape
    (1,)
    """
    dur = float(sp.attrs["duration_ms"])
    check("skip_ms", skip_ms, Interval(0, dur, closed="left"))
    t = sp.spike_times.values
    n = np.sum(np.isfinite(t) & (t >= skip_ms), axis=1)
    return n / ((dur - skip_ms) / 1000.0)


def plasticity_drive(sp: xr.Dataset, spec: SensitizationSpec = DEFAULT_SENSITIZATION,
                     nmda=None) -> np.ndarray:
    """Ca2+ drive (pA) of the plasticity rules from a spiking run recorded with traces.

    ``D = ca_fraction |I_NMDA| + ltype_weight |I_CaL|`` with the Ca2+ fraction of the NMDA
    current of the receptor layer's model (``NMDAParams.ca_fraction``, burnashev_1995: 10 %;
    ``nmda`` must be the model the run used, default ``NMDAParams()`` as in
    `ketasim.spinal.simulate`; for a mixture, the conductance-weighted mean of its parts)
    and the spec's L-type weight.

    Examples
    --------
    >>> sp = simulate(steady_protocol(200.0), record=Record(0.5, "all"))
    >>> plasticity_drive(sp).shape == sp.i_nmda.shape
    True
    """
    ca_fraction = sum(w * p.ca_fraction for _, p, w in as_mixture(nmda, field="nmda").parts)
    if "i_nmda" not in sp or "i_cal" not in sp:
        raise InputError("sp", "a run without traces",
                         "a spinal run with traces (record=Record(..., 'all'))")
    return (ca_fraction * np.abs(sp.i_nmda.values)
            + spec.ltype_weight * np.abs(sp.i_cal.values))


def run_with_plasticity(protocol: Protocol, conditions,
                        spec: SensitizationSpec = DEFAULT_SENSITIZATION, *, seed: int = 0,
                        dt_ms: float = 0.025, trace_dt_ms: float = 0.5,
                        record: Record | None = None, w0=None, rho0=None, nmda=None):
    """Run the spiking model and the calcium rules on its WDR Ca2+ (one batch).

    The gain is integrated along the run from the Ca2+ traces (sampled every
    ``trace_dt_ms``) and returned; it acts back on the circuit between runs (through
    `ketasim.spinal.modulation.modulation_from_gain`), not within one run.

    Parameters
    ----------
    record : `Record` of the plasticity output (``every`` in ms, default ``"10 ms"``).
    nmda : the NMDA receptor model of the run (anything `ketasim.spinal.simulate` takes).

    Returns
    -------
    (spiking Dataset, plasticity Dataset) -- the latter with dims (condition, time[ms]).

    Examples
    --------
    >>> from ketasim.spinal import Condition, shock
    >>> sp, pl = run_with_plasticity(shock(200.0), [Condition()])
    >>> pl.gain.dims
    ('condition', 'time')
    """
    check("protocol", protocol, Instance(Protocol))
    record = Record(every=10.0) if record is None else record
    sp = simulate(protocol, conditions, dt_ms=dt_ms, record=Record(trace_dt_ms, "all"),
                  seed=seed, max_spikes=max_spikes_for(protocol.duration_ms), nmda=nmda)
    pl = integrate_calcium_gain(plasticity_drive(sp, spec, nmda), trace_dt_ms, spec.gain, w0=w0,
                                rho0=rho0, record=record)
    pl.attrs["citations"] = ";".join(
        dict.fromkeys([*sp.attrs["citations"].split(";"), *pl.attrs["citations"].split(";")]))
    return sp, pl
