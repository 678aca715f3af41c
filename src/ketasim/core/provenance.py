"""Provenance attributes stamped on every result Dataset."""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import xarray as xr

from ketasim.core.citations import get as get_citation


def ketasim_version() -> str:
    try:
        return version("ketasim")
    except PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


def params_hash(params: dict) -> str:
    """Stable short hash of a JSON-serialisable parameter dict (the scenario hash)."""
    blob = json.dumps(params, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def stamp(ds: xr.Dataset, *, model: str, citations: Iterable[str] = (),
          params: dict | None = None, seed: int | None = None) -> xr.Dataset:
    """Add provenance attributes to ``ds`` in place and return it.

    Attributes: ``ketasim_version``, ``model``, ``citations`` (';'-joined registry keys, each
    checked to exist), ``params_hash`` and ``params`` (JSON), ``seed``, ``python``, ``numpy``.
    """
    keys = []
    for k in [*ds.attrs.get("citations", "").split(";"), *citations]:
        if k and k not in keys:
            get_citation(k)  # fail loudly on an unregistered key
            keys.append(k)
    params = params or {}
    ds.attrs.update(
        ketasim_version=ketasim_version(),
        model=model,
        citations=";".join(keys),
        params=json.dumps(params, sort_keys=True, default=str),
        params_hash=params_hash(params),
        seed=-1 if seed is None else int(seed),
        python=platform.python_version(),
        numpy=np.__version__,
    )
    return ds
