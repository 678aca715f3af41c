"""Foundation: units, errors, citations, provenance, experiment registry."""

import json

import numpy as np
import pytest
import xarray as xr

from ketasim.core import citations
from ketasim.core.errors import InputError, UnitError, UnknownNameError
from ketasim.core.provenance import stamp
from ketasim.core.units import (
    MOLAR_MASS,
    ng_per_ml_to_umol_per_l,
    parse_quantity,
    umol_per_l_to_ng_per_ml,
)


@pytest.mark.parametrize(
    "text, unit, expected",
    [
        ("2 mg/kg", "mg/kg", 2.0),
        ("0.15 mg/kg/h", "mg/kg/h", 0.15),
        ("10 ug/kg/min", "mg/kg/h", 0.6),
        ("10 mcg/kg/min", "mg/kg/h", 0.6),
        ("70 kg", "kg", 70.0),
        ("2 h", "min", 120.0),
        ("500 µg", "mg", 0.5),
    ],
)
def test_parse_quantity_converts(text, unit, expected):
    assert parse_quantity(text, "x", unit) == pytest.approx(expected)


def test_rate_given_as_bolus_is_a_unit_error_naming_the_field():
    with pytest.raises(UnitError, match=r"bolus: got '0.15 mg/kg/h'"):
        parse_quantity("0.15 mg/kg/h", "bolus", "mg/kg")


@pytest.mark.parametrize("bad", ["", "two mg", "3 furlongs/kg", None, 5])
def test_unparseable_quantities_raise_input_error(bad):
    with pytest.raises(InputError):
        parse_quantity(bad, "dose", "mg")


def test_molar_conversion_uses_mission_molar_mass():
    # MISSION.md: ketamine 237.73 g/mol, 1 umol/L = 237.7 ng/mL
    assert MOLAR_MASS["ketamine"] == 237.73
    assert umol_per_l_to_ng_per_ml(1.0, "ketamine") == pytest.approx(237.73)
    assert ng_per_ml_to_umol_per_l(237.73, "ketamine") == pytest.approx(1.0)


def test_citation_registry_and_stamp():
    key = citations.register("test2026", "Doe J", 2026, "A title", "J Test", doi="10.1/x")
    ds = xr.Dataset({"a": ("t", np.arange(3.0))})
    stamp(ds, model="m", citations=[key], params={"b": 1}, seed=7)
    assert ds.attrs["citations"] == "test2026"
    assert ds.attrs["seed"] == 7 and json.loads(ds.attrs["params"]) == {"b": 1}
    assert citations.cite(ds)[0].startswith("Doe J (2026). A title.")
    with pytest.raises(UnknownNameError):
        stamp(ds, model="m", citations=["no-such-key"])
    with pytest.raises(ValueError):
        citations.register("test2026", "Other", 2026, "A title", "J Test")


def test_every_registered_experiment_id_starts_with_its_claim():
    from ketasim.experiments import experiments

    for exp_id, exp in experiments().items():
        assert exp_id == exp_id.lower()
        head = exp_id.split("-", 1)[0]  # "m05" belongs to claim "M5" (zero-padded ids)
        assert exp.claim == "PK" or exp_id.startswith(exp.claim.lower()) or (
            head[0] == exp.claim[0].lower() and int(head[1:]) == int(exp.claim[1:]))
        assert exp.doc, f"{exp_id} has no module docstring documenting its summary keys"


def test_report_writes_figure_summary_and_page(tmp_path):
    from ketasim.experiments import get
    from ketasim.report import run_and_write, write_report

    exp = get("m15-transporters")
    ds, summary = run_and_write(exp, tmp_path)
    page = write_report([(exp, ds, summary)], tmp_path).read_text()
    assert (tmp_path / "m15-transporters.png").stat().st_size > 10_000
    assert json.loads((tmp_path / "m15-transporters.json").read_text()) == json.loads(
        json.dumps(summary, default=float))
    assert 'id="m15-transporters"' in page and "References" in page
    assert "Nishimura" in page  # the experiment's sources are listed


def test_experiment_params_are_coerced_and_unknown_names_rejected():
    from ketasim.experiments import get

    exp = get("m08-windup")
    assert exp.coerce_params({"freqs_hz": "0.5,1", "n_stimuli": "4", "intensity": "1.5",
                              "traces": "no"}) == {
        "freqs_hz": (0.5, 1.0), "n_stimuli": 4, "intensity": 1.5, "traces": False}
    with pytest.raises(UnknownNameError, match="no_such_param"):
        exp.coerce_params({"no_such_param": "1"})
    with pytest.raises(InputError, match="n_stimuli"):
        exp.coerce_params({"n_stimuli": "many"})
    with pytest.raises(InputError, match="traces"):
        exp.coerce_params({"traces": "maybe"})
