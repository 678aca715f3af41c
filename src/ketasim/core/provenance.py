"""Provenance attributes stamped on every result Dataset.

`stamp` records what produced a result: the ketasim version, the model, the complete
normalised input (``params``, as canonical JSON, and its ``params_hash``), the seed, and the
citation keys of every layer the result rests on. `normalise` defines "the same input": two
inputs hash alike exactly when their normalised forms are equal.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Spec:
...     g_nS: float = 1.0
>>> params_hash({"spec": Spec(), "seed": 0}) == params_hash({"seed": 0, "spec": Spec(1)})
True
>>> params_hash({"spec": Spec(1.0)}) == params_hash({"spec": Spec(1.0000001)})
False
>>> normalise({"x": np.array([0.5, np.nan]), "t": (1, 2.0)})
{'t': [1, 2], 'x': {'__ndarray__': 'float64', 'shape': [2], 'data': [0.5, 'nan']}}
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
import platform
import re
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import PurePath
from typing import Any

import numpy as np
import xarray as xr

from ketasim.core.citations import get as get_citation
from ketasim.core.citations import keys_of

#: arrays with more elements than this are represented by a digest of their bytes
ARRAY_INLINE_MAX = 64


def ketasim_version() -> str:
    """The installed ketasim version (``"0+unknown"`` when run from a source tree)."""
    try:
        return version("ketasim")
    except PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


def _float(x: float):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 2**53:
        return int(x)  # 1.0 and 1 are the same input
    return x  # json writes repr(): round-trip precision


def _qualname(obj) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _array(a: np.ndarray) -> dict:
    out = {"__ndarray__": str(a.dtype), "shape": list(a.shape)}
    if a.dtype.kind in "biufc" and a.size > ARRAY_INLINE_MAX:
        c = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        if a.dtype.kind in "fc":  # one bit pattern per NaN, and -0.0 == 0.0
            c = np.where(np.isnan(c), np.nan, c) + 0.0
        out["sha256"] = hashlib.sha256(c.tobytes()).hexdigest()
    else:
        out["data"] = normalise(a.tolist())
    return out


def digest(*arrays) -> str:
    """Short sha256 of arrays (shape, dtype and bytes).

    Examples
    --------
    >>> digest(np.zeros(3)) == digest(np.zeros(3)), digest(np.zeros(3)) == digest(np.ones(3))
    (True, False)
    """
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def summarise_array(a, max_list: int = 50):
    """Values as a list when short, else their count, range and `digest` (for stamps).

    Examples
    --------
    >>> summarise_array([1, 2.5])
    [1.0, 2.5]
    >>> sorted(summarise_array(np.arange(100.0), max_list=10))
    ['max', 'min', 'n', 'sha256']
    """
    a = np.asarray(a, dtype=float)
    if a.size <= max_list:
        return [float(x) for x in a.ravel()]
    return {"n": int(a.size), "min": float(a.min()), "max": float(a.max()),
            "sha256": digest(a)}


def normalise(obj: Any) -> Any:
    """Canonical JSON-ready form of an input, used by `params_hash` and `stamp`.

    Dataclasses become ``{"__type__": class, field: ...}`` (every field, recursively),
    pydantic models likewise (``model_dump``); numpy scalars become Python numbers and
    arrays ``{"__ndarray__": dtype, "shape", "data"}`` (a SHA-256 of the bytes instead of
    ``data`` above 64 elements); tuples, lists and sets become lists (sets sorted); paths
    become strings; pint quantities ``{"magnitude", "units"}`` in base units; xarray objects
    their dims, coords and values; enums their value; functions and classes their qualified
    name. Floats keep full (repr) precision; NaN becomes ``"nan"``, infinities ``"inf"`` and
    ``"-inf"``; integral floats equal the integer (``1.0`` and ``1`` are the same input).
    Mapping keys become strings. Unknown objects fall back to their type and ``repr`` with
    memory addresses removed.

    Examples
    --------
    >>> normalise({"b": float("nan"), "a": (1.5, None)})
    {'a': [1.5, None], 'b': 'nan'}
    >>> normalise(np.float32(0.1))
    0.10000000149011612
    """
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, enum.Enum):
        return {"__enum__": _qualname(type(obj)), "value": normalise(obj.value)}
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return _float(float(obj))
    if isinstance(obj, complex):
        return {"__complex__": [_float(obj.real), _float(obj.imag)]}
    if isinstance(obj, np.generic):
        return normalise(obj.item())
    if isinstance(obj, np.ndarray):
        return _array(obj)
    if isinstance(obj, PurePath):
        return str(obj)
    if isinstance(obj, xr.DataArray):
        return {"__dataarray__": obj.name if isinstance(obj.name, str) else normalise(obj.name),
                "dims": list(map(str, obj.dims)),
                "coords": {str(k): normalise(v.values) for k, v in obj.coords.items()},
                "values": normalise(obj.values)}
    if isinstance(obj, xr.Dataset):
        return {"__dataset__": {str(k): normalise(v) for k, v in obj.data_vars.items()},
                "coords": {str(k): normalise(v.values) for k, v in obj.coords.items()}}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {"__type__": _qualname(type(obj))}
        for f in dataclasses.fields(obj):
            out[f.name] = normalise(getattr(obj, f.name))
        return out
    if hasattr(obj, "model_dump") and hasattr(type(obj), "model_fields"):  # pydantic v2
        return {"__type__": _qualname(type(obj)), **normalise(obj.model_dump())}
    if hasattr(obj, "magnitude") and hasattr(obj, "units") and hasattr(obj, "to_base_units"):
        try:  # pint Quantity: "2 h" and "120 min" are the same input
            q = obj.to_base_units()
        except Exception:  # noqa: BLE001  (offset units etc.: keep as given)
            q = obj
        return {"magnitude": normalise(q.magnitude), "units": str(q.units)}
    if isinstance(obj, Mapping):
        items = {(k if isinstance(k, str) else json.dumps(normalise(k), sort_keys=True)):
                 normalise(v) for k, v in obj.items()}
        return dict(sorted(items.items()))
    if isinstance(obj, set | frozenset):
        items = [normalise(x) for x in obj]
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
    if isinstance(obj, list | tuple | range):
        return [normalise(x) for x in obj]
    if isinstance(obj, type) or callable(obj):
        return {"__callable__": _qualname(obj)}
    if isinstance(obj, Iterable):
        return [normalise(x) for x in obj]
    return {"__object__": _qualname(type(obj)),
            "repr": re.sub(r" at 0x[0-9a-fA-F]+", "", repr(obj))}


def canonical_json(obj: Any) -> str:
    """`normalise` d ``obj`` as compact JSON with sorted keys (the text that is hashed)."""
    return json.dumps(normalise(obj), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)


def params_hash(params: Any) -> str:
    """Short SHA-256 hash of the complete normalised input (the scenario hash).

    >>> params_hash({"a": 1}) == params_hash({"a": 1.0})
    True
    >>> params_hash({"model": "kamp", "t": [1, 2]}) == params_hash({"model": "domino", "t": [1, 2]})
    False
    """
    return hashlib.sha256(canonical_json(params).encode()).hexdigest()[:16]


def stamp(ds: xr.Dataset, *, model: str, citations: Any = (), params: Any = None,
          seed: int | None = None) -> xr.Dataset:
    """Add provenance attributes to ``ds`` in place and return it.

    Parameters
    ----------
    ds : the result.
    model : what produced it (a model or experiment name).
    citations : keys, or anything `ketasim.core.citations.keys_of` reads: nested lists,
        other results (their ``attrs["citations"]``). They are merged, in order and unique,
        with the keys ``ds`` (and its data variables) already carry; each must be in the
        bibliography (`UnknownNameError` otherwise).
    params : the complete input (specs, protocol, grid, conditions, seed); stored as
        canonical JSON (`normalise`) with its `params_hash`.
    seed : the seed of the run; defaults to ``params["seed"]`` when present, else -1.

    Attributes written: ``ketasim_version``, ``model``, ``citations`` (';'-joined),
    ``params``, ``params_hash``, ``seed``, ``python``, ``numpy``.

    Examples
    --------
    >>> ds = xr.Dataset({"a": ("time", [0.0, 1.0])}, attrs={"citations": "aguiar2010"})
    >>> stamp(ds, model="demo", citations=[["jahr_stevens_1990"]], params={"seed": 3}).attrs[
    ...     "citations"]
    'aguiar2010;jahr_stevens_1990'
    >>> ds.attrs["seed"], ds.attrs["params"]
    (3, '{"seed":3}')
    """
    keys = keys_of([ds, citations])
    for k in keys:
        get_citation(k)  # fail loudly on a key that is not in the bibliography
    params = {} if params is None else params
    if seed is None and isinstance(params, Mapping) and "seed" in params:
        seed = params["seed"]
    try:
        seed_attr = -1 if seed is None else int(seed)
    except (TypeError, ValueError):
        seed_attr = -1
    text = canonical_json(params)
    ds.attrs.update(
        ketasim_version=ketasim_version(),
        model=model,
        citations=";".join(keys),
        params=text,
        params_hash=hashlib.sha256(text.encode()).hexdigest()[:16],
        seed=seed_attr,
        python=platform.python_version(),
        numpy=np.__version__,
    )
    return ds
