"""The scenario document: presets load, the hash is stable, messages name path, value and
what is allowed, YAML tags are refused, hostile documents give only validation errors."""

from __future__ import annotations

import copy
import doctest
import importlib

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketasim.core.errors import InputError, UnitError, UnknownNameError, WorkLimitError
from ketasim.scenarios import (
    Bolus,
    Infusion,
    Scenario,
    ScenarioError,
    init_preset,
    list_presets,
    load_scenario,
    preset_path,
    scenario_hash,
    show_preset,
    to_yaml,
)
from ketasim.scenarios import schema as S

PRESETS = ["healthy_volunteer", "healthy_volunteer_ketamine", "postoperative",
           "postoperative_ketamine", "trauma", "neuropathic", "opioid_tolerant",
           "icu_sedation", "m12_low_dose_infusion", "m13_anaesthetic_bolus",
           "m14_bolus_midazolam", "postop_pca", "postop_pca_ketamine",
           "postop_pca_remifentanil_high"]


def base() -> dict:
    return yaml.safe_load(preset_path("postoperative_ketamine").read_text())


def message(doc) -> str:
    with pytest.raises(InputError) as exc:
        load_scenario(doc)
    return str(exc.value)


# ----------------------------------------------------------------------------- presets
def test_every_preset_is_listed():
    assert list_presets() == sorted(PRESETS)


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_and_round_trips(name):
    s = load_scenario(preset_path(name))
    assert s.name == name
    again = load_scenario(to_yaml(s))
    assert again == s and scenario_hash(again) == scenario_hash(s)
    # show (normalised) and init (commented) both load to the same scenario
    assert scenario_hash(load_scenario(show_preset(name))) == scenario_hash(s)
    text = init_preset(name)
    assert text.startswith("#") and scenario_hash(load_scenario(text)) == scenario_hash(s)


def test_postoperative_ketamine_regimen():
    s = load_scenario(preset_path("postoperative_ketamine"))
    (r,) = s.regimens
    bolus, inf = r.doses
    assert (r.drug, r.model) == ("ketamine", "kamp")
    assert bolus.mg_per_kg == 0.5 and bolus.time_h == 0.0
    assert inf.mg_per_kg_per_h == 0.15 and inf.duration_h == 24.0
    assert s.patient.weight_kg == 90 and s.patient.sex == "female" and s.horizon_h == 48.0


def test_unknown_preset_names_the_presets():
    with pytest.raises(UnknownNameError, match="preset: got 'nope'; allowed: one of "
                                               "healthy_volunteer,"):
        show_preset("nope")


def test_slow_model_names_and_defaults_match():
    """The condition reuses the spinal layer's neuropathic spec and drive-table range."""
    from ketasim.spinal.sensitization import DEFAULT_C_RATES, NeuropathicSpec

    assert S.MAX_C_RATE_HZ == max(DEFAULT_C_RATES)
    npd, spec = S.Neuropathic(), NeuropathicSpec()
    assert (npd.ffi_scale, npd.mu_presyn_scale) == (spec.ffi_scale, spec.mu_presyn_scale)
    assert (npd.ectopic_abeta_Hz, npd.ectopic_adelta_Hz, npd.ectopic_c_Hz) == (
        spec.ectopic_abeta_Hz, spec.ectopic_adelta_Hz, spec.ectopic_c_Hz)


# ----------------------------------------------------------------------------- normalisation
def test_units_normalise_and_hash_the_same():
    a = base()
    b = copy.deepcopy(a)
    b["regimens"][0]["doses"][1]["rate"] = "2.5 ug/kg/min"  # = 0.15 mg/kg/h
    b["regimens"][0]["doses"][1]["duration"] = "1 d"
    b["horizon"] = "2880 min"
    b["patient"]["weight_kg"] = "90000 g"
    sa, sb = load_scenario(a), load_scenario(b)
    assert sb.regimens[0].doses[1].mg_per_kg_per_h == pytest.approx(0.15)
    assert sb.horizon == "48.0 h" and sb.patient.weight_kg == 90.0
    c = copy.deepcopy(a)
    c["seed"] = 1
    assert scenario_hash(load_scenario(c)) != scenario_hash(sa)
    assert scenario_hash(load_scenario(dict(a, horizon="2 d"))) == scenario_hash(sa)


