"""Preset scenarios (the seed's settings, M18) and the YAML reader/writer.

``list_presets()`` names them, ``show_preset(name)`` prints a preset normalised (every default
spelled out), ``init_preset(name)`` returns its commented YAML for a user to edit, and
``load_scenario`` reads a scenario from a file, YAML text, a dict or a `Scenario`.

YAML is read with a safe loader that also refuses aliases (``*name``): a scenario never needs
them, and they can make a small document expand into a huge one.

Examples
--------
>>> "postoperative_ketamine" in list_presets()
True
>>> s = load_scenario("name: x\\nhorizon: 2 h\\n")
>>> s.horizon_h
2.0
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ketasim.core.errors import InputError, UnknownNameError
from ketasim.scenarios.schema import (
    MAX_DOSES,
    MAX_HORIZON_H,
    MAX_POINTS,
    MAX_REGIMENS,
    MAX_TESTS,
    MAX_TEXT,
    Scenario,
)

__all__ = ["PRESET_DIR", "list_presets", "show_preset", "init_preset", "load_scenario",
           "to_yaml", "preset_path"]

PRESET_DIR = Path(__file__).with_name("presets")


def list_presets() -> list[str]:
    """Names of the preset scenarios, sorted.

    >>> list_presets()[:2]
    ['healthy_volunteer', 'healthy_volunteer_ketamine']
    """
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def preset_path(name: str) -> Path:
    """Path of preset ``name`` (`UnknownNameError` listing the presets if there is none)."""
    names = list_presets()
    if not isinstance(name, str) or name not in names:
        raise UnknownNameError("preset", name, f"one of {', '.join(names)}")
    return PRESET_DIR / f"{name}.yaml"


def show_preset(name: str) -> str:
    """Preset ``name`` as normalised YAML (every default spelled out, units canonical).

    >>> print(show_preset("healthy_volunteer").splitlines()[1])
    name: healthy_volunteer
    """
    return to_yaml(load_scenario(preset_path(name)))


def init_preset(name: str) -> str:
    """Preset ``name`` as the commented YAML a user copies and edits
    (``ketasim scenario init NAME > my.yaml``).

    >>> init_preset("postoperative_ketamine").startswith("# ketasim scenario")
    True
    """
    text = preset_path(name).read_text(encoding="utf-8")
    head = (f"# ketasim scenario, from the preset {name!r}. Edit it, then run it with\n"
            "#   ketasim simulate my.yaml\n"
            "# Quantities carry their units ('0.5 mg/kg', '24 h'); fields ending in a unit\n"
            "# (weight_kg) take a plain number. Unknown fields are refused.\n")
    return head + text


def to_yaml(scenario: Scenario) -> str:
    """The normalised scenario as YAML (loads back to a scenario with the same hash).

    >>> s = Scenario(name="x")
    >>> load_scenario(to_yaml(s)) == s
    True
    """
    data = scenario.model_dump(mode="json")
    for r in data.get("regimens", []):  # the empty PCA / TCI slots
        for k in ("pca", "tci"):
            if r.get(k) is None:
                r.pop(k, None)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


class _NoAliasSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (``*anchor``)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise InputError("yaml", f"alias at {event.start_mark}".strip(),
                             "a document without anchors/aliases (&name, *name)")
        return super().compose_node(parent, index)


def read_text_file(path) -> str:
    """The text of a YAML document file (scenarios and trials), or `InputError` naming the
    path."""
    path = Path(path)
    if not path.is_file():
        raise InputError("path", str(path), "an existing YAML file")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("path", str(path), f"a readable UTF-8 text file ({exc})") from None


def _read_yaml(text: str) -> Any:
    if len(text) > MAX_TEXT:
        raise InputError("yaml", f"{len(text)} characters", f"at most {MAX_TEXT} characters")
    try:
        return yaml.load(text, Loader=_NoAliasSafeLoader)  # noqa: S506 (safe loader subclass)
    except InputError:
        raise
    except yaml.constructor.ConstructorError as exc:
        where = f" at {exc.problem_mark}".replace("\n", " ") if exc.problem_mark else ""
        raise InputError("yaml", f"{exc.problem}{where}".strip(),
                         "plain YAML (mappings, lists, strings, numbers, booleans); tags "
                         "that construct objects (!!python/...) are refused") from None
    except yaml.YAMLError as exc:
        raise InputError("yaml", " ".join(str(exc).split())[:200],
                         "a well-formed YAML document") from None
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:
        raise InputError("yaml", type(exc).__name__, "a well-formed YAML document") from None


def load_scenario(source: Any, *, max_tests: int = MAX_TESTS,
                  max_horizon_h: float = MAX_HORIZON_H, max_points: int = MAX_POINTS,
                  max_regimens: int = MAX_REGIMENS, max_doses: int = MAX_DOSES) -> Scenario:
    """Read and validate a scenario.

    Parameters
    ----------
    source : a `Scenario`; a dict; a path (``Path``, or a string ending in ``.yaml``/``.yml``)
        of a YAML file; or YAML text.
    max_tests, max_horizon_h, max_points, max_regimens, max_doses : caps on the work (stimulus
        tests, simulated hours, points of the report grid, regimens, doses per regimen).

    Raises
    ------
    InputError (a `ScenarioError` listing every problem with its field path) for an invalid
    document; `UnknownNameError` etc. for a bad drug, model or kind.

    Examples
    --------
    >>> load_scenario({"name": "x", "regimens": [{"drug": "ketamine",
    ...     "doses": [{"kind": "infusion", "rate": "0.15 mg/kg"}]}]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ketasim.scenarios.schema.ScenarioUnitError: regimens[0].doses[0].rate: got '0.15 mg/kg'; ...
    """
    context = {"max_tests": max_tests, "max_horizon_h": max_horizon_h,
               "max_points": max_points, "max_regimens": max_regimens, "max_doses": max_doses}
    if isinstance(source, Scenario):
        source = source.model_dump(mode="json")
    elif isinstance(source, Path) or (
            isinstance(source, str) and "\n" not in source
            and source.strip().lower().endswith((".yaml", ".yml"))):
        source = read_text_file(source)
    if isinstance(source, str):
        source = _read_yaml(source)
    if not isinstance(source, dict):
        raise InputError("scenario", type(source).__name__ if source is not None else None,
                         "a mapping of fields (name, patient, regimens, condition, tests, "
                         "readouts, horizon, seed)")
    return Scenario.model_validate(source, context=context)
