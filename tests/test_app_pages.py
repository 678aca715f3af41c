"""Headless tests of every page of the web explorer (Streamlit's AppTest): set widget
values, run, and check that the numbers shown change as the model says (the expected
values come from `ketasim.app.core`, i.e. the model layers called directly)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from ketasim.app import core  # noqa: E402

VIEWS = Path(core.__file__).with_name("views")
PAGES = ("choices", "concentrations", "nmda", "windup", "pain", "compare", "trials")


def app(page: str, cfg: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(VIEWS / f"{page}.py"), default_timeout=120)
    if cfg is not None:
        at.session_state["cfg"] = cfg
    return at.run()


def metric(at: AppTest, label_start: str) -> str:
    found = [m.value for m in at.metric if m.label.startswith(label_start)]
    assert found, f"no metric {label_start!r} in {[m.label for m in at.metric]}"
    return found[0]


def errors(at: AppTest) -> list[str]:
    """Error messages as plain text (the app escapes Markdown in them)."""
    return [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]


def clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Internal error" in e.value]


def test_every_page_lists_its_claims_and_sources():
    """Teaching mode: each page names the seed's claims (M1-M18) and its sources."""
    from ketasim.app.teaching import PANELS

    for page in ("choices", "trials"):
        at = app(page)
        clean(at)
        text = " ".join(m.value for m in at.markdown)
        for claim in PANELS[page]["claims"]:
            assert f"**{claim}**" in text
        captions = " ".join(c.value for c in at.caption)
        assert all(f"[{k}]" in captions for k in PANELS[page]["sources"])
    at = app("trials")
    at.toggle(key="sb_teach").set_value(False).run()
    assert not any(m.value.startswith("**What to look for.**") for m in at.markdown)


def test_choices_validates_and_commits():
    """A valid dose is committed to the shared configuration; a bad one (wrong unit,
    text that looks like code, above the safety limit) is refused with the scenario
    schema's message and the last valid configuration stays in use."""
    at = app("choices")
    clean(at)
    at.text_input(key="ch_bolus").set_value("1 mg/kg").run()
    assert at.session_state["cfg"]["bolus"] == "1 mg/kg"
    for bad, says in (("5 mL", "regimens[0].doses[0].dose"),
                      ("__import__('os').system('true')", "regimens[0].doses[0].dose"),
                      ("25 mg/kg", "at most 20 mg/kg of ketamine")):
        at.text_input(key="ch_bolus").set_value(bad).run()
        clean(at)
        assert any(says in e for e in errors(at)), errors(at)
        if bad.startswith("__"):  # shown verbatim: Markdown in user text is escaped
            assert any("\\_\\_import\\_\\_" in e.value for e in at.error)
        assert at.session_state["cfg"]["bolus"] == "1 mg/kg"
    at.text_input(key="ch_bolus").set_value("1 mg/kg").run()
    at.selectbox(key="ch_model").set_value("hornik").run()  # a paediatric model, 90 kg
    assert any("for the ketamine model 'hornik'" in e for e in errors(at)), errors(at)
    assert at.session_state["cfg"]["model"] == ""
    at.selectbox(key="ch_model").set_value("").run()
    at.text_input(key="ch_horizon").set_value("30 d").run()
    assert any("at most 168 h" in e for e in errors(at))
    at.text_input(key="ch_horizon").set_value("48 h").run()
    at.selectbox(key="ch_drug").set_value("propofol").run()
    clean(at)
    assert at.session_state["cfg"]["drug"] == "propofol" or at.error


def test_choices_loads_pasted_yaml_and_refuses_hostile_yaml():
    """A pasted preset is loaded (its patient: 90 kg woman of postoperative_ketamine);
    YAML tags that build Python objects are refused by the safe loader."""
    from ketasim.scenarios import init_preset

    at = app("choices", {**core.default_config(), "patient": {
        "weight_kg": 70.0, "height_cm": 170.0, "age_yr": 40.0, "sex": "male"}})
    at.text_area(key="ch_yaml").set_value("!!python/object/apply:os.system ['true']\n").run()
    at.button(key="ch_load").click().run()
    clean(at)
    assert any("tags that construct objects" in e for e in errors(at))
    at.text_area(key="ch_yaml").set_value(init_preset("postoperative_ketamine")).run()
    at.button(key="ch_load").click().run()
    clean(at)
    assert at.session_state["cfg"]["patient"]["weight_kg"] == 90.0


