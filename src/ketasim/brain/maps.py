"""Reduced model: the network's readouts on a grid, interpolated (`cortical_state`).

The detailed network (`ketasim.brain.readouts.cortical_readouts`) is too slow to call at
every minute of a 6-hour scenario, so its readouts are tabulated once on a 2-D grid and
interpolated:

* axis 1, ketamine free effect-site concentration (uM): `KETAMINE_GRID_UM`, interpolated
  linearly in ``log(1 + c / 0.3 uM)``;
* axis 2, the network's GABA-A IPSC decay multiplier ``m`` (`GABAA_GRID`), linear.

Combination rule for the GABA-A drugs: in the network, propofol, thiopental and midazolam
act ONLY through the IPSC decay multiplier ``m = 1 + sum_d gain_d (m_d - 1)``
(`ketasim.brain.network.gabaa_effect`), so one axis carries any mixture of them exactly;
what it leaves out is their direct-activation tonic conductance, below 0.01 nS at clinical
concentrations (propofol's direct-activation EC50 is 50 uM free). Ketamine's own GABA-A
prolongation (< 3 % at <= 10 uM, 12 % at 50 uM) is folded into ``m`` as well.

Each grid point is a `ReadoutProtocol.short` run (9.6 s; seed `MAP_SEED`). These short runs
are noisy (responsiveness from 16 inputs, spectra from 3 s); responsiveness is therefore
read through an isotonic (pool-adjacent-violators) fit that makes it non-increasing along
the GABA-A axis at each ketamine level, i.e. more GABA-A inhibition never restores
responsiveness (an assumption; the raw values stay in the file). Other readouts are
interpolated raw; expect run-to-run noise of ~10-30 % in band-power ratios.
The map is computed once and cached under a content key (`ketasim.core.cache.fingerprint`
of the detailed model's import closure, `ketasim.brain.readouts`, with the grid, protocol,
seed and network parameters): shipped in ``brain/data`` (made by ``make data``) or
computed into the user cache on a miss (about 3 min on 2 idle cores, 12 min on a loaded
machine).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import xarray as xr

from ketasim.brain import sources as S
from ketasim.brain.network import gabaa_effect
from ketasim.brain.params import DEFAULT
from ketasim.brain.readouts import READOUTS, ReadoutProtocol, cortical_readouts
from ketasim.core.cache import cached_file, fingerprint
from ketasim.core.errors import InputError
from ketasim.core.provenance import stamp
from ketasim.core.units import as_floats
from ketasim.core.validation import NONNEG, Instance, validate_params

KETAMINE_GRID_UM = (0.0, 0.3, 1.0, 3.0, 6.0, 12.0, 25.0, 50.0)
GABAA_GRID = (1.0, 1.4, 1.8, 2.4, 3.2, 4.5, 6.0)
MAP_SEED = 7
KET_SCALE_UM = 0.3
SHIPPED_DIR = Path(__file__).resolve().parent / "data"
#: variables of `cortical_state`
STATE_VARS = ("responsiveness", "integration", "dissociation", "psychotomimetic", "pci", "lzc",
              "gamma_rel", "alpha_rel", "delta_rel", "feedback", "feedforward")


def map_key() -> str:
    """Content key of the map: the detailed model's code closure (`ketasim.brain.readouts`),
    grid, protocol, seed and network parameters.

    Examples
    --------
    >>> len(map_key())
    16
    """
    extra = json.dumps({"ket": KETAMINE_GRID_UM, "gaba": GABAA_GRID, "seed": MAP_SEED,
                        "protocol": asdict(ReadoutProtocol.short()),
                        "params": DEFAULT.to_dict()}, sort_keys=True)
    return fingerprint("ketasim.brain.readouts", extra=extra)


def compute_map() -> dict:
    """Run the network on the whole grid (slow: 56 points x 8.5 s of network activity).

    Examples
    --------
    >>> m = compute_map()   # doctest: +SKIP
    """
    kk, mm = np.meshgrid(KETAMINE_GRID_UM, GABAA_GRID, indexing="ij")
    r = cortical_readouts(ketamine_uM=kk.ravel(), gabaa_multiplier=mm.ravel(),
                          protocol=ReadoutProtocol.short(), seed=MAP_SEED)
    vals = np.stack([r[v].values.reshape(kk.shape) for v in READOUTS])
    return {"values": vals, "names": np.array(READOUTS), "ket": np.array(KETAMINE_GRID_UM),
            "gaba": np.array(GABAA_GRID), "key": np.array(map_key()),
            "citations": np.array(r.attrs["citations"])}


def _save(obj, path):
    with open(path, "wb") as f:
        np.savez(f, **obj)


def _load(path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


_MEMO: dict = {}


def load_map(refresh: bool = False) -> dict:
    """The map from the shipped files or the cache; computed on a miss.

    Examples
    --------
    >>> sorted(load_map())[:2]   # doctest: +SKIP
    ['citations', 'gaba']
    """
    key = map_key()
    if key in _MEMO and not refresh:
        return _MEMO[key]
    m = cached_file(f"brain_map_{key}.npz", compute_map, _load, _save, shipped=SHIPPED_DIR,
                    refresh=refresh)
    _MEMO[key] = m
    return m


def _isotonic_decreasing(y: np.ndarray) -> np.ndarray:
    """Least-squares non-increasing fit of ``y`` (pool-adjacent-violators).

    Examples
    --------
    >>> _isotonic_decreasing(np.array([1.0, 0.9, 1.0, 0.2, 0.5, 0.0])).round(3).tolist()
    [1.0, 0.95, 0.95, 0.35, 0.35, 0.0]
    """
    vals, wts, lens = [], [], []
    for v in np.asarray(y, float):
        vals.append(v)
        wts.append(1.0)
        lens.append(1)
        while len(vals) > 1 and vals[-2] < vals[-1]:
            w = wts[-2] + wts[-1]
            v2 = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / w
            n2 = lens[-2] + lens[-1]
            vals[-2:], wts[-2:], lens[-2:] = [v2], [w], [n2]
    return np.repeat(vals, lens)


def _interp(m: dict, ket: np.ndarray, gm: np.ndarray) -> dict:
    kx = np.log1p(m["ket"] / KET_SCALE_UM)
    gx = m["gaba"]
    x = np.log1p(ket / KET_SCALE_UM)
    i = np.clip(np.searchsorted(kx, x, side="right") - 1, 0, len(kx) - 2)
    j = np.clip(np.searchsorted(gx, gm, side="right") - 1, 0, len(gx) - 2)
    fx = (x - kx[i]) / (kx[i + 1] - kx[i])
    fy = (gm - gx[j]) / (gx[j + 1] - gx[j])
    names = [str(s) for s in m["names"]]
    out = {}
    for v in STATE_VARS:
        a = m["values"][names.index(v)]
        if v == "responsiveness":  # noisy 16-trial estimates: non-increasing in GABA-A load
            a = np.stack([_isotonic_decreasing(row) for row in a])
        out[v] = (a[i, j] * (1 - fx) * (1 - fy) + a[i + 1, j] * fx * (1 - fy)
                  + a[i, j + 1] * (1 - fx) * fy + a[i + 1, j + 1] * fx * fy)
    return out


@validate_params({"refresh": Instance(bool)})
def cortical_state(ketamine_uM=0.0, propofol_uM=0.0, thiopental_uM=0.0, midazolam_uM=0.0, *,
                   refresh: bool = False) -> xr.Dataset:
    """Cortical readouts at free effect-site concentrations (uM), interpolated from the map.

    Inputs broadcast (numpy rules); the result has the broadcast shape on dims ``point_0``,
    ``point_1``... (dim ``point`` for 1-D input, none for scalars). Variables:
    `STATE_VARS` (definitions in `ketasim.brain.readouts`). Ketamine above 50 uM or a
    GABA-A load above the grid (network multiplier 6, e.g. propofol above ~0.8 uM free)
    raise `InputError`.

    Examples
    --------
    >>> s = cortical_state(ketamine_uM=[0.0, 3.0])   # doctest: +SKIP
    >>> s.responsiveness.dims   # doctest: +SKIP
    ('point',)
    """
    arrs = [as_floats(v, f"{d}_uM", "uM", NONNEG) for v, d in
            ((ketamine_uM, "ketamine"), (propofol_uM, "propofol"),
             (thiopental_uM, "thiopental"), (midazolam_uM, "midazolam"))]
    shapes = [np.shape(v) if not isinstance(v, str) and np.ndim(v) else () for v in
              (ketamine_uM, propofol_uM, thiopental_uM, midazolam_uM)]
    arrs = [a.reshape(s) for a, s in zip(arrs, shapes, strict=True)]
    try:
        k, p, t, mz = np.broadcast_arrays(*arrs)
    except ValueError:
        raise InputError("cortical_state", [np.shape(a) for a in arrs],
                         "concentrations of broadcastable shapes") from None
    if np.any(k > KETAMINE_GRID_UM[-1]):
        raise InputError("ketamine_uM", float(k.max()),
                         f"<= {KETAMINE_GRID_UM[-1]} uM (the map's ketamine axis)")
    gm = np.empty(k.shape)
    cache: dict = {}
    for idx in np.ndindex(k.shape):
        q = (float(p[idx]), float(t[idx]), float(mz[idx]), float(k[idx]))
        if q not in cache:
            cache[q] = gabaa_effect(DEFAULT, *q)[0]
        gm[idx] = cache[q]
    if np.any(gm > GABAA_GRID[-1]):
        raise InputError("propofol_uM/thiopental_uM/midazolam_uM", float(gm.max()),
                         f"a GABA-A load within the map (network multiplier <= {GABAA_GRID[-1]})")
    m = load_map(refresh=refresh)
    out = _interp(m, k.ravel(), gm.ravel())
    dims = ("point",) if k.ndim == 1 else tuple(f"point_{i}" for i in range(k.ndim))
    ds = xr.Dataset({v: (dims, out[v].reshape(k.shape), {"units": "nat" if v in
                         ("feedback", "feedforward") else "1"}) for v in STATE_VARS},
                    coords={"ketamine_uM": (dims, k), "propofol_uM": (dims, p),
                            "thiopental_uM": (dims, t), "midazolam_uM": (dims, mz),
                            "gabaa_multiplier": (dims, gm)})
    return stamp(ds, model="ketasim.brain.cortical_state",
                 citations=[str(m["citations"]).split(";"), S.OWN_ESTIMATE],
                 params={"ketamine_uM": k, "propofol_uM": p, "thiopental_uM": t,
                         "midazolam_uM": mz, "map_key": str(m["key"])})


#: free effect-site concentrations (uM) for 50 % loss of responsiveness: total Ce50 x fu / MW
#: (propofol 2.8 ug/mL [milne_2003], thiopental 15.6 ug/mL [hung_1992], midazolam
#: 304 ng/mL [barr_2001]; fu and molar masses from the pk layer)
CE50_TOTAL_NG_ML = {"propofol": 2800.0, "thiopental": 15600.0, "midazolam": 304.0}


def fit_gabaa_gains(m: dict | None = None) -> dict:
    """Refit the network's GABA-A gains from the map (`ketasim.brain.params` holds the
    values used): m50 = the multiplier where the drug-free-ketamine responsiveness first
    falls to 0.5 (linear interpolation on `GABAA_GRID`), then per drug
    ``gain = (m50 - 1) / (m_d(Ce50 free) - 1)``.

    Examples
    --------
    >>> fit_gabaa_gains()["m50"] > 1.0   # doctest: +SKIP
    True
    """
    from ketasim.pk import free_concentration_umol
    from ketasim.receptors.gabaa import gabaa_decay_multiplier

    m = load_map() if m is None else m
    names = [str(s) for s in m["names"]]
    r = m["values"][names.index("responsiveness")][0]
    g = m["gaba"]
    m50 = float("nan")
    for j in range(1, len(g)):
        if r[j - 1] >= 0.5 > r[j]:
            m50 = float(g[j - 1] + (r[j - 1] - 0.5) / (r[j - 1] - r[j]) * (g[j] - g[j - 1]))
            break
    out = {"m50": m50}
    for drug, ng in CE50_TOTAL_NG_ML.items():
        c = float(free_concentration_umol(ng, drug))
        md = gabaa_decay_multiplier(**{f"{drug}_uM": c})
        out[drug] = (m50 - 1.0) / (md - 1.0)
    return out
