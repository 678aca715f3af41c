"""Running a trial: blocks of patients on a backend, streamed into the Zarr store.

Backends
--------
``serial``  every block in this process (``workers=1``).
``local``   a process pool (`concurrent.futures.ProcessPoolExecutor`, spawn start method);
            the default, ``workers`` processes (default: the CPU count).
``dask``    Dask distributed: ``scheduler="tcp://HOST:PORT"`` uses a running cluster;
            otherwise a `distributed.LocalCluster` of ``workers`` single-threaded processes
            is started. Tasks have ``retries`` (default 3): a block whose worker dies is
            run again on another worker.

Every block's numbers depend only on the trial and its patients (`ketasim.trials.population`),
so all backends give identical results. The driver is the only writer of the store and
marks a block done after writing it; ``resume=True`` skips finished blocks.

Examples
--------
>>> import tempfile
>>> from ketasim.trials.schema import load_trial
>>> t = load_trial("postop_ketamine_vs_placebo", patients=4)
>>> path = run_trial(t, tempfile.mkdtemp(), workers=1)
>>> path.name
'trial.zarr'
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from ketasim.core.errors import InputError
from ketasim.trials.schema import Trial, load_trial
from ketasim.trials.store import blocks, done_blocks, open_store, write_block

__all__ = ["run_trial", "run_block_task", "warm_kernels", "BACKENDS"]

BACKENDS = ("serial", "local", "dask")
Progress = Callable[[int, int], None]


_WARM: set[str] = set()  # trials whose kernels this process has compiled or loaded


def warm_kernels(trial) -> None:
    """Compile (or load) the numba kernels ``trial`` uses, once per machine at a time.

    Several fresh processes compiling the same ``cache=True`` kernels at once can leave
    numba's cache index and data files of different compilations side by side, and a process
    that loads them can crash (numba issues 4807 and 10128; a process pool then reports
    ``BrokenProcessPool``). So the first process runs one patient of the trial under the
    cache's file lock and leaves a marker keyed by the code's fingerprint and the trial; the
    others wait on the lock, then find the marker and load the cached kernels. A process
    calls this once per trial (later calls return at once).

    >>> from ketasim.trials.schema import load_trial
    >>> warm_kernels(load_trial("postop_ketamine_vs_placebo", patients=2))
    """
    from ketasim.core.cache import atomic_write, cache_root, file_lock, fingerprint
    from ketasim.trials.batch import run_block
    from ketasim.trials.schema import trial_hash

    key = f"{fingerprint('ketasim.trials.batch')}-{trial_hash(trial)}"
    if key in _WARM:
        return
    marker = cache_root() / "trials-warm" / key
    if not marker.exists():
        with file_lock("trials-warm"):
            if not marker.exists():
                run_block(trial, 0, 1)
                atomic_write(marker, lambda tmp: tmp.write_text("ok"))
    _WARM.add(key)


def run_block_task(trial_doc: dict, b: int, lo: int, hi: int,
                   warm: bool = False) -> tuple[int, dict]:
    """One block (a picklable task for the process pool and Dask); ``warm`` first waits for
    the trial's kernels to be in the cache (`warm_kernels`)."""
    from ketasim.trials.batch import run_block

    trial = load_trial(trial_doc)
    if warm:
        warm_kernels(trial)
    return b, run_block(trial, lo, hi)


def run_trial(trial, out: str | Path, *, workers: int | None = None,
              scheduler: str | None = None, backend: str | None = None,
              resume: bool = False, retries: int = 3,
              progress: Progress | None = None) -> Path:
    """Run ``trial`` into ``<out>/trial.zarr`` and return the store's path.

    Parameters
    ----------
    trial : a `Trial` or anything `load_trial` reads.
    out : output folder (created).
    workers : processes (local) or Dask workers (default: CPU count; 1 runs serially).
    scheduler : address of a running Dask scheduler (``tcp://HOST:PORT``): the Dask backend.
    backend : ``serial``, ``local`` or ``dask`` (default: ``dask`` with a scheduler, else
        ``serial`` for one worker, else ``local``).
    resume : continue the store in ``out`` (finished blocks are not recomputed).
    retries : how often a lost worker's blocks are run again: Dask task retries (a lost
        worker's tasks are also rescheduled by the scheduler), or new process pools for the
        blocks left (local backend).
    progress : ``progress(patients_done, patients_total)`` after each block.
    """
    if not isinstance(trial, Trial):
        trial = load_trial(trial)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or not 1 <= workers <= 1024):
        raise InputError("workers", workers, "an integer in [1, 1024]")
    if scheduler is not None and (not isinstance(scheduler, str)
                                  or not scheduler.startswith(("tcp://", "tls://", "inproc://"))):
        raise InputError("scheduler", scheduler, "a Dask scheduler address such as "
                         "'tcp://127.0.0.1:8786'")
    if backend is None:
        backend = "dask" if scheduler else ("serial" if workers == 1 else "local")
    if backend not in BACKENDS:
        raise InputError("backend", backend, f"one of {', '.join(BACKENDS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    g = open_store(trial, out, resume=resume)
    blks = blocks(trial)
    done = done_blocks(g)
    todo = [(b, lo, hi) for b, (lo, hi) in enumerate(blks) if not done[b]]
    total = trial.population.size
    n_done = sum(hi - lo for b, (lo, hi) in enumerate(blks) if done[b])
    if progress:
        progress(n_done, total)
    doc = trial.model_dump(mode="json")
    g.attrs["started"] = time.time()

    def finish(b, res):
        nonlocal n_done
        write_block(g, trial, b, res)
        n_done += res["hi"] - res["lo"]
        if progress:
            progress(n_done, total)

    if not todo:
        return out / "trial.zarr"
    if backend == "serial":
        for b, lo, hi in todo:
            finish(*run_block_task(doc, b, lo, hi))
    elif backend == "local":
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed
        from concurrent.futures.process import BrokenProcessPool

        left = {b: (lo, hi) for b, lo, hi in todo}
        for attempt in range(retries + 1):  # a lost process: a new pool for the blocks left
            n = min(workers or os.cpu_count() or 1, len(left))
            try:
                with ProcessPoolExecutor(n, mp_context=mp.get_context("spawn")) as ex:
                    # no list of the futures kept here: as_completed drops each one it
                    # has yielded, so a finished block's arrays are freed once written
                    for f in as_completed([ex.submit(run_block_task, doc, b, lo, hi, True)
                                           for b, (lo, hi) in left.items()]):
                        b, res = f.result()
                        finish(b, res)
                        del left[b]
                break
            except BrokenProcessPool:
                if attempt == retries:
                    raise
    else:
        _run_dask(doc, todo, finish, workers=workers, scheduler=scheduler, retries=retries)
    return out / "trial.zarr"


def _run_dask(doc, todo, finish, *, workers, scheduler, retries):
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=30)
        except OSError as exc:
            raise InputError("scheduler", scheduler, f"a reachable Dask scheduler ({exc})") \
                from None
    try:
        stamp = f"{os.getpid()}-{time.time_ns()}"
        futs = [client.submit(run_block_task, doc, b, lo, hi, True, retries=retries,
                              pure=False, key=f"ketasim-block-{b}-{lo}-{hi}-{stamp}")
                for b, lo, hi in todo]
        for f in as_completed(futs):
            finish(*f.result())
            f.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
