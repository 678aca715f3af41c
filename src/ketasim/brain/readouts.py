"""Cortical readouts of the network per drug condition, each a number with a definition.

One run (`cortical_readouts`) per batch of conditions follows `ReadoutProtocol`: a warm-up
(discarded), a spontaneous epoch, a train of brief sensory inputs (to the thalamic relay
cells) and a train of perturbation pulses (to parietal pyramidal cells). A drug-free
reference condition is run in the same batch (common random numbers). Signal measures come
from `ketasim.brain.measures`. Definitions (``ref``: the drug-free condition):

* ``responsiveness`` (0-1): evoked frontal pyramidal rate (mean over 15-100 ms after each
  sensory input minus the 100 ms before it, averaged over inputs) over ref's, clipped to
  [0, 1]; ``evoked_ratio`` is the same ratio unclipped. It needs the input to reach frontal
  cortex through thalamus -> sensory -> parietal -> frontal.
* ``gamma_rel``, ``alpha_rel``, ``delta_rel``: band power (Welch; IFCN bands) of the
  spontaneous EEG proxy, mean over the three cortical regions, over ref's.
* ``integration`` (0-1): mean weighted phase-lag index (wPLI) over the three cortical
  region pairs and four bands (theta, alpha, beta, low gamma 30-45 Hz) of the spontaneous
  EEG; ``integration_rel`` over ref's.
* ``feedback`` / ``feedforward``: Gaussian transfer entropy (nats) frontal -> parietal and
  parietal -> frontal of the spontaneous EEG averaged to 4 ms samples (order 5).
* ``lzc``: single-channel Lempel-Ziv complexity (median-binarised, shuffle-normalised) of
  the spontaneous EEG, mean over cortical regions.
* ``pci``: Casali PCI (`measures.pci`) of the pulse-averaged response of the 34 recorded
  cell groups (20 cells each; rates smoothed over 5 ms), 300 ms after the pulse, 200 ms
  baseline.
* ``activity_rel``: mean cortical pyramidal rate (spontaneous) over ref's.
* ``dissociation`` (0-1): ``min(1, activity_rel) * clip(1 - integration_rel, 0, 1)``,
  awake-like (or high) local activity with broken integration.
* ``psychotomimetic`` (0-1, graded): ``responsiveness * (clip(log2 gamma_rel, 0, 1) +
  clip(1 - integration_rel, 0, 1)) / 2``: a responsive cortex that is disinhibited
  (gamma excess) and disintegrated. Our definition [estimate]; not a clinical scale.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import xarray as xr

from ketasim.brain import measures as M
from ketasim.brain import sources as S
from ketasim.brain.network import Pulse, Stimulus, simulate
from ketasim.brain.params import DEFAULT, BrainParams
from ketasim.core.provenance import stamp
from ketasim.core.validation import (
    SEED,
    Instance,
    Interval,
    check_fields,
    validate_params,
)

READOUTS = ("responsiveness", "evoked_ratio", "integration", "integration_rel",
            "dissociation", "psychotomimetic", "pci", "lzc", "gamma_rel", "alpha_rel",
            "delta_rel", "feedback", "feedforward", "activity_rel")
UNITS = {"feedback": "nat", "feedforward": "nat"}
SYNC_BANDS = ((4.0, 8.0), (8.0, 13.0), (13.0, 30.0), (30.0, 45.0))


@dataclass(frozen=True)
class ReadoutProtocol:
    """Epochs of a readout run (ms): warm-up, spontaneous, sensory inputs, pulses.

    Examples
    --------
    >>> ReadoutProtocol().duration_ms
    30000.0
    >>> ReadoutProtocol.short().duration_ms
    9600.0
    """

    warmup_ms: float = 500.0
    spont_ms: float = 14400.0
    n_stim: int = 25
    stim_every_ms: float = 300.0
    n_pulse: int = 25
    pulse_every_ms: float = 300.0

    def __post_init__(self):
        check_fields(self, {"warmup_ms": Interval(100, 60_000),
                            "spont_ms": Interval(1000, 3_600_000),
                            "n_stim": Interval(1, 10_000, integer=True),
                            "stim_every_ms": Interval(200, 10_000),
                            "n_pulse": Interval(1, 10_000, integer=True),
                            "pulse_every_ms": Interval(200, 10_000)}, prefix="protocol.")

    @classmethod
    def short(cls) -> ReadoutProtocol:
        """9.6 s: 3 s spontaneous, 16 inputs and 8 pulses every 250 ms (maps)."""
        return cls(500.0, 3000.0, 16, 250.0, 8, 250.0)

    @property
    def stim_start_ms(self) -> float:
        return self.warmup_ms + self.spont_ms + 100.0

    @property
    def pulse_start_ms(self) -> float:
        return self.stim_start_ms + self.n_stim * self.stim_every_ms + 100.0

    @property
    def duration_ms(self) -> float:
        return self.pulse_start_ms + self.n_pulse * self.pulse_every_ms - 100.0 + 0.0

    def stimulus(self) -> Stimulus:
        return Stimulus(self.stim_start_ms, self.stim_every_ms, self.n_stim)

    def pulse(self) -> Pulse:
        return Pulse(self.pulse_start_ms, self.pulse_every_ms, self.n_pulse, region="parietal")


def _epochs(a: np.ndarray, onsets_idx, pre: int, post: int) -> np.ndarray:
    """(..., time) -> (..., trial, pre + post) epochs."""
    out = [a[..., i - pre:i + post] for i in onsets_idx if i - pre >= 0 and i + post <= a.shape[-1]]
    return np.stack(out, axis=-2)


def signal_readouts(ds: xr.Dataset, protocol: ReadoutProtocol) -> dict[str, np.ndarray]:
    """Raw (not reference-normalised) readouts per condition of a `simulate` result run with
    ``protocol``'s stimulus and pulse (1 ms bins).

    Examples
    --------
    >>> p = ReadoutProtocol.short()
    >>> ds = simulate(0.0, duration_ms=p.duration_ms, stimulus=p.stimulus(),
    ...               pulse=p.pulse())  # doctest: +SKIP
    >>> sorted(signal_readouts(ds, p))[:3]  # doctest: +SKIP
    ['activity', 'alpha', 'delta']
    """
    dt = float(ds.time[1] - ds.time[0])
    fs = 1000.0 / dt
    t = ds.time.values
    sp = (t >= protocol.warmup_ms) & (t < protocol.warmup_ms + protocol.spont_ms)
    x = ds.eeg.values[:, :3, sp]
    bp = M.band_powers(x, fs)
    out = {k: bp[k].mean(axis=-1) for k in ("delta", "alpha", "gamma")}
    pairs = ((0, 1), (1, 2), (0, 2))
    w = [M.wpli(x[:, a], x[:, b], fs, band=bd) for a, b in pairs for bd in SYNC_BANDS]
    out["integration"] = np.mean(w, axis=0)
    n4 = int(round(4.0 / dt))
    m = (x.shape[-1] // n4) * n4
    xd = x[..., :m].reshape(x.shape[0], 3, -1, n4).mean(-1)
    out["feedback"] = M.transfer_entropy(xd[:, 2], xd[:, 1], order=5)
    out["feedforward"] = M.transfer_entropy(xd[:, 1], xd[:, 2], order=5)
    out["lzc"] = M.lz_complexity(x).mean(axis=-1)
    rate = ds.rate_Hz
    pyr = [q for q in rate.population.values if q.endswith("_e")]
    out["activity"] = rate.sel(population=pyr).values[..., sp].mean(axis=(-1, -2))
    # responsiveness: frontal pyramidal evoked rate
    on = np.searchsorted(t, ds.stimulus_onset_ms.values)
    fr = rate.sel(population="frontal_e").values
    pre, post = int(round(100 / dt)), int(round(100 / dt))
    ep = _epochs(fr, on, pre, post).mean(axis=-2)
    i20 = pre + int(round(15 / dt))
    out["evoked"] = ep[:, i20:].mean(-1) - ep[:, :pre].mean(-1)
    # PCI on the pulse-averaged group rates
    on = np.searchsorted(t, ds.pulse_onset_ms.values)
    g = ds.group_rate_Hz.values
    k5 = int(round(5 / dt))
    ker = np.ones(k5) / k5
    gs = np.apply_along_axis(lambda v: np.convolve(v, ker, mode="same"), -1, g)
    pre, post = int(round(200 / dt)), int(round(300 / dt))
    eg = _epochs(gs, on, pre, post).mean(axis=-2)
    out["pci"] = M.pci(eg, fs, pulse_s=pre / fs, window_s=post / fs)
    return out


def normalise(raw: dict, ref: dict) -> dict[str, np.ndarray]:
    """Readouts of `READOUTS` from raw values and the drug-free reference's raw values.

    Examples
    --------
    >>> r = {k: np.array([1.0]) for k in ("delta", "alpha", "gamma", "integration", "feedback",
    ...      "feedforward", "lzc", "activity", "evoked", "pci")}
    >>> float(normalise(r, r)["responsiveness"][0]), float(normalise(r, r)["dissociation"][0])
    (1.0, 0.0)
    """
    def ratio(a, b):
        return np.divide(a, b, out=np.zeros_like(np.asarray(a, float)), where=np.asarray(b) > 0)

    out = {}
    ev = ratio(raw["evoked"], ref["evoked"])
    out["evoked_ratio"] = ev
    out["responsiveness"] = np.clip(ev, 0.0, 1.0)
    out["integration"] = raw["integration"]
    out["integration_rel"] = ratio(raw["integration"], ref["integration"])
    for b in ("gamma", "alpha", "delta"):
        out[f"{b}_rel"] = ratio(raw[b], ref[b])
    out["activity_rel"] = ratio(raw["activity"], ref["activity"])
    broken = np.clip(1.0 - out["integration_rel"], 0.0, 1.0)
    out["dissociation"] = np.minimum(1.0, out["activity_rel"]) * broken
    gam = np.clip(np.log2(np.maximum(out["gamma_rel"], 1e-12)), 0.0, 1.0)
    out["psychotomimetic"] = out["responsiveness"] * (gam + broken) / 2.0
    for k in ("pci", "lzc", "feedback", "feedforward"):
        out[k] = raw[k]
    return out


@validate_params({"seed": SEED, "protocol": Instance(ReadoutProtocol),
                  "params": Instance(BrainParams)})
def cortical_readouts(ketamine_uM=0.0, propofol_uM=0.0, thiopental_uM=0.0, midazolam_uM=0.0,
                      *, protocol: ReadoutProtocol = ReadoutProtocol(),  # noqa: B008
                      seed: int = 0, params: BrainParams = DEFAULT,
                      gabaa_multiplier=None) -> xr.Dataset:
    """Run the network on a batch of conditions (free effect-site uM) plus a drug-free
    reference, and return the readouts (`READOUTS`) per condition. ``gabaa_multiplier``:
    as in `ketasim.brain.network.simulate` (the reference keeps 1).

    Examples
    --------
    >>> r = cortical_readouts(ketamine_uM=[3.0],
    ...                       protocol=ReadoutProtocol.short())  # doctest: +SKIP
    >>> 0.0 <= float(r.responsiveness[0]) <= 1.0  # doctest: +SKIP
    True
    """
    arrs = [np.atleast_1d(np.asarray(v, float)).ravel() for v in
            (ketamine_uM, propofol_uM, thiopental_uM, midazolam_uM)]
    n = max(len(a) for a in arrs)
    if gabaa_multiplier is not None:   # a GABA-A axis alone also sets the batch size
        n = max(n, np.atleast_1d(np.asarray(gabaa_multiplier, float)).size)
    arrs = [np.concatenate([[0.0], np.broadcast_to(a, (n,)) if len(a) in (1, n) else a])
            for a in arrs]
    gm = None
    if gabaa_multiplier is not None:
        g = np.atleast_1d(np.asarray(gabaa_multiplier, float)).ravel()
        gm = np.concatenate([[1.0], np.broadcast_to(g, (n,)) if len(g) in (1, n) else g])
    ds = simulate(*arrs, duration_ms=protocol.duration_ms, seed=seed,
                  stimulus=protocol.stimulus(), pulse=protocol.pulse(), params=params,
                  gabaa_multiplier=gm)
    raw = signal_readouts(ds, protocol)
    ref = {k: v[:1] for k, v in raw.items()}
    vals = normalise({k: v[1:] for k, v in raw.items()}, ref)
    res = xr.Dataset(
        {k: ("condition", np.asarray(vals[k], float), {"units": UNITS.get(k, "1")})
         for k in READOUTS},
        coords={"condition": np.arange(n),
                **{f"{d}_uM": ("condition", ds[f"{d}_uM"].values[1:], {"units": "umol/L"})
                   for d in ("ketamine", "propofol", "thiopental", "midazolam")},
                "gabaa_multiplier": ("condition", ds.gabaa_multiplier.values[1:])})
    for k in ("gamma", "alpha", "delta", "integration", "evoked", "activity"):
        res.attrs[f"reference_{k}"] = float(ref[k][0])
    return stamp(res, model="ketasim.brain.cortical_readouts",
                 citations=[ds, M.CITATIONS, S.OWN_ESTIMATE],
                 params={"protocol": asdict(protocol), "seed": int(seed),
                         "conditions": np.stack([a[1:] for a in arrs], 1).tolist(),
                         "params": params.to_dict()})
