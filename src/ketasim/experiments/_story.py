"""Small helpers for the experiments' ``story`` functions (the demo report's words).

Examples
--------
>>> span([0.5, 2.25, 1.0], "{:.2f}", "uM")
'0.50-2.25 uM'
>>> pct(0.1234)
'12.3 %'
"""

from __future__ import annotations

__all__ = ["span", "pct", "g"]


def g(x, digits: int = 3) -> str:
    """``x`` with ``digits`` significant digits."""
    return f"{x:.{digits}g}"


def pct(fraction, digits: int = 1) -> str:
    """A fraction as a percentage text."""
    return f"{100 * fraction:.{digits}f} %"


def span(values, fmt: str = "{:.3g}", unit: str = "") -> str:
    """'lo-hi unit' of ``values`` (one value if they are all equal)."""
    lo, hi = min(values), max(values)
    text = fmt.format(lo) if lo == hi else f"{fmt.format(lo)}-{fmt.format(hi)}"
    return f"{text} {unit}".strip()
