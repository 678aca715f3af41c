"""Signal measures of the brain layer: spectra, phase synchrony, directed connectivity,
complexity and perturbational complexity.

Every function takes numpy arrays with a **trailing time axis**, batched over any leading
axes, and the sampling rate ``fs_Hz``; it returns numpy arrays of the leading shape. What is
ours and what is borrowed:

* band powers: Welch's averaged modified periodogram (``scipy.signal.welch``) [welch1967],
  integrated over the bands of the IFCN glossary [kane2017_ifcn] (delta 1-4, theta 4-8,
  alpha 8-13, beta 13-30 Hz; gamma 30-80 Hz, its upper edge ours [estimate]);
* phase synchrony of two signals in a band, from the Hilbert phase of the band-passed
  signals (zero-phase Butterworth, ``scipy.signal.sosfiltfilt``), averaged over *time
  samples* (a single long epoch, as a simulator gives), not over trials: PLV [lachaux1999],
  wPLI [vinck2011], directed PLI [stam_vanstraaten2012];
* transfer entropy [schreiber2000] with the **Gaussian (linear) estimator**, which equals
  half the Granger log-ratio of residual variances [barnett2009];
* Lempel-Ziv complexity, LZ76 counted by the Kaspar-Schuster algorithm
  [lempel_ziv1976; kaspar_schuster1987], single channel (LZc) and multichannel (LZs, the
  binarised channels read time point by time point) [schartner2015; schartner2017];
* the perturbational complexity index of Casali et al. [casali2013] (not PCI-ST): the
  binarised matrix of significant responses (regions x time after the pulse, significance
  from a bootstrap of the pre-pulse baseline), its LZ76 normalised by length and source
  entropy.

mne-connectivity (PLV/wPLI/dPLI) was judged and not used: it pulls mne, netCDF4, requests
and pooch for three one-line estimators; the tests check ours on analytic cases instead.
antropy's ``lziv_complexity`` is the independent LZ76 check in the tests (dev dependency).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy import signal as _sig

from ketasim.core.citations import key
from ketasim.core.errors import InputError
from ketasim.core.validation import (
    POSITIVE,
    SEED,
    Instance,
    Interval,
    NoneOK,
    Options,
    validate_params,
)

WELCH_1967 = key("welch1967")
KANE_2017 = key("kane2017_ifcn")
LACHAUX_1999 = key("lachaux1999")
VINCK_2011 = key("vinck2011")
STAM_2012 = key("stam_vanstraaten2012")
SCHREIBER_2000 = key("schreiber2000")
BARNETT_2009 = key("barnett2009")
LEMPEL_ZIV_1976 = key("lempel_ziv1976")
KASPAR_SCHUSTER_1987 = key("kaspar_schuster1987")
SCHARTNER_2015 = key("schartner2015")
SCHARTNER_2017 = key("schartner2017")
CASALI_2013 = key("casali2013")

CITATIONS = [WELCH_1967, KANE_2017, LACHAUX_1999, VINCK_2011, STAM_2012, SCHREIBER_2000,
             BARNETT_2009, LEMPEL_ZIV_1976, KASPAR_SCHUSTER_1987, SCHARTNER_2015,
             SCHARTNER_2017, CASALI_2013]

#: EEG bands in Hz, [lo, hi): IFCN glossary [kane2017_ifcn]; gamma's 80 Hz edge [estimate].
BANDS_HZ: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 80.0),
}

#: Largest array the measures accept (elements), a work cap against accidental huge input.
MAX_ELEMENTS = 50_000_000

ARRAY = Instance(np.ndarray, list, tuple)
FS = Interval(0, 1e6, closed="right")
BAND = Instance(tuple, list)


def _signal(field: str, x, min_len: int = 2) -> np.ndarray:
    """``x`` as a float array with a trailing time axis of at least ``min_len`` finite
    samples, or `InputError` naming ``field``."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(field, type(x).__name__, "a numeric array (..., time)") from None
    if a.ndim == 0 or a.shape[-1] < min_len:
        raise InputError(field, f"array of shape {a.shape}",
                         f"an array with a trailing time axis of at least {min_len} samples")
    if a.size > MAX_ELEMENTS:
        raise InputError(field, f"array of {a.size} elements", f"at most {MAX_ELEMENTS}")
    if not np.all(np.isfinite(a)):
        raise InputError(field, "an array holding NaN or infinity", "finite values")
    return a


