"""SBML / OMEX export: the exported file, simulated by libroadrunner (CVODE), reproduces
ketasim's exact PK solution and its receptor functions; provenance and citations travel."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from ketasim.core.errors import KetasimError
from ketasim.exchange.sbml import export_omex, export_sbml
from ketasim.pk import free_concentration_umol, simulate

libsbml = pytest.importorskip("libsbml")
roadrunner = pytest.importorskip("roadrunner")

#: (drug, model, schedule, patient, output times avoiding the event times exactly)
CASES = [
    ("ketamine", "kamp", {"bolus": ["0.5 mg/kg", "20 mg im at 30 min"],
                          "infusion": ["0.15 mg/kg/h at 10 min for 60 min"]}, None,
     [0.5, 1, 5, 12, 29.5, 31, 45, 75, 100, 240]),
    ("s-ketamine", "flint", {"bolus": ["0.3 mg/kg", "1 mg/kg oral at 60 min"],
                             "infusion": ["0.1 mg/kg/h"]}, {"weight_kg": 20, "age_yr": 6},
     [0.25, 2, 20, 59, 61, 90, 180, 300]),
    # adult S-ketamine: 3-cmt parent, 2-cmt metabolite (otto2021)
    ("s-ketamine", "otto", {"bolus": ["0.25 mg/kg"], "infusion": ["0.2 mg/kg/h at 5 min"]},
     None, [0.5, 4.9, 6, 30, 120, 600]),
    ("propofol", "eleveld", {"bolus": ["2 mg/kg"], "infusion": ["6 mg/kg/h for 30 min"]},
     None, [0.2, 1, 3, 10, 29, 31, 60, 120]),
    ("fentanyl", None, {"bolus": ["100 ug", "50 ug at 20 min"]}, None,
     [0.3, 2, 10, 19.9, 21, 60]),
    ("morphine", None, {"bolus": ["5 mg over 2 min"]}, None, [0.5, 1.5, 2.5, 30, 120]),
]


def _run(xml: str, names: list[str], times) -> dict[str, np.ndarray]:
    rr = roadrunner.RoadRunner(xml)
    rr.integrator.relative_tolerance = 1e-12
    rr.integrator.absolute_tolerance = 1e-15
    rr.integrator.maximum_num_steps = 200_000
    rr.timeCourseSelections = ["time", *names]
    res = rr.simulate(times=np.concatenate([[0.0], times]))
    return {n: np.asarray(res[1:, i + 1]) for i, n in enumerate(names)}


@pytest.mark.parametrize("drug,model,schedule,patient,times", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_roadrunner_reproduces_ketasim_pk(drug, model, schedule, patient, times):
    """Concentrations from the exported SBML (libroadrunner CVODE, rtol 1e-12, atol 1e-15)
    equal ketasim's exact solution (`ketasim.pk.simulate`) within 1e-6 relative: plasma,
    effect site and metabolite."""
    xml = export_sbml(drug, model, schedule, patient)
    ds = simulate(drug, model, schedule, patient, times=times, molar=False)
    names = [v.removesuffix("_ng_mL") + "_ng_mL" for v in ds.data_vars]
    got = _run(xml, names, times)
    for n in names:
        want = ds[n].values[0]
        np.testing.assert_allclose(got[n], want, rtol=1e-6, atol=1e-9 * want.max(),
                                   err_msg=n)


def test_receptor_layer_matches_ketasim_functions():
    """Receptor rules of the SBML file vs ketasim's own functions at the same free
    effect-site concentrations (1e-6 relative): NMDA equilibrium block with Mg2+ 1 mM at
    -60 mV and saturating glutamate (`nmda_steady_state_block`), mu-opioid occupancy
    (`opioid_effects`), NET occupancy (`transporter_occupancy`), GABA-A deactivation
    multiplier (`gabaa_decay_multiplier`)."""
    from ketasim.receptors import (
        gabaa_decay_multiplier,
        nmda_steady_state_block,
        opioid_effects,
        transporter_occupancy,
    )

    times = [0.5, 2, 10, 60]
    sched = {"bolus": ["1 mg/kg"]}
    xml = export_sbml("ketamine", "kamp", sched)
    names = ["nmda_block", "nmda_drug_block", "mu_occupancy", "NET_occupancy",
             "SERT_occupancy", "gabaa_decay_multiplier", "ketamine_free_effect_uM"]
    got = _run(xml, names, times)
    ds = simulate("ketamine", "kamp", sched, times=times)
    c = free_concentration_umol(ds["ketamine_effect_ng_mL"].values[0], "ketamine")
    np.testing.assert_allclose(got["ketamine_free_effect_uM"], c, rtol=1e-6)
    want = {
        "nmda_block": nmda_steady_state_block(-60.0, 1000.0, 1.0, c),
        "nmda_drug_block": nmda_steady_state_block(-60.0, 1000.0, 0.0, c),
        "mu_occupancy": [opioid_effects(ketamine_uM=x)["occupancy"] for x in c],
        "NET_occupancy": transporter_occupancy(c, "NET"),
        "SERT_occupancy": transporter_occupancy(c, "SERT"),
        "gabaa_decay_multiplier": [gabaa_decay_multiplier(ketamine_uM=x) for x in c],
    }
    for k, v in want.items():
        np.testing.assert_allclose(got[k], v, rtol=1e-6, err_msg=k)
    assert 0.3 < got["nmda_drug_block"][0] < 1  # a 1 mg/kg bolus blocks at 30 s


def test_s_ketamine_nmda_and_fentanyl_opioid_rules():
    """S-ketamine's NMDA rule uses its enantiomer affinity and S-norketamine's arm;
    fentanyl's mu rule gives occupancy, activation and release factor as `opioid_effects`."""
    from ketasim.receptors import nmda_steady_state_block, opioid_effects
    from ketasim.receptors.enantiomers import enantiomer_params

    pat = {"weight_kg": 20, "age_yr": 6}
    sched = {"bolus": ["1 mg/kg"]}
    times = [1, 30, 120]
    got = _run(export_sbml("s-ketamine", "flint", sched, pat),
               ["nmda_block"], times)
    ds = simulate("s-ketamine", "flint", sched, pat, times=times)
    k = free_concentration_umol(ds["s_ketamine_effect_ng_mL"].values[0], "s-ketamine")
    nk = free_concentration_umol(ds["s_norketamine_plasma_ng_mL"].values[0], "s-norketamine")
    want = nmda_steady_state_block(-60.0, 1000.0, 1.0, k, nk, params=enantiomer_params("S"))
    np.testing.assert_allclose(got["nmda_block"], want, rtol=1e-6)

    got = _run(export_sbml("fentanyl", None, {"bolus": ["100 ug"]}),
               ["mu_occupancy", "mu_activation", "mu_release_factor"], [2.0, 30.0])
    ds = simulate("fentanyl", None, {"bolus": ["100 ug"]}, times=[2.0, 30.0])
    f = free_concentration_umol(ds["fentanyl_effect_ng_mL"].values[0], "fentanyl")
    for j, x in enumerate(f):
        e = opioid_effects(fentanyl_uM=x)
        assert got["mu_occupancy"][j] == pytest.approx(e["occupancy"], rel=1e-6)
        assert got["mu_activation"][j] == pytest.approx(e["activation"], rel=1e-6)
        assert got["mu_release_factor"][j] == pytest.approx(e["release_factor"], rel=1e-6)


