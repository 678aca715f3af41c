"""The scenario runner (M18): presets end to end, the ketamine direction, determinism,
the JSON summary's stable keys and the CLI."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

import ketasim
from ketasim.cli.app import app
from ketasim.core.errors import InputError
from ketasim.scenarios import list_presets, load_scenario, preset_path, to_yaml
from ketasim.scenarios.runner import (
    SUMMARY_KEYS,
    SUMMARY_TEST_KEYS,
    c_drive_Hz,
    nmda_drug_block,
    simulate,
    summary,
)


@cache
def run_preset(name: str) -> xr.Dataset:
    return simulate(load_scenario(preset_path(name)))


@pytest.mark.parametrize("name", list_presets())
def test_every_preset_runs_end_to_end(name):
    ds = run_preset(name)
    s = load_scenario(preset_path(name))
    assert ds.time.attrs["units"] == "h"
    assert float(ds.time[-1]) == pytest.approx(s.horizon_h)
    assert ds.sizes["test"] == len(s.tests)
    assert ds.attrs["scenario_hash"] == ketasim.scenarios.scenario_hash(s)
    for n in ("ketamine_uM", "nmda_block", "gain", "ongoing_nrs"):
        assert np.all(np.isfinite(ds[n].values)), n
    assert np.all((ds.nmda_block.values >= 0) & (ds.nmda_block.values <= 1))
    steady = ds.test_kind.values != "windup"
    assert np.all((ds.test_nrs.values[steady] >= 0) & (ds.test_nrs.values[steady] <= 10))
    assert np.all(np.isnan(ds.test_nrs.values[~steady]))
    if any(r.drug == "ketamine" for r in s.regimens):
        assert float(ds.ketamine_uM.max()) > 0.05
        assert "kamp2020" in ds.attrs["citations"]
    for key in ("jahr_stevens_1990", "graupner2012", "tillman1995"):
        assert key in ds.attrs["citations"]


def test_postoperative_ketamine_direction():
    """Ketamine arm: NMDA block > 0; gain and NRS not higher than without ketamine."""
    no, ket = run_preset("postoperative"), run_preset("postoperative_ketamine")
    assert np.all(no.nmda_block.values == 0)
    # 0.5 mg/kg + 0.15 mg/kg/h: ~0.28-0.30 uM free during the infusion, ~5-6 % block at -60 mV
    assert float(ket.test_ketamine_uM[0]) == pytest.approx(0.275, abs=0.03)
    assert float(ket.test_nmda_block[0]) == pytest.approx(0.055, abs=0.015)
    assert np.all(ket.gain.values <= no.gain.values + 1e-9)
    assert float(no.gain.max() - ket.gain.max()) > 1e-4  # ketamine lowers the peak a little
    # NRS: paired seeds; spiking noise of ~0.1 NRS allowed
    steady = np.isfinite(no.test_nrs.values)
    assert steady.sum() == 7
    assert np.all(ket.test_nrs.values[steady] <= no.test_nrs.values[steady] + 0.15)
    assert float(np.mean(ket.test_nrs.values[steady] - no.test_nrs.values[steady])) <= 0.0
    # sensitized secondary pin-prick hurts more than a normal-skin probe would
    assert float(no.test_gain[1]) == pytest.approx(1.48, abs=0.05)


def test_anaesthetic_bolus_blocks_more_and_flattens_windup():
    ds = run_preset("m13_anaesthetic_bolus")
    blk = ds.test_nmda_block.values
    assert blk[0] > 0.4 and blk[0] > blk[2] > blk[-1]  # block falls as ketamine washes out
    wu = ds.test_windup_ratio.values[ds.test_kind.values == "windup"]
    assert wu[0] < wu[-1]  # wind-up recovers as the block wears off
    assert 0 < ds.attrs["slow_ketamine_clipped_fraction"] < 0.1


def test_same_scenario_same_dataset():
    s = load_scenario(preset_path("healthy_volunteer_ketamine"))
    a, b = simulate(s), simulate(load_scenario(to_yaml(s)))
    xr.testing.assert_identical(a, b)
    c = simulate(s.model_copy(update={"seed": 1}))
    assert c.attrs["params_hash"] != a.attrs["params_hash"]


def test_top_level_api_and_yaml_text():
    s = ketasim.Scenario(name="api", horizon="1 h", tests=[{"kind": "touch", "time": "30 min"}])
    ds = ketasim.simulate(s)
    assert ds.sizes["test"] == 1
    ds2 = ketasim.simulate("name: api\nhorizon: 1 h\ntests:\n"
                           "  - {kind: touch, time: 30 min}\n")
    xr.testing.assert_identical(ds, ds2)


def test_summary_keys_are_stable():
    s = summary(run_preset("healthy_volunteer_ketamine"))
    assert tuple(s) == SUMMARY_KEYS
    for t in s["tests"]:
        assert tuple(t) == SUMMARY_TEST_KEYS
    wu = [t for t in s["tests"] if t["kind"] == "windup"]
    assert wu and len(wu[0]["spikes_per_stimulus"]) == 15 and wu[0]["nrs"] is None
    assert len(s["time_courses"]["time_h"]) == len(s["time_courses"]["nmda_block"])
    json.dumps(s, allow_nan=False)


def test_drive_schedule_and_block_helpers():
    from ketasim.scenarios import Healthy, Trauma

    assert c_drive_Hz(Trauma(), np.array([0.5, 1.0 + 96.0])).tolist() == [16.0, 4.0]
    assert c_drive_Hz(Healthy(), np.array([3.0])).tolist() == [0.0]
    b = nmda_drug_block([0.0, 0.3, 3.0], [0.0, 0.0, 0.0])
    assert b[0] == 0 and 0 < b[1] < b[2] < 1


def test_readouts_switched_off_are_dropped():
    ds = simulate(ketasim.Scenario(name="x", horizon="30 min",
                                   readouts={"concentrations": False, "gain": False}))
    assert "gain" not in ds and "ketamine_uM" in ds
    s = summary(ds)
    assert "gain" not in s["time_courses"]


def test_opioid_tolerant_starts_sensitized():
    s = load_scenario(preset_path("opioid_tolerant"))
    ds = simulate(s.model_copy(update={"tests": []}))
    assert float(ds.gain[0]) == pytest.approx(1.2, abs=1e-6)


def test_bad_scenario_is_an_input_error():
    with pytest.raises(InputError, match="regimens"):
        simulate({"name": "x", "regimens": [{"drug": "ketamine", "doses": [
            {"kind": "bolus", "dose": "0.5 mg/kg/h"}]}]})


runner = CliRunner()


def test_cli_list_show_init(tmp_path):
    r = runner.invoke(app, ["scenario", "list"])
    assert r.exit_code == 0 and r.stdout.split() == list_presets()
    r = runner.invoke(app, ["scenario", "list", "--json"])
    assert json.loads(r.stdout) == list_presets()
    r = runner.invoke(app, ["scenario", "init", "postoperative"])
    assert r.exit_code == 0 and r.stdout.startswith("# ketasim scenario")
    assert load_scenario(r.stdout).name == "postoperative"
    r = runner.invoke(app, ["scenario", "show", "nope"])
    assert r.exit_code == 2


def test_cli_simulate_writes_outputs(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("name: cli\nhorizon: 2 h\nregimens:\n  - drug: ketamine\n    doses:\n"
                 "      - {kind: bolus, dose: 0.5 mg/kg}\ntests:\n"
                 "  - {kind: heat, time: 1 h}\n", encoding="utf-8")
    r = runner.invoke(app, ["simulate", str(f), "--out", str(tmp_path / "o"), "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert tuple(s) == SUMMARY_KEYS and s["tests"][0]["ketamine_uM"] > 0
    for name in ("scenario.nc", "scenario.json", "scenario.html", "scenario.png"):
        assert (tmp_path / "o" / name).stat().st_size > 0
    with xr.open_dataset(tmp_path / "o" / "scenario.nc") as nc:
        assert nc.attrs["scenario_hash"] == s["scenario_hash"]
        assert nc.time.attrs["units"] == "h" and "nmda_block" in nc


@pytest.mark.parametrize("text", ["name: x\nhorizon: 2\n", "name: [\n",
                                  "!!python/object:os.system {}\n"])
def test_cli_bad_file_one_line_error(tmp_path, text):
    f = tmp_path / "bad.yaml"
    f.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["simulate", str(f), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in r.output


@pytest.mark.parametrize("patient,model", [
    ({"weight_kg": 20, "height_cm": 115, "age_yr": 6, "sex": "male"}, "flint"),  # children
    ({"weight_kg": 70, "height_cm": 175, "age_yr": 40, "sex": "male"}, None),  # adult: otto
])
def test_s_ketamine_reaches_the_receptor_as_racemic_equivalent(patient, model):
    """The PK layer names S-ketamine's variables ``s_ketamine_*``: its free level must reach
    the receptor (it was silently dropped when the runner looked up ``s-ketamine`` only), as
    the racemic-equivalent level: x uM S-ketamine = x / 0.607 uM racemate (ebert_1997 Ki
    0.3 vs 1.4 uM; `ketasim.receptors.enantiomers`)."""
    import ketasim
    from ketasim.pk import free_concentration_umol

    reg = {"drug": "s-ketamine", "doses": [{"kind": "infusion", "rate": "0.15 mg/kg/h",
                                            "start": "0 min"}]}
    if model:
        reg["model"] = model
    doc = {"name": "s-ketamine", "patient": patient, "regimens": [reg],
           "condition": {"kind": "healthy"}, "tests": [], "horizon": "4 h"}
    ds = ketasim.simulate(doc)
    own = free_concentration_umol(ds["s_ketamine_effect_ng_mL"].values, "s-ketamine")
    assert float(ds["ketamine_uM"].max()) > 0.05
    np.testing.assert_allclose(ds["ketamine_uM"].values, own / 0.6071, rtol=1e-3)
    assert float(ds["norketamine_uM"].max()) > 0.0  # S-norketamine of both models