def _band(field: str, band, fs_Hz: float) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in band)
    except (TypeError, ValueError):
        raise InputError(field, band, "two numbers (lo_Hz, hi_Hz)") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi < fs_Hz / 2):
        raise InputError(field, band, f"0 < lo < hi < fs_Hz/2 = {fs_Hz / 2:g} Hz")
    return lo, hi


# --------------------------------------------------------------------------------------
# Spectra
# --------------------------------------------------------------------------------------

@validate_params({"x": ARRAY, "fs_Hz": FS, "bands": (NoneOK(), Instance(dict)),
                  "nperseg": (NoneOK(), Interval(8, 1_000_000, integer=True)),
                  "relative": Instance(bool)})
def band_powers(x, fs_Hz: float, bands: dict | None = None, nperseg: int | None = None,
                relative: bool = False) -> dict[str, np.ndarray]:
    """Power in each EEG band from Welch's periodogram [welch1967].

    Parameters
    ----------
    x : array (..., time)
        Signals; leading axes are a batch.
    fs_Hz : float
        Sampling rate (Hz).
    bands : dict name -> (lo_Hz, hi_Hz), optional
        Default `BANDS_HZ` (IFCN glossary [kane2017_ifcn]). A band covers [lo, hi).
    nperseg : int, optional
        Welch segment length (samples); default 2 s of data (0.5 Hz resolution) or the whole
        signal if shorter. Hann window, 50 % overlap.
    relative : bool
        Divide by the power in 1-80 Hz (or up to Nyquist) summed over the same frequencies.

    Returns
    -------
    dict name -> array of the leading shape (signal units squared; unitless if relative).

    Examples
    --------
    >>> fs = 500.0
    >>> t = np.arange(0, 10, 1 / fs)
    >>> p = band_powers(np.sin(2 * np.pi * 10 * t), fs, relative=True)
    >>> round(float(p["alpha"]), 3)
    1.0
    """
    a = _signal("x", x, min_len=8)
    bands = dict(BANDS_HZ if bands is None else bands)
    for name, b in bands.items():
        _band(f"bands[{name!r}]", b, fs_Hz)
    n = a.shape[-1]
    seg = min(n, int(nperseg) if nperseg is not None else int(round(2 * fs_Hz)))
    seg = max(seg, 8)
    f, pxx = _sig.welch(a, fs=fs_Hz, nperseg=min(seg, n), axis=-1)
    df = f[1] - f[0]
    out = {name: np.sum(pxx[..., (f >= lo) & (f < hi)], axis=-1) * df
           for name, (lo, hi) in ((k, _band(k, v, fs_Hz)) for k, v in bands.items())}
    if relative:
        total = np.sum(pxx[..., (f >= 1.0) & (f < min(80.0, fs_Hz / 2))], axis=-1) * df
        total = np.where(total > 0, total, np.nan)
        out = {k: np.nan_to_num(v / total) for k, v in out.items()}
    return out


# --------------------------------------------------------------------------------------
# Phase synchrony
# --------------------------------------------------------------------------------------

def _analytic(a: np.ndarray, fs_Hz: float, lo: float, hi: float, order: int = 4):
    sos = _sig.butter(order, [lo, hi], btype="bandpass", fs=fs_Hz, output="sos")
    n = a.shape[-1]
    padlen = min(n - 1, 3 * (2 * len(sos) + 1))
    return _sig.hilbert(_sig.sosfiltfilt(sos, a, axis=-1, padlen=padlen), axis=-1)


