"""The demo report (`ketasim.report`): the story comes first and its numbers are those of a
fresh run of the presets; every experiment section names its claim and says what its figure
shows; every comparison has a source; raw JSON only inside <details>; figures readable."""

from __future__ import annotations

import html
import re

import pytest

from ketasim.experiments import experiments, get
from ketasim.report import build_demo, check_story
from ketasim.report.claims import CLAIMS, claim_order
from ketasim.report.findings import readme_section, readme_text
from ketasim.report.front import ARMS, resolve

# A reduced set: one fast experiment per kind of layer, in the wrong order on purpose.
IDS = ["m15-transporters", "pk-regimens", "m05-mg-block"]

# Fast parameters for running every experiment's story on a real (reduced) summary.
FAST = {
    "m01-propofol-windup": {"n_stimuli": 4},
    "m02-analgesic-window": {"ketamine_uM": (0.0, 0.3), "forms": ("racemic",),
                             "configs": ("pore", "all"), "duration_ms": 4000.0},
    "m03-stimulus-response": {"n_temps": 3},
    "m04-sensitization": {"hours": 1.0},
    "m07-calcium-gain": {"hours": 2.0, "n_trains": 2},
    "m08-windup": {"frequencies_Hz": (0.1, 1.0), "n_stimuli": 4, "n_stimuli_slow": 3,
                   "traces": False},
    "m08-windup-gain": {"nmda_scales": (1.0, 0.0), "frequencies_Hz": (1.0,), "n_stimuli": 4,
                        "knockouts": ("no_can",)},
    "m10-windup-ketamine": {"ketamine_uM": (0.0, 1.0, 10.0), "n_stimuli": 4},
    "m11-ketamine-sensitization": {"ketamine_uM": (0.0, 1.0, 10.0)},
    "m15-descending": {"ketamine_uM": (0.0, 1.0, 10.0)},
    "m16-tolerance-oih": {"hours_on": 6.0, "hours_off": 6.0, "ketamine_uM": (1.0,),
                          "remifentanil": False},
    "m17-postop-pca": {"patients": 3},
    "m11-opioid-neuropathic": {"n_points": 2},
    "pk-regimens": {"models": ("domino", "kamp"), "infusion_h": 1.0, "horizon_h": 2.0},
    "brain-dose-sweep": {"detail_ms": 1000.0},
    "m13-bolus-integration": {"horizon_min": 40.0, "detail_ms": 1000.0},
    "m14-emergence": {"horizon_min": 90.0, "step_min": 2.0},
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    page = build_demo(out, ids=IDS).read_text(encoding="utf-8")
    return out, page


def _sections(page: str) -> dict[str, str]:
    parts = re.split(r'(?=<section id=")', page)
    return {re.match(r'<section id="([^"]+)"', p).group(1): p for p in parts
            if p.startswith("<section id=")}


def test_the_story_comes_first_then_pk_then_claims_in_order(demo):
    _, page = demo
    ids = list(_sections(page))
    assert ids[0] == "story"
    exp_ids = [i for i in ids if i in experiments()]
    assert exp_ids == sorted(IDS, key=lambda i: (claim_order(get(i).claim), i))
    assert exp_ids[0] == "pk-regimens"
    assert ids[-2:] == ["findings", "references"]
    story = _sections(page)["story"]
    for word in ("plasma", "free", "NMDA block", "wind-up", "sensitization", "Pain"):
        assert word in story
    assert "brain layer" in story and "dissociation" in story  # one sentence, no content
    assert "story.png" in story


def test_front_page_numbers_match_a_fresh_run_of_the_presets(demo):
    import ketasim
    from ketasim.scenarios import load_scenario, preset_path, summary

    _, page = demo
    story = _sections(page)["story"]
    spans = re.findall(r'data-src="([^"]+)" data-value="([^"]+)" data-scale="([^"]+)">'
                       r"([^<]*)</span>", story)
    assert len(spans) > 20
    fresh = {arm: summary(ketasim.simulate(load_scenario(preset_path(preset))))
             for arm, preset, _ in ARMS}
    arms_seen = set()
    for src, value, scale, shown in spans:
        arm, path = src.split(":", 1)
        arms_seen.add(arm)
        expected = resolve(fresh[arm], path)
        assert float(value) == pytest.approx(expected, rel=1e-6, abs=1e-9), src
        number = float(re.match(r"-?[0-9.]+", html.unescape(shown)).group())
        digits = len(shown.split("&")[0].split(".")[1]) if "." in shown.split("&")[0] else 0
        assert number == pytest.approx(expected * float(scale), abs=0.51 * 10 ** -digits), src
    assert arms_seen == {"with", "without"}
    # the table holds every test of both arms: NRS (or the wind-up ratio) side by side
    for arm in ("with", "without"):
        for t in fresh[arm]["tests"]:
            key = "windup_ratio" if t["kind"] == "windup" else "nrs"
            assert f'data-src="{arm}:tests/{t["index"]}/{key}"' in story


def test_the_outcome_is_stated_from_the_run(demo):
    from ketasim.report.front import SMALL_NRS_CHANGE

    out, page = demo
    story = _sections(page)["story"]
    import json

    saved = json.loads((out / "story.json").read_text())
    changes = [abs(b["nrs"] - a["nrs"]) for a, b in zip(
        saved["without"]["tests"], saved["with"]["tests"], strict=True)
        if a["nrs"] is not None and b["nrs"] is not None]
    little = "little effect" in story
    clear = "clear effect" in story
    assert little != clear
    if max(changes) >= SMALL_NRS_CHANGE:
        assert clear
    biggest = max(changes)
    assert f"{biggest:.2f} NRS points" in story


def test_every_experiment_section_names_its_claim_and_what_it_shows(demo):
    _, page = demo
    secs = _sections(page)
    for i in IDS:
        sec = secs[i]
        claim = CLAIMS[get(i).claim]
        assert html.escape(claim.text) in sec and html.escape(claim.observable) in sec
        shows = re.search(r"<p class='shows'><strong>What the figure shows.</strong> (.+?)</p>",
                          sec)
        assert shows and len(shows.group(1)) > 40
        assert "class='badge met'" in sec or "class='badge missed'" in sec
        assert f'src="{i}.png"' in sec


def test_no_raw_json_outside_details(demo):
    _, page = demo
    outside = re.sub(r"<details>.*?</details>", "", page, flags=re.S)
    assert "<pre" not in outside
    assert not re.search(r'"[a-z_0-9]+": ', outside)  # no summary keys dumped
    assert page.count("<details>") == len(IDS)


def test_readme_findings_rendered(demo):
    _, page = demo
    paras = readme_section(readme_text())
    assert paras, "README has no 'Status and known limitations' section"
    findings = _sections(page)["findings"]
    # the first words of each paragraph appear, with inline code rendered
    for p in paras:
        assert html.escape(p.split("`")[0][:40], quote=False) in findings


def test_demo_figures_readable(demo):
    from ketasim.report.html import DISPLAY_PX, png_size

    out, _ = demo
    for name in ["story", *IDS]:
        w, h = png_size(out / f"{name}.png")
        assert w > 500 and h > 200
    # the front figure is shown at (nearly) its own size
    assert png_size(out / "story.png")[0] <= 1.1 * DISPLAY_PX


@pytest.mark.parametrize("exp_id", sorted(e for e, x in experiments().items() if x.in_demo))
def test_every_demo_experiment_has_a_story_with_sourced_comparisons(exp_id):
    exp = get(exp_id)
    assert exp.claim in CLAIMS
    assert exp.story is not None, f"{exp_id} registers no story"
    names = exp.parameters()
    if exp_id in FAST:
        params = {k: v for k, v in FAST[exp_id].items() if k in names}
    elif exp_id in ("m01-gabaa", "m05-mg-block", "m05-subunits", "m06-relief", "m09-trapping",
                    "m09-allosteric", "m10-use-dependence", "m15-transporters",
                    "m01-brain-sedatives"):
        params = {}  # fast on their defaults
    else:
        pytest.skip(f"{exp_id}: no fast parameters known")
    st = check_story(exp.story(exp.summary(exp.run(**params))), exp_id)
    assert st["shows"] and st["numbers"] and st["comparisons"]
    for what, model, target, source, met in st["comparisons"]:
        assert str(what).strip()
        assert str(source).strip() and str(target).strip() and str(model).strip()
        assert isinstance(met, bool)


def test_check_story_refuses_missing_parts():
    with pytest.raises(ValueError, match="shows"):
        check_story({"numbers": [], "comparisons": [], "deviations": []})
    with pytest.raises(ValueError, match="source"):
        check_story({"shows": "x", "numbers": [], "deviations": [],
                     "comparisons": [("a", "1", "2", " ", True)]})
    with pytest.raises(ValueError, match="met: bool"):
        check_story({"shows": "x", "numbers": [], "deviations": [],
                     "comparisons": [("a", "1", "2", "src", "yes")]})


def test_small_fonts_are_enlarged_to_the_minimum():
    from matplotlib.figure import Figure

    from ketasim.report.html import _covered, readable, small_fonts

    fig = Figure(figsize=(18, 3.8))
    axes = fig.subplots(1, 4)
    for a in axes:
        for k in range(4):
            a.plot([0, 1], [k, k + 1], label=f"line {k}")
        a.legend(fontsize=7, loc="upper left")
        a.set_title("title")
    assert small_fonts(fig)  # 7-10 pt on 18 in shown 1060 px wide: ~5-8 px
    readable(fig)
    assert small_fonts(fig) == []
    fig.canvas.draw()
    assert all(_covered(a, a.get_legend()) == 0 for a in axes)  # legends moved off the data
