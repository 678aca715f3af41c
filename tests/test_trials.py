"""Virtual trials: schema, batched runner == ketasim.simulate, store, backends, resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import zarr

import ketasim
from ketasim.trials import TrialError, load_trial
from ketasim.trials.batch import patient_scenario, run_block
from ketasim.trials.runner import run_trial
from ketasim.trials.summary import summarise

NO_IIV = {"pk": False, "afferent_drive_cv": 0.0, "transfer_cv": 0.0,
          "nmda_sensitivity_cv": 0.0}


def _trial(n=6, **kw):
    doc = {"name": "t", "base": "postoperative", "population": {"size": n, "seed": 7},
           "arms": [{"name": "placebo"}, {"name": "ketamine", "regimens": [
               {"drug": "ketamine", "doses": [{"kind": "bolus", "dose": "0.5 mg/kg"},
                                              {"kind": "infusion", "rate": "0.15 mg/kg/h",
                                               "duration": "24 h"}]}]}],
           "outcomes": [{"name": "pain24", "kind": "ongoing_pain", "time": "24 h"},
                        {"name": "heat24", "kind": "heat", "time": "24 h", "site": "injured"},
                        {"name": "pp24", "kind": "pinprick", "time": "24 h"},
                        {"name": "touch24", "kind": "touch", "time": "24 h"},
                        {"name": "peak", "kind": "peak_plasma"},
                        {"name": "mod24", "kind": "event", "of": "pain24", "above": 4}],
           "summaries": {"n_boot": 200}, "block_size": 2, **kw}
    return load_trial(doc)


def test_trial_errors_name_field_value_allowed():
    with pytest.raises(TrialError, match=r"population\.size: got 0; allowed: patients"):
        load_trial({"name": "t", "base": "postoperative", "arms": [{"name": "a"}],
                    "population": {"size": 0}, "outcomes": []})
    with pytest.raises(TrialError, match=r"outcomes\[0\]\.kind: got 'hot'"):
        load_trial({"name": "t", "base": "postoperative", "arms": [{"name": "a"}],
                    "outcomes": [{"name": "x", "kind": "hot"}]})
    with pytest.raises(TrialError, match=r"outcomes\[0\]\.time: got '99.0 h'.*horizon"):
        load_trial({"name": "t", "base": "postoperative", "arms": [{"name": "a"}],
                    "outcomes": [{"name": "x", "kind": "heat", "time": "99 h"}]})
    with pytest.raises(TrialError, match=r"base\.patient\.weight_kg: got -1"):
        load_trial({"name": "t", "base": {"name": "b", "patient": {"weight_kg": -1}},
                    "arms": [{"name": "a"}], "outcomes": []})
    with pytest.raises(TrialError, match=r"outcomes\[0\]\.of: got 'nope'"):
        load_trial({"name": "t", "base": "postoperative", "arms": [{"name": "a"}],
                    "outcomes": [{"name": "e", "kind": "event", "of": "nope", "above": 1}]})


def test_presets_load_and_allocation_balanced():
    for name in ketasim.trials.list_trial_presets():
        t = load_trial(name, patients=10)
        assert t.population.size == 10
    from ketasim.trials.population import allocation
    a = allocation(load_trial("postop_ketamine_vs_placebo", patients=101))
    assert a.sum(axis=0).tolist() == [1] * 101 and abs(int(a[0].sum()) - int(a[1].sum())) <= 1


def test_batched_equals_simulate_per_patient():
    """Without variability, each patient's PK, free ketamine, gain and ongoing NRS equal
    ketasim.simulate of its scenario (same slow-model resolution), to 1e-9 relative; probe
    outputs equal the drive table at that run's test gain and free ketamine."""
    from ketasim.experiments._pain_common import model_spec, pain_model
    t = _trial(3, iiv=NO_IIV, allocation="all_arms", every="10 min")
    r = run_block(t, 0, 3)
    table, _ = pain_model(model_spec())
    for a, arm in enumerate(t.arm_names):
        for j in range(3):
            ds = ketasim.simulate(patient_scenario(t, j, arm))
            kp = ds["ketamine_plasma_ng_mL"].values if "ketamine_plasma_ng_mL" in ds else 0 * \
                ds["gain"].values
            np.testing.assert_allclose(r["courses"]["ketamine_plasma_ng_mL"][a, j], kp,
                                       rtol=1e-5, atol=1e-6)  # float32 store
            np.testing.assert_allclose(r["courses"]["gain"][a, j], ds["gain"].values,
                                       rtol=1e-6)
            np.testing.assert_allclose(r["courses"]["ongoing_nrs"][a, j],
                                       ds["ongoing_nrs"].values, rtol=1e-5, atol=1e-6)
            t24 = int(np.argmin(abs(ds.time.values - 24.0)))
            np.testing.assert_allclose(r["outcomes"]["pain24"][a, j],
                                       ds["ongoing_nrs"].values[t24], rtol=1e-9)
            pp = int(np.flatnonzero(ds.test_kind.values == "pinprick")[0])
            want = table.probe("pinprick", ds.test_ketamine_uM.values[pp],
                               ds.test_gain.values[pp])
            np.testing.assert_allclose(r["aux"]["pp24_output_Hz"][a, j], want, rtol=1e-9)
    # ketamine lowers the gain at 24 h in every patient (NMDA block of the slow model)
    assert np.all(r["courses"]["gain"][1, :, 144] < r["courses"]["gain"][0, :, 144])


