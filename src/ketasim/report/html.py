"""Run experiments, save their figures and write a self-contained HTML report."""

from __future__ import annotations

import html
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ketasim.core.citations import cite  # noqa: E402
from ketasim.core.provenance import ketasim_version  # noqa: E402
from ketasim.experiments.registry import Experiment  # noqa: E402


def run_and_write(exp: Experiment, out: Path, params: dict | None = None):
    """Run one experiment, save ``<id>.png``, ``<id>.nc`` and return (dataset, summary)."""
    out.mkdir(parents=True, exist_ok=True)
    ds = exp.run(**(params or {}))
    fig = exp.figure(ds)
    fig.savefig(out / f"{exp.id}.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    summary = exp.summary(ds)
    (out / f"{exp.id}.json").write_text(json.dumps(summary, indent=2, default=float))
    return ds, summary


def _fmt(v, depth: int = 0) -> str:
    """A summary value as HTML: one line per top-level key, nested values inline."""
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        items = [f"{html.escape(str(k))}: {_fmt(x, depth + 1)}" for k, x in v.items()]
        return "<br>".join(items) if depth == 0 else "{" + ", ".join(items) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_fmt(x, depth + 1) for x in v) + "]"
    return html.escape(str(v))


def write_report(results: list[tuple[Experiment, object, dict]], out: Path) -> Path:
    """Write ``index.html`` in ``out`` for (experiment, dataset, summary) triples."""
    sections, refs = [], []
    for exp, ds, summary in results:
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{_fmt(v)}</td></tr>"
                       for k, v in summary.items())
        doc = html.escape(exp.doc.split("\n\n")[0])
        sections.append(
            f'<section id="{exp.id}"><h2>{exp.claim} &middot; {html.escape(exp.title)}</h2>'
            f"<p><code>{exp.id}</code>: {doc}</p>"
            f'<img src="{exp.id}.png" alt="{exp.id}" style="max-width:100%">'
            f"<table>{rows}</table></section>")
        for r in cite(ds):
            if r not in refs:
                refs.append(r)
    toc = "".join(f'<li><a href="#{e.id}">{e.claim}: {html.escape(e.title)}</a></li>'
                  for e, _, _ in results)
    ref_html = "".join(f"<li>{html.escape(r)}</li>" for r in refs)
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>ketasim demo report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left}}
section{{margin-bottom:2em}}</style></head><body>
<h1>ketasim {ketasim_version()}: demo report</h1>
<p>Canonical experiments of the seed's claims, each run on its embedded defaults.
Re-run any of them with <code>ketasim experiment run ID</code>.</p>
<ul>{toc}</ul>{''.join(sections)}<h2>References</h2><ol>{ref_html}</ol></body></html>"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
