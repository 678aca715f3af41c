"""Registry of the canonical experiments, keyed by IDs that start with their MISSION.md claim.

An experiment module defines ``run(**params) -> xr.Dataset`` (keyword parameters with
defaults and type annotations), ``figure(ds) -> matplotlib.figure.Figure`` and
``summary(ds) -> dict`` (JSON-serialisable metrics, keys documented in the module
docstring), and registers them with `register`. Modules are discovered by importing every
module of the ``ketasim.experiments`` package.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import xarray as xr

from ketasim.core.errors import InputError, UnknownNameError


@dataclass(frozen=True)
class Experiment:
    id: str
    claim: str  # "M5", "M8", ... or "PK"
    title: str
    run: Callable[..., xr.Dataset]
    figure: Callable[[xr.Dataset], Any]
    summary: Callable[[xr.Dataset], dict]
    doc: str = ""
    in_demo: bool = True

    def parameters(self) -> dict[str, inspect.Parameter]:
        return dict(inspect.signature(self.run).parameters)

    def coerce_params(self, raw: dict[str, str]) -> dict[str, Any]:
        """Convert ``name=value`` strings to the types of ``run``'s annotations."""
        params = self.parameters()
        out: dict[str, Any] = {}
        for name, text in raw.items():
            if name not in params:
                raise UnknownNameError(f"--param {name}", name,
                                       f"one of {sorted(params)} for {self.id}")
            default = params[name].default
            kind = type(default) if default is not inspect.Parameter.empty else str
            try:
                if kind is bool:
                    if text.lower() not in {"true", "false", "1", "0", "yes", "no"}:
                        raise ValueError(text)
                    out[name] = text.lower() in {"true", "1", "yes"}
                elif kind in (tuple, list):
                    elem = type(default[0]) if default else float
                    out[name] = kind(elem(x) for x in text.split(",") if x.strip())
                else:
                    out[name] = kind(text)
            except ValueError:
                raise InputError(f"--param {name}", text,
                                 f"a value of type {kind.__name__}") from None
        return out


_REGISTRY: dict[str, Experiment] = {}
_DISCOVERED = False


def register(id: str, *, claim: str, title: str, run, figure, summary,
             in_demo: bool = True) -> Experiment:
    """Register an experiment; the ID must be lowercase and start with its claim."""
    # "m05-mg-block" belongs to claim "M5": compare the claim number without zero padding
    head = id.split("-", 1)[0]
    same = (head[:1] == claim[:1].lower() and head[1:].isdigit() and claim[1:].isdigit()
            and int(head[1:]) == int(claim[1:]))
    if not (id.startswith(claim.lower()) or same) and claim != "PK":
        raise ValueError(f"experiment id {id!r} must start with its claim {claim!r}")
    module = inspect.getmodule(run)
    exp = Experiment(id, claim, title, run, figure, summary,
                     doc=inspect.getdoc(module) or "", in_demo=in_demo)
    _REGISTRY[id] = exp
    return exp


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    import ketasim.experiments as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name != "registry":
            importlib.import_module(f"{pkg.__name__}.{info.name}")
    _DISCOVERED = True


def experiments() -> dict[str, Experiment]:
    """All registered experiments, sorted by ID."""
    _discover()
    return dict(sorted(_REGISTRY.items()))


def get(id: str) -> Experiment:
    exps = experiments()
    if id not in exps:
        raise UnknownNameError("experiment", id, f"one of {sorted(exps)}")
    return exps[id]