def test_concentrations_follow_the_dose():
    """Plasma at 2 h: the value of the PK layer (timeline), and linear in the dose: a
    bolus-only regimen doubled doubles the plasma concentration (linear compartment
    models)."""
    cfg = {**core.default_config(), "infusion": "", "time_h": 0.5}
    at = app("concentrations", cfg)
    clean(at)
    assert not at.error
    v1 = float(metric(at, "ketamine plasma at 0.5 h"))
    tl = core.timeline(core.to_scenario(cfg, tests=False))
    expect = float(np.interp(0.5, tl.time.values, tl.ketamine_plasma_ng_mL.values))
    assert v1 == pytest.approx(expect, rel=1e-3)
    at.session_state["cfg"] = {**cfg, "bolus": "1 mg/kg"}
    at.run()
    v2 = float(metric(at, "ketamine plasma at 0.5 h"))
    assert v2 / v1 == pytest.approx(2.0, rel=2e-3)
    at.slider(key="sb_time_h").set_value(1.0).run()  # the shared moment, in the sidebar
    clean(at)
    assert at.session_state["cfg"]["time_h"] == 1.0
    tl = core.timeline(core.to_scenario(at.session_state["cfg"], tests=False))
    v3 = float(metric(at, "ketamine plasma at 1 h"))
    assert v3 == pytest.approx(float(np.interp(1.0, tl.time.values,
                                               tl.ketamine_plasma_ng_mL.values)), rel=1e-3)
    assert v3 < v2  # a bolus washes out


def test_nmda_block_grows_with_depolarisation():
    """In 1 mM Mg2+ the block of every site at the current ketamine grows from -60 to
    -30 mV (Mg2+ leaves the pore; values as `core.block_by_site`)."""
    at = app("nmda")
    clean(at)
    b60 = float(metric(at, "block: lamina_I").rstrip("%"))
    at.slider(key="nm_voltage").set_value(-30).run()
    clean(at)
    b30 = float(metric(at, "block: lamina_I").rstrip("%"))
    lv = core.levels_at(core.timeline(core.to_scenario(core.default_config(), tests=False)),
                        2.0)
    want = core.block_by_site(round(lv["ketamine_uM"], 4), voltage_mV=-30.0)
    assert b30 == pytest.approx(100 * float(want.block.sel(site="lamina_I")), abs=0.06)
    assert b30 > b60
    assert float(metric(at, "still trapped").rstrip("%")) > 0.0


def test_windup_is_reduced_at_anaesthetic_ketamine():
    """2 mg/kg bolus, 6 min later (free ketamine ~4.4 uM): fewer spikes on the last
    stimulus than drug-free (use-dependent block of wind-up, m10); fewer shocks give a
    shorter train."""
    cfg = {**core.default_config(), "bolus": "2 mg/kg", "infusion": "", "time_h": 0.1}
    at = app("windup", cfg)
    clean(at)
    free = int(metric(at, "spikes, last stimulus (drug-free)"))
    drug = int(metric(at, "spikes, last stimulus (with drugs)"))
    assert drug < free
    at.number_input(key="wu_n").set_value(5).run()
    clean(at)
    lv = {k: round(v, 4) for k, v in core.levels_at(
        core.timeline(core.to_scenario(cfg, tests=False)), 0.1).items() if v > 0}
    want = core.windup(lv, n_shocks=5)
    assert int(metric(at, "spikes, last stimulus (with drugs)")) == int(
        want.response.values[1, -1])
    at.checkbox(key="wu_trace").check().run()
    clean(at)
    assert len(at.get("imgs")) >= 2 or len(at.main.children) > 0


def test_pain_hyperalgesia_in_the_sensitized_area():
    """Post-operative patient at 2 h: heat and pin-prick hurt more in the secondary area
    than on normal skin (M4; the gain of the slow model applied at that site)."""
    at = app("pain")
    clean(at)
    table = at.dataframe[0].value
    heat = table[table["stimulus"] == "heat"].iloc[0]
    assert heat["NRS, sensitized (secondary)"] > heat["NRS, normal skin"]
    assert float(metric(at, "spinal gain at 2 h")) > 1.2


