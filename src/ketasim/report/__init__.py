"""Figures and the HTML report."""

from ketasim.report.html import jsonable, run_and_write, write_report

__all__ = ["jsonable", "run_and_write", "write_report"]