def test_valid_sbml_with_provenance_and_citations(tmp_path):
    """libsbml's full consistency check finds no error; notes carry the ketasim version,
    params_hash and formatted references; MIRIAM isDescribedBy names the DOI of Kamp 2020
    (10.1097/ALN.0000000000003577, bibliography.json); the same input gives the same hash."""
    p = tmp_path / "k.xml"
    xml = export_sbml("ketamine", "kamp", {"bolus": ["0.5 mg/kg"]}, path=p)
    assert p.read_text() == xml
    doc = libsbml.readSBMLFromString(xml)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
    doc.checkConsistency()
    errs = [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
            if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    assert errs == []
    assert doc.getLevel() == 3 and doc.getVersion() == 2
    m = doc.getModel()
    notes = m.getNotesString()
    assert "params_hash" in notes and "Kamp J" in notes and "ketasim" in notes
    ann = m.getAnnotationString()
    assert "ketasim:params_hash" in ann and "kamp2020" in ann
    assert "https://identifiers.org/doi:10.1097/ALN.0000000000003577" in xml
    assert m.getNumEvents() == 1
    again = export_sbml("ketamine", "kamp", {"bolus": ["0.5 mg/kg"]})
    h = ann.split('params_hash="')[1][:16]
    assert h in libsbml.readSBMLFromString(again).getModel().getAnnotationString()
    other = export_sbml("ketamine", "kamp", {"bolus": ["0.6 mg/kg"]})
    assert h not in other


def test_model_without_schedule_and_without_receptors():
    xml = export_sbml("propofol", "marsh", receptors=False)
    m = libsbml.readSBMLFromString(xml).getModel()
    assert m.getNumEvents() == 0 and "gabaa_decay_multiplier" not in xml


def test_omex_archive(tmp_path):
    """The OMEX holds manifest, SBML, SED-ML (valid, CVODE, a report of the outputs) and
    metadata; its SBML simulates like the standalone export."""
    libsedml = pytest.importorskip("libsedml")
    out = export_omex("ketamine", "kamp", {"bolus": ["0.5 mg/kg"]}, path=tmp_path / "k.omex",
                      t_end="2 h", points=121)
    z = zipfile.ZipFile(out)
    assert sorted(z.namelist()) == ["manifest.xml", "metadata.rdf", "model.xml",
                                    "simulation.sedml"]
    sed = libsedml.readSedMLFromString(z.read("simulation.sedml").decode())
    assert sed.getNumErrors(libsedml.LIBSEDML_SEV_ERROR) == 0
    sim = sed.getSimulation(0)
    assert sim.getOutputEndTime() == 120.0 and sim.getNumberOfPoints() == 120
    assert sim.getAlgorithm().getKisaoID() == "KISAO:0000019"
    labels = [sed.getOutput(0).getDataSet(i).getLabel()
              for i in range(sed.getOutput(0).getNumDataSets())]
    assert "ketamine_plasma_ng_mL" in labels and "nmda_block" in labels
    meta = z.read("metadata.rdf").decode()
    assert "params_hash" in meta and "ketasim developers" in meta
    xml = z.read("model.xml").decode()
    assert xml == export_sbml("ketamine", "kamp", {"bolus": ["0.5 mg/kg"]})


@pytest.mark.parametrize("kwargs,field", [
    (dict(drug="ketamine", patient={"weight_kg": [70, 80]}), "patient"),
    (dict(drug="nodrug"), "drug"),
    (dict(drug="ketamine", model="nomodel"), "model"),
    (dict(drug="ketamine", ke0=-1), "ke0"),
    (dict(drug="ketamine", schedule={"bolus": ["50 mg/kg"]}), "bolus"),
    (dict(drug="ketamine", receptors="yes"), "receptors"),
    (dict(drug="ketamine", model="domino", patient={"weight_kg": 5}), "weight_kg"),
])
def test_export_sbml_bad_inputs(kwargs, field):
    with pytest.raises(KetasimError, match=field):
        export_sbml(**kwargs)


def test_export_omex_bad_inputs(tmp_path):
    with pytest.raises(KetasimError, match="t_end"):
        export_omex("ketamine", path=tmp_path / "x.omex", t_end="-1 h")
    with pytest.raises(KetasimError, match="points"):
        export_omex("ketamine", path=tmp_path / "x.omex", points=1)


def test_cli_export_sbml_and_omex(tmp_path):
    """`ketasim export sbml|omex` write the same files as the Python functions."""
    import json

    from typer.testing import CliRunner

    from ketasim.cli import app

    run = CliRunner()
    for cmd in ("sbml", "omex"):
        r = run.invoke(app, ["export", cmd, "--help"], env={"COLUMNS": "200"})
        assert r.exit_code == 0 and "--bolus" in r.output
    out = tmp_path / "k.xml"
    r = run.invoke(app, ["export", "sbml", "ketamine", "--model", "kamp", "--bolus",
                         "0.5 mg/kg", "--weight-kg", "80", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    assert out.read_text() == export_sbml("ketamine", "kamp", {"bolus": ["0.5 mg/kg"]},
                                          {"weight_kg": 80})
    assert any("Kamp J" in c for c in json.loads(r.output)["citations"])
    r = run.invoke(app, ["export", "omex", "propofol", "--bolus", "2 mg/kg", "--t-end", "1 h",
                         "--out", str(tmp_path / "p.omex")])
    assert r.exit_code == 0, r.output
    assert "model.xml" in zipfile.ZipFile(tmp_path / "p.omex").namelist()


def test_citation_cff_is_valid():
    """CITATION.cff: the keys CFF 1.2.0 requires (cff-version, message, title, authors, each
    author a name or family-names), type, SPDX licence, and the version of pyproject.toml
    (cffconvert, the reference validator, pins jsonschema < 4 and is not installed: the
    required keys of the CFF 1.2.0 schema are checked here instead)."""
    import tomllib
    from pathlib import Path

    import yaml

    root = Path(__file__).parents[1]
    cff = yaml.safe_load((root / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):
        assert isinstance(cff[key], str | list) and cff[key], key
    assert all(("name" in a) or ("family-names" in a) for a in cff["authors"])
    assert cff["authors"][0]["name"] == "ketasim developers"
    assert cff["type"] == "software" and cff["license"] == "MIT"
    version = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    assert cff["version"] == version
    allowed = {"abstract", "authors", "cff-version", "commit", "contact", "date-released",
               "doi", "identifiers", "keywords", "license", "license-url", "message",
               "preferred-citation", "references", "repository", "repository-artifact",
               "repository-code", "title", "type", "url", "version"}
    assert set(cff) <= allowed, set(cff) - allowed


def test_omex_sedml_runs_as_described(tmp_path):
    """Execute the archive's SED-ML by hand (no SED-ML runner installs here: tellurium would
    pull a Jupyter stack): its model, uniform time course, CVODE tolerances and data
    generators (XPath targets to SBML parameters), run in libroadrunner, reproduce ketasim's
    exact concentrations within 1e-6 relative."""
    libsedml = pytest.importorskip("libsedml")
    out = export_omex("fentanyl", None, {"bolus": ["100 ug"], "infusion": ["1 ug/kg/h"]},
                      path=tmp_path / "f.omex", t_end="90 min", points=31)
    z = zipfile.ZipFile(out)
    sed = libsedml.readSedMLFromString(z.read("simulation.sedml").decode())
    model = sed.getModel(0)
    sim = sed.getSimulation(0)
    rr = roadrunner.RoadRunner(z.read(model.getSource()).decode())
    tol = {sim.getAlgorithm().getAlgorithmParameter(i).getKisaoID():
           float(sim.getAlgorithm().getAlgorithmParameter(i).getValue())
           for i in range(sim.getAlgorithm().getNumAlgorithmParameters())}
    rr.integrator.relative_tolerance = tol["KISAO:0000209"]
    rr.integrator.absolute_tolerance = tol["KISAO:0000211"]
    times = np.linspace(sim.getOutputStartTime(), sim.getOutputEndTime(),
                        sim.getNumberOfPoints() + 1)
    targets = {}
    for i in range(sed.getNumDataGenerators()):
        v = sed.getDataGenerator(i).getVariable(0)
        if v.getTarget():
            targets[sed.getDataGenerator(i).getName()] = v.getTarget().split("'")[1]
    rr.timeCourseSelections = ["time", *targets.values()]
    res = rr.simulate(times=times)
    ds = simulate("fentanyl", None, {"bolus": ["100 ug"], "infusion": ["1 ug/kg/h"]},
                  times=times[1:], molar=False)
    for j, name in enumerate(targets, start=1):
        if name in ds:
            np.testing.assert_allclose(res[1:, j], ds[name].values[0], rtol=1e-6)
    assert {"fentanyl_plasma_ng_mL", "fentanyl_effect_ng_mL", "mu_occupancy"} <= set(targets)


def test_ke0_override_travels():
    """ke0 given to the export is the file's ke0 and gives ketasim's effect site with the
    same override (1e-6 relative)."""
    sched = {"bolus": ["35 mg"]}
    xml = export_sbml("ketamine", "domino", sched, ke0="0.2 1/min")
    got = _run(xml, ["ketamine_effect_ng_mL"], [1.0, 5.0, 20.0])
    ds = simulate("ketamine", "domino", sched, times=[1.0, 5.0, 20.0], ke0=0.2)
    np.testing.assert_allclose(got["ketamine_effect_ng_mL"],
                               ds["ketamine_effect_ng_mL"].values[0], rtol=1e-6)
    assert libsbml.readSBMLFromString(xml).getModel().getParameter("ke0").getValue() == 0.2