def test_compare_opioid_lowers_windup_propofol_hardly():
    """Side by side at 2 h: the opioid (fentanyl 1.5 ug/kg + 1.5 ug/kg/h) lowers the last
    burst of the train; propofol at hypnotic levels leaves it within 20 % (M1)."""
    at = app("compare")
    clean(at)
    free = int(metric(at, "drug-free: spikes"))
    assert int(metric(at, "fentanyl: spikes")) < 0.8 * free
    assert abs(int(metric(at, "propofol: spikes")) - free) <= 0.2 * free
    at.text_input(key="cp_b_propofol").set_value("2 kg").run()
    clean(at)
    assert at.error


def test_trials_run_with_progress_and_bands():
    """A 40-patient trial runs in blocks (progress bar) and shows both arms."""
    at = app("trials")
    clean(at)
    at.number_input(key="tr_n").set_value(40).run()
    at.button(key="tr_run").click().run()
    clean(at)
    assert metric(at, "placebo: mean ongoing pain")
    assert metric(at, "regimen: mean ongoing pain")


def test_scenario_yaml_round_trip_through_ketasim_simulate(tmp_path):
    """The YAML the explorer exports runs with `ketasim simulate` and gives the same
    numbers as the pain panel (same scenario, same seed)."""
    from typer.testing import CliRunner

    from ketasim.cli import app as cli

    cfg = {**core.default_config(), "horizon": "6 h", "time_h": 2.0}
    s = core.to_scenario(cfg)
    path = tmp_path / "scenario.yaml"
    path.write_text(core.scenario_yaml(s), encoding="utf-8")
    res = CliRunner().invoke(cli, ["simulate", str(path), "--out", str(tmp_path / "run"),
                                   "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    ds = core.pain_tests(s)
    assert [t["nrs"] for t in out["tests"] if t["kind"] == "heat"] == pytest.approx(
        [float(x) for x, k in zip(ds.test_nrs.values, ds.test_kind.values, strict=True)
         if k == "heat"], rel=1e-9)


def test_exports_are_readable():
    """CSV, NetCDF and PNG bytes of a view load back."""
    import io

    import xarray as xr
    from matplotlib.figure import Figure

    b = core.block_by_site(0.5)
    back = xr.open_dataset(io.BytesIO(core.netcdf_bytes(b)), engine="scipy")
    assert np.allclose(back.block.values, b.block.values)
    text = core.csv_bytes(b).decode()
    assert text.startswith("# dims: site\nsite,block\nlamina_I,")
    assert "# dims: site, ketamine_conc_uM\nsite,ketamine_conc_uM,curve" in text
    tl = core.timeline(core.to_scenario({**core.default_config(), "horizon": "1 h",
                                         "time_h": 0.5}, tests=False))
    back = xr.open_dataset(io.BytesIO(core.netcdf_bytes(tl)), engine="scipy")  # no tests
    assert np.allclose(back.ketamine_plasma_ng_mL.values, tl.ketamine_plasma_ng_mL.values)
    assert len(core.csv_bytes(tl).decode().splitlines()) == tl.sizes["time"] + 1
    assert core.png_bytes(Figure()).startswith(b"\x89PNG")


def test_explorer_caps():
    """Caps with clear messages: population size, train length, horizon."""
    from ketasim.core.errors import InputError, WorkLimitError

    with pytest.raises(InputError, match="n_patients"):
        core.trial_doc(core.default_config(), n_patients=core.MAX_PATIENTS + 1)
    with pytest.raises(WorkLimitError, match="at most 40 s"):
        core.windup({}, n_shocks=30, frequency_Hz=0.5)
    with pytest.raises(InputError, match="horizon"):
        core.to_scenario({**core.default_config(), "horizon": "8 d"})
    with pytest.raises(InputError, match="time_h"):
        core.to_scenario({**core.default_config(), "time_h": 100.0})


def test_app_command_binds_localhost_and_warns_beyond(monkeypatch):
    """`ketasim app` binds 127.0.0.1 by default; another address needs --allow-remote and
    prints a warning; Streamlit runs with telemetry and the file watcher off."""
    from typer.testing import CliRunner

    import ketasim.app as A
    from ketasim.cli import app as cli

    calls = []
    monkeypatch.setattr(A, "launch", lambda port, host: calls.append((port, host)) or 0)
    res = CliRunner().invoke(cli, ["app", "--port", "8700"])
    assert res.exit_code == 0 and calls[-1] == (8700, "127.0.0.1")
    assert "warning" not in res.output
    res = CliRunner().invoke(cli, ["app", "--host", "0.0.0.0"])
    assert res.exit_code == 2 and "--allow-remote" in res.output
    res = CliRunner().invoke(cli, ["app", "--host", "0.0.0.0", "--allow-remote"])
    assert res.exit_code == 0 and calls[-1] == (8501, "0.0.0.0")
    assert "warning" in res.output and "no authentication" in res.output
    cmd = A.streamlit_command(8700)
    for flag in ("--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
                 "--server.fileWatcherType=none", "--server.headless=true"):
        assert flag in cmd


def test_cortex_follows_the_brain_layer():
    """The cortex page shows the brain layer's readouts along the scenario: its numbers
    are those of `ketasim.brain` through the scenario runner (`core.timeline(brain=True)`),
    and they change with the regimen (a 2 mg/kg bolus looked at after 6 min)."""
    pytest.importorskip("ketasim.brain")
    at = app("cortex")
    clean(at)
    assert not at.error
    cfg = {**core.default_config(), "bolus": "2 mg/kg", "infusion": "", "time_h": 0.1}
    at.session_state["cfg"] = cfg
    at.run()
    clean(at)
    tl = core.timeline(core.to_scenario(cfg, tests=False), brain=True)
    want = float(np.interp(0.1, tl.time.values, tl.dissociation.values))
    assert float(metric(at, "dissociation at 0.1 h")) == pytest.approx(want, abs=6e-4)
    risk = float(tl.attrs.get("emergence_risk_total", tl.emergence_risk.values[-1]))
    assert float(metric(at, "emergence risk")) == pytest.approx(risk, abs=6e-4)


def test_concentrations_show_every_drug_given():
    """A second drug (midazolam 0.05 mg/kg) gets its plasma, effect-site and free levels
    too; the free level is effect-site total x its free fraction (`ketasim.pk.binding`,
    as the brain readouts form it)."""
    from ketasim.pk import free_concentration_umol

    cfg = {**core.default_config(), "second_drug": "midazolam", "second_bolus": "0.05 mg/kg",
           "second_infusion": "", "time_h": 0.5}
    at = app("concentrations", cfg)
    clean(at)
    eff = float(metric(at, "midazolam effect site at 0.5 h"))
    free = float(metric(at, "midazolam free at 0.5 h"))
    assert free == pytest.approx(float(free_concentration_umol(eff, "midazolam")), rel=2e-3)
    assert float(metric(at, "ketamine free at 0.5 h")) > 0


def test_tci_regimen_reaches_its_effect_site_target():
    """A propofol effect-site TCI at 3 ug/mL (Shafer & Gregg 1992 algorithm, `ketasim.pk.tci`)
    configured in Choices: at 1 h the effect site shown is at the target (within the pump's
    update chatter, 2 %), and the YAML export carries the tci section."""
    cfg = {**core.default_config(), "drug": "propofol", "model": "", "bolus": "",
           "infusion": "", "tci_target": "3 ug/mL", "tci_site": "effect", "time_h": 1.0}
    at = app("concentrations", cfg)
    clean(at)
    assert float(metric(at, "propofol effect site at 1 h")) == pytest.approx(3000.0, rel=0.02)
    s = core.to_scenario(cfg)
    assert s.regimens[0].tci.target and "tci:" in core.scenario_yaml(s)
    back = core.from_scenario(s)
    assert (back["tci_target"], back["tci_site"]) == (s.regimens[0].tci.target, "effect")
    assert core.to_scenario(back).regimens[0].tci == s.regimens[0].tci
