"""Common invalid-input tests over every public spec, function and CLI command (issue 8).

Like scikit-learn's common estimator checks: the constraints each spec and public function
declares (`ketasim.core.validation`) are read back, invalid values are generated for each
field, and every call must raise a `KetasimError` whose message names the field (and the
value): never a traceback, a NaN result, a crash or a hang. A public spec without declared
constraints fails here, so new code cannot skip validation.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import subprocess
import sys

import pytest

import ketasim
from ketasim.core.errors import KetasimError
from ketasim.core.validation import invalid_values

LAYERS = ("ketasim", "ketasim.pk", "ketasim.receptors", "ketasim.spinal", "ketasim.clinical",
          "ketasim.core")


def _public(kind):
    seen = {}
    for name in LAYERS:
        mod = importlib.import_module(name)
        for attr in getattr(mod, "__all__", ()):
            obj = getattr(mod, attr)
            if kind(obj) and id(obj) not in seen:
                seen[id(obj)] = (f"{name}.{attr}", obj)
    return sorted(seen.values(), key=lambda x: x[0])


def _is_spec(obj):
    return (inspect.isclass(obj) and dataclasses.is_dataclass(obj)
            and obj.__dataclass_params__.frozen)


SPECS = _public(_is_spec)
FUNCS = _public(lambda o: inspect.isfunction(o) and hasattr(o, "__ketasim_constraints__"))

# Valid arguments for the required parameters of public functions (the rest take defaults).
EXAMPLES: dict[str, dict] = {}


def _cases(constraints):
    for field, cons in constraints.items():
        cons = cons if isinstance(cons, tuple) else (cons,)
        for bad in invalid_values(*cons):
            yield field, bad


def _assert_names(exc: BaseException, field: str):
    msg = str(exc)
    assert isinstance(exc, KetasimError), f"{type(exc).__name__}: {msg}"
    assert field.split(".")[-1] in msg, f"message does not name {field!r}: {msg}"
    assert "allowed" in msg or "at most" in msg, msg


@pytest.mark.parametrize("name,cls", SPECS, ids=[n for n, _ in SPECS])
def test_every_public_spec_declares_and_enforces_constraints(name, cls):
    try:
        default = cls()
    except TypeError:
        pytest.skip(f"{name} has required fields; covered by its own tests")
    cons = cls.__dict__.get("__ketasim_constraints__")
    assert cons, f"{name} declares no constraints (use check_fields in __post_init__)"
    n = 0
    for field, bad in _cases(cons):
        with pytest.raises(KetasimError) as info:
            dataclasses.replace(default, **{field: bad})
        _assert_names(info.value, field)
        n += 1
    assert n > 0


@pytest.mark.parametrize("name,func", FUNCS, ids=[n for n, _ in FUNCS])
def test_every_validated_function_refuses_invalid_values(name, func):
    base = EXAMPLES.get(name, {})
    sig = inspect.signature(func)
    required = [p for p, v in sig.parameters.items()
                if v.default is inspect.Parameter.empty
                and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)]
    missing = [p for p in required if p not in base]
    assert not missing, f"add valid example args for {name}: {missing}"
    for field, bad in _cases(func.__ketasim_constraints__):
        with pytest.raises(KetasimError) as info:
            func(**{**base, field: bad})
        _assert_names(info.value, field)


def test_public_functions_are_found():
    assert len(SPECS) >= 3 and len(FUNCS) >= 3, (len(SPECS), len(FUNCS))


# --------------------------------------------------------------------------- the CLI
BAD_COMMAND_LINES = [
    # (argv, words the one-line message must contain)
]


def _cli(argv, tmp_path):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-c", "from ketasim.cli import main; main()", *argv],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)


@pytest.mark.parametrize("argv,words", BAD_COMMAND_LINES,
                         ids=[" ".join(a) for a, _ in BAD_COMMAND_LINES])
def test_cli_bad_input_is_one_clear_line(argv, words, tmp_path):
    r = _cli([a.replace("{tmp}", str(tmp_path)) for a in argv], tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode == 2, (r.returncode, out)
    assert "Traceback" not in out, out
    for w in words:
        assert w in out, (w, out)


def test_version_is_exported():
    assert ketasim.__version__
