"""Registry of the canonical experiments, keyed by IDs that start with their claim (M1..M18, PK).

An experiment module defines ``run(**params) -> xr.Dataset`` (keyword parameters with
defaults and type annotations), ``figure(ds) -> matplotlib.figure.Figure`` and
``summary(ds) -> dict`` (JSON-serialisable metrics, keys documented in the module
docstring), and registers them with `register`. An optional ``story(summary) -> dict`` tells
the demo report, in words, what the result shows (see `register`). Modules are discovered by
importing every module of the ``ketasim.experiments`` package.

The registry stamps every result (`ketasim.core.provenance.stamp`) after the run: ``model``
is ``experiment:<id>``, ``params`` the experiment ID and its complete arguments (defaults
filled in, plus the ``params_hash`` of the layer's own stamp, if any), and ``citations`` the
keys of every layer the result carries, merged with those the experiment registers.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import xarray as xr

from ketasim.core.errors import InputError, KetasimError, UnknownNameError
from ketasim.core.provenance import stamp


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
    story: Callable[[dict], dict] | None = None

    def parameters(self) -> dict[str, inspect.Parameter]:
        return dict(inspect.signature(self.run).parameters)

    def coerce_params(self, raw: dict[str, str]) -> dict[str, Any]:
        """Convert ``name=value`` strings (the CLI's ``-p``) to the types of ``run``'s defaults.

        Unknown names raise `UnknownNameError` naming the name and the allowed ones; values
        that do not parse raise `InputError`. Whether a parsed value is allowed (``hours=-1``)
        is for the experiment's own validation (``@validate_params`` on ``run``).

        Examples
        --------
        >>> from ketasim.experiments import get
        >>> get("m15-transporters").coerce_params({"n_points": "5", "ketamine_min_uM": "0.1"})
        {'n_points': 5, 'ketamine_min_uM': 0.1}
        """
        params = self.parameters()
        out: dict[str, Any] = {}
        for name, text in raw.items():
            if name not in params:
                raise UnknownNameError(
                    "--param", name, f"one of {', '.join(sorted(params))} (parameters of "
                    f"{self.id}; see `ketasim experiment list`)")
            default = params[name].default
            kind = type(default) if default not in (inspect.Parameter.empty, None) else str
            try:
                if kind is bool:
                    if text.lower() not in {"true", "false", "1", "0", "yes", "no"}:
                        raise ValueError(text)
                    out[name] = text.lower() in {"true", "1", "yes"}
                elif kind in (tuple, list):
                    elem = type(default[0]) if default else float
                    out[name] = kind(_parse(elem, x.strip()) for x in text.split(",")
                                     if x.strip())
                else:
                    out[name] = _parse(kind, text.strip())
            except (ValueError, TypeError, OverflowError):
                shown = ("a comma-separated list of " + elem.__name__ + " values"
                         if kind in (tuple, list) else f"a value of type {kind.__name__}")
                raise InputError(f"--param {name}", text, shown) from None
        return out


def _parse(kind: type, text: str):
    """Parse one CLI value as ``kind``; an integer may be written ``1e3`` or ``5.0``."""
    if kind is int:
        try:
            return int(text)
        except ValueError:
            x = float(text)
            if not x.is_integer():
                raise
            return int(x)
    return kind(text)


_REGISTRY: dict[str, Experiment] = {}
_DISCOVERED = False


def register(id: str, *, claim: str, title: str, run, figure, summary,
             in_demo: bool = True, citations=(), story=None) -> Experiment:
    """Register an experiment; the ID must be lowercase and start with its claim.

    ``run`` is wrapped so that every result is stamped (see the module docstring);
    ``citations`` are keys the experiment rests on beyond those its layers stamp.

    ``story`` (optional) is ``story(summary) -> dict`` for the demo report, computed from the
    summary (no result number written in): ``{"shows": str`` (what the figure shows),
    ``"numbers": [(label, value, unit)]`` (the key numbers), ``"comparisons": [(what, model,
    target, source, met)]`` (``model`` and ``target`` as text with units, ``source`` the
    citation key or document the target comes from, ``met`` a bool), ``"deviations":
    [str]}`` (known deviations, in words). `ketasim.report.stories.check_story` checks it.
    """
    # "m05-mg-block" belongs to claim "M5": compare the claim number without zero padding
    head = id.split("-", 1)[0]
    same = (head[:1] == claim[:1].lower() and head[1:].isdigit() and claim[1:].isdigit()
            and int(head[1:]) == int(claim[1:]))
    if not (id.startswith(claim.lower()) or same) and claim != "PK":
        raise ValueError(f"experiment id {id!r} must start with its claim {claim!r}")
    module = inspect.getmodule(run)
    exp = Experiment(id, claim, title, _stamped(id, run, tuple(citations)), figure, summary,
                     doc=inspect.getdoc(module) or "", in_demo=in_demo, story=story)
    _REGISTRY[id] = exp
    return exp


def _stamped(exp_id: str, run: Callable[..., xr.Dataset], citations: tuple):
    """``run`` that refuses unknown arguments by name and stamps its result."""
    sig = inspect.signature(run)

    @functools.wraps(run)
    def wrapper(*args, **kwargs):
        unknown = [k for k in kwargs if k not in sig.parameters]
        if unknown:
            raise UnknownNameError(f"{exp_id} argument", unknown[0],
                                   f"one of {', '.join(sig.parameters)}")
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as exc:
            raise InputError(f"{exp_id} arguments", args, str(exc)) from None
        bound.apply_defaults()
        ds = run(*args, **kwargs)
        if not isinstance(ds, xr.Dataset):
            raise KetasimError(f"experiment {exp_id}: run returned {type(ds).__name__}, "
                               "not an xarray Dataset")
        arguments = dict(bound.arguments)
        params = {"experiment": exp_id, "arguments": arguments}
        if ds.attrs.get("params_hash"):
            params["result_params_hash"] = ds.attrs["params_hash"]
            params["result_model"] = ds.attrs.get("model", "")
        seed = arguments.get("seed")
        return stamp(ds, model=f"experiment:{exp_id}", citations=citations, params=params,
                     seed=seed if isinstance(seed, int) else None)

    return wrapper


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
    """The registered experiment ``id``; `UnknownNameError` lists the IDs otherwise."""
    exps = experiments()
    if id not in exps:
        raise UnknownNameError("experiment", id, f"one of {sorted(exps)}")
    return exps[id]
