"""Figures and the HTML report: `build_demo` (``ketasim demo``), `run_and_write` (one
experiment's files), `write_report` (the page); the front page's story is
`ketasim.report.front`, the seed's claims `ketasim.report.claims`."""

from ketasim.report.html import (
    build_demo,
    check_story,
    jsonable,
    readable,
    run_and_write,
    small_fonts,
    write_report,
)

__all__ = ["build_demo", "check_story", "jsonable", "readable", "run_and_write",
           "small_fonts", "write_report"]
