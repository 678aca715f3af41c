"""Run experiments, save their figures and write a self-contained HTML report.

`build_demo` is `ketasim demo`: the front page (the seed's story on one post-operative patient,
`ketasim.report.front`), then the experiments, pharmacokinetics first and then the claims in
order M1..M18, each section telling which claim it shows, what its figure shows, its key
numbers with units, what they are compared to (met or missed) and its known deviations
(the experiment's ``story``), and at the end the README's honest findings
(`ketasim.report.findings`) and the references.

Figures are written as they come from the experiments' ``figure`` functions, made readable
at the size the page shows them (`readable`); this module does not touch matplotlib's global
backend.
"""

from __future__ import annotations

import html
import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ketasim.core.citations import cite
from ketasim.core.provenance import ketasim_version
from ketasim.experiments.registry import Experiment
from ketasim.report.claims import CLAIMS, claim_order

__all__ = ["jsonable", "run_and_write", "write_report", "build_demo", "check_story",
           "readable", "small_fonts", "save_figure", "png_size", "DISPLAY_PX", "MIN_FONT_PX",
           "DPI"]

#: Resolution of the saved figures (dots per inch).
DPI = 110
#: Width (CSS px) at which the report shows a figure at most (the page's content width).
DISPLAY_PX = 1060
#: Smallest font on a figure as shown (CSS px): 12 px = 9 pt at 96 px per inch.
MIN_FONT_PX = 12.0


