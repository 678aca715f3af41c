"""Primary afferents and stimulus protocols.

Three fibre classes reach the dorsal horn: A-beta (touch), A-delta and C (nociceptors). Their
arrival at the cord is the stimulus time plus a conduction latency (distance / velocity) with
per-volley Gaussian jitter. Electrical intensity is given in multiples of the C-fibre
threshold (as in the wind-up literature, e.g. 1.5-3 x T_C, dickenson1987); each class is
recruited with a steep sigmoid of intensity around its own threshold.

All the synapses of one pathway receive the same volley (a lumped pathway): one event per
class per stimulus, weighted by the fraction of fibres recruited. Rate drive ("natural
stimulus") and Poisson background are Poisson trains of such pathway events.

Examples
--------
>>> from ketasim.spinal.afferents import train
>>> p = train(n=15, frequency_Hz=1.0, intensity=2.0)
>>> len(p.stim_times_ms), p.duration_ms
(15, 16000.0)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ketasim.core.errors import InputError
from ketasim.core.units import as_float
from ketasim.core.validation import (
    TEXT,
    Each,
    Instance,
    Interval,
    NoneOK,
    Options,
    Quantity,
    check,
    check_fields,
    check_work,
    validate_params,
)
from ketasim.spinal import sources as S
from ketasim.spinal.layout import CH_AB, CH_AD, CH_BGE, CH_BGI, CH_C, CH_FFI


@dataclass(frozen=True)
class FibreClass:
    """Conduction and recruitment of one afferent class.

    A volley is split into ``n_sub`` sub-volleys whose velocities are spread evenly over
    ``velocity_range_m_s`` (temporal dispersion of the compound volley); each sub-volley
    carries 1/n_sub of the pathway and has its own jitter.
    """

    name: str
    velocity_range_m_s: tuple[float, float]
    jitter_ms: float
    threshold_xc: float  # recruitment threshold in multiples of the C-fibre threshold
    citation: str
    n_sub: int = 1

    def latencies_ms(self) -> np.ndarray:
        v0, v1 = self.velocity_range_m_s
        if self.n_sub == 1:
            return np.array([DISTANCE_MM / (0.5 * (v0 + v1))])
        # evenly spaced in latency between the fastest and slowest fibres
        return np.linspace(DISTANCE_MM / v1, DISTANCE_MM / v0, self.n_sub)


# Conduction distance paw -> lumbar cord in the rat [estimate, ~10 cm]. Velocities: A-beta 30-70,
# A-delta 2-30, C 0.5-2 m/s (gasser1939 classification). The A-delta and C values give
# aguiar2010's latencies (30 ms, 200 ms) and jitters (5 ms, 20 ms) at 100 mm.
# The C volley is dispersed over 100-350 ms (0.29-1.0 m/s), which is why C responses are
# scored 100-400 ms after the shock (cuellar2005); aguiar2010 used one C volley at 200 ms.
DISTANCE_MM = 100.0
FIBRES = {
    "abeta": FibreClass("abeta", (35.0, 35.0), 0.5, 0.05, S.GASSER1939),
    "adelta": FibreClass("adelta", (100.0 / 30.0, 100.0 / 30.0), 5.0, 0.3, S.AGUIAR2010),
    "c": FibreClass("c", (100.0 / 350.0, 1.0), 10.0, 1.0, S.CUELLAR2005, n_sub=8),
}
_CLASS_CH = {"abeta": CH_AB, "adelta": CH_AD, "c": CH_C}


# --- limits of the protocol inputs (checked when a protocol is built)
INTENSITY = Interval(0.0, 100.0)  # x C-fibre threshold
RATE_HZ = Interval(0.0, 1000.0)  # afferent and background rates; also the shock frequency cap
MAX_DURATION_MS = 1e8  # ~28 h: a spiking run of the dorsal horn is seconds to minutes
MAX_STIMULI = 1_000_000
DEFAULT_MAX_SHOCKS = 10_000  # `train`'s cap (max_shocks=... lifts it)


@validate_params({"intensity_xc": INTENSITY, "fibre": Options(FIBRES)})
def recruitment(intensity_xc: float, fibre: str) -> float:
    """Fraction of a class recruited by a shock of ``intensity_xc`` x C threshold.

    A steep sigmoid [estimate]: 0.14 at threshold, 0.9 at 1.5 x threshold, 0.99 at 2 x.

    >>> round(recruitment(2.0, "c"), 2)
    0.99
    """
    return _recruited(intensity_xc, fibre)


def _recruited(intensity_xc: float, fibre: str) -> float:
    """`recruitment` without the argument checks (inputs of a validated `Protocol`)."""
    th = FIBRES[fibre].threshold_xc
    x = intensity_xc / (1.2 * th)
    if x < 1e-6:  # far below threshold: (1/x)^10 would overflow
        return 0.0
    return x**10 / (1.0 + x**10)




def _ms(value, field: str) -> float:
    """A time in ms: a number (ms) or a quantity (``"2 s"``, pint)."""
    return as_float(value, field, "ms")


@dataclass(frozen=True)
class RateDrive:
    """Poisson pathway events of one fibre class at ``rate_Hz`` between two times (ms)."""

    fibre: str
    rate_Hz: float
    start_ms: float
    stop_ms: float
    recruited: float = 1.0

    def __post_init__(self):
        check_fields(self, {"fibre": Options(FIBRES), "rate_Hz": RATE_HZ,
                            "start_ms": Interval(0, MAX_DURATION_MS),
                            "stop_ms": Interval(0, MAX_DURATION_MS),
                            "recruited": Interval(0.0, 1.0)}, prefix="RateDrive.")
        check("RateDrive.stop_ms", self.stop_ms, Interval(self.start_ms, MAX_DURATION_MS))


@dataclass(frozen=True)
class Protocol:
    """Stimulus protocol: shocks, rate drives and background, over ``duration_ms``.

    Build with `shock`, `train`, then add `with_rate_drive` / `with_background`.
    """

    duration_ms: float
    stim_times_ms: tuple[float, ...] = ()
    stim_intensity_xc: tuple[float, ...] = ()
    rate_drives: tuple[RateDrive, ...] = ()
    background_Hz: float = 0.0
    jitter: bool = True
    label: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        check_fields(self, {"duration_ms": Interval(0, MAX_DURATION_MS, closed="right"),
                            "stim_times_ms": Instance(tuple, list),
                            "stim_intensity_xc": Instance(tuple, list),
                            "rate_drives": Instance(tuple, list), "background_Hz": RATE_HZ,
                            "jitter": Instance(bool), "label": TEXT, "meta": Instance(dict)})
        n = len(self.stim_times_ms)
        if len(self.stim_intensity_xc) != n:
            raise InputError("stim_intensity_xc", len(self.stim_intensity_xc),
                             f"one intensity per stimulus ({n})")
        check_work("number of stimuli", n, MAX_STIMULI, "split the protocol into several runs")
        if n:
            check("stim_times_ms", self.stim_times_ms,
                  Each(Interval(0, self.duration_ms, closed="left")))
            check("stim_intensity_xc", self.stim_intensity_xc, Each(INTENSITY))
        for i, rd in enumerate(self.rate_drives):
            check(f"rate_drives[{i}]", rd, Instance(RateDrive))
        object.__setattr__(self, "duration_ms", float(self.duration_ms))
        object.__setattr__(self, "stim_times_ms", tuple(float(t) for t in self.stim_times_ms))
        object.__setattr__(self, "stim_intensity_xc",
                           tuple(float(x) for x in self.stim_intensity_xc))
        object.__setattr__(self, "rate_drives", tuple(self.rate_drives))
        object.__setattr__(self, "background_Hz", float(self.background_Hz))

    def to_dict(self) -> dict:
        """The complete protocol as plain data (for provenance)."""
        return {"duration_ms": self.duration_ms, "stim_times_ms": list(self.stim_times_ms),
                "stim_intensity_xc": list(self.stim_intensity_xc),
                "rate_drives": [asdict(rd) for rd in self.rate_drives],
                "background_Hz": self.background_Hz, "jitter": self.jitter,
                "label": self.label}

    def with_rate_drive(self, fibre: str, rate_Hz: float, start_ms: float = 0.0,
                        stop_ms: float | None = None, recruited: float = 1.0) -> Protocol:
        """Add Poisson pathway events of ``fibre`` at ``rate_Hz`` (natural-stimulus drive)
        between ``start_ms`` and ``stop_ms`` (default: the end of the protocol).

        >>> shock(500.0).with_rate_drive("c", 2.0).rate_drives[0].rate_Hz
        2.0
        """
        check("fibre", fibre, Options(FIBRES))
        check("rate_Hz", rate_Hz, RATE_HZ)
        start = _ms(start_ms, "start_ms")
        stop = self.duration_ms if stop_ms is None else _ms(stop_ms, "stop_ms")
        check("stop_ms", stop, Interval(0, self.duration_ms))
        check("start_ms", start, Interval(0, stop))
        check("recruited", recruited, Interval(0.0, 1.0))
        rd = RateDrive(fibre, float(rate_Hz), float(start), float(stop), float(recruited))
        return _replace(self, rate_drives=self.rate_drives + (rd,))

    def with_background(self, rate_Hz: float = 100.0) -> Protocol:
        """Add Poisson background excitation and inhibition (aguiar2010: mean interval 10 ms).

        >>> shock(500.0).with_background(50.0).background_Hz
        50.0
        """
        check("rate_Hz", rate_Hz, RATE_HZ)
        return _replace(self, background_Hz=float(rate_Hz))

    def deterministic(self) -> Protocol:
        """Same protocol without latency jitter (for cross-checks)."""
        return _replace(self, jitter=False)

    def events(self, rng: np.random.Generator, dt_ms: float):
        """Sorted (step, channel, weight) arrays of afferent pathway events."""
        steps, chans, ws = [], [], []
        ffi_delay = 1.0  # afferent-driven inhibitory relay, 1 ms after excitation (aguiar2010)
        for t0, inten in zip(self.stim_times_ms, self.stim_intensity_xc, strict=True):
            for name, fc in FIBRES.items():
                f = _recruited(inten, name)
                if f < 1e-3:
                    continue
                for lat in fc.latencies_ms():
                    if self.jitter:
                        lat += fc.jitter_ms * rng.standard_normal()
                    t = t0 + max(lat, 0.5)
                    steps.append(t)
                    chans.append(_CLASS_CH[name])
                    ws.append(f / fc.n_sub)
                    if name in ("abeta", "adelta"):
                        steps.append(t + ffi_delay)
                        chans.append(CH_FFI)
                        ws.append(f / fc.n_sub)
        for rd in self.rate_drives:
            n = rng.poisson(rd.rate_Hz * (rd.stop_ms - rd.start_ms) / 1000.0)
            ts = np.sort(rng.uniform(rd.start_ms, rd.stop_ms, n))
            lat = float(FIBRES[rd.fibre].latencies_ms().mean())
            for t in ts:
                steps.append(t + lat)
                chans.append(_CLASS_CH[rd.fibre])
                ws.append(rd.recruited)
                if rd.fibre in ("abeta", "adelta"):
                    steps.append(t + lat + ffi_delay)
                    chans.append(CH_FFI)
                    ws.append(rd.recruited)
        if self.background_Hz > 0:
            for ch in (CH_BGE, CH_BGI):
                n = rng.poisson(self.background_Hz * self.duration_ms / 1000.0)
                for t in rng.uniform(0.0, self.duration_ms, n):
                    steps.append(t)
                    chans.append(ch)
                    ws.append(1.0)
        st = np.round(np.asarray(steps, float) / dt_ms).astype(np.int64)
        ch = np.asarray(chans, np.int64)
        w = np.asarray(ws, float)
        order = np.lexsort((ch, st))
        return st[order], ch[order], w[order]


def _replace(p: Protocol, **kw) -> Protocol:
    d = {k: getattr(p, k) for k in ("duration_ms", "stim_times_ms", "stim_intensity_xc",
                                     "rate_drives", "background_Hz", "jitter", "label")}
    d.update(kw)
    return Protocol(**d, meta=dict(p.meta))


_TIME_MS = Quantity("ms", Interval(0, MAX_DURATION_MS))


@validate_params({"t_ms": _TIME_MS, "intensity": INTENSITY,
                  "duration_ms": (Quantity("ms", Interval(0, MAX_DURATION_MS, closed="right")),
                                  NoneOK())})
def shock(t_ms: float = 1000.0, intensity: float = 2.0, duration_ms: float | None = None
          ) -> Protocol:
    """One electrical shock at ``t_ms`` of ``intensity`` x C threshold; the protocol lasts
    ``duration_ms`` (default: 1.5 s after the shock). Times in ms or as quantities.

    >>> shock(500.0).stim_times_ms
    (500.0,)
    >>> shock("0.5 s", duration_ms="1 s").duration_ms
    1000.0
    """
    t = _ms(t_ms, "t_ms")
    check("t_ms", t, Interval(0, MAX_DURATION_MS))
    check("intensity", intensity, INTENSITY)
    dur = t + 1500.0 if duration_ms is None else _ms(duration_ms, "duration_ms")
    check("duration_ms", dur, Interval(t, MAX_DURATION_MS, closed="right"))
    return Protocol(dur, (t,), (float(intensity),), label="shock")


@validate_params({"n": Interval(1, None, integer=True),
                  "frequency_Hz": Interval(0, RATE_HZ.hi, closed="right"), "intensity": INTENSITY,
                  "start_ms": _TIME_MS, "tail_ms": _TIME_MS,
                  "max_shocks": Interval(1, MAX_STIMULI, integer=True)})
def train(n: int = 15, frequency_Hz: float = 1.0, intensity: float = 2.0, start_ms: float = 1000.0,
          tail_ms: float = 0.0, *, max_shocks: int = DEFAULT_MAX_SHOCKS) -> Protocol:
    """``n`` shocks at ``frequency_Hz`` (wind-up protocol; aguiar2010: 15 at 1 Hz from t = 1 s).

    The protocol lasts until one inter-stimulus interval (at most 1 s) plus ``tail_ms`` after
    the last shock. ``n`` is capped at ``max_shocks``.

    >>> train(3, 2.0).stim_times_ms
    (1000.0, 1500.0, 2000.0)
    >>> train(0)
    Traceback (most recent call last):
    ...
    ketasim.core.errors.InputError: n: got 0; allowed: an integer in [1, inf)
    """
    check("n", n, Interval(1, None, integer=True))
    check("max_shocks", max_shocks, Interval(1, MAX_STIMULI, integer=True))
    check_work("n", n, max_shocks, "pass max_shocks=... to go past it")
    check("frequency_Hz", frequency_Hz, Interval(0, RATE_HZ.hi, closed="right"))
    check("intensity", intensity, INTENSITY)
    start_ms = _ms(start_ms, "start_ms")
    check("start_ms", start_ms, Interval(0, MAX_DURATION_MS))
    tail_ms = _ms(tail_ms, "tail_ms")
    check("tail_ms", tail_ms, Interval(0, MAX_DURATION_MS))
    isi = 1000.0 / frequency_Hz
    times = tuple(start_ms + i * isi for i in range(int(n)))
    dur = times[-1] + max(min(isi, 1000.0), 1000.0) + tail_ms
    return Protocol(dur, times, (float(intensity),) * int(n),
                    label=f"train {n} x {frequency_Hz:g} Hz",
                    meta={"frequency_Hz": float(frequency_Hz)})
