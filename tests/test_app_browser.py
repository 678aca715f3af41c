"""Real-browser tests of the web explorer: Playwright drives Debian's chromium
(``/usr/bin/chromium``; no browser download) against ``ketasim app`` started on a free
port as a subprocess.

They load each page, move a control and check the numbers shown change as the model
says, take a screenshot of each page and check it is not blank, and submit hostile values
and check that the server keeps answering. Without chromium they are skipped, unless
``KETASIM_CI=1`` (set by ``.ci/run``): then a missing browser is a failure.
Screenshots go to ``$KETASIM_SCREENSHOTS`` (default: pytest's temporary folder).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = os.environ.get("KETASIM_CHROMIUM", "/usr/bin/chromium")
REQUIRE = os.environ.get("KETASIM_CI", "") not in ("", "0")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
#: page url path -> a metric label that shows when the page has computed
PAGES = {"": "Valid scenario", "concentrations": "ketamine plasma at",
         "nmda": "block: lamina_I", "windup": "spikes, last stimulus",
         "pain": "spinal gain at", "cortex": "responsiveness at",
         "compare": "drug-free: spikes",
         "trials": "Run the trial"}

_have = Path(CHROMIUM).is_file() or shutil.which(CHROMIUM) is not None
try:
    import playwright.sync_api  # noqa: F401
except ImportError:  # pragma: no cover
    _have = False
if not _have:
    if REQUIRE:
        pytest.fail(f"KETASIM_CI is set but chromium ({CHROMIUM}) or the "
                    "playwright package is missing", pytrace=False)
    pytest.skip(f"no chromium at {CHROMIUM} (or no playwright)", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from ketasim.cli import main; main()", "app", "--port",
         str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if _healthy(url):
                break
            if proc.poll() is not None:
                pytest.fail("ketasim app exited: " + proc.stderr.read().decode()[-2000:])
            time.sleep(0.25)
        else:
            pytest.fail("ketasim app did not answer within 60 s")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    d = os.environ.get("KETASIM_SCREENSHOTS")
    path = Path(d) if d else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def settle(page, timeout_s: float = 90.0) -> None:
    """Wait until the script run is over (Streamlit marks the app element)."""
    page.wait_for_timeout(400)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=timeout_s * 1000)
    page.wait_for_timeout(300)


def metric_value(page, label: str) -> str:
    for m in page.query_selector_all('[data-testid="stMetric"]'):
        lab = m.query_selector('[data-testid="stMetricLabel"]')
        if lab is not None and lab.inner_text().strip().startswith(label):
            return m.query_selector('[data-testid="stMetricValue"]').inner_text().strip()
    raise AssertionError(f"no metric {label!r}")


def not_blank(png: Path) -> float:
    from PIL import Image

    a = np.asarray(Image.open(png).convert("L"), float)
    return float(a.std())


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_offline_and_is_not_blank(server, browser, shots, path):
    """The page computes (its key text appears), shows no exception, and its screenshot
    has real content (grey-level standard deviation > 10); every request goes to the app
    itself (no CDN). (Streamlit scrolls an inner element: the viewport is made tall
    enough for the whole page.)"""
    page = browser.new_page(viewport={"width": 1400, "height": 2600})
    hosts = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    page.goto(f"{server}/{path}")
    settle(page)
    page.wait_for_selector(f"text={PAGES[path]}", timeout=90_000)
    settle(page)
    assert page.query_selector('[data-testid="stException"]') is None, path
    assert page.get_by_text("Internal error").count() == 0, path
    assert page.get_by_text("Not accepted").count() == 0, path
    out = shots / f"{path or 'choices'}.png"
    page.screenshot(path=str(out), full_page=True)
    assert not_blank(out) > 10.0, out
    assert hosts == {server.split("/")[2]}, hosts
    page.close()


def test_controls_change_the_numbers(server, browser):
    """Typing a bigger bolus on Choices changes the plasma level shown on Concentrations
    (reached through the app's own navigation: one session) to the PK layer's value."""
    from ketasim.app import core

    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(f"{server}/concentrations")
    settle(page)
    before = metric_value(page, "ketamine plasma at 2 h")
    page.get_by_role("link", name="Choices").click()
    settle(page)
    box = page.get_by_label("bolus at 0 h")
    box.fill("1 mg/kg")
    box.press("Enter")
    settle(page)
    page.get_by_role("link", name="Concentrations").click()
    settle(page)
    after = metric_value(page, "ketamine plasma at 2 h")
    cfg = {**core.default_config(), "bolus": "1 mg/kg"}
    tl = core.timeline(core.to_scenario(cfg, tests=False))
    want = float(np.interp(2.0, tl.time.values, tl.ketamine_plasma_ng_mL.values))
    assert after != before
    assert float(after) == pytest.approx(want, rel=1e-3)
    page.close()


def test_voltage_slider_changes_the_block(server, browser):
    """Moving the NMDA page's voltage slider from -60 mV towards 0 mV raises the block
    shown (Mg2+ leaves the pore; `core.block_by_site`)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(f"{server}/nmda")
    settle(page)
    b0 = metric_value(page, "block: 2A")
    slider = page.get_by_role("slider").nth(1)  # [0] is the sidebar's moment slider
    slider.focus()
    for _ in range(4):
        slider.press("ArrowRight")
    settle(page)
    b1 = metric_value(page, "block: 2A")
    assert float(b1.rstrip("%")) > float(b0.rstrip("%"))  # depolarised: more block
    page.close()


HOSTILE = ("__import__('os').system('touch /tmp/ketasim-pwned')", "1e999 mg/kg",
           "-1 mg/kg", "<script>alert(1)</script>", "0.5 mg/kg" * 20, "NaN mg/kg",
           "{{7*7}} mg/kg")


def test_hostile_values_are_refused_and_the_server_keeps_answering(server, browser, shots):
    """Code, overflow, negative, markup and overlong values in the dose field are
    refused with the schema's message; nothing is executed; the server keeps answering
    and the pages still compute."""
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(server)
    settle(page)
    for bad in HOSTILE:
        box = page.get_by_label("bolus at 0 h")
        box.fill(bad)
        box.press("Enter")
        settle(page)
        assert page.query_selector('[data-testid="stException"]') is None
        assert page.get_by_text("Not accepted").count() >= 1, bad
        if bad == HOSTILE[0]:
            page.screenshot(path=str(shots / "choices_refused.png"))
    horizon = page.get_by_label("horizon (at most 7 d)")
    horizon.fill("1e308 h")
    horizon.press("Enter")
    settle(page)
    assert page.get_by_text("Not accepted").count() >= 1
    assert not Path("/tmp/ketasim-pwned").exists()
    assert _healthy(server)
    page.goto(f"{server}/concentrations")
    settle(page)
    assert metric_value(page, "ketamine plasma at 2 h")
    page.close()


def test_windup_and_trial_controls(server, browser, shots):
    """Wind-up: 5 shocks instead of 15 gives the drug-free last-stimulus count of the
    spinal model's 5-shock train (`core.windup_condition`); Trials: 30 patients run with a
    progress bar and both arms are reported."""
    from ketasim.app import core

    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(f"{server}/windup")
    settle(page)
    box = page.get_by_label("shocks")
    box.fill("5")
    box.press("Enter")
    settle(page)
    want = int(core.windup_condition({}, "drug-free", n_shocks=5).response.values[0, -1])
    assert int(metric_value(page, "spikes, last stimulus (drug-free)")) == want
    page.goto(f"{server}/trials")
    settle(page)
    box = page.get_by_label(f"patients (at most {core.MAX_PATIENTS})")
    box.fill("30")
    box.press("Enter")
    settle(page)
    page.get_by_role("button", name="Run the trial").click()
    settle(page)
    page.wait_for_selector("text=placebo: mean ongoing pain", timeout=90_000)
    assert float(metric_value(page, "regimen: mean ongoing pain")) >= 0.0
    out = shots / "trials_run.png"
    page.set_viewport_size({"width": 1400, "height": 2600})
    page.wait_for_timeout(500)
    page.screenshot(path=str(out), full_page=True)
    assert not_blank(out) > 10.0
    page.close()
