"""S- and R-ketamine at the NMDA receptor, and racemic ketamine as their 1:1 mixture.

The NMDA model's ketamine parameters were calibrated on racemic ketamine (Kotermanski &
Johnson 2009 used (+/-)-ketamine; `ketasim.receptors.nmda`). Ebert 1997 measured the
affinities of the enantiomers for the PCP site ([3H]MK-801 displacement, rat brain):
Ki 0.3 uM for S-ketamine and 1.4 uM for R-ketamine [verified: abstract]. For a 1:1 mixture at
total concentration c, each enantiomer at c/2 competes for the one pore site, so the racemate
acts as one ligand with ``1/K_rac = 0.5/K_S + 0.5/K_R`` (K_rac = 0.494 uM). An enantiomer is
therefore the calibrated (racemic) model with its pore affinity scaled by ``K_X / K_rac``
(S 0.607, R 2.83), through the exit rate as for norketamine (same entry, voltage dependence
and trapping) [estimate: Ebert's binding Ki ratios applied to the channel-block kinetics].
Norketamine keeps its own arm (Ebert's S-norketamine ratio).

The allosteric site (`NMDAParams.allo_*`) has no enantiomer data: both forms keep it
[estimate]; Abbott's meeting abstract says only that esketamine is "slightly more potent"
at the pore.

Examples
--------
>>> round(ENANTIOMER_AFFINITY_SCALE["S"], 3), round(ENANTIOMER_AFFINITY_SCALE["R"], 2)
(0.607, 2.83)
>>> p = enantiomer_params("S")
>>> round(p.ket_kd0 / NMDAParams().ket_kd0, 3)
0.607
"""

from __future__ import annotations

from dataclasses import replace

from ketasim.core.validation import Options, check
from ketasim.receptors import sources as S
from ketasim.receptors.nmda import NMDAParams

KI_S_UM = 0.3  # [verified] ebert_1997, S-ketamine Ki ([3H]MK-801 binding)
KI_R_UM = 1.4  # [verified] ebert_1997, R-ketamine Ki
KI_RACEMIC_UM = 1.0 / (0.5 / KI_S_UM + 0.5 / KI_R_UM)  # derived: 1:1 competition

#: pore affinity (dissociation constant) of each form relative to the calibrated racemate
ENANTIOMER_AFFINITY_SCALE = {"racemic": 1.0, "S": KI_S_UM / KI_RACEMIC_UM,
                             "R": KI_R_UM / KI_RACEMIC_UM}
FORMS = tuple(ENANTIOMER_AFFINITY_SCALE)
CITATIONS = (S.EBERT_1997,)


def enantiomer_params(form: str, params: NMDAParams | None = None) -> NMDAParams:
    """``params`` (default `NMDAParams()`, racemic ketamine) for ketamine ``form``
    ("racemic", "S" or "R"): the pore's ketamine Kd and exit rate scaled together by
    `ENANTIOMER_AFFINITY_SCALE` (the entry rate is kept).

    Examples
    --------
    >>> enantiomer_params("racemic") == NMDAParams()
    True
    >>> enantiomer_params("X")
    Traceback (most recent call last):
    ...
    ketasim.core.errors.InputError: form: got 'X'; allowed: one of 'racemic', 'S', 'R'
    """
    check("form", form, Options(FORMS))
    p = NMDAParams() if params is None else params
    f = ENANTIOMER_AFFINITY_SCALE[form]
    if f == 1.0:
        return p
    return replace(p, ket_kd0=p.ket_kd0 * f, ket_koff0=p.ket_koff0 * f)
