"""Helpers shared by the spinal wind-up experiments (m08, m10, m01)."""

from __future__ import annotations

import numpy as np


def windup_metrics(resp: np.ndarray) -> dict:
    """First, last, ratio (last/first) and absolute wind-up sum_i (r_i - r_1) (cuellar2005)."""
    r = np.asarray(resp, float)
    r = r[np.isfinite(r)]
    first, last = float(r[0]), float(r[-1])
    return {"first": first, "last": last,
            "ratio": (last / first) if first > 0 else None,
            "absolute_windup": float(np.sum(r - r[0]))}
