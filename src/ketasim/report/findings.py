"""The README's "Status and known limitations", read at build time for the demo report.

One source of truth: the section is written once, in ``README.md``, and the report renders
it. The README is read from the source tree (an editable install, `make demo`) or, when
the package is installed from a wheel, from the package metadata (``readme = "README.md"``
makes it the long description).

Examples
--------
>>> text = "# x\\n\\n## Status and known limitations\\n\\nDone: `pk`.\\n\\nNot yet.\\n\\n## Next\\n"
>>> readme_section(text)
['Done: `pk`.', 'Not yet.']
>>> markdown_inline("Done: `pk` & more")
'Done: <code>pk</code> &amp; more'
"""

from __future__ import annotations

import html
import re
from pathlib import Path

__all__ = ["SECTION", "readme_text", "readme_section", "markdown_inline", "findings_html"]

#: Heading (level 2) of the README section the report renders.
SECTION = "Status and known limitations"


def readme_text() -> str:
    """The README: from the source tree if there is one, else from the package metadata."""
    path = Path(__file__).resolve().parents[3] / "README.md"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    try:
        from importlib.metadata import metadata

        return metadata("ketasim").get("Description", "") or ""
    except Exception:  # noqa: BLE001 - no metadata: the report says the section is missing
        return ""


def readme_section(text: str, heading: str = SECTION) -> list[str]:
    """Paragraphs (blank-line separated, lines joined) of the level-2 section ``heading``."""
    lines = text.splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        if line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip() == heading
            continue
        if inside:
            out.append(line)
    paras = [" ".join(p.split()) for p in "\n".join(out).split("\n\n")]
    return [p for p in paras if p]


def markdown_inline(text: str) -> str:
    """``text`` as HTML: escaped, with `code` spans and **bold** (the README's inline marks)."""
    s = html.escape(text, quote=False)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", s)


def findings_html(text: str | None = None) -> str:
    """The section as HTML paragraphs (a sentence saying so if the README lacks it)."""
    paras = readme_section(readme_text() if text is None else text)
    if not paras:
        return f"<p>(The README's section &ldquo;{SECTION}&rdquo; was not found.)</p>"
    return "".join(f"<p>{markdown_inline(p)}</p>" for p in paras)
