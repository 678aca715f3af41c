"""Killed trial runs: the whole run (SIGKILL of `ketasim trial run`), one Dask worker, one
process of the local pool. Each resumes or retries without losing, duplicating or
recomputing patients, and gives the numbers of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import yaml
import zarr

import ketasim
from ketasim.trials import load_trial
from ketasim.trials.runner import run_trial

SRC = str(Path(ketasim.__file__).resolve().parents[1])
TIMEOUT_S = 150  # a run that does not finish by then fails the test (no hang)


def _trial(n, block_size):
    return load_trial({
        "name": "kill", "base": "postoperative", "population": {"size": n, "seed": 11},
        "arms": [{"name": "placebo"}, {"name": "ketamine", "regimens": [
            {"drug": "ketamine", "doses": [{"kind": "bolus", "dose": "0.5 mg/kg"},
                                           {"kind": "infusion", "rate": "0.15 mg/kg/h",
                                            "duration": "24 h"}]}]}],
        "outcomes": [{"name": "pain24", "kind": "ongoing_pain", "time": "24 h"},
                     {"name": "heat24", "kind": "heat", "time": "24 h", "site": "injured"},
                     {"name": "peak", "kind": "peak_plasma"}],
        "summaries": {"n_boot": 100}, "block_size": block_size})


def _open(path):
    return zarr.open_group(str(path), mode="r")


def _assert_same_as(ref, got, n):
    """Every patient once (in the arm it is allocated to) and the values of ``ref``."""
    alloc = got["allocation"][:]
    for name in ("outcomes/pain24", "outcomes/heat24", "outcomes/peak", "courses/gain",
                 "courses/ongoing_nrs", "scales/transfer"):
        np.testing.assert_array_equal(ref[name][:], got[name][:], err_msg=name)
    fin = np.isfinite(got["outcomes/pain24"][:])
    assert fin.sum(axis=0).tolist() == [1] * n
    np.testing.assert_array_equal(fin, alloc)
    assert got["done"][:].all()


def _done(path):
    try:
        return _open(path)["done"][:]
    except Exception:  # not created yet
        return None


def test_kill_whole_run_then_resume(tmp_path):
    """SIGKILL `ketasim trial run` after >= 1 finished block; `--resume` finishes it: every
    patient once, finished blocks not rewritten (their time and write count unchanged),
    values equal to an uninterrupted run."""
    from typer.testing import CliRunner

    from ketasim.cli import app

    n, bs = 24, 2
    t = _trial(n, bs)
    f = tmp_path / "kill.yaml"
    f.write_text(yaml.safe_dump(t.model_dump(mode="json"), sort_keys=False))
    assert load_trial(f).population.size == n
    out = tmp_path / "o"
    store = out / "trial.zarr"
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from ketasim.cli import main; main()", "trial", "run",
         str(f), "--workers", "1", "--out", str(out)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + TIMEOUT_S
        while time.time() < deadline and proc.poll() is None:
            d = _done(store)
            if d is not None and d.sum() >= 1:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    g = _open(store)
    done0, written0, writes0 = g["done"][:], g["written"][:], g["writes"][:]
    nb = done0.size
    assert nb == n // bs and 1 <= done0.sum() < nb, done0  # killed mid-run
    assert np.all(writes0[done0] == 1)

    r = CliRunner().invoke(app, ["trial", "run", str(f), "--workers", "1", "--out", str(out),
                                 "--resume", "--json"])
    assert r.exit_code == 0, r.output
    g = _open(store)
    np.testing.assert_array_equal(g["written"][:][done0], written0[done0])  # not recomputed
    assert np.all(g["writes"][:][done0] == 1)
    assert np.all(g["writes"][:] >= 1) and np.all(g["writes"][:] <= 2)  # <= 2: killed mid-write
    ref = _open(run_trial(t, tmp_path / "ref", workers=1))
    assert ref["writes"][:].tolist() == [1] * nb
    _assert_same_as(ref, g, n)


def test_kill_one_dask_worker(tmp_path):
    """A local Dask cluster (2 single-threaded worker processes); one worker is SIGKILLed
    while it runs a block. The scheduler reruns the lost block on a worker (the survivor or
    the nanny's restarted one); the run completes, each block written once, values equal to
    the serial run."""
    from distributed import Client, LocalCluster

    n, bs = 12, 2
    t = _trial(n, bs)
    ref = _open(run_trial(t, tmp_path / "ref", workers=1))
    store = tmp_path / "d" / "trial.zarr"
    killed: dict = {}
    result: dict = {}
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    try:
        def killer():
            with Client(cluster, set_as_default=False) as c:
                deadline = time.time() + TIMEOUT_S
                while time.time() < deadline and "path" not in result:
                    for addr, keys in c.processing().items():
                        keys = [str(k) for k in keys if str(k).startswith("ketasim-block-")]
                        if not keys:
                            continue
                        time.sleep(0.3)  # well inside the block (imports, kernels, chain)
                        nanny = next(w for w in cluster.workers.values()
                                     if w.worker_address == addr)
                        pid = nanny.process.process.pid
                        os.kill(pid, signal.SIGKILL)
                        blocks = [int(k.split("-")[2]) for k in keys]
                        killed.update(addr=addr, pid=pid, blocks=blocks,
                                      done=_done(store))
                        return
                    time.sleep(0.02)

        def driver():
            try:
                result["path"] = run_trial(t, tmp_path / "d",
                                           scheduler=cluster.scheduler_address)
            except BaseException as exc:  # reported by the test thread
                result["error"] = exc

        kt = threading.Thread(target=killer, daemon=True)
        dt = threading.Thread(target=driver, daemon=True)
        kt.start()
        dt.start()
        dt.join(TIMEOUT_S)
        assert not dt.is_alive(), f"the Dask run did not finish in {TIMEOUT_S} s"
        kt.join(10)
    finally:
        cluster.close(timeout=30)
    if "error" in result:
        raise result["error"]
    assert killed, "no worker was killed"
    # the killed worker was running a block that was not finished then
    assert any(not killed["done"][b] for b in killed["blocks"]), killed
    g = _open(result["path"])
    assert g["writes"][:].tolist() == [1] * (n // bs)  # no block lost or written twice
    _assert_same_as(ref, g, n)


def test_local_pool_lost_process_retried(tmp_path, monkeypatch):
    """A process of the local pool dies (SIGKILL) while the pool runs the blocks: it breaks,
    a new pool runs the blocks left; every block is written once and values equal serial."""
    from concurrent.futures import ProcessPoolExecutor

    n, bs = 8, 2
    t = _trial(n, bs)
    ref = _open(run_trial(t, tmp_path / "ref", workers=1))
    pools: list = []
    real_init = ProcessPoolExecutor.__init__

    def spy(self, *a, **kw):
        real_init(self, *a, **kw)
        pools.append(self)

    monkeypatch.setattr(ProcessPoolExecutor, "__init__", spy)
    killed: list = []

    def kill_first_pool():
        deadline = time.time() + TIMEOUT_S
        while time.time() < deadline and not pools:
            time.sleep(0.01)
        while time.time() < deadline:
            procs = dict(getattr(pools[0], "_processes", None) or {})
            if procs:
                time.sleep(1.0)  # inside the first block (spawned import + kernels)
                pid = next(iter(procs))
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.01)

    th = threading.Thread(target=kill_first_pool, daemon=True)
    th.start()
    path = run_trial(t, tmp_path / "p", workers=2)
    th.join(10)
    assert killed and len(pools) == 2  # the broken pool, then one for the blocks left
    g = _open(path)
    assert g["writes"][:].tolist() == [1] * (n // bs)
    _assert_same_as(ref, g, n)