def test_windup_batched_equals_simulate():
    """One batched spiking call per wind-up test equals the single-patient runs (the same
    test seed; common inputs): spike ratios equal exactly."""
    t = load_trial({"name": "w", "base": "healthy_volunteer", "population": {"size": 2},
                    "iiv": NO_IIV, "allocation": "all_arms",
                    "arms": [{"name": "k", "regimens": [{"drug": "ketamine", "doses": [
                        {"kind": "bolus", "dose": "1 mg/kg"}]}]}],
                    "outcomes": [{"name": "wu", "kind": "windup", "time": "10 min",
                                  "n_shocks": 4}], "every": "10 min"})
    r = run_block(t, 0, 2)
    for j in range(2):
        ds = ketasim.simulate(patient_scenario(t, j, 0))
        assert r["outcomes"]["wu"][0, j] == pytest.approx(float(ds.test_windup_ratio[0]),
                                                          rel=1e-12, nan_ok=True)


def test_store_resume_no_loss_no_duplicates(tmp_path):
    t = _trial(6)
    ref = summarise(run_trial(t, tmp_path / "a", workers=1))

    class Killed(Exception):
        pass

    def die(done, total):
        if done >= 2:
            raise Killed
    with pytest.raises(Killed):
        run_trial(t, tmp_path / "b", workers=1, progress=die)
    g = zarr.open_group(str(tmp_path / "b" / "trial.zarr"), mode="r")
    assert g["done"][:].tolist() == [True, False, False]
    seen = []
    run_trial(t, tmp_path / "b", workers=1, resume=True,
              progress=lambda d, n: seen.append(d))
    assert seen == [2, 4, 6]  # block 0 not recomputed
    got = summarise(tmp_path / "b" / "trial.zarr")
    assert got == {**ref, "trial_hash": got["trial_hash"]}
    a = zarr.open_group(str(tmp_path / "a" / "trial.zarr"), mode="r")
    np.testing.assert_array_equal(a["outcomes/pain24"][:], g["outcomes/pain24"][:])
    assert int(np.isfinite(g["outcomes/pain24"][:]).sum()) == 6  # each patient once
    with pytest.raises(ketasim.InputError if hasattr(ketasim, "InputError") else Exception,
                       match="trial store"):
        run_trial(t, tmp_path / "b", workers=1)


