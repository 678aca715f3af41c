"""Foundation: units, errors, citations, provenance, experiment registry."""

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ketasim.core import citations
from ketasim.core.errors import InputError, UnitError, UnknownNameError
from ketasim.core.provenance import params_hash, stamp
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
    # ketamine C13H16ClNO: 237.73 g/mol, so 1 umol/L = 237.7 ng/mL
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
    with pytest.raises(UnknownNameError, match="no-such-key"):
        stamp(ds, model="m", citations=["no-such-key"])
    with pytest.raises(ValueError):
        citations.register("test2026", "Other", 2026, "A title", "J Test")


# --- the bibliography -------------------------------------------------------------------
_SRC = Path(__file__).resolve().parents[1] / "src" / "ketasim"
_KEYLIKE = re.compile(r"\b([a-z][a-z_]*_?(?:19|20)\d{2}(?:_[a-z]+)*[a-z]?)\b")


def _bib() -> dict:
    return json.loads((_SRC / "core" / "bibliography.json").read_text(encoding="utf-8"))


def test_bibliography_file_is_complete_and_uses_one_status_vocabulary():
    entries = _bib()["entries"]
    keys = [e["key"] for e in entries]
    assert len(keys) == len(set(keys)) >= 85  # 85 references registered before the move
    for e in entries:
        for field in ("key", "authors", "year", "title", "status"):
            assert e.get(field) not in (None, ""), (e["key"], field)
        assert e["status"] in {"verified", "secondary", "fitted", "estimate"}, e["key"]
        # a "verified" record carries the identifier that was checked
        assert e["status"] != "verified" or e.get("doi") or e.get("pmid"), e["key"]
    assert set(_bib()["status_vocabulary"]) == {"verified", "secondary", "fitted", "estimate"}
    assert set(citations.all_citations()) >= set(keys)


def test_every_citation_key_named_in_the_source_is_in_the_bibliography():
    """Keys appear in comments (``# [aguiar2010]``), string literals and ``sources`` modules;
    every key-like token in the package must be a bibliography entry."""
    import importlib
    import pkgutil

    import ketasim

    for info in pkgutil.walk_packages(ketasim.__path__, "ketasim."):
        importlib.import_module(info.name)  # sources modules check their keys at import
    bib = set(citations.all_citations())
    missing = {}
    for path in _SRC.rglob("*.py"):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in _KEYLIKE.finditer(line):
                if m.group(1) not in bib:
                    missing.setdefault(m.group(1), f"{path.relative_to(_SRC)}:{i}")
    assert not missing, f"citation keys not in bibliography.json: {missing}"
    # every constant of every sources module names an entry
    for mod in ("ketasim.pk.sources", "ketasim.receptors.sources", "ketasim.spinal.sources",
                "ketasim.spinal.sensitization_sources", "ketasim.clinical.sources"):
        m = importlib.import_module(mod)
        consts = [v for k, v in vars(m).items() if k.isupper() and isinstance(v, str)]
        assert consts and all(c in bib for c in consts), mod


def test_every_key_is_citable_one_by_one():
    for key in _bib()["entries"]:
        text = citations.cite(key["key"])[0]
        assert str(key["year"]) in text and key["title"][:20] in text


def test_unknown_citation_names_the_key_and_close_matches():
    with pytest.raises(UnknownNameError, match=r"citation: got 'aguiar2011'.*close: aguiar2010"):
        citations.get("aguiar2011")


def _bibtex_entries(text: str) -> dict[str, str]:
    """Split BibTeX into {key: body}, checking brace balance of each entry."""
    out = {}
    for chunk in re.split(r"\n(?=@)", text.strip()):
        m = re.match(r"@(\w+)\{([^,\s]+),\n(.*)\}\s*$", chunk, re.S)
        assert m, chunk[:80]
        depth = 0
        for ch in re.sub(r"\\[{}]", "", chunk):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0, chunk[:80]
        assert depth == 0, chunk[:80]
        assert m.group(2) not in out
        out[m.group(2)] = m.group(3)
    return out


def test_bibtex_export_is_one_balanced_entry_per_key():
    keys = list(citations.all_citations())
    text = citations.to_bibtex()
    entries = _bibtex_entries(text)
    assert list(entries) == keys
    assert text.count("\n@") + 1 == len(keys)
    for body in entries.values():
        fields = re.findall(r"^  (\w+) = \{", body, re.M)
        assert {"author", "title", "year"} <= set(fields)
    # special characters are escaped: '%' in a title would start a TeX comment
    assert r"17/13/11 \%" in entries["pharmacotherapy2022_in"]
    assert "author = {Koppel, C. and others}" in entries["analgosedation_ejdmp"]
    assert "doi = {10.1093/bja/53.1.27}" in entries["clements1981"]


def test_csl_json_export_is_valid_with_required_fields():
    items = json.loads(citations.to_csl_json())
    assert [i["id"] for i in items] == list(citations.all_citations())
    for it in items:
        assert it["type"] in {"article-journal", "book", "chapter", "report", "software",
                              "document"}
        assert it["title"] and it["author"] and it["issued"]["date-parts"][0][0] > 1900
        for a in it["author"]:
            assert ("family" in a and "given" in a) or "literal" in a
    ja = next(i for i in items if i["id"] == "jahr_stevens_1990")
    assert ja["DOI"] == "10.1523/JNEUROSCI.10-09-03178.1990" and ja["volume"] == "10"
    assert ja["author"] == [{"family": "Jahr", "given": "C. E."},
                            {"family": "Stevens", "given": "C. F."}]


