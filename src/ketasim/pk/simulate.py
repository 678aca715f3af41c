"""`simulate`: dose schedule + model + patients -> concentrations (xarray Dataset).

State vector per patient (amounts in mg, effect sites as concentrations in mg/L):
``[A1, A2?, A3?, Ce, M1?, M2?, Me?, depot_1, ...]``. The effect site follows
``dCe/dt = ke0 (A1/V1 - Ce)``; the metabolite is formed from the parent's elimination
flux ``fm * CL * A1/V1`` (times the molar-mass ratio); each absorption route has its own
depot, ``d depot/dt = -ka depot``, into which ``F x dose`` is placed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import xarray as xr

from ketasim.core.errors import InputError, UnknownNameError
from ketasim.core.provenance import stamp, summarise_array
from ketasim.core.units import as_float
from ketasim.core.validation import (
    Instance,
    Interval,
    NoneOK,
    check_finite,
    check_work,
    validate_params,
)
from ketasim.pk.binding import molar_mass
from ketasim.pk.dosing import CLI, MAX_POINTS, PYTHON, Dialect, Schedule, parse_times
from ketasim.pk.models import resolve_model
from ketasim.pk.models.base import Covariates, Metabolite, ModelSpec
from ketasim.pk.population import _streams, apply_iiv
from ketasim.pk.routes import ROUTE_ALIASES, ROUTES, Route, get_route
from ketasim.pk.solver import solve_linear


@dataclass(frozen=True)
class System:
    """Batched linear system: matrices and where things are in the state vector."""

    A: np.ndarray  # (N, n, n)
    b: np.ndarray  # (N, n): unit zero-order rate into the central compartment
    C: np.ndarray  # (N, n_out, n): ng/mL outputs
    outputs: tuple[str, ...]
    depot: dict[str, int]  # route name -> state index
    n_parent: int  # number of parent disposition compartments

    @property
    def n(self) -> int:
        return self.A.shape[1]


def build_system(p: dict[str, np.ndarray], *, species: str, metabolite: Metabolite | None,
                 routes: tuple[Route, ...] = ()) -> System:
    """Assemble A, b, C from volumes (L), clearances (L/min), ke0 (1/min).

    Keys: V1, CL, [V2, Q2], [V3, Q3], [ke0], and for a metabolite M_V1, M_CL, [M_V2, M_Q2],
    [M_ke0].
    """
    N = len(p["V1"])
    parent = ["A1"] + (["A2"] if "Q2" in p else []) + (["A3"] if "Q3" in p else [])
    names = list(parent)
    has_ce = "ke0" in p and np.all(p["ke0"] > 0)
    if has_ce:
        names.append("Ce")
    mnames = []
    if metabolite is not None:
        mnames = ["M1"] + (["M2"] if "M_Q2" in p else [])
        if "M_ke0" in p:
            mnames.append("Me")
        names += mnames
    for r in routes:
        names.append(f"D_{r.name}")
    ix = {k: i for i, k in enumerate(names)}
    n = len(names)
    A = np.zeros((N, n, n))
    v1 = p["V1"]
    k10 = p["CL"] / v1
    A[:, 0, 0] -= k10
    for c, q, v in (("A2", "Q2", "V2"), ("A3", "Q3", "V3")):
        if c in ix:
            j = ix[c]
            A[:, 0, 0] -= p[q] / v1
            A[:, j, 0] += p[q] / v1
            A[:, j, j] -= p[q] / p[v]
            A[:, 0, j] += p[q] / p[v]
    if has_ce:
        j = ix["Ce"]
        A[:, j, 0] = p["ke0"] / v1
        A[:, j, j] = -p["ke0"]
    if metabolite is not None:
        m = ix["M1"]
        A[:, m, 0] += metabolite.fm * metabolite.mass_ratio * k10
        mv1 = p["M_V1"]
        A[:, m, m] -= p["M_CL"] / mv1
        if "M2" in ix:
            j = ix["M2"]
            A[:, m, m] -= p["M_Q2"] / mv1
            A[:, j, m] += p["M_Q2"] / mv1
            A[:, j, j] -= p["M_Q2"] / p["M_V2"]
            A[:, m, j] += p["M_Q2"] / p["M_V2"]
        if "Me" in ix:
            j = ix["Me"]
            A[:, j, m] = p["M_ke0"] / mv1
            A[:, j, j] = -p["M_ke0"]
    depot = {}
    for r in routes:
        j = ix[f"D_{r.name}"]
        A[:, j, j] = -r.ka
        A[:, 0, j] = r.ka
        depot[r.name] = j
    b = np.zeros((N, n))
    b[:, 0] = 1.0
    sp = species.replace("-", "_")
    outs, rows = [f"{sp}_plasma"], [(0, 1000.0 / v1)]  # mg/L -> ng/mL
    if has_ce:
        outs.append(f"{sp}_effect")
        rows.append((ix["Ce"], np.full(N, 1000.0)))
    if metabolite is not None:
        msp = metabolite.drug.replace("-", "_")
        outs.append(f"{msp}_plasma")
        rows.append((ix["M1"], 1000.0 / p["M_V1"]))
        if "Me" in ix:
            outs.append(f"{msp}_effect")
            rows.append((ix["Me"], np.full(N, 1000.0)))
    C = np.zeros((N, len(outs), n))
    for o, (j, scale) in enumerate(rows):
        C[:, o, j] = scale
    return System(A, b, C, tuple(outs), depot, len(parent))


_PATIENT_KEYS = ("weight_kg", "age_yr", "height_cm", "sex")
_SCHEDULE_KEYS = ("bolus", "infusion", "route")
_ROUTE_PARAM_KEYS = ("F", "ka")
_DTYPES = ("float64", "float32")


def _as_covariates(patients) -> Covariates:
    if isinstance(patients, Covariates):
        return patients
    if isinstance(patients, dict):
        for k in patients:
            if k not in _PATIENT_KEYS:
                raise UnknownNameError(f"patients[{k!r}]", k, f"one of {list(_PATIENT_KEYS)}")
        return Covariates.from_arrays(**patients)
    raise InputError("patients", type(patients).__name__,
                     "a Covariates object (e.g. virtual_patients(n)) or a dict with keys "
                     f"{list(_PATIENT_KEYS)}")


def _as_schedule(schedule, dialect: Dialect) -> Schedule:
    if isinstance(schedule, Schedule):
        return schedule
    if isinstance(schedule, dict):
        for k in schedule:
            if k not in _SCHEDULE_KEYS:
                raise UnknownNameError(f"schedule[{k!r}]", k, f"one of {list(_SCHEDULE_KEYS)}")
        return Schedule.parse(schedule.get("bolus", ()), schedule.get("infusion", ()),
                              schedule.get("route", "iv"), dialect=dialect)
    raise InputError("schedule", schedule if schedule is None or isinstance(schedule, str)
                     else type(schedule).__name__,
                     "a Schedule or {'bolus': [...], 'infusion': [...], 'route': 'iv'}")


def _route_params(route_params, drug: str) -> dict[str, dict]:
    if route_params is None:
        return {}
    if not isinstance(route_params, dict):
        raise InputError("route_params", type(route_params).__name__,
                         "a dict such as {'oral': {'F': 0.1, 'ka': 0.05}}")
    out = {}
    for name, over in route_params.items():
        key = ROUTE_ALIASES.get(str(name).strip().lower(), str(name).strip().lower())
        try:
            r = get_route(drug, key) if key in ROUTES else None
        except InputError:
            r = None
        if r is None or not r.absorbed:
            allowed = [k for k in ROUTES if k != "iv"] if drug in ("ketamine", "s-ketamine") \
                else []
            raise UnknownNameError("route_params", name,
                                   f"an absorbed route of {drug}: one of {allowed}")
        if not isinstance(over, dict):
            raise InputError(f"route_params[{name!r}]", type(over).__name__,
                             f"a dict with keys {list(_ROUTE_PARAM_KEYS)}")
        for k in over:
            if k not in _ROUTE_PARAM_KEYS:
                raise UnknownNameError(f"route_params[{name!r}]", k,
                                       f"one of {list(_ROUTE_PARAM_KEYS)}")
        out[key] = r.with_(**over, field=f"route_params[{name!r}]")
    return out


def _model_record(spec: ModelSpec, params: dict[str, np.ndarray]) -> dict:
    """The model and the parameters each patient ran with, for provenance."""
    return {
        "key": spec.key, "title": spec.title, "citation": spec.citation,
        "validity": {k: list(v) for k, v in spec.validity.items()},
        "omega": dict(spec.omega),
        "omega_corr": {f"{a},{b}": r for (a, b), r in spec.omega_corr.items()},
        "metabolite": None if spec.metabolite is None else asdict(spec.metabolite),
        "parameters": {k: summarise_array(v, 20) for k, v in sorted(params.items())},
    }



def absorption_routes(drug: str, schedule: Schedule, overrides: dict | None = None
                      ) -> dict[str, Route]:
    """The absorbing routes (IM, oral, ...) a schedule's boluses use, by name, with
    ``overrides`` (name -> Route) in place of the published ones."""
    routes: dict[str, Route] = {}
    for b in schedule.boluses:
        r = get_route(drug, b.route)
        if r.absorbed and r.name not in routes:
            routes[r.name] = (overrides or {}).get(r.name, r)
    return routes


def dose_events(schedule: Schedule, routes: dict[str, Route], sysm, weight_kg,
                t_end: float) -> tuple[list, list]:
    """(boluses, infusions) as the exact solver takes them: ``(time, compartment, mg)`` and
    ``(start, end, mg/min)`` per patient (``weight_kg`` an array); short IV boluses given
    ``over`` minutes become infusions, absorbed doses go to their depot times F."""
    bol, inf = [], []
    for b in schedule.boluses:
        amt = b.amount(weight_kg)
        if b.over > 0:
            inf.append((b.time, b.time + b.over, amt / b.over))
        elif b.route in routes:
            r = routes[b.route]
            bol.append((b.time, sysm.depot[r.name], r.F * amt))
        else:
            bol.append((b.time, 0, amt))
    for i in schedule.infusions:
        end = t_end if i.duration is None else i.start + i.duration
        if end > i.start:
            inf.append((i.start, end, i.rate_mg_min(weight_kg)))
    return bol, inf


@validate_params({
    "drug": Instance(str),
    "model": (Instance(str, ModelSpec), NoneOK()),
    "iiv": Instance(bool),
    "seed": Interval(0, 2**63 - 1, integer=True),
    "molar": Instance(bool),
    "check_validity": Instance(bool),
    "max_points": Interval(1, None, integer=True),
})

def simulate(drug: str, model: str | ModelSpec | None = None,
             schedule: Schedule | dict | None = None,
             patients: Covariates | dict | None = None, times="0:60:1 min", *,
             ke0=None, iiv: bool = False, seed: int = 0,
             route_params: dict[str, dict] | None = None, molar: bool = True,
             check_validity: bool = True, dtype="float64",
             max_points: int = MAX_POINTS, _dialect: Dialect = PYTHON) -> xr.Dataset:
    """Plasma and effect-site concentrations for a batch of patients, exactly.

    Parameters
    ----------
    drug, model : e.g. ``"ketamine", "domino"`` (see `ketasim.pk.list_models`); ``model``
        may also be a `ModelSpec` (e.g. a published model with an added metabolite).
    schedule : a `Schedule` or ``{"bolus": [...], "infusion": [...], "route": "iv"}`` with
        dose strings (``"0.5 mg/kg at 30 min"``) or pint quantities.
    patients : `Covariates` (N patients, e.g. `virtual_patients`) or a dict with keys
        ``weight_kg``, ``age_yr``, ``height_cm``, ``sex`` (scalars, arrays or quantities
        such as ``"70 kg"``); default one 70 kg, 40 y, 170 cm man.
    times : output times in min (array), a string such as ``"1,5,10 min"`` or
        ``"0:24:0.5 h"``, or a pint Quantity.
    ke0 : override the model's ke0 for every patient (1/min, or e.g. ``"0.3 1/min"``).
    iiv : draw log-normal inter-individual variability from ``seed``.
    seed : non-negative integer; all randomness flows from it (default 0).
    route_params : per-route overrides, e.g. ``{"oral": {"F": 0.1, "ka": 0.05}}``.
    molar : also return umol/L variables (``<species>_plasma_uM``, ``<species>_effect_uM``).
    check_validity : raise `ValidityRangeError` outside the model's studied covariates.
    dtype : ``"float64"`` (default) or ``"float32"`` for the outputs.
    max_points : cap on patients x output times (default 10^6); raise it for larger runs.

    Returns
    -------
    xarray.Dataset with dims (patient, time) and ``time`` in min; variables
    ``<species>_plasma_ng_mL`` and ``<species>_effect_ng_mL``, ``<species>_plasma_uM`` and
    ``<species>_effect_uM`` (umol/L), metabolite variables where the model has one;
    covariates (``weight_kg``, ``age_yr``, ``height_cm``, ``sex``) as patient coordinates;
    provenance attributes and citations.

    Examples
    --------
    >>> ds = simulate("ketamine", "domino", {"bolus": ["2 mg/kg"]}, times=[1, 5])
    >>> round(float(ds["ketamine_plasma_ng_mL"].isel(patient=0, time=0)), 0) > 1000
    True
    """
    dialect = _dialect
    d, spec = resolve_model(drug, model)
    cov = _as_covariates(patients if patients is not None else {})
    if schedule is None:
        raise InputError("schedule", None, "a Schedule or {'bolus': [...], 'infusion': [...]}")
    schedule = _as_schedule(schedule, dialect)
    try:
        dt_name = np.dtype(dtype).name
    except TypeError:
        dt_name = str(dtype)
    if dt_name not in _DTYPES:
        raise InputError("dtype", dt_name, f"one of {list(_DTYPES)} (integer types would "
                         "truncate concentrations)")
    t = parse_times(times, field=dialect.times, max_points=max_points)
    check_work("patients x output times", cov.n * len(t), max_points,
               "pass --max-points to go past it" if dialect is CLI
               else "pass max_points=... to go past it")
    schedule.check(d, cov.weight_kg, dialect)
    params = spec.parameters(cov, check=check_validity)
    ke0_v = None
    if ke0 is not None:
        ke0_v = as_float(ke0, "ke0", "1/min", allowed="a rate constant in 1/min in (0, 1000)")
        if not 0 < ke0_v < 1000:
            raise InputError("ke0", ke0, "a rate constant in 1/min in (0, 1000)")
        params["ke0"] = np.full(cov.n, ke0_v)
    if iiv:
        _, rng, _ = _streams(seed)
        params = apply_iiv(spec, params, rng=rng)
    overrides = _route_params(route_params, d)
    routes = absorption_routes(d, schedule, overrides)
    sysm = build_system(params, species=d, metabolite=spec.metabolite,
                        routes=tuple(routes.values()))
    bol, inf = dose_events(schedule, routes, sysm, cov.weight_kg, float(t.max()))
    y = solve_linear(sysm.A, sysm.b, sysm.C, t, bol, inf, dtype=np.dtype(dt_name))
    ds = xr.Dataset(coords={
        "patient": np.arange(cov.n), "time": ("time", t, {"units": "min"}),
        "weight_kg": ("patient", cov.weight_kg, {"units": "kg"}),
        "age_yr": ("patient", cov.age_yr, {"units": "year"}),
        "height_cm": ("patient", cov.height_cm, {"units": "cm"}),
        "sex": ("patient", cov.sex, {"units": "1", "description": "0 male, 1 female"})})
    for o, name in enumerate(sysm.outputs):
        sp = name.rsplit("_", 1)[0]
        check_finite(f"{name}_ng_mL", y[:, o, :])
        ds[f"{name}_ng_mL"] = (("patient", "time"), y[:, o, :],
                               {"units": "ng/mL", "long_name": name.replace("_", " ")})
        if molar:
            ds[f"{name}_uM"] = (("patient", "time"), y[:, o, :] / molar_mass(sp),
                                {"units": "umol/L", "molar_mass_g_per_mol": molar_mass(sp)})
    ds.attrs.update(drug=d, pk_model=spec.key, route=",".join(sorted(
        {b.route for b in schedule.boluses} | ({"iv"} if schedule.infusions else set()))))
    cites = list(spec.citations)
    for r in routes.values():
        if r.citation:
            cites.append(r.citation)
    return stamp(ds, model=f"pk:{spec.key}", citations=cites, params={
        "drug": d, "model": _model_record(spec, params),
        "schedule": schedule.normalised(),
        "routes": {k: {"F": r.F, "ka_per_min": r.ka} for k, r in sorted(routes.items())},
        "patients": {"n": cov.n, **{k: summarise_array(v, 20)
                                    for k, v in cov.as_dict().items()}},
        "times_min": summarise_array(t, 200),
        "ke0_per_min": ke0_v, "iiv": iiv, "seed": seed, "molar": molar,
        "check_validity": check_validity, "dtype": dt_name}, seed=seed)
