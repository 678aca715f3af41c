"""GluN1/2A, 2B, 2C and 2D receptors as parameter sets of the one NMDA model, and mixtures.

Every subunit set is the default `NMDAParams` (GluN2A-like: its weighted deactivation tau,
85 ms, is within 3 % of GluN1/2A's 87 ms) changed with `dataclasses.replace` in at most four
fields, each from receptor-level data:

* opening rate ``beta`` x `BETA_FACTORS` (peak open probability relative to GluN1/2A):
  2B 0.12/0.50 (Erreger 2005 peak Po, HEK293, one study) [verified]; 2D 0.04/0.36
  (Wyllie 1998: open 4 % vs 36 % of the time within an activation, one study) [verified];
  2C 0.011/0.50 (Dravid 2008 Po 0.011 over Erreger 2005's 2A peak Po 0.50: two studies of
  one lab, and Dravid's Po is not a peak Po) [estimate: cross-study ratio];
* unbinding rate ``ku`` x `KU_FACTORS` [fitted] (`ketasim.receptors.calibrate.
  fit_subunit_deactivation`, after the ``beta`` change) so that the weighted deactivation tau
  after a 1 ms, 1 mM glutamate pulse at -60 mV in 0 Mg2+ (`calibrate.deactivation_tau_w`)
  equals `TAU_W_TARGETS_MS`: 2B 548 ms, 2D 5714 ms (PMC6858497 Table 1, GluN1-1a)
  [verified], 2C 319 ms (PMC2614009) [verified]. 2A keeps the default ``ku`` (not fitted);
* Mg2+ block: 2A and 2B keep Jahr & Stevens 1990 [secondary]; 2C and 2D have their effective
  Mg2+ Kd (``mg_kd_js``) multiplied by ``mg_factor``: `MG_FACTOR_DEFAULT` 4.0, the lower
  bound of Qian 2005 ("at least 4-fold weaker" for NR1/2D at all voltages) [verified];
  `MG_FACTOR_UPPER` 8.9, from the conductance ratios g(-90 mV)/g(max) in 100 uM Mg2+ of
  0.07 (2A/2B) and 0.4 (2C/2D) that Tong 2008 calculated from Kuner & Schoepfer 1996
  [secondary]: (1/0.07 - 1)/(1/0.4 - 1) = 8.86. The order 2A > 2B > 2D > 2C of Wagner &
  Leonard 1996 within each pair is not resolved (no numbers);
* ketamine pore parameters: the SAME Mg2+-free parameters for every subunit [estimate]. The
  per-subunit Mg2+-free ketamine IC50s of Kotermanski & Johnson 2009 could not be read;
  memantine's Mg2+-free IC50s are within ~3x across subunits (0.3-0.9 uM, oocytes)
  [secondary]. Ketamine's potency in 1 mM Mg2+ per subunit therefore EMERGES from the
  competition with Mg2+ in the pore; it is never fitted.

`NMDAMixture` is a frozen spec of (label, subunit set, weight) parts: the weights are shares
of the maximal conductance (> 0, summing to 1); a mixture's currents and bound fractions are
the weighted sums of its populations (`ketasim.receptors.clamp.clamp_nmda` runs them in one
batch). `composition` gives the named compositions (`COMPOSITIONS`); `as_mixture` turns a
subunit name, a composition name, ``"2B=0.5,2D=0.5"``, an `NMDAParams` or a mixture into a
mixture.

Examples
--------
>>> subunit_params("2A") == NMDAParams()
True
>>> m = NMDAMixture.from_weights({"2B": 0.5, "2D": 0.5})
>>> m.labels, m.weights
(('2B', '2D'), (0.5, 0.5))
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

from ketasim.core.errors import InputError, UnknownNameError
from ketasim.core.validation import Constraint, Instance, Interval, check, check_fields
from ketasim.receptors import sources as S
from ketasim.receptors.nmda import NMDAParams

SUBUNIT_NAMES = ("2A", "2B", "2C", "2D")

#: weighted deactivation tau (ms) after brief 1 mM glutamate, 0 Mg2+ [verified]
TAU_W_TARGETS_MS = {
    "2A": 87.0,     # GluN1-1a/2A, 87 +- 7 ms, PMC6858497 Table 1 [yi_2019_glun2b2d]
    "2B": 548.0,    # GluN1-1a/2B, 548 +- 45 ms, same table
    "2C": 319.0,    # GluN1/2C, 319 +- 34 ms (5-8 ms pulse), PMC2614009 [dravid_2008]
    "2D": 5714.0,   # GluN1-1a/2D, 5714 +- 458 ms, PMC6858497 Table 1
}

#: opening-rate factor, peak open probability relative to GluN1/2A
BETA_FACTORS = {
    "2A": 1.0,
    "2B": 0.12 / 0.50,    # peak Po 2B 0.12 vs 2A 0.50 [erreger_2005] [verified]
    "2C": 0.011 / 0.50,   # Po 0.011 [dravid_2008] over 2A 0.50 [erreger_2005] [estimate]
    "2D": 0.04 / 0.36,    # open 4 % vs 36 % within an activation [wyllie_1998] [verified]
}

#: unbinding-rate factor: [fitted] by `calibrate.fit_subunit_deactivation` (after BETA_FACTORS)
#: to TAU_W_TARGETS_MS; 2A not fitted (default ku: tau_w 85 ms vs 87 ms measured)
KU_FACTORS = {
    "2A": 1.0,
    "2B": 0.10325,     # [fitted]
    "2C": 0.16291,     # [fitted]
    "2D": 0.0092676,    # [fitted]
}

#: Mg2+ Kd factor of 2C/2D: lower bound "at least 4-fold weaker" [qian_2005] [verified]
MG_FACTOR_DEFAULT = 4.0
#: upper bound: g(-90)/g(max) in 100 uM Mg2+, 0.07 (2A/2B) vs 0.4 (2C/2D) [tong_2008],
#: calculated there from [kuner_schoepfer_1996] [secondary]: (1/0.07 - 1)/(1/0.4 - 1)
MG_FACTOR_UPPER = round((1.0 / 0.07 - 1.0) / (1.0 / 0.4 - 1.0), 1)
_MG_WEAK = ("2C", "2D")

_CITES = {
    "2A": (),
    "2B": (S.YI_2019, S.ERREGER_2005),
    "2C": (S.DRAVID_2008, S.ERREGER_2005, S.QIAN_2005, S.TONG_2008, S.KUNER_SCHOEPFER_1996),
    "2D": (S.YI_2019, S.WYLLIE_1998, S.QIAN_2005, S.TONG_2008, S.KUNER_SCHOEPFER_1996),
}


def _check_mg_factor(mg_factor) -> float:
    check("mg_factor", mg_factor, Interval(1.0, 100.0))
    return float(mg_factor)


def subunit_params(name: str, *, mg_factor: float = MG_FACTOR_DEFAULT) -> NMDAParams:
    """The GluN1/``name`` parameter set (``name`` one of "2A", "2B", "2C", "2D").

    ``mg_factor`` (1-100) multiplies the effective Mg2+ Kd of 2C and 2D only (default 4.0,
    Qian 2005's lower bound; 8.9 the upper bound, `MG_FACTOR_UPPER`).

    Examples
    --------
    >>> round(subunit_params("2D").mg_kd_js, 2), round(subunit_params("2B").mg_kd_js, 2)
    (14.28, 3.57)
    >>> subunit_params("2E")
    Traceback (most recent call last):
    ...
    ketasim.core.errors.UnknownNameError: subunit: got '2E'; allowed: one of '2A', ...
    """
    if name not in SUBUNIT_NAMES:
        raise UnknownNameError("subunit", name, "one of " + ", ".join(map(repr, SUBUNIT_NAMES)))
    f = _check_mg_factor(mg_factor)
    base = NMDAParams()
    if name == "2A":
        return base
    changes = dict(beta=base.beta * BETA_FACTORS[name], ku=base.ku * KU_FACTORS[name],
                   citations=base.citations + _CITES[name])
    if name in _MG_WEAK:
        changes["mg_kd_js"] = base.mg_kd_js * f
    return dataclasses.replace(base, **changes)


def subunit_sets(*, mg_factor: float = MG_FACTOR_DEFAULT) -> dict[str, NMDAParams]:
    """{name: `subunit_params`(name, mg_factor)} for 2A, 2B, 2C, 2D.

    Examples
    --------
    >>> list(subunit_sets())
    ['2A', '2B', '2C', '2D']
    """
    return {n: subunit_params(n, mg_factor=mg_factor) for n in SUBUNIT_NAMES}


class _NonEmptyStr(Constraint):
    """A string with at least one non-blank character."""

    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, str) and bool(value.strip())

    def __str__(self) -> str:
        return "a non-empty string"


_NONEMPTY_STR = _NonEmptyStr()


@dataclass(frozen=True)
class NMDAMixture:
    """A population of NMDA receptors: (label, `NMDAParams`, weight) parts.

    Weights are shares of the maximal conductance (each > 0, summing to 1 within 1e-6);
    labels are unique. Currents, open and bound fractions of the mixture are the weighted
    sums over its parts.

    Examples
    --------
    >>> NMDAMixture((("a", NMDAParams(), 0.5), ("b", NMDAParams(), 0.5))).weights
    (0.5, 0.5)
    >>> NMDAMixture((("a", NMDAParams(), 0.5),))
    Traceback (most recent call last):
    ...
    ketasim.core.errors.InputError: NMDAMixture.weights: got [0.5]; allowed: ... (sum 0.5)
    """

    parts: tuple
    name: str = "custom"
    note: str = ""
    citations: tuple = ()

    def __post_init__(self):
        parts = self.parts
        if isinstance(parts, str) or not isinstance(parts, tuple | list) or not parts:
            raise InputError("NMDAMixture.parts", parts, "a non-empty tuple of "
                             "(label, NMDAParams, weight)")
        out = []
        for i, part in enumerate(parts):
            if not isinstance(part, tuple | list) or len(part) != 3:
                raise InputError(f"NMDAMixture.parts[{i}]", part, "a (label, NMDAParams, "
                                 "weight) triple")
            label, params, weight = part
            check(f"NMDAMixture.parts[{i}] label", label, _NONEMPTY_STR)
            if not isinstance(params, NMDAParams):
                raise InputError(f"NMDAMixture.parts[{i}] params", type(params).__name__,
                                 "an NMDAParams")
            check(f"NMDAMixture.parts[{i}] weight", weight,
                  Interval(0.0, 1.0, closed="right"))
            out.append((label, params, float(weight)))
        labels = [p[0] for p in out]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise InputError("NMDAMixture labels", labels, f"unique labels ({dup[0]!r} twice)")
        total = math.fsum(p[2] for p in out)
        if abs(total - 1.0) > 1e-6:
            raise InputError("NMDAMixture.weights", [p[2] for p in out],
                             f"weights summing to 1 (sum {total:g})")
        check_fields(self, {"name": _NONEMPTY_STR, "note": Instance(str)}, prefix="NMDAMixture.")
        object.__setattr__(self, "parts", tuple(out))
        cites = list(self.citations)
        for _, params, _ in out:
            cites += [c for c in params.citations if c not in cites]
        object.__setattr__(self, "citations", tuple(dict.fromkeys(cites)))

    @property
    def labels(self) -> tuple:
        return tuple(p[0] for p in self.parts)

    @property
    def params(self) -> tuple:
        return tuple(p[1] for p in self.parts)

    @property
    def weights(self) -> tuple:
        return tuple(p[2] for p in self.parts)

    @classmethod
    def from_weights(cls, weights: Mapping[str, float], *, mg_factor: float = MG_FACTOR_DEFAULT,
                     name: str = "custom", note: str = "", citations: tuple = ()
                     ) -> NMDAMixture:
        """A mixture of subunit sets, {"2B": 0.5, "2D": 0.5} (conductance shares).

        Examples
        --------
        >>> NMDAMixture.from_weights({"2C": 1.0}, mg_factor=8.9).params[0].mg_kd_js
        31.773
        """
        if not isinstance(weights, Mapping) or not weights:
            raise InputError("weights", weights, "a non-empty mapping {subunit: weight}, "
                             "e.g. {'2B': 0.5, '2D': 0.5}")
        parts = tuple((k, subunit_params(k, mg_factor=mg_factor), w)
                      for k, w in weights.items())
        return cls(parts, name=name, note=note, citations=citations)

    def to_dict(self) -> dict:
        """Plain description (for provenance): name and, per label, weight and parameters."""
        return {"name": self.name, "parts": {label: {"weight": w, "params": p.to_dict()}
                                             for label, p, w in self.parts}}


#: named compositions: what is assumed, and where it comes from
COMPOSITIONS = {
    "lamina_I": (
        "Adult rat lamina I (Hildebrand 2014) [verified, qualitative]: GluN2B dominates, "
        "GluN2A contributes little, and a GluN2D component's synaptic charge is comparable to "
        "GluN2B's. No fractions were reachable. Assumed [estimate]: charge shares 2A 0.1, "
        "2B 0.45, 2D 0.45 of a brief synaptic pulse (1 ms, 1 mM, -60 mV, 0 Mg2+), turned "
        "into conductance weights with each set's charge per unit conductance "
        "(`calibrate.pulse_charge`)."),
    "inhibitory_interneuron": (
        "Mouse lamina II GABAergic interneurons (Shiokawa 2010) [verified, qualitative]: "
        "both Mg2+-sensitive 2A/2B and less Mg2+-sensitive 2C/2D receptors (excitatory "
        "interneurons mainly 2A/2B); no fractions. Assumed [estimate]: equal conductance "
        "shares 2A, 2B, 2C, 2D (0.25 each)."),
    "deep_wdr": (
        "Deep (lamina V) wide-dynamic-range neurons: no subunit data were found. Assumed "
        "[estimate]: 2A 0.5, 2B 0.5 conductance shares, i.e. Mg2+-sensitive receptors as in "
        "the default (GluN2A-like) model; 2C/2D absent."),
    "cortex_fs_interneuron": (
        "Cortical fast-spiking interneurons carry GluN2D; no fractions were verified here. "
        "Assumed [estimate]: 2A 0.5, 2B 0.25, 2D 0.25 conductance shares."),
}
_COMPOSITION_CITES = {"lamina_I": (S.HILDEBRAND_2014,), "inhibitory_interneuron":
                      (S.SHIOKAWA_2010,), "deep_wdr": (S.OWN_ESTIMATE,),
                      "cortex_fs_interneuron": (S.OWN_ESTIMATE,)}
#: lamina I charge shares [estimate] (see COMPOSITIONS["lamina_I"])
LAMINA_I_CHARGE_SHARES = {"2A": 0.1, "2B": 0.45, "2D": 0.45}


def composition(name: str, *, mg_factor: float = MG_FACTOR_DEFAULT) -> NMDAMixture:
    """A named composition (`COMPOSITIONS`: lamina_I, inhibitory_interneuron, deep_wdr,
    cortex_fs_interneuron) as an `NMDAMixture`; the assumption is in its ``note``.

    Examples
    --------
    >>> m = composition("lamina_I")
    >>> m.labels, [round(w, 3) for w in m.weights]
    (('2A', '2B', '2D'), [0.3, 0.587, 0.114])
    """
    if name not in COMPOSITIONS:
        raise UnknownNameError("composition", name, "one of " + ", ".join(COMPOSITIONS))
    f = _check_mg_factor(mg_factor)
    if name == "lamina_I":
        from ketasim.receptors.calibrate import pulse_charge

        raw = {k: s / pulse_charge(subunit_params(k, mg_factor=f))
               for k, s in LAMINA_I_CHARGE_SHARES.items()}
        tot = math.fsum(raw.values())
        weights = {k: v / tot for k, v in raw.items()}
    elif name == "inhibitory_interneuron":
        weights = {"2A": 0.25, "2B": 0.25, "2C": 0.25, "2D": 0.25}
    elif name == "deep_wdr":
        weights = {"2A": 0.5, "2B": 0.5}
    else:
        weights = {"2A": 0.5, "2B": 0.25, "2D": 0.25}
    return NMDAMixture.from_weights(weights, mg_factor=f, name=name, note=COMPOSITIONS[name],
                                    citations=_COMPOSITION_CITES[name])


def parse_mixture(text: str, *, mg_factor: float = MG_FACTOR_DEFAULT,
                  field: str = "subunit") -> NMDAMixture:
    """A subunit ("2B"), a composition ("lamina_I") or weights ("2B=0.5,2D=0.5") as a mixture.

    Examples
    --------
    >>> parse_mixture("2B=0.5, 2D=0.5").labels
    ('2B', '2D')
    >>> parse_mixture("2B=0.5,2D=0.6")
    Traceback (most recent call last):
    ...
    ketasim.core.errors.InputError: subunit: got '2B=0.5,2D=0.6'; allowed: ... (sum 1.1)
    """
    allowed = ("a subunit (" + ", ".join(SUBUNIT_NAMES) + "), a composition (" +
               ", ".join(COMPOSITIONS) + ") or weights such as 2B=0.5,2D=0.5")
    if not isinstance(text, str) or not text.strip():
        raise InputError(field, text, allowed)
    t = text.strip()
    if t in SUBUNIT_NAMES:
        return NMDAMixture.from_weights({t: 1.0}, mg_factor=mg_factor, name=t)
    if t in COMPOSITIONS:
        return composition(t, mg_factor=mg_factor)
    if "=" not in t:
        raise UnknownNameError(field, text, allowed)
    weights: dict[str, float] = {}
    for item in t.split(","):
        key, sep, val = (s.strip() for s in item.partition("="))
        if not sep or key not in SUBUNIT_NAMES:
            raise InputError(field, text, f"{allowed} (bad part {item.strip()!r})")
        if key in weights:
            raise InputError(field, text, f"each subunit once ({key!r} twice)")
        try:
            w = float(val)
        except ValueError:
            raise InputError(field, text, f"{allowed} (weight {val!r} is not a number)") from None
        if not (math.isfinite(w) and 0.0 < w <= 1.0):
            raise InputError(field, text, f"weights in (0, 1] (got {val})")
        weights[key] = w
    total = math.fsum(weights.values())
    if abs(total - 1.0) > 1e-6:
        raise InputError(field, text, f"weights summing to 1 (sum {total:g})")
    return NMDAMixture.from_weights(weights, mg_factor=mg_factor, name=t)


def as_mixture(model, *, field: str = "params") -> NMDAMixture:
    """None / `NMDAParams` / subunit or composition name / weights text / `NMDAMixture` ->
    `NMDAMixture` (a single set becomes a one-part mixture labelled "default" or its name).

    Examples
    --------
    >>> as_mixture(None).labels, as_mixture("2C").labels
    (('default',), ('2C',))
    >>> as_mixture(3)
    Traceback (most recent call last):
    ...
    ketasim.core.errors.InputError: params: got 3; allowed: an NMDAParams, an NMDAMixture, ...
    """
    if isinstance(model, NMDAMixture):
        return model
    if model is None or isinstance(model, NMDAParams):
        return NMDAMixture((("default", model or NMDAParams(), 1.0),), name="default")
    if isinstance(model, str):
        return parse_mixture(model, field=field)
    raise InputError(field, model, "an NMDAParams, an NMDAMixture, a subunit name "
                     "('2A'..'2D'), a composition name or weights such as '2B=0.5,2D=0.5'")
