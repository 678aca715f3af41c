"""NONMEM-style datasets: read dosing/observation records, simulate them, write PRED/IPRED.

Columns (names case-insensitive; any other column is kept and passed through)
------------------------------------------------------------------------------
ID (required)    individual; a new block of rows (even with a repeated ID) is a new individual,
                 as in NONMEM.
TIME (required)  non-decreasing within an individual (EVID 3/4 may restart it); unit
                 ``time_unit`` (default ``"h"``, the usual NONMEM convention).
AMT              dose amount, unit ``amt_unit`` (default ``"mg"``).
RATE             0: bolus; > 0: zero-order infusion of AMT at RATE (amount per ``time_unit``),
                 duration AMT/RATE; -1/-2 (modelled rate/duration) are not supported.
CMT              compartment (numbering per model: `compartment_table`); 0 or missing: dose
                 rows the central compartment, observation rows the central plasma.
EVID             0 observation, 1 dose, 2 other (prediction only), 3 reset, 4 reset and dose.
                 Missing: 1 where AMT > 0, else 0 where MDV = 0, else 2.
MDV              1: no DV (derived when absent).
DV               observed concentration (passed through, unit ``conc_unit``).
II, ADDL         ADDL additional doses every II after the record (each a bolus or infusion
                 like the record); ADDL > 0 needs II > 0.
SS               0; 1 (steady state: compartments reset to the steady state of the dose
                 repeated every II, or of a constant infusion RATE with AMT = 0 and II = 0).
                 SS = 2 (steady state added to the current state) and SS = 3 are refused.

Covariates (first record of each individual; time-varying covariates use the baseline):
``WT``/``WGT``/``WEIGHT``/``BW`` -> ``weight_kg`` (kg), ``AGE`` -> ``age_yr`` (years),
``HT``/``HGT``/``HEIGHT`` -> ``height_cm`` (cm), ``SEX`` -> ``sex`` (``sex_coding``: default
``"0=male,1=female"`` as in ketasim; ``"1=male,2=female"`` for the other common coding).
A covariate column that is absent takes ketasim's default patient (70 kg, 40 y, 170 cm,
male) and the result says so in ``attrs["assumed_covariates"]``.

Compartments (CMT, 1-based) follow ketasim's state vector for the model (`compartment_table`):
parent central, parent peripherals, parent effect site, metabolite central / peripheral /
effect site, then one depot per absorbed route of the drug (IM, oral, intranasal, sublingual
for (S-)ketamine). Doses may go to the amount compartments (not the effect sites); a dose into
a depot is multiplied by the route's bioavailability F. Infusions (RATE > 0) go to the central
compartment only. Observations may name any non-depot compartment: its concentration
(effect sites: the effect-site concentration). Predictions at dose rows are of the central
plasma, after the dose. Records at the same time are taken in file order, as NONMEM does: a
record before a bolus record of the same time sees the pre-dose state (a trough sample
written before its dose), one after it the post-dose state; implied (ADDL) doses count
before any record at their time.

PRED is the typical individual (no eta, with the individual's covariates); IPRED uses
``etas`` (log-normal deviations per individual, ``P_i = P_typical exp(eta)``) or, with
``iiv=True``, etas drawn from the model's omegas with ``seed``. Without either, IPRED = PRED
(``attrs["ipred"]`` says which). The solution is exact (`ketasim.pk.solver.solve_linear`),
batched over individuals.

Examples
--------
>>> import io
>>> text = "ID,TIME,AMT,EVID,DV,WT\\n1,0,35,1,.,70\\n1,1,0,0,120,70\\n"
>>> ds = simulate_nonmem(read_nonmem(io.StringIO(text)), "ketamine", "kamp")
>>> round(float(ds["PRED"][1]), 2)
72.61
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from ketasim.core.errors import InputError, UnknownNameError, ValidityRangeError
from ketasim.core.provenance import stamp, summarise_array
from ketasim.core.units import as_float
from ketasim.core.validation import (
    SEED,
    TEXT,
    Instance,
    Interval,
    NoneOK,
    check_work,
    validate_params,
)
from ketasim.pk.models import resolve_model
from ketasim.pk.models.base import COVARIATE_RANGES, Covariates, ModelSpec
from ketasim.pk.population import _streams, sample_etas
from ketasim.pk.routes import ROUTES, get_route
from ketasim.pk.simulate import build_system
from ketasim.pk.solver import solve_linear, transition_matrices

STANDARD_COLUMNS = ("ID", "TIME", "AMT", "RATE", "CMT", "EVID", "MDV", "DV", "II", "ADDL",
                    "SS")
#: covariate column -> ketasim covariate
COVARIATE_COLUMNS = {"WT": "weight_kg", "WGT": "weight_kg", "WEIGHT": "weight_kg",
                     "BW": "weight_kg", "AGE": "age_yr", "HT": "height_cm",
                     "HGT": "height_cm", "HEIGHT": "height_cm", "SEX": "sex"}
SEX_CODINGS = ("0=male,1=female", "1=male,2=female")
#: Cap on records (after ADDL expansion) of one call (``max_records=``).
MAX_RECORDS = 2_000_000
#: Individuals of one design solved in one batch of the exact solver.
_CHUNK = 256
#: Distinct designs solved together on the union of their time grids.
_SMALL = 16
_DEFAULT_PATIENT = {"weight_kg": 70.0, "age_yr": 40.0, "height_cm": 170.0, "sex": 0.0}


class NonmemDataError(InputError):
    """A bad record of a NONMEM-style dataset: names the row (1-based data record), the
    line of the file, the column, the value and what is allowed."""

    def __init__(self, row: int, column: str, value, allowed: str, line: int | None = None):
        self.row, self.column, self.line = row, column, line
        where = f"row {row}" + (f" (line {line})" if line is not None else "")
        super().__init__(f"{where}, column {column}", value, allowed)


@dataclass(frozen=True)
class Compartment:
    number: int
    name: str
    output: str | None  # observable concentration name, or None (depot)
    dosable: bool


def _model_state(spec: ModelSpec, drug: str):
    """Typical parameters at the default patient, to learn the state layout."""
    cov = Covariates.single()
    p = spec.parameters(cov, check=False)
    return _system(spec, drug, p)


def _routes(drug: str):
    out = []
    for r in ROUTES:
        if r == "iv":
            continue
        try:
            route = get_route(drug, r)
        except InputError:
            continue
        if route.absorbed:
            out.append(route)
    return tuple(out)


def _system(spec: ModelSpec, drug: str, p: dict):
    return build_system(p, species=drug, metabolite=spec.metabolite, routes=_routes(drug))


def _compartments(spec: ModelSpec, drug: str) -> list[Compartment]:
    sysm = _model_state(spec, drug)
    sp = drug.replace("-", "_")
    names = ["central", "peripheral1", "peripheral2"][:sysm.n_parent]
    outs = [f"{sp}_plasma", f"{sp}_peripheral1", f"{sp}_peripheral2"][:sysm.n_parent]
    dos = [True] * sysm.n_parent
    if f"{sp}_effect" in sysm.outputs:
        names.append("effect")
        outs.append(f"{sp}_effect")
        dos.append(False)
    if spec.metabolite is not None:
        msp = spec.metabolite.drug.replace("-", "_")
        names.append("metabolite_central")
        outs.append(f"{msp}_plasma")
        dos.append(True)
        p = spec.parameters(Covariates.single(), check=False)
        if "M_Q2" in p:
            names.append("metabolite_peripheral")
            outs.append(f"{msp}_peripheral")
            dos.append(True)
        if "M_ke0" in p:
            names.append("metabolite_effect")
            outs.append(f"{msp}_effect")
            dos.append(False)
    for r in sysm.depot:
        names.append(f"depot_{r}")
        outs.append(None)
        dos.append(True)
    if len(names) != sysm.n:  # pragma: no cover - guards the layout contract
        raise AssertionError("compartment table does not match the state vector")
    return [Compartment(i + 1, n, o, d) for i, (n, o, d) in enumerate(zip(names, outs, dos,
                                                                          strict=True))]


@validate_params({"drug": TEXT, "model": (Instance(str, ModelSpec), NoneOK())})
def compartment_table(drug: str, model: str | ModelSpec | None = None
                      ) -> list[tuple[int, str, str | None]]:
    """The CMT numbering of ``drug``/``model``: ``(CMT, name, observed concentration)``.

    Examples
    --------
    >>> [c[:2] for c in compartment_table("s-ketamine", "flint")]  # doctest: +NORMALIZE_WHITESPACE
    [(1, 'central'), (2, 'peripheral1'), (3, 'effect'), (4, 'metabolite_central'),
     (5, 'depot_im'), (6, 'depot_oral'), (7, 'depot_intranasal'), (8, 'depot_sublingual')]
    """
    d, spec = resolve_model(drug, model)
    return [(c.number, c.name, c.output) for c in _compartments(spec, d)]


# ---------------------------------------------------------------------------- reading

def _open_text(source) -> tuple[str, str]:
    if isinstance(source, io.TextIOBase | io.StringIO):
        return source.read(), "<stream>"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise InputError("data", str(source), "an existing NONMEM-style data file (CSV)")
        return path.read_text(encoding="utf-8-sig"), str(path)
    raise InputError("data", type(source).__name__, "a path to a CSV file or a text stream")


def _number(text: str, row: int, col: str, line: int) -> float:
    t = text.strip()
    if t in ("", "."):
        return math.nan
    try:
        v = float(t)
    except ValueError:
        raise NonmemDataError(row, col, text, "a number ('.' or empty: missing)", line) from None
    if not math.isfinite(v):
        raise NonmemDataError(row, col, text, "a finite number", line)
    return v


@validate_params({"max_records": Interval(1, None, integer=True)})
def read_nonmem(data, *, max_records: int = MAX_RECORDS) -> xr.Dataset:
    """Read a NONMEM-style dataset (CSV with a header; whitespace-separated also accepted).

    Lines starting with ``#`` or ``@`` are skipped (NONMEM's IGNORE=# / IGNORE=@). Values
    ``.`` or empty are missing. Every column becomes a float variable over ``record``
    (``ID`` kept as read); ``attrs`` hold the source and each record's file ``line``.
    Every bad value raises `NonmemDataError` naming the row, the line and the column.

    Examples
    --------
    >>> import io
    >>> ds = read_nonmem(io.StringIO("ID,TIME,AMT\\n1,0,10\\n1,2,.\\n"))
    >>> ds["AMT"].values.tolist(), ds.sizes["record"]
    ([10.0, nan], 2)
    """
    return _read_table(data, max_records, ("ID", "TIME"))


def _read_table(data, max_records: int, required: tuple[str, ...]) -> xr.Dataset:
    text, name = _open_text(data)
    rows, lines, header = [], [], None
    for ln, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        if not s or s[0] in "#@":
            continue
        if header is None:
            sep = "," if "," in s else None
            header = [h.strip().upper() for h in (next(csv.reader([s])) if sep else s.split())]
            header_line = ln
            continue
        cells = next(csv.reader([s])) if sep else s.split()
        rows.append(cells)
        lines.append(ln)
        check_work("records", len(rows), max_records, "pass max_records=... to go past it")
    if header is None:
        raise InputError("data", name, "a header line naming the columns (ID, TIME, ...)")
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise NonmemDataError(0, dup, dup, "each column once (header)", header_line)
    for req in required:
        if req not in header:
            raise InputError("data", f"columns {header}", f"a column {req} (header line "
                             f"{header_line})")
    if not rows:
        raise InputError("data", name, "at least one data record after the header")
    cols: dict[str, list] = {h: [] for h in header}
    for r, (cells, ln) in enumerate(zip(rows, lines, strict=True), start=1):
        if len(cells) != len(header):
            raise NonmemDataError(r, "*", f"{len(cells)} values",
                                  f"{len(header)} values (one per header column)", ln)
        for h, c in zip(header, cells, strict=True):
            cols[h].append(_number(c, r, h, ln))
    ds = xr.Dataset({h: ("record", np.asarray(v, float)) for h, v in cols.items()},
                    coords={"record": np.arange(1, len(rows) + 1)})
    ds["line"] = ("record", np.asarray(lines, np.int64))
    ds.attrs.update(source=name, columns=",".join(header))
    return ds


# ------------------------------------------------------------------------ simulation

@dataclass
class _Segment:
    ind: int  # individual index (parameters)
    t0: float  # absolute time of the segment start (time_unit)
    boluses: list  # (t_rel_min, state, amount_mg)
    infusions: list  # (t0_rel_min, t1_rel_min or None=to end, rate_mg_min)
    obs: list  # (record index, t_rel_min, output, [(state, mg) of later same-time boluses])
    ss: tuple | None = None  # steady-state spec


def _col(ds, name, default):
    return ds[name].values if name in ds else np.full(ds.sizes["record"], default)


def _sex_map(coding: str) -> dict[float, float]:
    if coding == "0=male,1=female":
        return {0.0: 0.0, 1.0: 1.0}
    return {1.0: 0.0, 2.0: 1.0}


@validate_params({"drug": TEXT, "model": (Instance(str, ModelSpec), NoneOK()),
                  "time_unit": TEXT, "amt_unit": TEXT, "conc_unit": TEXT,
                  "sex_coding": TEXT, "iiv": Instance(bool), "seed": SEED,
                  "check_validity": Instance(bool),
                  "max_records": Interval(1, None, integer=True)})
def simulate_nonmem(data, drug: str, model: str | ModelSpec | None = None, *,
                    time_unit: str = "h", amt_unit: str = "mg", conc_unit: str = "ng/mL",
                    etas=None, iiv: bool = False, seed: int = 0,
                    sex_coding: str = "0=male,1=female", check_validity: bool = True,
                    max_records: int = MAX_RECORDS) -> xr.Dataset:
    """Simulate a NONMEM-style dataset with a ketasim PK model: the records plus PRED/IPRED.

    Parameters
    ----------
    data : the result of `read_nonmem`, or a path / text stream (read with it).
    drug, model : e.g. ``"ketamine", "kamp"``, or a `ModelSpec` (your own covariate model).
    time_unit, amt_unit, conc_unit : units of TIME (and II, RATE's time), AMT, and of the
        predictions (default h, mg, ng/mL).
    etas : individual log-normal deviations for IPRED: a mapping ``{parameter: values}``
        (one value per individual, in order of appearance) or a `read_nonmem`-style Dataset /
        path with an ``ID`` column and columns named by parameter (``CL``, ``V1``, ...,
        optionally prefixed ``ETA_``).
    iiv, seed : draw the etas from the model's omegas instead (reproducible from ``seed``).
    sex_coding : ``"0=male,1=female"`` (default) or ``"1=male,2=female"``.
    check_validity : refuse covariates outside the model's studied range.
    max_records : cap on records after ADDL expansion.

    Returns
    -------
    xarray.Dataset over ``record`` with the input columns, ``PRED`` and ``IPRED`` (in
    ``conc_unit``), stamped with provenance and citations.

    Examples
    --------
    >>> import io
    >>> ds = simulate_nonmem(io.StringIO("ID,TIME,AMT,RATE\\n1,0,10,20\\n1,1,0,0\\n"),
    ...                      "ketamine", "domino")
    >>> bool(ds["PRED"][1] > 0), ds.attrs["ipred"]
    (True, 'IPRED = PRED (no etas given)')
    """
    if not isinstance(data, xr.Dataset):
        data = read_nonmem(data, max_records=max_records)
    if "record" not in data.dims or "ID" not in data or "TIME" not in data:
        raise InputError("data", "a Dataset without ID/TIME over 'record'",
                         "the result of read_nonmem(...)")
    if sex_coding not in SEX_CODINGS:
        raise InputError("sex_coding", sex_coding, f"one of {list(SEX_CODINGS)}")
    if etas is not None and iiv:
        raise InputError("etas/iiv", "both", "either etas or iiv=True, not both")
    d, spec = resolve_model(drug, model)
    t_scale = _unit_scale(time_unit, "min", "time_unit", "a time unit (h, min, d)")
    a_scale = _unit_scale(amt_unit, "mg", "amt_unit", "a mass unit (mg, ug, g)")
    c_scale = 1.0 / _unit_scale(conc_unit, "ng/mL", "conc_unit",
                                "a mass concentration unit (ng/mL, ug/L, mg/L)")
    comps = _compartments(spec, d)
    n = data.sizes["record"]
    line = _col(data, "line", -1).astype(int)

    def err(r, col, val, allowed):
        return NonmemDataError(r + 1, col, val, allowed, int(line[r]) if line[r] >= 0 else None)

    ids = data["ID"].values
    for r in range(n):
        if math.isnan(ids[r]):
            raise err(r, "ID", ".", "an identifier (number)")
    time = data["TIME"].values
    amt = np.nan_to_num(_col(data, "AMT", 0.0))
    rate = np.nan_to_num(_col(data, "RATE", 0.0))
    cmt = np.nan_to_num(_col(data, "CMT", 0.0))
    mdv = _col(data, "MDV", math.nan)
    ii = np.nan_to_num(_col(data, "II", 0.0))
    addl = np.nan_to_num(_col(data, "ADDL", 0.0))
    ss = np.nan_to_num(_col(data, "SS", 0.0))
    evid = _col(data, "EVID", math.nan).copy()
    for r in range(n):
        if math.isnan(time[r]) or time[r] < 0:
            raise err(r, "TIME", time[r], "a time >= 0")
        if not math.isnan(mdv[r]) and mdv[r] not in (0, 1):
            raise err(r, "MDV", mdv[r], "0 or 1")
        if math.isnan(evid[r]):
            evid[r] = 1 if amt[r] > 0 or (ss[r] == 1 and rate[r] > 0) else (
                0 if (math.isnan(mdv[r]) or mdv[r] == 0) else 2)
        if evid[r] not in (0, 1, 2, 3, 4):
            raise err(r, "EVID", evid[r], "0 (observation), 1 (dose), 2 (other), 3 (reset) "
                      "or 4 (reset and dose)")
        is_dose = evid[r] in (1, 4)
        if amt[r] < 0:
            raise err(r, "AMT", amt[r], "an amount >= 0")
        if rate[r] < 0:
            raise err(r, "RATE", rate[r], "0 (bolus) or > 0 (infusion); modelled rate (-1) "
                      "and duration (-2) are not supported")
        if ss[r] not in (0, 1):
            raise err(r, "SS", ss[r], "0 or 1 (SS=2: steady state added to the current "
                      "state, and SS=3, are not supported)")
        if ii[r] < 0:
            raise err(r, "II", ii[r], "an interval >= 0")
        if addl[r] < 0 or addl[r] != int(addl[r]):
            raise err(r, "ADDL", addl[r], "a whole number >= 0")
        if not is_dose:
            for col, v in (("AMT", amt[r]), ("RATE", rate[r]), ("ADDL", addl[r]),
                           ("SS", ss[r])):
                if v != 0 and col in data:
                    raise err(r, col, v, f"0 or missing on a non-dose record (EVID "
                              f"{int(evid[r])})")
        else:
            if amt[r] == 0 and not (ss[r] == 1 and rate[r] > 0):
                raise err(r, "AMT", amt[r], "an amount > 0 on a dose record (or SS=1 with "
                          "RATE > 0 for a constant infusion)")
            if addl[r] > 0 and ii[r] <= 0:
                raise err(r, "II", ii[r], "an interval > 0 when ADDL > 0")
            if ss[r] == 1 and ii[r] <= 0 and not (rate[r] > 0 and amt[r] == 0):
                raise err(r, "II", ii[r], "an interval > 0 for a steady-state dose (SS=1); "
                          "or AMT=0 with RATE > 0 for a constant infusion")
            if ss[r] == 1 and rate[r] > 0 and amt[r] > 0 and amt[r] / rate[r] > ii[r]:
                raise err(r, "RATE", rate[r], f"a rate giving an infusion no longer than II "
                          f"({ii[r]:g}) at steady state")
        c = int(cmt[r])
        if cmt[r] != c or c < 0 or c > len(comps):
            raise err(r, "CMT", cmt[r], f"0 or a compartment 1-{len(comps)} of {spec.key} "
                      f"({', '.join(f'{x.number}={x.name}' for x in comps)})")
        if c > 0:
            comp = comps[c - 1]
            if is_dose and not comp.dosable:
                raise err(r, "CMT", c, f"a compartment that takes doses ({comp.name} is an "
                          "effect site)")
            if is_dose and rate[r] > 0 and c != 1:
                raise err(r, "CMT", c, "1 (central) for an infusion (RATE > 0)")
            if evid[r] in (0, 2) and comp.output is None:
                raise err(r, "CMT", c, f"an observable compartment ({comp.name} is a depot)")
    n_extra = int(addl.sum())
    check_work("records after ADDL expansion", n + n_extra, max_records,
               "pass max_records=... to go past it")

    # individuals: contiguous blocks of ID
    starts = [0] + [r for r in range(1, n) if ids[r] != ids[r - 1]]
    ends = starts[1:] + [n]
    n_ind = len(starts)
    # covariates (baseline) with row-level checks
    cov_cols: dict[str, str] = {}
    for col in COVARIATE_COLUMNS:
        if col in data:
            key = COVARIATE_COLUMNS[col]
            if key in cov_cols.values():
                other = next(k for k, v in cov_cols.items() if v == key)
                raise InputError("data", f"columns {other} and {col}", f"one column for "
                                 f"{key}")
            cov_cols[col] = key
    cov = {k: np.full(n_ind, v) for k, v in _DEFAULT_PATIENT.items()}
    sexes = _sex_map(sex_coding)
    for col, key in cov_cols.items():
        vals = data[col].values
        for i, s in enumerate(starts):
            v = vals[s]
            if math.isnan(v):
                raise err(s, col, ".", f"the {key} of individual {ids[s]:g} on its first "
                          "record")
            if key == "sex":
                if v not in sexes:
                    raise err(s, col, v, f"{' or '.join(f'{x:g}' for x in sexes)} "
                              f"(sex_coding {sex_coding!r})")
                v = sexes[v]
            else:
                lo, hi = COVARIATE_RANGES[key]
                if not lo <= v <= hi:
                    raise err(s, col, v, f"{key} in [{lo:g}, {hi:g}]")
                lo, hi = spec.validity.get(key, (lo, hi))
                if check_validity and not lo <= v <= hi:
                    raise ValidityRangeError(
                        f"row {s + 1} (line {line[s]}), column {col}", v,
                        f"{lo}-{hi} for {spec.key} ({spec.population}); pass "
                        "check_validity=False to extrapolate")
            cov[key][i] = v
    assumed = sorted(k for k in _DEFAULT_PATIENT if k not in cov_cols.values())
    covs = Covariates(cov["weight_kg"], cov["age_yr"], cov["height_cm"], cov["sex"])
    if check_validity and "bmi" in spec.validity:
        lo, hi = spec.validity["bmi"]
        bad = (covs.bmi < lo) | (covs.bmi > hi)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ValidityRangeError(f"row {starts[i] + 1} (line {line[starts[i]]}), BMI",
                                     round(float(covs.bmi[i]), 2),
                                     f"{lo}-{hi} for {spec.key}")
    typical = spec.parameters(covs, check=False)
    individual, ipred_note, eta_record = typical, "IPRED = PRED (no etas given)", None
    if iiv:
        _, rng, _ = _streams(seed)
        e = sample_etas(spec, n_ind, rng)
        individual = {k: v * np.exp(e[k]) if k in e else v for k, v in typical.items()}
        ipred_note, eta_record = f"IPRED with etas drawn from the model's omegas (seed {seed})", e
    elif etas is not None:
        e = _read_etas(etas, [ids[s] for s in starts], typical)
        individual = {k: v * np.exp(e[k]) if k in e else v for k, v in typical.items()}
        ipred_note, eta_record = "IPRED with the given etas", e

    # events per individual -> segments (split at resets and steady-state doses)
    segs: list[_Segment] = []
    for i, (s0, s1) in enumerate(zip(starts, ends, strict=True)):
        seg = None
        t_prev = -math.inf
        for r in range(s0, s1):
            t = time[r]
            reset = evid[r] in (3, 4) or (evid[r] in (1, 4) and ss[r] == 1)
            if t < t_prev and not reset:
                raise err(r, "TIME", t, f"a time >= {t_prev:g} (the previous record of ID "
                          f"{ids[r]:g}; only EVID 3/4 may go back)")
            t_prev = t
            if seg is None or reset:
                seg = _Segment(i, t, [], [], [])
                segs.append(seg)
            rel = (t - seg.t0) * t_scale
            if evid[r] in (1, 4):
                c = int(cmt[r]) or 1
                state = c - 1
                f = 1.0
                name = comps[state].name
                if name.startswith("depot_"):
                    f = get_route(d, name.removeprefix("depot_")).F
                dose = amt[r] * a_scale * f
                r_mg_min = rate[r] * a_scale / t_scale
                for k in range(int(addl[r]) + 1):
                    tk = rel + k * ii[r] * t_scale
                    if rate[r] > 0 and amt[r] > 0:
                        seg.infusions.append((tk, tk + dose / r_mg_min, r_mg_min))
                    elif rate[r] > 0:
                        seg.infusions.append((tk, None, r_mg_min))
                    else:
                        seg.boluses.append((tk, state, dose))
                        if k == 0:  # records before this one at the same time: pre-dose
                            for ob in seg.obs:
                                if ob[1] == rel:
                                    ob[3].append((state, dose))
                if ss[r] == 1:
                    seg.ss = (state, dose, r_mg_min if rate[r] > 0 else 0.0, ii[r] * t_scale)
            c = int(cmt[r])
            if evid[r] in (0, 2) and c > 0:
                out = comps[c - 1].output
            else:
                out = comps[0].output
            seg.obs.append((r, rel, out, []))
    outputs = sorted({ob[2] for sg in segs for ob in sg.obs}, key=[c.output for c in
                                                                   comps].index)
    pred = _solve(segs, typical, spec, d, comps, outputs, n)
    ipred = pred if individual is typical else _solve(segs, individual, spec, d, comps,
                                                      outputs, n)
    out = data.copy()
    if "EVID" not in out:
        out["EVID"] = ("record", evid)
    out["PRED"] = ("record", pred * c_scale, {"units": conc_unit, "long_name":
                                              "population (typical) prediction"})
    out["IPRED"] = ("record", ipred * c_scale, {"units": conc_unit, "long_name":
                                                "individual prediction"})
    out["TIME"].attrs["units"] = time_unit
    out.attrs.update(drug=d, pk_model=spec.key, ipred=ipred_note,
                     assumed_covariates=",".join(assumed) or "none",
                     compartments=";".join(f"{c.number}={c.name}" for c in comps))
    return stamp(out, model=f"nonmem:{spec.key}", citations=list(spec.citations), params={
        "drug": d, "model": spec.key, "data": {k: summarise_array(data[k].values, 0)
                                               for k in data.data_vars},
        "source": data.attrs.get("source", ""), "time_unit": time_unit,
        "amt_unit": amt_unit, "conc_unit": conc_unit, "sex_coding": sex_coding,
        "iiv": iiv, "seed": seed, "check_validity": check_validity,
        "etas": None if eta_record is None else {k: summarise_array(v, 0)
                                                 for k, v in eta_record.items()}}, seed=seed)


def _unit_scale(unit: str, to: str, field: str, allowed: str) -> float:
    """How many ``to`` one ``unit`` is; errors show the unit as given."""
    try:
        v = as_float(f"1 {unit}", field, to, allowed=allowed)
    except InputError:
        raise InputError(field, unit, allowed) from None
    if not (math.isfinite(v) and v > 0):
        raise InputError(field, unit, allowed)
    return v


def _read_etas(etas, ind_ids: list, typical: dict) -> dict[str, np.ndarray]:
    n = len(ind_ids)
    if isinstance(etas, str | os.PathLike | io.StringIO):
        etas = _read_table(etas, MAX_RECORDS, ("ID",))
    if isinstance(etas, xr.Dataset):
        if "ID" not in etas:
            raise InputError("etas", "a table without ID", "a table with an ID column")
        by_id = {float(v): j for j, v in enumerate(etas["ID"].values)}
        missing = [x for x in ind_ids if float(x) not in by_id]
        if missing:
            raise InputError("etas", f"no row for ID {missing[0]:g}", "one row per ID of "
                             "the data")
        idx = [by_id[float(x)] for x in ind_ids]
        etas = {k: etas[k].values[idx] for k in etas.data_vars if k not in ("ID", "line")}
    if not isinstance(etas, dict):
        raise InputError("etas", type(etas).__name__, "a dict {parameter: values per "
                         "individual}, a Dataset or a CSV path with ID and parameter columns")
    out = {}
    for k, v in etas.items():
        name = str(k).upper().removeprefix("ETA_")
        match = {p.upper(): p for p in typical}.get(name)
        if match is None:
            raise UnknownNameError(f"etas[{k!r}]", k, f"a parameter of the model: "
                                   f"{sorted(typical)}")
        arr = np.asarray(v, float).reshape(-1)
        if arr.size != n or not np.all(np.isfinite(arr)) or np.any(np.abs(arr) > 10):
            raise InputError(f"etas[{k!r}]", f"{arr.size} values", f"{n} finite values in "
                             "[-10, 10] (one per individual)")
        out[match] = arr
    return out


def _steady_state(A, b, state, dose, rate, tau, dur):
    """Pre-dose steady state (N, n) of a bolus ``dose`` into ``state`` (or an infusion of
    ``rate`` for ``dur``) repeated every ``tau``; tau = 0 with a rate: constant infusion."""
    N, n, _ = A.shape
    eye = np.eye(n)
    if tau == 0.0:
        return np.linalg.solve(A, -(b * rate)[:, :, None])[:, :, 0]
    Phi_tau, _ = transition_matrices(A, b, np.array([tau]))
    M = eye - Phi_tau[0]
    if rate > 0:
        P_rest, _ = transition_matrices(A, b, np.array([tau - dur]))
        _, G_dur = transition_matrices(A, b, np.array([dur]))
        rhs = np.einsum("pij,pj->pi", P_rest[0], G_dur[0] * rate)
    else:
        e = np.zeros((N, n))
        e[:, state] = dose
        rhs = np.einsum("pij,pj->pi", Phi_tau[0], e)
    return np.linalg.solve(M, rhs[:, :, None])[:, :, 0]


def _solve(segs, params, spec, drug, comps, outputs, n_rec) -> np.ndarray:
    """Predictions of every record. Segments with the same design (dose and output times,
    compartments) are solved together, batched; each distinct design once. Only the depots
    the data use are in the system (their CMT numbers stay those of `compartment_table`)."""
    pred = np.full(n_rec, np.nan)
    out_state = {c.output: c.number - 1 for c in comps if c.output is not None}
    used = {st for sg in segs for _, st, _ in sg.boluses}
    used |= {sg.ss[0] for sg in segs if sg.ss is not None}
    routes = tuple(r for r in _routes(drug) if any(comps[j].name == f"depot_{r.name}"
                                                   for j in used))
    groups: dict[tuple, list[int]] = {}
    for k, sg in enumerate(segs):
        sig = (tuple((t, st) for t, st, _ in sg.boluses),
               tuple((t0, t1) for t0, t1, _ in sg.infusions),
               tuple(ob[1] for ob in sg.obs), sg.ss is not None)
        groups.setdefault(sig, []).append(k)
    chunks, pool = [], []
    for members in groups.values():  # a shared design: one grid for up to _CHUNK of them
        if len(members) >= _SMALL:
            chunks += [members[i:i + _CHUNK] for i in range(0, len(members), _CHUNK)]
        else:
            pool += members
    # distinct designs: a few per call on the union of their grids (fewer solver calls)
    chunks += [pool[i:i + _SMALL] for i in range(0, len(pool), _SMALL)]
    oix = {o: i for i, o in enumerate(outputs)}
    for members in chunks:
        chunk = [segs[k] for k in members]
        p = {k: v[[sg.ind for sg in chunk]] for k, v in params.items()}
        sysm = build_system(p, species=drug, metabolite=spec.metabolite, routes=routes)

        def ix(j, sysm=sysm):
            name = comps[j].name
            return sysm.depot[name[6:]] if name.startswith("depot_") else j

        N, nst = len(chunk), sysm.n
        C = np.zeros((N, len(outputs), nst))  # concentration of each output (ng/mL)
        for o, name in enumerate(outputs):
            j = out_state[name]
            C[:, o, j] = (1000.0 if comps[j].name in ("effect", "metabolite_effect")
                          else 1000.0 / _volume(comps[j].name, p))
        times = np.unique([ob[1] for sg in chunk for ob in sg.obs])
        bol: dict[tuple, np.ndarray] = {}
        inf: dict[tuple, np.ndarray] = {}
        for k, sg in enumerate(chunk):
            if sg.ss is not None:
                state, dose, rate, tau = sg.ss
                dur = dose / rate if rate > 0 and dose > 0 else 0.0
                x0 = _steady_state(sysm.A[k:k + 1], sysm.b[k:k + 1], ix(state), dose, rate,
                                   tau, dur)[0]
                for j in np.flatnonzero(x0):
                    bol.setdefault((0.0, int(j)), np.zeros(N))[k] += x0[j]
            for t, state, dose in sg.boluses:
                bol.setdefault((t, ix(state)), np.zeros(N))[k] += dose
            for t0, t1, r in sg.infusions:
                end = max((ob[1] for ob in sg.obs), default=0.0) if t1 is None else t1
                if end > t0:
                    inf.setdefault((t0, end), np.zeros(N))[k] += r
        y = solve_linear(sysm.A, sysm.b, C, times,
                         [(t, j, a) for (t, j), a in bol.items()],
                         [(t0, t1, a) for (t0, t1), a in inf.items()])
        pos = {float(t): j for j, t in enumerate(times)}
        for k, sg in enumerate(chunk):
            for r, t, o, later in sg.obs:
                v = y[k, oix[o], pos[float(t)]]
                for state, dose in later:  # bolus records after this one, same time
                    v -= C[k, oix[o], ix(state)] * dose
                pred[r] = max(v, 0.0) if later else v
    return pred


def _volume(name: str, p: dict) -> np.ndarray:
    return {"central": p["V1"], "peripheral1": p.get("V2"), "peripheral2": p.get("V3"),
            "metabolite_central": p.get("M_V1"),
            "metabolite_peripheral": p.get("M_V2")}[name]


# ---------------------------------------------------------------------------- writing

@validate_params({"path": Instance(str, os.PathLike), "ds": Instance(xr.Dataset)})
def write_nonmem(ds: xr.Dataset, path) -> Path:
    """Write a `simulate_nonmem` result as CSV: ``#`` header lines with provenance and
    citations (skipped by NONMEM's default IGNORE=#), then the columns and PRED, IPRED.

    Examples
    --------
    >>> import io, tempfile, pathlib
    >>> ds = simulate_nonmem(io.StringIO("ID,TIME,AMT\\n1,0,10\\n1,1,0\\n"), "ketamine")
    >>> p = write_nonmem(ds, pathlib.Path(tempfile.mkdtemp()) / "pred.csv")
    >>> p.read_text().splitlines()[0]
    '# ketasim NONMEM-style predictions'
    """
    from ketasim.core.citations import cite

    if "PRED" not in ds or "record" not in ds.dims:
        raise InputError("ds", "a Dataset without PRED", "the result of simulate_nonmem")
    path = Path(path)
    cols = [c for c in ds.attrs.get("columns", "").split(",") if c and c in ds]
    cols += [c for c in ("EVID", "PRED", "IPRED") if c not in cols and c in ds]
    head = ["# ketasim NONMEM-style predictions",
            f"# ketasim_version: {ds.attrs.get('ketasim_version', '')}",
            f"# model: {ds.attrs.get('pk_model', '')} (drug {ds.attrs.get('drug', '')})",
            f"# params_hash: {ds.attrs.get('params_hash', '')}",
            f"# units: TIME {ds['TIME'].attrs.get('units', '')}, PRED/IPRED "
            f"{ds['PRED'].attrs.get('units', '')}",
            f"# {ds.attrs.get('ipred', '')}; covariates assumed (ketasim default patient): "
            f"{ds.attrs.get('assumed_covariates', '')}",
            f"# CMT: {ds.attrs.get('compartments', '')}"]
    head += [f"# cite: {c}" for c in cite(ds)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    arrays = [ds[c].values for c in cols]
    for r in range(ds.sizes["record"]):
        w.writerow(["." if math.isnan(a[r]) else _fmt(a[r]) for a in arrays])
    path.write_text("\n".join(head) + "\n" + buf.getvalue(), encoding="utf-8")
    return path


def _fmt(v: float) -> str:
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(float(v))
