"""`simulate`: dose schedule + model + patients -> concentrations (xarray Dataset).

State vector per patient (amounts in mg, effect sites as concentrations in mg/L):
``[A1, A2?, A3?, Ce, M1?, M2?, Me?, depot_1, ...]``. The effect site follows
``dCe/dt = ke0 (A1/V1 - Ce)``; the metabolite is formed from the parent's elimination
flux ``fm * CL * A1/V1`` (times the molar-mass ratio); each absorption route has its own
depot, ``d depot/dt = -ka depot``, into which ``F x dose`` is placed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.pk.binding import molar_mass
from ketasim.pk.dosing import Schedule, parse_times
from ketasim.pk.models import get_model, normalise_drug
from ketasim.pk.models.base import Covariates, Metabolite, ModelSpec
from ketasim.pk.population import _streams, apply_iiv
from ketasim.pk.routes import Route, get_route
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


def _as_covariates(patients) -> Covariates:
    if isinstance(patients, Covariates):
        return patients
    if isinstance(patients, dict):
        return Covariates.from_arrays(patients.get("weight", 70), patients.get("age", 40),
                                      patients.get("height", 170),
                                      patients.get("sex", "male"))
    raise InputError("patients", type(patients).__name__,
                     "a Covariates object or a dict with weight, age, height, sex")


def simulate(drug: str, model: str | ModelSpec | None = None,
             schedule: Schedule | dict | None = None,
             patients: Covariates | dict | None = None, times="0:60:1 min", *,
             ke0: float | None = None, iiv: bool = False, seed: int | None = None,
             route_params: dict[str, dict] | None = None, molar: bool = True,
             check_validity: bool = True, dtype=np.float64) -> xr.Dataset:
    """Plasma and effect-site concentrations for a batch of patients, exactly.

    Parameters
    ----------
    drug, model : e.g. ``"ketamine", "domino"`` (see `ketasim.pk.list_models`); ``model``
        may also be a `ModelSpec` (e.g. a published model with an added metabolite).
    schedule : a `Schedule` or ``{"bolus": [...], "infusion": [...], "route": "iv"}``.
    patients : `Covariates` (N patients) or a dict of scalars/arrays (weight kg, age y,
        height cm, sex); default one 70 kg, 40 y, 170 cm man.
    times : output times in min (array) or a string such as ``"1,5,10 min"``.
    ke0 : override the model's ke0 (1/min) for every patient.
    iiv : draw log-normal inter-individual variability from ``seed``.
    route_params : per-route overrides, e.g. ``{"oral": {"F": 0.1, "ka": 0.05}}``.
    molar : also return umol/L variables (``<name>_uM``).
    check_validity : raise `ValidityRangeError` outside the model's studied covariates.

    Returns
    -------
    xarray.Dataset with dims (patient, time); variables ``<species>_plasma`` and
    ``<species>_effect`` (ng/mL), ``..._uM`` (umol/L), metabolite variables where the model
    has one; covariates as patient coordinates; provenance attributes and citations.

    Examples
    --------
    >>> ds = simulate("ketamine", "domino", {"bolus": ["2 mg/kg"]}, times=[1, 5])
    >>> round(float(ds["ketamine_plasma"].isel(patient=0, time=0)), 0) > 1000
    True
    """
    d = normalise_drug(drug)
    spec: ModelSpec = model if isinstance(model, ModelSpec) else get_model(d, model)
    cov = _as_covariates(patients if patients is not None else {})
    if schedule is None:
        raise InputError("schedule", None, "a Schedule or {'bolus': [...], 'infusion': [...]}")
    if isinstance(schedule, dict):
        schedule = Schedule.parse(schedule.get("bolus", ()), schedule.get("infusion", ()),
                                  schedule.get("route", "iv"))
    t = parse_times(times)
    schedule.check(d, cov.weight)
    params = spec.parameters(cov, check=check_validity)
    if ke0 is not None:
        if not np.isfinite(ke0) or ke0 <= 0:
            raise InputError("ke0", ke0, "a positive rate constant in 1/min")
        params["ke0"] = np.full(cov.n, float(ke0))
    if iiv:
        _, rng, _ = _streams(seed)
        params = apply_iiv(spec, params, rng=rng)
    routes: dict[str, Route] = {}
    for b in schedule.boluses:
        r = get_route(d, b.route)
        if r.absorbed and r.name not in routes:
            over = (route_params or {}).get(r.name, {})
            routes[r.name] = r.with_(**over)
    sysm = build_system(params, species=d, metabolite=spec.metabolite,
                        routes=tuple(routes.values()))
    t_end = float(t.max())
    bol, inf = [], []
    for b in schedule.boluses:
        amt = b.amount(cov.weight)
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
            inf.append((i.start, end, i.rate_mg_min(cov.weight)))
    y = solve_linear(sysm.A, sysm.b, sysm.C, t, bol, inf, dtype=dtype)
    ds = xr.Dataset(coords={
        "patient": np.arange(cov.n), "time": ("time", t, {"units": "min"}),
        "weight": ("patient", cov.weight, {"units": "kg"}),
        "age": ("patient", cov.age, {"units": "years"}),
        "height": ("patient", cov.height, {"units": "cm"}),
        "sex": ("patient", cov.sex, {"units": "1", "description": "0 male, 1 female"})})
    for o, name in enumerate(sysm.outputs):
        sp = name.rsplit("_", 1)[0]
        ds[name] = (("patient", "time"), y[:, o, :],
                    {"units": "ng/mL", "long_name": name.replace("_", " ")})
        if molar:
            ds[name + "_uM"] = (("patient", "time"), y[:, o, :] / molar_mass(sp),
                                {"units": "umol/L", "molar_mass_g_per_mol": molar_mass(sp)})
    ds.attrs.update(drug=d, pk_model=spec.key, route=",".join(sorted(
        {b.route for b in schedule.boluses} | ({"iv"} if schedule.infusions else set()))))
    cites = list(spec.citations)
    for r in routes.values():
        if r.citation:
            cites.append(r.citation)
    return stamp(ds, model=f"pk:{spec.key}", citations=cites, params={
        "bolus": [b.text or repr(b) for b in schedule.boluses],
        "infusion": [i.text or repr(i) for i in schedule.infusions],
        "ke0": ke0, "iiv": iiv, "n": cov.n, "route_params": route_params}, seed=seed)