def jsonable(v):
    """``v`` with numpy scalars and arrays as Python numbers and lists, tuples as lists and
    mapping keys as strings (what the summary files and the CLI print; no numpy repr).

    Examples
    --------
    >>> jsonable({"a": np.float64(0.5), "b": (np.int64(2), np.array([1.0, 2.5]))})
    {'a': 0.5, 'b': [2, [1.0, 2.5]]}
    """
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return jsonable(v.tolist())
    if isinstance(v, dict):
        return {str(jsonable(k)): jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    return v


def _close(fig) -> None:
    """Release a figure: pyplot's registry only if pyplot made it (no backend switch)."""
    import sys

    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None and getattr(fig, "number", None) is not None:
        plt.close(fig)


def _px_per_pt(width_px: float, dpi: float = DPI, display_px: float = DISPLAY_PX) -> float:
    """CSS px per font point of a figure ``width_px`` wide (saved at ``dpi``) when the page
    shows it at most ``display_px`` wide."""
    return dpi / 72.0 * min(1.0, display_px / max(width_px, 1.0))


def _texts(fig):
    from matplotlib.text import Text

    fig.canvas.draw()  # materialise tick labels
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def small_fonts(fig, width_px: float | None = None, dpi: float = DPI) -> list[tuple[str, float]]:
    """Visible texts of ``fig`` smaller than `MIN_FONT_PX` as the report shows them:
    ``[(text, size in CSS px)]``. ``width_px`` is the saved PNG's width (default: the
    figure's width at ``dpi``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(18, 3)); ax = fig.subplots(); _ = ax.set_title("wide")
    >>> [t for t, px in small_fonts(fig)][:1]
    ['wide']
    """
    k = _px_per_pt(width_px if width_px else fig.get_figwidth() * dpi, dpi)
    return [(t.get_text(), t.get_fontsize() * k) for t in _texts(fig)
            if t.get_fontsize() * k < MIN_FONT_PX - 1e-9]


def readable(fig, dpi: float = DPI, width_px: float | None = None) -> int:
    """Enlarge every text of ``fig`` that the report would show below `MIN_FONT_PX` to that
    size, then lay the figure out again; return how many texts grew. ``width_px`` is the
    width of the saved PNG if known (default: the figure's width at ``dpi``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(18, 3)); ax = fig.subplots(); _ = ax.set_title("wide")
    >>> readable(fig) > 0, small_fonts(fig)
    (True, [])
    """
    k = _px_per_pt(width_px if width_px else fig.get_figwidth() * dpi, dpi)
    need = MIN_FONT_PX / k + 0.05
    grown = 0
    for ax in fig.axes:  # tick labels made at later draws follow the axis' setting
        for axis in ("x", "y"):
            labels = getattr(ax, f"get_{axis}ticklabels")()
            if labels and min(t.get_fontsize() for t in labels) < need:
                ax.tick_params(axis=axis, which="both", labelsize=need)
                grown += 1
    for t in _texts(fig):
        if t.get_fontsize() < need:
            t.set_fontsize(need)
            grown += 1
    if grown and fig.get_layout_engine() is None:
        fig.tight_layout()
    if grown:
        _clear_legends(fig)
    return grown


def _covered(ax, legend) -> int:
    """How many data points (line vertices, bar corners) of ``ax`` lie under ``legend``."""
    from matplotlib.patches import Rectangle

    box = legend.get_window_extent()
    n = 0
    for line in ax.get_lines():
        if not line.get_visible() or len(line.get_xydata()) == 0:
            continue
        xy = line.get_transform().transform(line.get_xydata())
        if line.get_linestyle() not in ("None", "none", "", " ") and len(xy) > 1:
            f = np.linspace(0.0, 1.0, 12)[:, None, None]  # points along each segment
            xy = (xy[:-1] + f * (xy[1:] - xy[:-1])).reshape(-1, 2)
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        n += int(np.sum((xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1)
                        & (xy[:, 1] >= box.y0) & (xy[:, 1] <= box.y1)))
    for p in ax.patches:
        if isinstance(p, Rectangle) and (p.get_alpha() is None or p.get_alpha() > 0.5):
            if box.overlaps(p.get_window_extent()):
                n += 1
    return n


def _clear_legends(fig) -> None:
    """Axes legends that the larger fonts made cover data: to the best place inside the
    axes if one is free, else below the axes (the layout makes room for them)."""
    fig.canvas.draw()
    moved = False
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is None or not _covered(ax, leg):
            continue
        leg.set_loc("best")
        fig.canvas.draw()
        if _covered(ax, leg):
            from matplotlib.transforms import offset_copy

            leg.set_visible(False)  # the axes' extent below it (tick labels, x label)
            frame, tight = ax.get_window_extent(), ax.get_tightbbox()
            leg.set_visible(True)
            drop_pt = (frame.y0 - tight.y0) * 72.0 / fig.dpi + 4.0
            leg.set_loc("upper center")
            leg.set_bbox_to_anchor((0.5, 0.0), transform=offset_copy(
                ax.transAxes, fig=fig, y=-drop_pt, units="points"))
            leg.set_ncols(2)
            moved = True
    if moved:
        try:
            fig.set_layout_engine("constrained")
        except RuntimeError:  # an engine that cannot be swapped: lay out once
            fig.tight_layout()


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) in pixels of a PNG file, from its header."""
    head = Path(path).read_bytes()[:24]
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def save_figure(fig, path: Path) -> list[tuple[str, float]]:
    """Make ``fig`` `readable`, save it as PNG at `DPI` and release it; return the texts
    still below `MIN_FONT_PX` at the saved width (`small_fonts`; normally none)."""
    readable(fig)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    small = small_fonts(fig, png_size(path)[0])
    if small:  # the saved PNG came out wider than the figure (texts outside the axes)
        readable(fig, width_px=png_size(path)[0] * 1.02)
        fig.savefig(path, dpi=DPI, bbox_inches="tight")
        small = small_fonts(fig, png_size(path)[0])
    _close(fig)
    return small


def run_and_write(exp: Experiment, out: Path, params: dict | None = None,
                  checks: dict | None = None):
    """Run one experiment and write ``<id>.png`` (figure), ``<id>.json`` (summary) and
    ``<id>.provenance.json`` (the result's stamp: version, params, params_hash,
    citations) in ``out`` (created if missing); return (dataset, summary).

    ``ketasim cite --result OUT/<id>.json`` lists the references of the saved result.
    ``checks`` (a dict), if given, receives ``checks[id] = small_fonts`` of the figure.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ds = exp.run(**(params or {}))
    small = save_figure(exp.figure(ds), out / f"{exp.id}.png")
    if checks is not None:
        checks[exp.id] = small
    summary = exp.summary(ds)
    (out / f"{exp.id}.json").write_text(json.dumps(jsonable(summary), indent=2, default=float))
    attrs = {k: jsonable(v) for k, v in ds.attrs.items()}
    attrs = {k: (v if not isinstance(v, float) or math.isfinite(v) else str(v))
             for k, v in attrs.items()}
    if isinstance(attrs.get("params"), str):  # canonical JSON text: store it as JSON
        try:
            attrs["params"] = json.loads(attrs["params"])
        except json.JSONDecodeError:
            pass
    (out / f"{exp.id}.provenance.json").write_text(
        json.dumps({"experiment": exp.id, "attrs": attrs}, indent=2, default=str))
    return ds, summary


# --- stories -----------------------------------------------------------------------------