# --- provenance ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    g_nS: float = 1.0
    name: str = "a"


@dataclass(frozen=True)
class _OtherSpec:
    g_nS: float = 1.0
    name: str = "a"


@pytest.mark.parametrize("a, b", [
    ({"spec": _Spec()}, {"spec": _Spec(g_nS=2.0)}),
    ({"spec": _Spec()}, {"spec": _OtherSpec()}),  # same fields, other model
    ({"t": np.array([1.0, 2.0])}, {"t": np.array([1.0, 2.000001])}),
    ({"t": np.arange(1000.0)}, {"t": np.arange(1000.0) + 1e-12 * (np.arange(1000) == 999)}),
    ({"t": np.zeros((2, 3))}, {"t": np.zeros((3, 2))}),
    ({"x": 0.1}, {"x": 0.1 + 1e-16}),
    ({"x": float("nan")}, {"x": 0.0}),
    ({"x": float("inf")}, {"x": float("-inf")}),
    ({"path": Path("a/b")}, {"path": Path("a/c")}),
    ({"model": "kamp", "times": [1, 5]}, {"model": "domino", "times": [1, 5]}),
    ({"times": [1, 5]}, {"times": [1, 5, 10]}),
    ({"a": 1}, {"b": 1}),
    ({"a": None}, {"a": "None"}),
    ({"a": True}, {"a": 1}),
])
def test_params_hash_tells_different_inputs_apart(a, b):
    assert params_hash(a) != params_hash(b)


def test_params_hash_is_equal_for_equal_inputs():
    from ketasim.core.units import Q_

    assert params_hash({"a": 1, "b": [1.5, 2]}) == params_hash({"b": (1.5, 2.0), "a": 1.0})
    assert params_hash({"x": np.float64(0.25), "n": np.int32(3)}) == params_hash(
        {"x": 0.25, "n": 3})
    assert params_hash({"s": _Spec()}) == params_hash({"s": _Spec(1.0, "a")})
    big = np.linspace(0, 1, 500)
    assert params_hash({"t": big}) == params_hash({"t": big.copy()})
    assert params_hash({"t": np.array([np.nan, -0.0])}) == params_hash(
        {"t": np.array([np.nan, 0.0])})
    assert params_hash({"d": Q_(2, "h")}) == params_hash({"d": Q_(120, "min")})
    assert params_hash({"p": Path("x") / "y"}) == params_hash({"p": Path("x/y")})


def test_normalise_gives_canonical_json():
    from ketasim.core.provenance import canonical_json, normalise

    n = normalise({"spec": _Spec(), "x": np.nan, "t": (1, 2.5), "arr": np.array([1, 2])})
    assert n["spec"] == {"__type__": "test_core._Spec", "g_nS": 1, "name": "a"}
    assert n["x"] == "nan" and n["t"] == [1, 2.5]
    assert n["arr"] == {"__ndarray__": "int64", "shape": [2], "data": [1, 2]}
    assert json.loads(canonical_json({"x": 0.1 + 0.2})) == {"x": 0.30000000000000004}
    assert "0x" not in canonical_json({"f": object()})  # no memory address in the hash


def test_pydantic_models_are_normalised_by_fields():
    pydantic = pytest.importorskip("pydantic")

    class M(pydantic.BaseModel):
        dose_mg: float = 1.0

    assert params_hash({"m": M()}) == params_hash({"m": M(dose_mg=1.0)})
    assert params_hash({"m": M()}) != params_hash({"m": M(dose_mg=2.0)})


def test_stamp_merges_citations_of_nested_lists_and_results():
    layer = xr.Dataset(attrs={"citations": "jahr_stevens_1990;aguiar2010"})
    var = xr.Dataset({"i": ("t", [0.0], {"citations": "burnashev_1995"})})
    ds = xr.Dataset({"a": ("t", [1.0])}, attrs={"citations": "aguiar2010"})
    stamp(ds, model="m", citations=[layer, ["kamp2020", ("aguiar2010",)], var, "clements1981"],
          params={"seed": 5, "spec": _Spec()})
    assert ds.attrs["citations"].split(";") == [
        "aguiar2010", "jahr_stevens_1990", "kamp2020", "burnashev_1995", "clements1981"]
    assert ds.attrs["seed"] == 5
    assert json.loads(ds.attrs["params"])["spec"]["g_nS"] == 1
    for attr in ("ketasim_version", "params_hash", "python", "numpy", "model"):
        assert ds.attrs[attr]


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
    assert exp.coerce_params({"frequencies_Hz": "0.5,1", "n_stimuli": "4", "intensity": "1.5",
                              "traces": "no"}) == {
        "frequencies_Hz": (0.5, 1.0), "n_stimuli": 4, "intensity": 1.5, "traces": False}
    with pytest.raises(UnknownNameError, match="no_such_param"):
        exp.coerce_params({"no_such_param": "1"})
    with pytest.raises(InputError, match="n_stimuli"):
        exp.coerce_params({"n_stimuli": "many"})
    with pytest.raises(InputError, match="traces"):
        exp.coerce_params({"traces": "maybe"})
