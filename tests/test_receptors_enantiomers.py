"""S- and R-ketamine at the NMDA receptor (issue 9, part 4)."""

import pytest

from ketasim.core.errors import InputError
from ketasim.receptors import equilibrium_ic50
from ketasim.receptors.enantiomers import KI_RACEMIC_UM, enantiomer_params
from ketasim.receptors.nmda import NMDAParams


def test_racemate_is_the_calibrated_model():
    assert enantiomer_params("racemic") == NMDAParams()
    # 1:1 competition of Ebert 1997's Ki (S 0.3, R 1.4 uM): K_rac = 0.494 uM
    assert KI_RACEMIC_UM == pytest.approx(0.4941, abs=1e-4)


@pytest.mark.parametrize("mg_mM", [0.0, 1.0])
def test_enantiomer_potency_ratio_follows_ebert_1997(mg_mM):
    # the IC50 ratio R/S equals the Ki ratio 1.4/0.3 = 4.67 (ebert_1997), in 0 and 1 mM Mg2+
    ic = {f: equilibrium_ic50(-66.0, mg_mM, params=enantiomer_params(f))
          for f in ("S", "racemic", "R")}
    assert ic["R"] / ic["S"] == pytest.approx(1.4 / 0.3, rel=0.02)
    assert ic["S"] < ic["racemic"] < ic["R"]
    # S-ketamine is 1.65x the racemate (0.494 / 0.3)
    assert ic["racemic"] / ic["S"] == pytest.approx(KI_RACEMIC_UM / 0.3, rel=0.02)


def test_unknown_form_is_refused():
    with pytest.raises(InputError, match="form: got 'levo'"):
        enantiomer_params("levo")
