"""Run experiments, save their figures and write a self-contained HTML report.

Figures are written as they come from the experiments' ``figure`` functions; this module
does not touch matplotlib's global backend.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import numpy as np

from ketasim.core.citations import cite
from ketasim.core.provenance import ketasim_version
from ketasim.experiments.registry import Experiment


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


def run_and_write(exp: Experiment, out: Path, params: dict | None = None):
    """Run one experiment and write ``<id>.png`` (figure), ``<id>.json`` (summary) and
    ``<id>.provenance.json`` (the result's stamp: version, params, params_hash,
    citations) in ``out`` (created if missing); return (dataset, summary).

    ``ketasim cite --result OUT/<id>.json`` lists the references of the saved result.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ds = exp.run(**(params or {}))
    fig = exp.figure(ds)
    fig.savefig(out / f"{exp.id}.png", dpi=110, bbox_inches="tight")
    _close(fig)
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