def check_story(story: dict, where: str = "story") -> dict:
    """Check an experiment's story (see `ketasim.experiments.registry.register`); return it.

    Examples
    --------
    >>> check_story({"shows": "x", "numbers": [("a", 1.0, "uM")],
    ...              "comparisons": [("b", "1", "2", "src", False)], "deviations": []})["shows"]
    'x'
    >>> check_story({"shows": "x", "numbers": [], "deviations": [],
    ...              "comparisons": [("b", "1", "2", "", True)]})
    Traceback (most recent call last):
    ...
    ValueError: story.comparisons[0]: every comparison needs a source, got ''
    """
    for key, kind in (("shows", str), ("numbers", list), ("comparisons", list),
                      ("deviations", list)):
        if not isinstance(story.get(key), kind):
            raise ValueError(f"{where}.{key}: expected a {kind.__name__}, got "
                             f"{story.get(key)!r}")
    if not story["shows"].strip():
        raise ValueError(f"{where}.shows: empty")
    for i, n in enumerate(story["numbers"]):
        if len(n) != 3 or not isinstance(n[0], str) or not isinstance(n[2], str):
            raise ValueError(f"{where}.numbers[{i}]: expected (label, value, unit), got {n!r}")
    for i, c in enumerate(story["comparisons"]):
        if len(c) != 5 or not isinstance(c[4], bool | np.bool_):
            raise ValueError(f"{where}.comparisons[{i}]: expected (what, model, target, "
                             f"source, met: bool), got {c!r}")
        if not str(c[3]).strip():
            raise ValueError(f"{where}.comparisons[{i}]: every comparison needs a source, "
                             f"got {c[3]!r}")
    for i, d in enumerate(story["deviations"]):
        if not isinstance(d, str) or not d.strip():
            raise ValueError(f"{where}.deviations[{i}]: expected a sentence, got {d!r}")
    return story


def _value(v) -> str:
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        if not math.isfinite(v):
            return "&ndash;"
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return html.escape(str(v))


def _story_of(exp: Experiment, summary: dict) -> dict:
    if exp.story is not None:
        return check_story(exp.story(summary), f"{exp.id} story")
    first = exp.doc.split("\n\n")[0] if exp.doc else exp.title
    return {"shows": first, "numbers": [], "comparisons": [], "deviations": []}


def _section(exp: Experiment, ds, summary: dict) -> str:
    st = _story_of(exp, summary)
    claim = CLAIMS.get(exp.claim)
    claim_html = (f"<div class='claim'><strong>Claim {exp.claim}.</strong> "
                  f"{html.escape(claim.text)}<br><em>The simulator must show:</em> "
                  f"{html.escape(claim.observable)}</div>" if claim else "")
    nums = "".join(f"<tr><th>{html.escape(label)}</th><td class='v'>{_value(v)}</td>"
                   f"<td>{html.escape(unit)}</td></tr>" for label, v, unit in st["numbers"])
    nums_html = (f"<h4>Key numbers</h4><table class='nums'>{nums}</table>" if nums else "")
    comps = "".join(
        f"<tr><td>{html.escape(str(w))}</td><td>{html.escape(str(m))}</td>"
        f"<td>{html.escape(str(t))}</td><td>{html.escape(str(s))}</td><td>"
        f"<span class='badge {'met' if ok else 'missed'}'>{'met' if ok else 'missed'}</span>"
        f"</td></tr>" for w, m, t, s, ok in st["comparisons"])
    comps_html = ("<h4>Compared with</h4><table class='comp'><tr><th>what</th><th>model</th>"
                  f"<th>target</th><th>source</th><th></th></tr>{comps}</table>"
                  if comps else "")
    devs = "".join(f"<li>{html.escape(d)}</li>" for d in st["deviations"])
    devs_html = f"<h4>Known deviations</h4><ul>{devs}</ul>" if devs else ""
    raw = html.escape(json.dumps(jsonable(summary), indent=1, default=float))
    doc = html.escape(exp.doc)
    return (f'<section id="{exp.id}" class="exp"><h2>{exp.claim} &middot; '
            f"{html.escape(exp.title)}</h2>{claim_html}"
            f"<p class='shows'><strong>What the figure shows.</strong> "
            f"{html.escape(st['shows'])}</p>"
            f'<img src="{exp.id}.png" alt="{exp.id}" class="fig">'
            f"{nums_html}{comps_html}{devs_html}"
            f"<p class='rerun'>Experiment <code>{exp.id}</code>: "
            f"<code>ketasim experiment run {exp.id}</code> (parameters: "
            f"<code>ketasim experiment show {exp.id}</code>).</p>"
            f"<details><summary>Method and raw summary (JSON)</summary>"
            f"<pre class='doc'>{doc}</pre><pre>{raw}</pre></details></section>")


_CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:auto;padding:1em;
line-height:1.45;color:#222}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
td.v{text-align:right;font-variant-numeric:tabular-nums}
.fig{max-width:100%;display:block;margin:.5em 0}
.claim{background:#f3f6fb;border-left:4px solid #4a78c2;padding:.5em .8em;margin:.5em 0}
.outcome{background:#fff8e6;border-left:4px solid #d9a400;padding:.3em .8em;margin:1em 0}
.badge{display:inline-block;padding:0 .5em;border-radius:.6em;font-size:90%;color:#fff}
.badge.met{background:#2e7d32}.badge.missed{background:#c62828}
.note{color:#555}.chain li{margin:.3em 0}
pre{background:#f7f7f7;padding:.5em;overflow-x:auto;font-size:85%;white-space:pre-wrap}
nav li{margin:.1em 0}table.front td:nth-child(n+3){white-space:nowrap}"""


def write_report(results: list[tuple[Experiment, object, dict]], out: Path,
                 front: str | None = None, findings: str | None = None) -> Path:
    """Write ``index.html`` in ``out`` for (experiment, dataset, summary) triples.

    ``front`` is the front page's HTML (`ketasim.report.front.front_html`; none: no front
    page), ``findings`` the README's findings (`ketasim.report.findings.findings_html`;
    default: read from the README). Experiments come in claim order: PK, then M1..M18.
    """
    from ketasim.report.findings import findings_html

    out = Path(out)
    ordered = sorted(results, key=lambda r: (claim_order(r[0].claim), r[0].id))
    sections, refs = [], []
    for exp, ds, summary in ordered:
        sections.append(_section(exp, ds, summary))
        for r in cite(ds):
            if r not in refs:
                refs.append(r)
    toc = ([('story', 'The story: dose in, pain out')] if front else []) + [
        (e.id, f"{e.claim}: {e.title}") for e, _, _ in ordered] + [
        ("findings", "Status and known limitations"), ("references", "References")]
    toc_html = "".join(f'<li><a href="#{i}">{html.escape(t)}</a></li>' for i, t in toc)
    ref_html = "".join(f"<li>{html.escape(r)}</li>" for r in refs)
    found = findings_html() if findings is None else findings
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>ketasim demo: ketamine in pain, from dose to pain score</title>
<style>{_CSS}</style></head><body>
<h1>ketasim {ketasim_version()}: ketamine in pain, from dose to pain score</h1>
<p>A mechanistic simulator of ketamine in the pain system. The front page follows one
patient from the dose to the pain score; the sections after it show, claim by claim, the
mechanisms that chain is built from, each with its numbers and how they compare with the
literature. Nothing on this page is written in: every number comes from the runs made when
the page was built.</p>
{front or ''}
<nav><h2>Contents</h2><ol>{toc_html}</ol></nav>
{''.join(sections)}
<section id="findings"><h2>Status and known limitations</h2>
<p class="note">From the README, as it stands:</p>{found}</section>
<section id="references"><h2>References</h2><ol>{ref_html}</ol></section></body></html>"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def build_demo(out: Path, ids: list[str] | None = None, front: bool = True,
               progress: Callable[[str], None] | None = None) -> Path:
    """Build the demo report in ``out``: the front page (both post-operative arms, unless
    ``front`` is false) and every demo experiment (or those in ``ids``) on its defaults.
    Return the path of ``index.html``."""
    from ketasim.experiments import experiments, get
    from ketasim.report import front as F

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _msg: None)
    front_page = None
    if front:
        t0 = time.perf_counter()
        arms = F.run_arms(say)
        small = save_figure(F.figure(arms["without"]["ds"], arms["with"]["ds"]),
                            out / "story.png")
        if small:
            say(f"story.png: texts below {MIN_FONT_PX:g} px: {small}")
        front_page, numbers = F.front_html(arms, "story.png")
        (out / "story.json").write_text(json.dumps(
            {"numbers": numbers, **{a: arms[a]["summary"] for a in arms}}, indent=1))
        say(f"front page ({time.perf_counter() - t0:.1f} s)")
    chosen = [get(i) for i in ids] if ids is not None else [
        e for e in experiments().values() if e.in_demo]
    results = []
    for exp in chosen:
        t0 = time.perf_counter()
        say(f"running {exp.id} ...")
        checks: dict = {}
        ds, summary = run_and_write(exp, out, checks=checks)
        results.append((exp, ds, summary))
        say(f"{exp.id} done ({time.perf_counter() - t0:.1f} s)")
        if checks.get(exp.id):
            say(f"{exp.id}.png: texts below {MIN_FONT_PX:g} px: {checks[exp.id]}")
    return write_report(results, out, front=front_page)