def test_default_model_is_spelled_out():
    s = Scenario(name="x", regimens=[{"drug": "Propofol", "doses": [
        {"kind": "bolus", "dose": "2 mg/kg"}]}])
    assert (s.regimens[0].drug, s.regimens[0].model) == ("propofol", "eleveld")


def test_sections_build_directly():
    assert Bolus(dose="35 mg", route="IM", time="1 h").mg == 35.0
    assert Infusion(rate="12 mg/h").mg_per_h == 12.0
    with pytest.raises(UnitError, match=r"^rate: got 12; allowed: a rate with its unit"):
        Infusion(rate=12)


# ----------------------------------------------------------------------------- messages
@pytest.mark.parametrize("edit, expected", [
    (lambda d: d["regimens"][0]["doses"][1].update(rate="0.15 mg/kg"),
     "regimens[0].doses[1].rate: got '0.15 mg/kg'; allowed: a rate in mg/kg/h or mg/h"),
    (lambda d: d["regimens"][0]["doses"][0].update(dose="0.5 mg/kg/h"),
     "regimens[0].doses[0].dose: got '0.5 mg/kg/h'; allowed: a dose in mg/kg or mg"),
    (lambda d: d["patient"].update(age_yr=-4),
     "patient.age_yr: got -4; allowed: an age in [0, 120] year"),
    (lambda d: d["patient"].update(sex="x"),
     "patient.sex: got 'x'; allowed: sex: one of male, female"),
    (lambda d: d["regimens"][0].update(drug="ketamin"),
     "regimens[0].drug: got 'ketamin'; allowed: a drug of the PK layer: one of fentanyl"),
    (lambda d: d["regimens"][0].update(model="marsh"),
     "regimens[0].model: got 'marsh'; allowed: a model of ketamine: one of domino"),
    (lambda d: d["regimens"][0]["doses"][0].update(route="oral", over="5 min"),
     "regimens[0].doses[0].over: got '0.08333333333333333 h'; allowed: 'over' only for IV"),
    (lambda d: d["condition"].update(ongoing_rate_Hz=40),
     "condition.ongoing_rate_Hz: got 40; allowed: a C-fibre rate"),
    (lambda d: d["condition"].update(kind="flu"),
     "condition.kind: got 'flu'; allowed: a kind: one of healthy, postoperative, trauma"),
    (lambda d: d["tests"][1].update(site="elbow"),
     "tests[1].site: got 'elbow'; allowed: a site: one of normal, injured, secondary"),
    (lambda d: d["tests"][0].update(temperature_C=80),
     "tests[0].temperature_C: got 80; allowed: a skin temperature in [20, 60] degC"),
    (lambda d: d["tests"][0].update(time="72 h"),
     "tests[0].time: got '72.0 h'; allowed: a time within the horizon (48 h)"),
    (lambda d: d["tests"][0].update(time=3),
     "tests[0].time: got 3; allowed: a time >= 0 and <= 720 h with its unit"),
    (lambda d: d["patient"].update(weigth_kg=80),
     "patient.weigth_kg: got 80; allowed: no field 'weigth_kg' in a patient; its fields: "
     "weight_kg, height_cm, age_yr, sex"),
    (lambda d: d["regimens"][0]["doses"][0].update(dose="50 mg/kg"),
     "regimens[0].doses[0].dose: got '50.0 mg/kg'; allowed: at most 20 mg/kg of ketamine"),
    (lambda d: d["regimens"][0].update(pca={"demand": "1 mg"}),
     "regimens[0].pca.demand: got '1 mg'; allowed: no field 'demand' in a PCA prescription"),
    (lambda d: d["regimens"][0].update(pca={"bolus": "1 mg"}),
     "regimens[0].pca: got 'ketamine'; allowed: pca on a morphine regimen only"),
    (lambda d: d["regimens"][0].update(tci={"target": "1 ug/mL", "site": "brain"}),
     "regimens[0].tci.site: got 'brain'; allowed: a site: one of effect, plasma"),
    (lambda d: d.pop("name"), "name: got None; allowed: a value (this field is required)"),
    (lambda d: d.update(version=2), "version: got 2; allowed: 1 (the only schema version)"),
])
def test_messages_name_path_value_and_allowed(edit, expected):
    doc = base()
    edit(doc)
    assert expected in message(doc)


