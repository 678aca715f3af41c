"""Pain intensity (0-10 numeric rating scale, NRS) from projection-neuron output (M3).

The readout is a psychophysical transfer from the dorsal-horn projection (WDR) neuron's
output rate to an NRS score, calibrated on DRUG-FREE heat-pain psychophysics only (never on
any drug's clinical outcome):

``NRS = 10 x^n / (x^n + x50^n)``, ``x = max(R - R_th, 0)``,

with ``R`` the projection-neuron rate (spikes/s during the stimulus), ``R_th`` the output at
the pain threshold (below it the sensation is not painful: NRS 0, e.g. innocuous touch),
``x50`` the supra-threshold output rated 5 and ``n`` the exponent. The scale saturates at 10
(ceiling of the NRS; it is a property of the scale, not a clip of an input).

Calibration chain (`calibrate_transfer`):

1. Heat -> C-nociceptor rate: ``r_C = slope (T - 41.5 degC)``; 41.5 degC is the mean heat
   threshold of human C nociceptors (yarnitsky1992 [verified]: 41.5 +- 0.6 degC). Slope 1.5 Hz/degC
   is our estimate from the same study's mean discharge (4.57 impulses/s during 2 degC/s
   ramps to 45-47 degC, i.e. ~0-9 Hz across the supra-threshold part of the ramp).
2. Pain threshold: reached when nociceptors fire ~0.5 Hz (tillman1995 [verified]), so ``R_th`` is
   the model's output at r_C = 0.5 Hz.
3. Shape: pain magnitude is nearly linear in nociceptor discharge (torebjork1984 [verified], mean of
   14 tests), so ``n`` and ``x50`` make NRS as close to linear in r_C as possible between
   threshold and the anchor (least squares; n bounded to 0.5-3, a plausible Stevens range).
4. Level anchor: a 5-s contact heat stimulus of 47 degC is rated ~5/10 by healthy subjects
   ([estimate] from the 45-49 degC ratings of price2008; price1983 shows such ratings
   form a ratio scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.optimize import minimize_scalar

from ketasim.clinical.sources import PRICE1983, PRICE2008, TILLMAN1995, TOREBJORK1984, YARNITSKY1992
from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.core.validation import (
    Each,
    Instance,
    Interval,
    check_fields,
    check_finite,
    validate_params,
)

__all__ = ["HeatEncoderSpec", "PainTransferSpec", "heat_to_c_rate", "nrs_from_output",
           "calibrate_transfer", "PAIN_THRESHOLD_C_RATE_HZ", "ANCHOR_TEMPERATURE_C",
           "ANCHOR_NRS", "PAIN_CITATIONS"]

#: C-nociceptor discharge at the human heat-pain threshold (tillman1995 [verified]: 0.5 Hz).
PAIN_THRESHOLD_C_RATE_HZ = 0.5
#: Anchor temperature and its NRS ([estimate] from price2008's 45-49 degC ratings).
ANCHOR_TEMPERATURE_C = 47.0
ANCHOR_NRS = 5.0
PAIN_CITATIONS = [TILLMAN1995, YARNITSKY1992, TOREBJORK1984, PRICE1983, PRICE2008]


@dataclass(frozen=True)
class HeatEncoderSpec:
    """Skin temperature -> mean C-nociceptor rate (see module docstring).

    threshold_c : 41.5 degC (yarnitsky1992 [verified]).
    slope_hz_per_c : 1.5 Hz/degC (our estimate from yarnitsky1992's ramp discharge).
    """

    threshold_c: float = 41.5  # yarnitsky1992
    slope_hz_per_c: float = 1.5  # [estimate] from yarnitsky1992

    def __post_init__(self):
        # a guard against typos: heat-pain thresholds lie in 30..55 degC, slopes well below
        # 100 Hz/degC
        check_fields(self, {"threshold_c": Interval(30, 55, unit="degC"),
                            "slope_hz_per_c": Interval(0, 100, closed="right",
                                                       unit="Hz/degC")},
                     prefix="HeatEncoderSpec.")


#: skin temperatures the encoder accepts (degC)
TEMPERATURE_C = Interval(20, 60, unit="degC")
#: projection-neuron rates the transfer accepts (spikes/s)
RATE_HZ = Interval(0, None, unit="spikes/s")


@validate_params({"temperature_c": Each(TEMPERATURE_C), "spec": Instance(HeatEncoderSpec)})
def heat_to_c_rate(temperature_c, spec: HeatEncoderSpec = HeatEncoderSpec()):
    """Mean C-nociceptor rate (Hz) for a heat stimulus at ``temperature_c`` (degC).

    Examples
    --------
    >>> heat_to_c_rate([40.0, 45.5]).tolist()
    [0.0, 6.0]
    """
    t = np.asarray(temperature_c, dtype=float)
    out = spec.slope_hz_per_c * np.maximum(t - spec.threshold_c, 0.0)
    check_finite("C-nociceptor rate", out)
    return out


@dataclass(frozen=True)
class PainTransferSpec:
    """Projection-neuron rate -> NRS transfer (see module docstring).

    threshold_Hz : projection output at the pain threshold (R_th).
    half_Hz : supra-threshold output rated 5 (x50).
    exponent : n.
    """

    threshold_Hz: float
    half_Hz: float
    exponent: float = 1.0

    def __post_init__(self):
        check_fields(self, {"threshold_Hz": Interval(0, None, unit="spikes/s"),
                            "half_Hz": Interval(0, None, closed="neither", unit="spikes/s"),
                            "exponent": Interval(0.2, 5)}, prefix="PainTransferSpec.")


@validate_params({"rate_Hz": Each(RATE_HZ), "spec": Instance(PainTransferSpec)})
def nrs_from_output(rate_Hz, spec: PainTransferSpec):
    """Pain intensity (0-10 NRS) for projection-neuron rate(s) ``rate_Hz`` (spikes/s).

    Examples
    --------
    >>> s = PainTransferSpec(threshold_Hz=5.0, half_Hz=10.0)
    >>> nrs_from_output([2.0, 15.0], s).tolist()
    [0.0, 5.0]
    """
    r = np.asarray(rate_Hz, dtype=float)
    x = np.maximum(r - spec.threshold_Hz, 0.0)
    xn = x ** spec.exponent
    out = 10.0 * xn / (xn + spec.half_Hz ** spec.exponent)
    check_finite("nrs", out)
    return out


def calibrate_transfer(c_rate_Hz, output_Hz, *, encoder: HeatEncoderSpec = HeatEncoderSpec(),
                       anchor_temperature_c: float = ANCHOR_TEMPERATURE_C,
                       anchor_nrs: float = ANCHOR_NRS) -> PainTransferSpec:
    """Fit the transfer to drug-free psychophysics, given the model's output curve.

    Parameters
    ----------
    c_rate_Hz, output_Hz : the spiking model's drug-free projection output (spikes/s) as a
        function of C-nociceptor rate (Hz), increasing; must span 0.5 Hz .. the anchor rate.
    encoder : heat -> C rate mapping; the anchor temperature becomes an anchor C rate.

    Returns
    -------
    PainTransferSpec with R_th = output at 0.5 Hz (tillman1995), n and x50 such that the NRS
    is linear in C rate between threshold and the anchor (torebjork1984) and equals
    ``anchor_nrs`` at the anchor (price2008; [estimate]).

    Examples
    --------
    >>> import numpy as np
    >>> r = np.linspace(0, 12, 25)
    >>> s = calibrate_transfer(r, 3 * r)   # a linear neuron
    >>> round(float(nrs_from_output(3 * 0.5, s)), 3)
    0.0
    """
    r = np.asarray(c_rate_Hz, float)
    y = np.asarray(output_Hz, float)
    if r.ndim != 1 or r.shape != y.shape or r.size < 4:
        raise InputError("c_rate_Hz/output_Hz", (r.shape, y.shape), "1-D arrays of equal size >= 4")
    if np.any(np.diff(r) <= 0):
        raise InputError("c_rate_Hz", r, "strictly increasing rates")
    r_anchor = float(heat_to_c_rate(anchor_temperature_c, encoder))
    if r[0] > PAIN_THRESHOLD_C_RATE_HZ or r[-1] < r_anchor:
        raise InputError("c_rate_Hz", (r[0], r[-1]),
                         f"a grid spanning {PAIN_THRESHOLD_C_RATE_HZ}..{r_anchor:.2f} Hz")
    r_th = float(np.interp(PAIN_THRESHOLD_C_RATE_HZ, r, y))
    y_anchor = float(np.interp(r_anchor, r, y))
    x_anchor = y_anchor - r_th
    if x_anchor <= 0:
        raise InputError("output_Hz", (r_th, y_anchor),
                         "an output that rises between pain threshold and the anchor")
    grid = np.linspace(PAIN_THRESHOLD_C_RATE_HZ, r_anchor, 24)[1:]
    target = anchor_nrs * (grid - PAIN_THRESHOLD_C_RATE_HZ) / (r_anchor - PAIN_THRESHOLD_C_RATE_HZ)
    x_grid = np.maximum(np.interp(grid, r, y) - r_th, 0.0)
    ratio = 10.0 / anchor_nrs - 1.0

    def spec_for(n):
        # x50 from the anchor condition: 10 xa^n/(xa^n + x50^n) = anchor_nrs
        return PainTransferSpec(r_th, x_anchor * ratio ** (1.0 / n), n)

    def loss(n):
        return float(np.sum((nrs_from_output(x_grid + r_th, spec_for(n)) - target) ** 2))

    res = minimize_scalar(loss, bounds=(0.5, 3.0), method="bounded")
    return spec_for(float(res.x))


def pain_dataset(rate_Hz, spec: PainTransferSpec, dims=("condition",), coords=None) -> xr.Dataset:
    """NRS for an array of projection rates as a stamped Dataset (``nrs``, ``output_Hz``).

    Examples
    --------
    >>> ds = pain_dataset([0.0, 20.0], PainTransferSpec(5.0, 10.0))
    >>> ds.nrs.values.round(2).tolist()
    [0.0, 6.0]
    """
    r = np.asarray(rate_Hz, float)
    ds = xr.Dataset({"output_Hz": (dims, r, {"units": "spikes/s"}),
                     "nrs": (dims, nrs_from_output(r, spec), {"units": "NRS 0-10"})},
                    coords=coords)
    return stamp(ds, model="ketasim.clinical.pain", citations=PAIN_CITATIONS,
                 params={"transfer": repr(spec)})


def transfer_from_table(table) -> PainTransferSpec:
    """Calibrate the transfer on a spinal `DriveTable`'s drug-free, unsensitized column.

    Uses the spiking model's steady WDR output versus C-fibre rate at ketamine 0 and gain 1
    (`ketasim.spinal.drive_table.DriveTable`), then `calibrate_transfer`.

    Examples
    --------
    >>> from ketasim.spinal.drive_table import load_drive_table
    >>> spec = transfer_from_table(load_drive_table())   # doctest: +SKIP
    """
    k0 = int(np.argmin(np.abs(table.ketamine_uM)))
    g1 = int(np.argmin(np.abs(table.gain - 1.0)))
    if table.ketamine_uM[k0] != 0.0 or abs(table.gain[g1] - 1.0) > 1e-9:
        raise InputError("table", (table.ketamine_uM[k0], table.gain[g1]),
                         "a drive table with ketamine 0 and gain 1 on its grid")
    return calibrate_transfer(table.c_rate_Hz, table.out_Hz[:, k0, g1])
