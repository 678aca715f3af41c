"""Every experiment is stamped by the registry; the CLI's edges (errors, --out, --plot,
-p, cite) give one-line messages and exit code 2, never a traceback."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from ketasim.cli import app
from ketasim.core.citations import all_citations
from ketasim.core.errors import InputError
from ketasim.core.validation import Interval, validate_params
from ketasim.experiments import experiments, get
from ketasim.experiments import registry as R

runner = CliRunner()

# The fastest parameters of each experiment (spellings before and after the renames of the
# conventions page; only those the experiment has are used).
FAST = {
    "m01-propofol-windup": {"n_stimuli": 4},
    "m03-stimulus-response": {"n_temps": 2},
    "m04-sensitization": {"hours": 1.0},
    "m07-calcium-gain": {"hours": 2.0, "n_trains": 2},
    "m08-windup": {"frequencies_Hz": (1.0,), "frequency_Hz": (1.0,), "n_stimuli": 4,
                   "n_stimuli_slow": 3, "traces": False},
    "m08-windup-gain": {"nmda_scales": (1.0, 0.0), "frequencies_Hz": (1.0,), "n_stimuli": 4,
                        "knockouts": ("no_can",)},
    "m10-windup-ketamine": {"ketamine_uM": (0.0, 10.0), "n_stimuli": 4},
    "m11-ketamine-sensitization": {"ketamine_um": (0.0, 10.0), "ketamine_uM": (0.0, 10.0)},
    "m15-descending": {"ketamine_um": (0.0, 10.0), "ketamine_uM": (0.0, 10.0)},
    "m15-transporters": {"n_points": 5},
    "m16-tolerance-oih": {"hours_on": 6.0, "hours_off": 6.0, "ketamine_uM": (1.0,),
                          "remifentanil": False},
    "m17-postop-pca": {"patients": 3},
    "m11-opioid-neuropathic": {"n_points": 2},
    "pk-regimens": {"models": ("domino",), "infusion_h": 1.0, "horizon_h": 2.0},
}


def _fast(exp_id: str) -> dict:
    names = get(exp_id).parameters()
    return {k: v for k, v in FAST.get(exp_id, {}).items() if k in names}


@pytest.mark.parametrize("exp_id", sorted(experiments()))
def test_every_experiment_result_is_stamped_by_the_registry(exp_id):
    exp = get(exp_id)
    try:
        ds = exp.run(**_fast(exp_id))
    except InputError:  # a fast value refused by a newer validation: use the defaults
        ds = exp.run()
    assert isinstance(ds, xr.Dataset)
    a = ds.attrs
    assert a["ketasim_version"] and re.fullmatch(r"[0-9a-f]{16}", a["params_hash"])
    assert a["model"] == f"experiment:{exp_id}"
    params = json.loads(a["params"])
    assert params["experiment"] == exp_id
    assert set(params["arguments"]) == set(exp.parameters())  # complete, defaults filled in
    keys = a["citations"].split(";")
    assert keys and all(k in all_citations() for k in keys)


def test_experiment_params_hash_tells_runs_apart():
    exp = get("m15-transporters")
    h5, h6 = exp.run(n_points=5).attrs["params_hash"], exp.run(n_points=6).attrs["params_hash"]
    assert h5 != h6 and exp.run(n_points=5).attrs["params_hash"] == h5


# --- a registered test experiment with declared constraints ------------------------------
@validate_params({"hours": Interval(0, 100, closed="right"),
                  "seed": Interval(0, None, integer=True)})
def _dummy_run(hours: float = 1.0, seed: int = 0, levels: tuple = (0.5, 1.0)):
    return xr.Dataset({"x": ("time", np.arange(3.0) * hours)})


def _dummy_figure(ds):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot(ds.x.values)
    return fig


def _dummy_summary(ds):
    return {"peak": np.float64(ds.x.max()), "values": ds.x.values, "n": np.int64(3)}


@pytest.fixture
def dummy(monkeypatch):
    R.experiments()  # discover first, so the test entry is not overwritten
    exp = R.register("pk-dummy", claim="PK", title="test experiment", run=_dummy_run,
                     figure=_dummy_figure, summary=_dummy_summary, citations=("aguiar2010",))
    monkeypatch.setitem(R._REGISTRY, "pk-dummy", exp)
    return exp


def test_registry_stamps_results_that_have_no_stamp(dummy):
    ds = dummy.run(hours=2.0, seed=4)
    assert ds.attrs["citations"] == "aguiar2010" and ds.attrs["seed"] == 4
    assert json.loads(ds.attrs["params"])["arguments"] == {"hours": 2, "seed": 4,
                                                           "levels": [0.5, 1]}
    with pytest.raises(InputError, match=r"pk-dummy argument: got 'hour'.*hours"):
        dummy.run(hour=2.0)


def _cli(*args):
    res = runner.invoke(app, list(args))
    assert "Traceback" not in res.output, res.output
    return res


@pytest.mark.parametrize("param, needle", [
    ("hours=-1", "hours: got -1"),
    ("seed=-1", "seed: got -1"),
    ("hours=nan", "hours: got nan"),
])
def test_cli_bad_param_value_is_a_one_line_error(dummy, tmp_path, param, needle):
    res = _cli("experiment", "run", "pk-dummy", "-p", param, "--out", str(tmp_path))
    assert res.exit_code == 2
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]


def test_cli_unknown_param_names_it_and_lists_the_allowed(dummy, tmp_path):
    res = _cli("experiment", "run", "pk-dummy", "-p", "hour=1", "--out", str(tmp_path))
    assert res.exit_code == 2
    assert "--param: got 'hour'" in res.output and "hours, levels, seed" in res.output


def test_cli_unparsable_param_and_missing_equals(dummy, tmp_path):
    res = _cli("experiment", "run", "pk-dummy", "-p", "seed=many", "--out", str(tmp_path))
    assert res.exit_code == 2 and "--param seed: got 'many'" in res.output
    res = _cli("experiment", "run", "pk-dummy", "-p", "seed", "--out", str(tmp_path))
    assert res.exit_code == 2 and "name=value" in res.output


def test_cli_prints_values_plainly_and_writes_provenance(dummy, tmp_path):
    res = _cli("experiment", "run", "pk-dummy", "--json", "--out", str(tmp_path / "a" / "b"))
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == {"peak": 2.0, "values": [0.0, 1.0, 2.0], "n": 3}
    res = _cli("experiment", "run", "pk-dummy", "--out", str(tmp_path))
    assert "np.float64" not in res.output and "array(" not in res.output
    prov = json.loads((tmp_path / "pk-dummy.provenance.json").read_text())
    assert prov["attrs"]["citations"] == "aguiar2010" and prov["attrs"]["params_hash"]
    assert prov["attrs"]["params"]["arguments"]["hours"] == 1
    # `--out` creates missing folders (documented); the figure is written there
    assert (tmp_path / "a" / "b" / "pk-dummy.png").stat().st_size > 1000


@pytest.mark.parametrize("bad", ["file", "file/sub"])
def test_cli_out_into_a_file_names_the_flag_and_path(dummy, tmp_path, bad):
    (tmp_path / "file").write_text("x")
    target = tmp_path / bad
    res = _cli("experiment", "run", "pk-dummy", "--out", str(target))
    assert res.exit_code == 2
    assert res.output.startswith("error: --out: got ") and str(target) in res.output


def _unwritable_folder(tmp_path):
    import os

    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if not os.access(ro, os.W_OK):
        return ro
    if os.path.isdir("/sys/kernel"):  # root: sysfs refuses new files even to root
        return type(ro)("/sys/kernel")
    pytest.skip("no folder this user cannot write to")


def test_cli_out_unwritable_folder(dummy, tmp_path):
    ro = _unwritable_folder(tmp_path)
    try:
        res = _cli("experiment", "run", "pk-dummy", "--out", str(ro / "sub"))
        assert res.exit_code == 2 and "--out" in res.output and str(ro) in res.output
        res = _cli("demo", "--out", str(ro))
        assert res.exit_code == 2 and "--out" in res.output and "writable" in res.output
        res = _cli("pk", "ketamine", "-b", "1 mg/kg", "--plot", str(ro / "pk.png"))
        assert res.exit_code == 2 and "--plot" in res.output and "writable" in res.output
    finally:
        (tmp_path / "ro").chmod(0o700)


def test_cli_plot_into_missing_folder_names_the_flag(tmp_path):
    target = tmp_path / "missing" / "pk.png"
    res = _cli("pk", "ketamine", "-b", "1 mg/kg", "--plot", str(target))
    assert res.exit_code == 2
    assert "--plot: got" in res.output and str(target) in res.output
    assert "not created" in res.output and not target.parent.exists()
    res = _cli("pk", "ketamine", "-b", "1 mg/kg", "--plot", str(tmp_path / "pk.nope"))
    assert res.exit_code == 2 and ".png" in res.output


def test_cli_unknown_experiment_is_one_line():
    res = _cli("experiment", "run", "m99-nothing")
    assert res.exit_code == 2 and res.output.startswith("error: experiment: got 'm99-nothing'")


# --- cite -------------------------------------------------------------------------------
def test_cite_lists_every_bibliography_entry():
    res = _cli("cite")
    assert res.exit_code == 0
    listed = re.findall(r"^\[([^\]]+)\] ", res.output, re.M)
    assert listed == list(all_citations()) and len(listed) >= 85


def test_cite_any_single_key_and_unknown_key():
    res = _cli("cite", "aguiar2010")
    assert res.exit_code == 0 and res.output.startswith("[aguiar2010] Aguiar P, Sousa M")
    res = _cli("cite", "aguiar2011")
    assert res.exit_code == 2 and "close: aguiar2010" in res.output
    res = _cli("cite", "--format", "ris")
    assert res.exit_code == 2 and "--format: got 'ris'" in res.output


def test_cite_formats():
    bib = _cli("cite", "--format", "bibtex", "aguiar2010", "kamp2020").output
    assert re.findall(r"^@(\w+)\{([^,]+),", bib, re.M) == [("article", "aguiar2010"),
                                                           ("article", "kamp2020")]
    assert bib.count("{") == bib.count("}")
    items = json.loads(_cli("cite", "--format", "csl-json", "kamp2020").output)
    assert items[0]["id"] == "kamp2020" and items[0]["DOI"] == "10.1097/ALN.0000000000003577"


def test_cite_a_saved_result(tmp_path, dummy):
    assert _cli("experiment", "run", "pk-dummy", "--out", str(tmp_path)).exit_code == 0
    res = _cli("cite", "--result", str(tmp_path / "pk-dummy.json"))  # via provenance.json
    assert res.exit_code == 0 and res.output.startswith("[aguiar2010]")
    ds = xr.Dataset({"a": ("time", [1.0, 2.0])},
                    attrs={"citations": "kamp2020;jahr_stevens_1990"})
    ds.to_netcdf(tmp_path / "r.nc")
    res = _cli("cite", "--result", str(tmp_path / "r.nc"), "--format", "bibtex")
    assert res.exit_code == 0
    assert re.findall(r"^@\w+\{([^,]+),", res.output, re.M) == ["kamp2020", "jahr_stevens_1990"]
    (tmp_path / "plain.json").write_text(json.dumps({"x": 1}))
    res = _cli("cite", "--result", str(tmp_path / "plain.json"))
    assert res.exit_code == 2 and "citations" in res.output
    res = _cli("cite", "--result", str(tmp_path / "nothing.nc"))
    assert res.exit_code == 2 and "--result: got" in res.output


@pytest.mark.parametrize("exp_id, param, field", [
    ("m04-sensitization", "hours=-1", "hours"),
    ("m07-calcium-gain", "seed=-1", "seed"),
    ("m15-transporters", "ketamine_min_uM=0", "ketamine_min_uM"),
])
def test_cli_experiment_validation_refuses_hostile_values(tmp_path, exp_id, param, field):
    exp = get(exp_id)
    assert hasattr(exp.run, "__ketasim_constraints__"), f"{exp_id}.run lacks @validate_params"
    res = _cli("experiment", "run", exp_id, "-p", param, "--out", str(tmp_path))
    assert res.exit_code == 2 and res.output.startswith("error: ") and field in res.output


def test_every_experiment_declares_its_parameter_constraints():
    from ketasim.experiments import experiments

    missing = [i for i, e in experiments().items()
               if not hasattr(e.run, "__ketasim_constraints__")]
    assert not missing, missing
