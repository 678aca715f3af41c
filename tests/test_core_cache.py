"""Content-keyed caches (issue 8): an edit to any file a kernel imports gives fresh kernels.

numba's own cache stamps only the calling function's file, so a kernel that calls a kernel of
another file kept running the old code after an edit of that other file. These tests edit a
copy of the package and check that the results follow the edit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ketasim
from ketasim.core import cache

PKG = Path(ketasim.__file__).parent

# The clamp kernels (receptors/clamp.py, kinetics.py) call the NMDA kernels of nmda.py.
PROBE = """
from ketasim.receptors.clamp import Segment, clamp_nmda
ds = clamp_nmda([[Segment(50.0, -60.0, glutamate_uM=1000.0)]], dt_ms=1.0)
print(repr(float(ds["i_nmda"].values[0, -1])))
"""
KERNEL_DEF = "def nmda_fill_rate_matrix(Q, v, glu, mg, ket, nk, p):\n"
EDIT = KERNEL_DEF + "    glu = 0.01 * glu  # test edit\n"


def _run(src_root: Path, cache_dir: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src_root), "KETASIM_CACHE": str(cache_dir)}
    r = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                       env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    return float(r.stdout.strip().splitlines()[-1])


def test_fingerprint_follows_the_import_closure():
    files = {p.name for p in cache.source_closure("ketasim.spinal.engine")}
    assert {"engine.py", "nmda.py"} <= files
    assert "solver.py" not in files  # the PK solver is not part of the spinal engine
    assert cache.fingerprint("ketasim.spinal.engine") != cache.fingerprint("ketasim.pk.solver")
    assert cache.fingerprint("ketasim.pk.solver", extra="a") != cache.fingerprint(
        "ketasim.pk.solver", extra="b")


def test_editing_a_called_kernel_recompiles_its_callers(tmp_path):
    """Edit nmda.py only (not the clamp files that call it): with the warm cache the clamp
    must give what a cold compile of the edited code gives, not the old result."""
    src = tmp_path / "src"
    shutil.copytree(PKG, src / "ketasim", ignore=shutil.ignore_patterns("__pycache__"))
    warm = tmp_path / "cache"
    before = _run(src, warm)
    nmda = src / "ketasim" / "receptors" / "nmda.py"
    text = nmda.read_text()
    assert KERNEL_DEF in text
    nmda.write_text(text.replace(KERNEL_DEF, EDIT))
    after = _run(src, warm)
    cold = _run(src, tmp_path / "cold")
    assert after == cold and abs(after - before) > 1e-3 * abs(before)
    assert len(list((warm / "numba").iterdir())) >= 2  # a second, separately keyed kernel set


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "t.json"

    def boom(tmp):
        tmp.write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        cache.atomic_write(target, boom)
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_cached_file_computes_once_and_reads_back(tmp_path, monkeypatch):
    monkeypatch.setenv("KETASIM_CACHE", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return "value"

    def load(p):
        return p.read_text()

    def save(obj, p):
        p.write_text(obj)

    assert cache.cached_file("x_k1.txt", compute, load, save) == "value"
    assert cache.cached_file("x_k1.txt", compute, load, save) == "value"
    assert calls == [1]
    cache.cached_file("x_k2.txt", compute, load, save)  # a new key computes afresh
    assert calls == [1, 1]