def test_all_problems_are_listed():
    doc = base()
    doc["patient"]["weight_kg"] = 0
    doc["regimens"][0]["doses"][1]["rate"] = "fast"
    doc["tests"][2]["kind"] = "tickle"
    with pytest.raises(ScenarioError) as exc:
        load_scenario(doc)
    paths = [p.path for p in exc.value.problems]
    assert paths == ["patient.weight_kg", "regimens[0].doses[1].rate", "tests[2].kind"]
    assert str(exc.value).startswith("3 problems in the scenario:")


def test_error_classes():
    doc = base()
    doc["horizon"] = "48 kg"
    with pytest.raises(UnitError, match="horizon: got '48 kg'"):
        load_scenario(doc)
    doc = base()
    doc["regimens"][0]["drug"] = "aspirin"
    with pytest.raises(UnknownNameError):
        load_scenario(doc)


def test_caps_name_the_cap_and_how_to_lift_it():
    doc = base()
    doc["tests"] = [{"kind": "touch", "time": "1 h"}] * 51
    with pytest.raises(WorkLimitError, match=r"tests: got \[.*allowed: at most 50 stimulus "
                                             r"tests \(max_tests; pass max_tests=\.\.\."):
        load_scenario(doc)
    assert len(load_scenario(doc, max_tests=60).tests) == 51
    doc = base()
    doc["horizon"] = "30 d"
    with pytest.raises(WorkLimitError, match=r"horizon: got '30 d'; allowed: at most 336 h "
                                             r"\(max_horizon_h"):
        load_scenario(doc)
    assert load_scenario(doc, max_horizon_h=720).horizon_h == 720.0
    doc = base()
    doc["readouts"] = {"every": "1 s"}
    with pytest.raises(WorkLimitError, match=r"readouts.every: .*at most 20000 points"):
        load_scenario(doc)


# ----------------------------------------------------------------------------- YAML safety
@pytest.mark.parametrize("text", [
    '!!python/object/apply:os.system ["echo hi"]',
    'name: !!python/object/apply:os.system ["echo hi"]\n',
    "name: !!python/name:os.system\n",
    "name: !custom x\n",
])
def test_yaml_tags_are_refused(text, capfd):
    with pytest.raises(InputError, match="yaml: got .*tags that construct objects"):
        load_scenario(text)
    assert "hi" not in capfd.readouterr().out


def test_yaml_aliases_and_bad_text_are_refused():
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    with pytest.raises(InputError, match="without anchors/aliases"):
        load_scenario(bomb)
    with pytest.raises(InputError, match="a well-formed YAML document"):
        load_scenario("name: [unclosed\n")
    with pytest.raises(InputError, match="scenario: got 'list'; allowed: a mapping"):
        load_scenario("- 1\n- 2\n")
    with pytest.raises(InputError, match="an existing YAML file"):
        load_scenario("/nonexistent/x.yaml")


def test_docstring_examples():
    for mod in ("ketasim.scenarios", "ketasim.scenarios.schema", "ketasim.scenarios.presets"):
        res = doctest.testmod(importlib.import_module(mod),
                              optionflags=doctest.NORMALIZE_WHITESPACE)
        assert res.attempted > 0 and res.failed == 0, mod


# ----------------------------------------------------------------------------- hostile input
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**400),
                                                         max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["0.5 mg/kg", "24 h", "-1 h", "1e999 mg", "1/0 mg", "90 kg", "nan h",
                     "0.15 mg/kg/h", "10**10**10 mg", "47 degC", "ketamine", "bolus", "iv",
                     "postoperative", "injured", "windup", "((((((1 h", "1 mg/kg/h/h",
                     "inf Hz", "1e308 mg/kg"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


_BASES = {n: yaml.safe_load(preset_path(n).read_text()) for n in PRESETS}


@st.composite
def hostile(draw):
    doc = copy.deepcopy(_BASES[draw(st.sampled_from(PRESETS))])
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        action = draw(st.sampled_from(["replace", "delete", "extra"]))
        if action == "replace":
            parent[path[-1]] = draw(_values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(_values)
        else:
            parent.append(draw(_values))
    return doc


def _only_input_errors(doc):
    try:
        s = load_scenario(doc)
    except InputError as exc:
        assert str(exc)  # the message renders
        return
    assert isinstance(scenario_hash(s), str)  # a valid mutation still hashes


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(hostile())
def test_hostile_documents_give_only_input_errors(doc):
    _only_input_errors(doc)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(_values)
def test_hostile_top_level_values_give_only_input_errors(doc):
    _only_input_errors(doc)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=200))
def test_hostile_yaml_text_gives_only_input_errors(text):
    _only_input_errors(text)
