"""Figures and the HTML report."""

from ketasim.report.html import run_and_write, write_report

__all__ = ["run_and_write", "write_report"]
