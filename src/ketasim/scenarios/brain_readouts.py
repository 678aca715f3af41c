"""Brain readouts of a scenario: cortical state every minute, emergence risk, perceived pain.

Called by `ketasim.scenarios.runner.simulate`; the logic lives here so the runner's hunks
stay small. The chain:

1. **Levels**: the FREE effect-site concentrations (uM) of ketamine (S-ketamine counted as
   ketamine, as in the runner), propofol, thiopental (the runner's receptor levels) and
   midazolam (effect-site total x its free fraction, `ketasim.pk.free_concentration_umol`),
   on the runner's 1-min PK grid.
2. **Cortical state** every minute: the reduced map `ketasim.brain.maps.cortical_state`
   (evaluated once on the distinct levels, rounded to 3 significant digits; levels beyond
   the map's range brought to its edge, share in ``brain_clipped_fraction``): ``responsiveness``,
   ``integration``, ``dissociation``, ``psychotomimetic``; ``integration_rel`` = integration
   over the drug-free map value.
3. **Emergence** (`ketasim.brain.emergence.emergence`) on the 1-min trajectory, "wearing
   off" = free ketamine falling; ``emergence_risk`` is the cumulative risk index at each
   time. Totals go to attributes (``emergence_window_min``, ``emergence_exposure_min``,
   ``emergence_risk_total``, ``emergence_window_start_h``, ``emergence_window_end_h``).
4. **Perceived pain** of each stimulus test (`ketasim.brain.perception.perceived_pain`):
   the test's spinal NRS read through the cortical state at the test time; NaN (no report)
   when the cortex is unresponsive.

All time courses are then sampled on the report grid (linear interpolation; the booleans
are not reported).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr

from ketasim.core.validation import check_finite

#: Free levels the cortical map takes (its keyword arguments).
BRAIN_DRUGS = ("ketamine_uM", "propofol_uM", "thiopental_uM", "midazolam_uM")
#: Time-course variables added to the scenario Dataset.
BRAIN_VARIABLES = ("responsiveness", "integration", "dissociation", "psychotomimetic",
                   "emergence_risk")
_STATE_VARS = ("responsiveness", "integration", "dissociation", "psychotomimetic")
_LONG = {"responsiveness": "cortical responsiveness to a sensory input (0-1, awake 1)",
         "integration": "cortical integration (mean inter-regional wPLI)",
         "dissociation": "dissociation (awake-like activity, broken integration; 0-1)",
         "psychotomimetic": "psychotomimetic intensity (0-1, graded)",
         "emergence_risk": "cumulative emergence-risk index (0-1; not a probability)",
         "midazolam_uM": "free midazolam at the receptor"}

StateFn = Callable[..., xr.Dataset]


def _default_state_fn() -> StateFn:
    from ketasim.brain.maps import cortical_state

    return cortical_state


def brain_levels(conc: dict, free: dict, n: int) -> dict[str, np.ndarray]:
    """The four free levels (uM) on the PK grid from the runner's ``conc`` (species ->
    (plasma, effect) ng/mL) and ``free`` (receptor field -> uM).

    Examples
    --------
    >>> lv = brain_levels({"midazolam": (np.ones(2), np.full(2, 325.78))}, {}, 2)
    >>> round(float(lv["midazolam_uM"][0]), 4)   # 325.78 ng/mL x fu 0.03 / 325.78 g/mol
    0.03
    """
    from ketasim.pk import free_concentration_umol

    out = {f: np.asarray(free.get(f, np.zeros(n)), float) for f in BRAIN_DRUGS[:3]}
    mdz = np.zeros(n)
    if "midazolam" in conc:
        plasma, eff = conc["midazolam"]
        own = plasma if eff is None else eff
        mdz = np.asarray(free_concentration_umol(np.maximum(own, 0.0), "midazolam"), float)
    out["midazolam_uM"] = mdz
    return out


def _round3(x) -> np.ndarray:
    """Levels rounded to 3 significant digits (0 below 1e-6 uM): the map is evaluated on the
    distinct rounded levels (a relative error <= 0.05 %, far below the map's noise)."""
    x = np.maximum(np.asarray(x, float), 0.0)
    out = np.zeros_like(x)
    nz = x >= 1e-6
    e = np.floor(np.log10(x[nz]))
    out[nz] = np.round(x[nz] / 10.0 ** (e - 2)) * 10.0 ** (e - 2)
    return out


def clip_to_map(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows (ketamine, propofol, thiopental, midazolam uM) brought inside the map's range:
    ketamine clipped to the top of its axis, and the GABA-A drugs of a row whose network
    load exceeds the map's top scaled down together (bisection) to that top. Beyond those
    edges the cortex is already at the map's deepest state (unresponsive), so the edge
    stands for it. Returns (rows, clipped mask).

    Examples
    --------
    >>> r, c = clip_to_map(np.array([[100.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]))
    >>> r[:, 0].tolist(), c.tolist()
    ([50.0, 1.0], [True, False])
    """
    from ketasim.brain.maps import GABAA_GRID, KETAMINE_GRID_UM
    from ketasim.brain.network import gabaa_effect
    from ketasim.brain.params import DEFAULT

    rows = np.array(rows, float)
    top_k, top_m = KETAMINE_GRID_UM[-1], GABAA_GRID[-1] * (1 - 1e-9)
    clipped = rows[:, 0] > top_k
    rows[:, 0] = np.minimum(rows[:, 0], top_k)

    def load(r, f):
        return gabaa_effect(DEFAULT, f * r[1], f * r[2], f * r[3], r[0])[0]

    for i, r in enumerate(rows):
        if r[1:].any() and load(r, 1.0) > top_m:
            lo, hi = 0.0, 1.0
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if load(r, mid) <= top_m else (lo, mid)
            rows[i, 1:] *= lo
            clipped[i] = True
    return rows, clipped


def cortical_course(levels: dict[str, np.ndarray], state_fn: StateFn | None = None
                    ) -> dict[str, np.ndarray]:
    """Cortical state at each point of ``levels`` (arrays of one length): the map evaluated
    once on the distinct levels (rounded to 3 significant digits) and mapped back; adds
    ``integration_rel`` (over the drug-free map value). With the default map, levels
    beyond its range are brought to its edge (`clip_to_map`); ``clipped`` (bool per point)
    says where.

    Examples
    --------
    >>> def fake(ketamine_uM, propofol_uM, thiopental_uM, midazolam_uM):
    ...     k = np.asarray(ketamine_uM)
    ...     return xr.Dataset({v: ("condition", 1 / (1 + k)) for v in _STATE_VARS})
    >>> c = cortical_course({f: np.array([0.0, 1.0, 1.0]) for f in BRAIN_DRUGS}, fake)
    >>> c["responsiveness"].tolist(), c["integration_rel"].tolist()
    ([1.0, 0.5, 0.5], [1.0, 0.5, 0.5])
    """
    fn = state_fn or _default_state_fn()
    cols = np.stack([_round3(levels[f]) for f in BRAIN_DRUGS], axis=1)
    uniq, inv = np.unique(cols, axis=0, return_inverse=True)
    clipped = np.zeros(len(uniq), bool)
    if state_fn is None:
        uniq, clipped = clip_to_map(uniq)
    uniq = np.vstack([np.zeros((1, len(BRAIN_DRUGS))), uniq])   # row 0: drug-free
    st = fn(**{f: uniq[:, j] for j, f in enumerate(BRAIN_DRUGS)})
    out = {"clipped": clipped[inv.ravel()]}
    for v in _STATE_VARS:
        vals = np.asarray(st[v].values, float).ravel()
        out[v] = vals[1:][inv.ravel()]
        check_finite(v, out[v])
    awake = float(np.asarray(st["integration"].values, float).ravel()[0])
    out["integration_rel"] = out["integration"] / awake if awake > 0 else \
        np.ones_like(out["integration"])
    return out


def brain_time_courses(levels: dict[str, np.ndarray], t_min: np.ndarray, t_rep_h: np.ndarray,
                       state_fn: StateFn | None = None):
    """Time courses on the report grid and the emergence totals.

    Parameters
    ----------
    levels : free levels (uM) on the PK grid ``t_min`` (`brain_levels`).
    t_min : the PK grid (min, 1-min steps in the runner).
    t_rep_h : the report grid (h).
    state_fn : the cortical map (default `ketasim.brain.maps.cortical_state`).

    Returns
    -------
    (data, attrs, course): ``data`` maps variable -> ("time", values, attrs) for the
    runner's Dataset (`BRAIN_VARIABLES` and ``midazolam_uM``), ``attrs`` the emergence
    totals, ``course`` the 1-min state (for `perception_of_tests`).

    Examples
    --------
    >>> def fake(ketamine_uM, propofol_uM, thiopental_uM, midazolam_uM):
    ...     k = np.asarray(ketamine_uM)
    ...     return xr.Dataset({"responsiveness": ("c", np.clip(2 - k, 0, 1)),
    ...                        "integration": ("c", np.clip(1 - k / 2, 0, 1)),
    ...                        "dissociation": ("c", np.clip(k / 2, 0, 1)),
    ...                        "psychotomimetic": ("c", np.clip(k / 2, 0, 1))})
    >>> t = np.arange(0.0, 121.0)
    >>> lv = {f: np.zeros_like(t) for f in BRAIN_DRUGS}
    >>> lv["ketamine_uM"] = 3.0 * np.exp(-t / 30)
    >>> data, attrs, _ = brain_time_courses(lv, t, t[::10] / 60, fake)
    >>> attrs["emergence_window_min"], round(attrs["emergence_risk_total"], 2)
    (12.0, 0.53)
    """
    from ketasim.brain.emergence import emergence

    course = cortical_course(levels, state_fn)
    st = xr.Dataset({**{v: ("time", course[v]) for v in (*_STATE_VARS, "integration_rel")},
                     "ketamine_uM": ("time", levels["ketamine_uM"])},
                    coords={"time": np.asarray(t_min, float)})
    em = emergence(st, concentration="ketamine_uM")
    course["emergence_risk"] = em["emergence_risk"].values
    t_h = np.asarray(t_min, float) / 60.0
    data = {}
    for v in BRAIN_VARIABLES:
        units = "1" if v != "integration" else "wPLI"
        data[v] = ("time", np.interp(t_rep_h, t_h, course[v]),
                   {"units": units, "long_name": _LONG[v]})
    data["midazolam_uM"] = ("time", np.interp(t_rep_h, t_h, levels["midazolam_uM"]),
                            {"units": "umol/L", "long_name": _LONG["midazolam_uM"]})

    def _h(x):
        x = float(x)
        return x / 60.0 if np.isfinite(x) else float("nan")

    attrs = {"brain_clipped_fraction": float(np.mean(course["clipped"])),
             "emergence_window_min": float(em.window_min),
             "emergence_exposure_min": float(em.exposure_min),
             "emergence_risk_total": float(em.risk),
             "emergence_window_start_h": _h(em.window_start_min),
             "emergence_window_end_h": _h(em.window_end_min),
             "emergence_definition": "responsiveness >= 0.5 and integration_rel < 0.5 while "
                                     "free ketamine falls; risk = 1 - exp(-exposure / 10 min) "
                                     "(ketasim.brain.emergence)"}
    return data, attrs, course


def perception_of_tests(test_nrs: np.ndarray, test_time_h: np.ndarray, course: dict,
                    t_min: np.ndarray):
    """Perceived NRS (NaN = no report) and the report flag of each stimulus test.

    Examples
    --------
    >>> course = {"responsiveness": np.array([1.0, 0.2]),
    ...           "dissociation": np.array([0.0, 0.0])}
    >>> p, r = perception_of_tests(np.array([6.0, 6.0]), np.array([0.0, 1 / 60]), course,
    ...                        np.array([0.0, 1.0]))
    >>> p.tolist(), r.tolist()
    ([6.0, nan], [True, False])
    """
    from ketasim.brain.perception import perceived_pain

    n = len(test_nrs)
    if n == 0:
        return np.zeros(0), np.zeros(0, bool)
    t_h = np.asarray(t_min, float) / 60.0
    resp = np.clip(np.interp(test_time_h, t_h, course["responsiveness"]), 0.0, 1.0)
    dis = np.clip(np.interp(test_time_h, t_h, course["dissociation"]), 0.0, 1.0)
    ds = perceived_pain(np.asarray(test_nrs, float), resp, dis)
    return ds.perceived_nrs.values, ds.reports.values