def test_same_numbers_serial_pool_dask(tmp_path, monkeypatch):
    """Serial, process pool and Dask give the same numbers. The pool starts on an empty
    cache (KETASIM_CACHE): its two fresh processes must not compile the numba kernels at
    the same time (a crashed process breaks the pool): one warms them under the cache lock,
    leaving one marker."""
    t = _trial(4)
    s = zarr.open_group(str(run_trial(t, tmp_path / "s", workers=1)), mode="r")
    monkeypatch.setenv("KETASIM_CACHE", str(tmp_path / "fresh-cache"))
    p = zarr.open_group(str(run_trial(t, tmp_path / "p", workers=2)), mode="r")
    assert len(list((tmp_path / "fresh-cache" / "trials-warm").iterdir())) == 1
    assert any((tmp_path / "fresh-cache" / "numba").rglob("*.nbi"))
    d = zarr.open_group(str(run_trial(t, tmp_path / "d", workers=2, backend="dask")),
                        mode="r")
    for name in ("outcomes/pain24", "outcomes/heat24", "courses/gain", "scales/transfer"):
        np.testing.assert_array_equal(s[name][:], p[name][:])
        np.testing.assert_array_equal(s[name][:], d[name][:])


def test_summary_keys_and_ci(tmp_path):
    t = _trial(6, allocation="all_arms")
    s = summarise(run_trial(t, tmp_path, workers=1))
    from ketasim.trials.summary import SUMMARY_KEYS
    assert sorted(s) == sorted(SUMMARY_KEYS)
    c = next(c for c in s["comparisons"] if c["outcome"] == "pain24")
    assert c["paired"] and c["n"] == 6
    assert c["ci_low"] <= c["difference"] <= c["ci_high"]
    assert c["difference"] < 0  # paired: ketamine lowers ongoing pain at 24 h
    json.dumps(s)


def test_cli_trial(tmp_path):
    from typer.testing import CliRunner

    from ketasim.cli import app
    run = CliRunner()
    r = run.invoke(app, ["trial", "list"])
    assert r.exit_code == 0 and "postop_ketamine_vs_placebo" in r.output
    r = run.invoke(app, ["trial", "init", "postop_ketamine_vs_placebo"])
    assert r.exit_code == 0 and r.output.startswith("# ketasim trial")
    f = tmp_path / "t.yaml"
    f.write_text(r.output)
    r = run.invoke(app, ["trial", "run", str(f), "--patients", "4", "--workers", "1",
                         "--out", str(tmp_path / "o"), "--json"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "o" / "bands.png").is_file()
    r = run.invoke(app, ["trial", "run", str(f), "--patients", "0", "--out",
                         str(tmp_path / "o2")])
    assert r.exit_code == 2 and "--patients" in r.output
    r = run.invoke(app, ["trial", "init", "nope"])
    assert r.exit_code == 2 and "one of" in r.output


def test_population_truncated_to_pk_validity(monkeypatch):
    """At 10,000 patients the default draw holds people past Kamp's 150 kg (the run used to
    fail in its last blocks with a ValidityRangeError): they are redrawn, nobody else
    changes, and a population that cannot meet the ranges is refused up front."""
    from ketasim.pk.population import virtual_patients
    from ketasim.trials.population import covariates, validity_ranges

    t = load_trial("postop_ketamine_vs_placebo", patients=10000)
    p = t.population
    raw = virtual_patients(p.size, seed=p.seed, age_range=p.age_range, p_female=p.p_female,
                           bmi_range=p.bmi_range)
    c = covariates(t)
    hi = validity_ranges(t)["weight_kg"][1]
    assert hi == 150 and float(np.max(raw.weight_kg)) > hi >= float(np.max(c.weight_kg))
    moved = np.asarray(raw.weight_kg) != np.asarray(c.weight_kg)
    assert 0 < moved.sum() == (np.asarray(raw.weight_kg) > hi).sum()
    import ketasim.trials.population as pop
    monkeypatch.setattr(pop, "validity_ranges", lambda t: {"weight_kg": (10, 20)})
    with pytest.raises(TrialError, match=r"population: .*PK models.*'weight_kg': \[10, 20\]"):
        covariates(load_trial("postop_ketamine_vs_placebo", patients=5))