def _trim(n: int, fs_Hz: float, lo: float, edge_s: float | None) -> slice:
    """Drop filter/Hilbert edge transients: default two cycles of ``lo`` per end, at most
    10 % of the signal per end [estimate]."""
    e = int(round((2.0 / lo if edge_s is None else edge_s) * fs_Hz))
    e = min(e, n // 10)
    return slice(e, n - e if e else None)


def _cross(x, y, fs_Hz, band, edge_s):
    a = _signal("x", x, min_len=16)
    b = _signal("y", y, min_len=16)
    try:
        a, b = np.broadcast_arrays(a, b)
    except ValueError:
        raise InputError("y", f"array of shape {np.shape(y)}",
                         f"an array broadcastable with x {np.shape(x)}") from None
    lo, hi = _band("band", band, fs_Hz)
    za = _analytic(a, fs_Hz, lo, hi)
    zb = _analytic(b, fs_Hz, lo, hi)
    s = _trim(a.shape[-1], fs_Hz, lo, edge_s)
    return za[..., s] * np.conj(zb[..., s])


_SYNC = {"x": ARRAY, "y": ARRAY, "fs_Hz": FS, "band": BAND,
         "edge_s": (NoneOK(), Interval(0, 1e4))}


@validate_params(_SYNC)
def plv(x, y, fs_Hz: float, band=(8.0, 13.0), edge_s: float | None = None) -> np.ndarray:
    """Phase-locking value |<exp(i(phi_x - phi_y))>| over time [lachaux1999].

    Parameters
    ----------
    x, y : arrays (..., time), broadcastable
    fs_Hz : float
        Sampling rate (Hz).
    band : (lo_Hz, hi_Hz)
        Band-pass (4th-order Butterworth, zero phase) before the Hilbert transform.
    edge_s : float, optional
        Seconds dropped at each end (default two cycles of ``lo``, at most 10 %).

    Returns
    -------
    array of the leading shape, in [0, 1].

    Examples
    --------
    >>> t = np.arange(0, 10, 1 / 250)
    >>> x = np.sin(2 * np.pi * 10 * t)
    >>> round(float(plv(x, np.roll(x, 7), 250.0)), 3)
    1.0
    """
    c = _cross(x, y, fs_Hz, band, edge_s)
    mag = np.abs(c)
    unit = np.divide(c, mag, out=np.zeros_like(c), where=mag > 0)
    return np.abs(unit.mean(axis=-1))


@validate_params(_SYNC)
def wpli(x, y, fs_Hz: float, band=(8.0, 13.0), edge_s: float | None = None) -> np.ndarray:
    """Weighted phase-lag index |<Im S>| / <|Im S|> of the cross-signal S = z_x conj(z_y)
    over time [vinck2011]: insensitive to zero-lag (volume-conducted) coupling.

    Parameters
    ----------
    x, y, fs_Hz, band, edge_s : as in `plv`.

    Returns
    -------
    array of the leading shape, in [0, 1] (0 where Im S is at rounding level everywhere).

    Examples
    --------
    >>> t = np.arange(0, 10, 1 / 250)
    >>> x = np.sin(2 * np.pi * 10 * t)
    >>> round(float(wpli(x, np.sin(2 * np.pi * 10 * t - 0.5), 250.0)), 3)
    1.0
    """
    c = _cross(x, y, fs_Hz, band, edge_s)
    im = c.imag
    den = np.abs(im).mean(axis=-1)
    # Im S at rounding level (identical signals) counts as zero lag: wPLI 0
    ok = den > 1e-9 * np.abs(c).mean(axis=-1)
    return np.divide(np.abs(im.mean(axis=-1)), den, out=np.zeros_like(den), where=ok)


@validate_params(_SYNC)
def dpli(x, y, fs_Hz: float, band=(8.0, 13.0), edge_s: float | None = None) -> np.ndarray:
    """Directed phase-lag index <H(Im S)> [stam_vanstraaten2012]: the fraction of time x's
    phase leads y's (S = z_x conj(z_y), H the Heaviside step, H(0) = 1/2). 0.5: no
    preferred lead; above 0.5: x leads y (x -> y in the phase sense).

    Parameters
    ----------
    x, y, fs_Hz, band, edge_s : as in `plv`.

    Returns
    -------
    array of the leading shape, in [0, 1].

    Examples
    --------
    >>> t = np.arange(0, 10, 1 / 250)
    >>> lead = np.sin(2 * np.pi * 10 * t)
    >>> lag = np.sin(2 * np.pi * 10 * t - 0.5)
    >>> float(dpli(lead, lag, 250.0)), float(dpli(lag, lead, 250.0))
    (1.0, 0.0)
    """
    im = _cross(x, y, fs_Hz, band, edge_s).imag
    return np.mean(np.heaviside(im, 0.5), axis=-1)


# --------------------------------------------------------------------------------------
# Directed connectivity: Gaussian transfer entropy
# --------------------------------------------------------------------------------------

def _embed(a: np.ndarray, order: int, lag: int, start: int, n: int) -> np.ndarray:
    """Past values a[t - lag - j] for j < order, at t = start..n-1: (..., T, order)."""
    cols = [a[..., start - lag - j: n - lag - j] for j in range(order)]
    return np.stack(cols, axis=-1)


def _resid_var(target: np.ndarray, design: np.ndarray) -> np.ndarray:
    """Residual variance of an OLS fit (with intercept) of target (..., T) on design
    (..., T, p), batched."""
    t = target - target.mean(axis=-1, keepdims=True)
    d = design - design.mean(axis=-2, keepdims=True)
    g = np.einsum("...ti,...tj->...ij", d, d)
    r = np.einsum("...ti,...t->...i", d, t)
    g = g + 1e-12 * np.trace(g, axis1=-2, axis2=-1)[..., None, None] * np.eye(g.shape[-1])
    beta = np.linalg.solve(g, r[..., None])[..., 0]
    res = t - np.einsum("...ti,...i->...t", d, beta)
    return np.mean(res * res, axis=-1)


@validate_params({"source": ARRAY, "target": ARRAY,
                  "order": Interval(1, 100, integer=True),
                  "lag": Interval(1, 10_000, integer=True)})
def transfer_entropy(source, target, order: int = 5, lag: int = 1) -> np.ndarray:
    """Transfer entropy source -> target in nats, Gaussian (linear) estimator
    [schreiber2000; barnett2009].

    TE = 1/2 ln( var(e_restricted) / var(e_full) ), where e_restricted is the residual of
    regressing target(t) on its own past target(t-1..t-order) and e_full adds the source's
    past source(t-lag..t-lag-order+1). For Gaussian processes this is exactly Schreiber's TE
    with history length ``order``, and equal to half the Granger-causality statistic
    [barnett2009]. Non-negative up to estimation noise (clipped at 0).

    Parameters
    ----------
    source, target : arrays (..., time), same shape
        Time is in samples; pre-filter or decimate to the time scale of interest.
    order : int
        History length (samples) of both processes.
    lag : int
        Delay (samples) of the source's most recent past value used.

    Returns
    -------
    array of the leading shape (nats).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(5000)
    >>> y = np.zeros(5000)
    >>> for t in range(1, 5000):
    ...     y[t] = 0.5 * y[t - 1] + 0.8 * x[t - 1] + 0.3 * rng.standard_normal()
    >>> bool(transfer_entropy(x, y, order=2) > 10 * transfer_entropy(y, x, order=2))
    True
    """
    s = _signal("source", source, min_len=4)
    t = _signal("target", target, min_len=4)
    if s.shape != t.shape:
        raise InputError("target", f"array of shape {t.shape}",
                         f"the shape of source {s.shape}")
    n = t.shape[-1]
    start = max(order, lag + order - 1)
    if n - start < 4 * (2 * order + 1):
        raise InputError("source", f"array of shape {s.shape}",
                         f"at least {start + 4 * (2 * order + 1)} samples for order={order}, "
                         f"lag={lag}")
    y = t[..., start:]
    own = _embed(t, order, 1, start, n)
    full = np.concatenate([own, _embed(s, order, lag, start, n)], axis=-1)
    v_r = _resid_var(y, own)
    v_f = _resid_var(y, full)
    te = 0.5 * np.log(np.divide(v_r, v_f, out=np.ones_like(v_r), where=v_f > 0))
    return np.maximum(te, 0.0)


# --------------------------------------------------------------------------------------
# Lempel-Ziv complexity
# --------------------------------------------------------------------------------------

@njit(cache=True)
def _lz76(s):
    """LZ76 phrase count of a 0/1 uint8 sequence, Kaspar & Schuster (1987) algorithm."""
    n = s.size
    if n == 0:
        return 0
    if n == 1:
        return 1
    c = 1
    i = 0
    k = 1
    k_max = 1
    l_ = 1
    while True:
        if s[i + k - 1] == s[l_ + k - 1]:
            k += 1
            if l_ + k > n:
                c += 1
                break
        else:
            if k > k_max:
                k_max = k
            i += 1
            if i == l_:
                c += 1
                l_ += k_max
                if l_ + 1 > n:
                    break
                i = 0
                k = 1
                k_max = 1
            else:
                k = 1
    return c


@njit(cache=True)
def _lz76_batch(b):
    out = np.empty(b.shape[0], dtype=np.int64)
    for r in range(b.shape[0]):
        out[r] = _lz76(b[r])
    return out


def _as_bits(field: str, seq) -> np.ndarray:
    if isinstance(seq, str):
        if not seq or set(seq) - {"0", "1"}:
            raise InputError(field, seq, "a non-empty string of 0 and 1")
        return np.frombuffer(seq.encode(), dtype=np.uint8) - ord("0")
    a = _signal(field, seq, min_len=1)
    if not np.all((a == 0) | (a == 1)):
        raise InputError(field, "an array with values other than 0 and 1",
                         "binary values (binarise first, e.g. with lz_complexity)")
    return a.astype(np.uint8)


@validate_params({"bits": Instance(str, np.ndarray, list, tuple)})
def lz76(bits) -> np.ndarray | int:
    """Raw LZ76 complexity (number of phrases) of binary sequences
    [lempel_ziv1976; kaspar_schuster1987].

    Parameters
    ----------
    bits : str of '0'/'1' or array (..., time) of 0/1

    Returns
    -------
    int for a 1-d input or a string, else an integer array of the leading shape.

    Examples
    --------
    >>> lz76("1001111011000010")   # 1 / 0 / 01 / 1110 / 1100 / 0010
    6
    >>> lz76("0101010101010101")
    3
    """
    b = _as_bits("bits", bits)
    flat = np.ascontiguousarray(b.reshape(-1, b.shape[-1]))
    c = _lz76_batch(flat).reshape(b.shape[:-1])
    return int(c) if c.ndim == 0 else c


def _binarise(a: np.ndarray, method: str) -> np.ndarray:
    if method == "envelope":
        a = np.abs(_sig.hilbert(a - a.mean(axis=-1, keepdims=True), axis=-1))
        thr = a.mean(axis=-1, keepdims=True)
    else:
        thr = np.median(a, axis=-1, keepdims=True)
    return (a > thr).astype(np.uint8)


def _shuffle_norm(bits: np.ndarray, rng, n_shuffle: int) -> np.ndarray:
    """Mean LZ76 of shuffled copies (same number of ones) of each row."""
    flat = bits.reshape(-1, bits.shape[-1])
    acc = np.zeros(flat.shape[0])
    for _ in range(n_shuffle):
        sh = rng.permuted(flat, axis=-1)
        acc += _lz76_batch(np.ascontiguousarray(sh))
    return (acc / n_shuffle).reshape(bits.shape[:-1])


def _bound_norm(n: int) -> float:
    """Asymptotic LZ76 of a random binary string of length n: n / log2 n."""
    return n / math.log2(n) if n > 1 else 1.0


_LZ = {"x": ARRAY, "binarise": Options(("median", "envelope")),
       "normalise": Options(("shuffle", "bound", "none")),
       "n_shuffle": Interval(1, 1000, integer=True), "seed": SEED}


@validate_params(_LZ)
def lz_complexity(x, binarise: str = "median", normalise: str = "shuffle",
                  n_shuffle: int = 1, seed: int = 0) -> np.ndarray:
    """Single-channel Lempel-Ziv complexity LZc of each signal [schartner2017].

    Each signal is binarised (``"median"``: 1 above its median; ``"envelope"``: 1 where the
    Hilbert amplitude exceeds its mean, as Schartner et al. [schartner2015; schartner2017]),
    then its LZ76 phrase count is normalised: ``"shuffle"`` divides by the count of the
    same binary sequence randomly shuffled (mean of ``n_shuffle`` shuffles; Schartner
    2017), ``"bound"`` by n / log2 n (the random-string asymptote), ``"none"`` returns the
    raw count.

    Parameters
    ----------
    x : array (..., time)
    binarise, normalise : see above
    n_shuffle : int
    seed : int
        Seed of the shuffles.

    Returns
    -------
    array of the leading shape (about 1 for white noise, near 0 for periodic signals).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> noise = rng.standard_normal(4000)
    >>> slow = np.sin(2 * np.pi * np.arange(4000) / 400)
    >>> bool(lz_complexity(noise) > 0.9 > 0.1 > lz_complexity(slow))
    True
    """
    a = _signal("x", x, min_len=2)
    bits = _binarise(a, binarise)
    raw = _lz76_batch(np.ascontiguousarray(bits.reshape(-1, bits.shape[-1])))
    raw = raw.reshape(bits.shape[:-1]).astype(float)
    if normalise == "none":
        return raw
    if normalise == "bound":
        return raw / _bound_norm(bits.shape[-1])
    return raw / _shuffle_norm(bits, np.random.default_rng(seed), n_shuffle)


@validate_params(_LZ)
def lz_complexity_multichannel(x, binarise: str = "median", normalise: str = "shuffle",
                               n_shuffle: int = 1, seed: int = 0) -> np.ndarray:
    """Multichannel Lempel-Ziv complexity LZs [schartner2015].

    ``x`` is (..., channel, time). Each channel is binarised as in `lz_complexity`; the
    binary matrix is read time point by time point (all channels at t, then at t+1), and the
    LZ76 count of that string is normalised by the count of the matrix shuffled along
    time within each channel (``"shuffle"``), by n / log2 n (``"bound"``), or not.

    Parameters
    ----------
    x : array (..., channel, time)
    binarise, normalise, n_shuffle, seed : as in `lz_complexity`.

    Returns
    -------
    array of the shape of ``x`` without its last two axes.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> round(float(lz_complexity_multichannel(rng.standard_normal((4, 2000)))), 1)
    1.0
    """
    a = _signal("x", x, min_len=2)
    if a.ndim < 2:
        raise InputError("x", f"array of shape {a.shape}", "an array (..., channel, time)")
    bits = _binarise(a, binarise)
    lead = bits.shape[:-2]

    def count(b):
        s = np.swapaxes(b, -1, -2).reshape(-1, b.shape[-1] * b.shape[-2])
        return _lz76_batch(np.ascontiguousarray(s)).reshape(lead).astype(float)

    raw = count(bits)
    if normalise == "none":
        return raw
    if normalise == "bound":
        return raw / _bound_norm(bits.shape[-1] * bits.shape[-2])
    rng = np.random.default_rng(seed)
    acc = np.zeros(lead)
    for _ in range(n_shuffle):
        acc += count(rng.permuted(bits, axis=-1))
    return raw / (acc / n_shuffle)


# --------------------------------------------------------------------------------------
# Perturbational complexity index
# --------------------------------------------------------------------------------------

def source_entropy(p1) -> np.ndarray:
    """Binary Shannon entropy (bits) of a fraction of ones ``p1`` (0 at 0 and 1).

    Examples
    --------
    >>> source_entropy([0.0, 0.5, 1.0]).tolist()
    [0.0, 1.0, 0.0]
    """
    p = np.clip(np.asarray(p1, dtype=float), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    return np.nan_to_num(h)


@validate_params({"x": ARRAY, "fs_Hz": FS, "pulse_s": Interval(0, 1e5),
                  "window_s": POSITIVE, "alpha": Interval(0, 1, closed="neither"),
                  "n_boot": Interval(10, 100_000, integer=True), "seed": SEED,
                  "return_matrix": Instance(bool)})
def pci(x, fs_Hz: float, pulse_s: float, window_s: float = 0.3, alpha: float = 0.01,
        n_boot: int = 500, seed: int = 0, return_matrix: bool = False):
    """Perturbational complexity index of Casali et al. [casali2013].

    ``x`` is (..., region, time): the (trial-averaged, or single-trial in a model) activity
    of each region, with the pulse at ``pulse_s`` seconds from the start; everything before
    it is the baseline. Steps, following Casali 2013 with one substitution:

    1. each region is z-scored by its baseline mean and standard deviation;
    2. significance threshold: ``n_boot`` bootstrap resamples of the baseline *time samples*
       (with replacement, standing in for Casali's resampling of trials, which a single
       simulated trace lacks), the maximum |z| over regions and samples in each resample, and
       the (1 - ``alpha``) quantile of these maxima (the max statistic controls the
       family-wise error over the whole matrix, as in Casali);
    3. the binary matrix SS[region, t] = |z| > threshold over ``window_s`` after the pulse,
       rows sorted by total activity (Casali's ordering);
    4. PCI = LZ76(SS read time point by time point) * log2(L) / (L * H(SS)), with L the
       number of entries and H the source entropy of the fraction of ones; 0 when nothing is
       significant.

    Not PCI-ST [Comolatti 2019], which uses state transitions of principal components.

    Parameters
    ----------
    x : array (..., region, time)
    fs_Hz : float
        Sampling rate (Hz).
    pulse_s : float
        Pulse time from the start of ``x`` (s); at least 10 baseline samples are required.
    window_s : float
        Response window after the pulse (s).
    alpha : float
        Significance level of the bootstrap threshold.
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the bootstrap.
    return_matrix : bool
        Also return the binary matrix SS (..., region, time).

    Returns
    -------
    PCI array of the leading shape (0 to about 1), or ``(pci, SS)``.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> fs = 1000.0
    >>> base = 0.1 * rng.standard_normal((4, 1300))
    >>> t = np.arange(300) / fs
    >>> resp = base.copy()
    >>> resp[:, 1000:] += np.sin(2 * np.pi * np.array([[7], [11], [17], [23]]) * t) * 3
    >>> bool(pci(resp, fs, pulse_s=1.0) > 0.2 > pci(base, fs, pulse_s=1.0))
    True
    """
    a = _signal("x", x, min_len=2)
    if a.ndim < 2:
        raise InputError("x", f"array of shape {a.shape}", "an array (..., region, time)")
    n = a.shape[-1]
    i0 = int(round(pulse_s * fs_Hz))
    n_win = int(round(window_s * fs_Hz))
    if i0 < 10 or i0 >= n:
        raise InputError("pulse_s", pulse_s, f"a time with at least 10 baseline samples and "
                         f"before the end of x ({n / fs_Hz:g} s)")
    if n_win < 1:
        raise InputError("window_s", window_s, f"at least one sample (1/fs_Hz = "
                         f"{1 / fs_Hz:g} s)")
    n_win = min(n_win, n - i0)
    base = a[..., :i0]
    mu = base.mean(axis=-1, keepdims=True)
    sd = base.std(axis=-1, keepdims=True)
    sd = np.where(sd > 0, sd, 1.0)
    zb = np.abs((base - mu) / sd)
    zr = np.abs((a[..., i0:i0 + n_win] - mu) / sd)
    lead = a.shape[:-2]
    rng = np.random.default_rng(seed)
    flat_b = zb.reshape(-1, zb.shape[-2], i0)
    thr = np.empty(flat_b.shape[0])
    chunk = max(1, 2_000_000 // max(1, flat_b.shape[1] * i0))
    for k in range(flat_b.shape[0]):
        maxima = np.empty(n_boot)
        for j in range(0, n_boot, chunk):
            m = min(chunk, n_boot - j)
            idx = rng.integers(0, i0, size=(m, i0))
            maxima[j:j + m] = flat_b[k][:, idx].max(axis=(0, 2))
        thr[k] = np.quantile(maxima, 1 - alpha)
    ss = (zr > thr.reshape(lead + (1, 1))).astype(np.uint8)
    order = np.argsort(-ss.sum(axis=-1), axis=-1, kind="stable")
    ss = np.take_along_axis(ss, order[..., None], axis=-2)
    big_l = ss.shape[-1] * ss.shape[-2]
    s = np.swapaxes(ss, -1, -2).reshape(-1, big_l)
    c = _lz76_batch(np.ascontiguousarray(s)).reshape(lead).astype(float)
    h = source_entropy(ss.reshape(lead + (-1,)).mean(axis=-1))
    out = np.divide(c * math.log2(big_l), big_l * h, out=np.zeros_like(c), where=h > 0)
    return (out, ss) if return_matrix else out
