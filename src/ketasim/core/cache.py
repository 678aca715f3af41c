"""Content-keyed caches: one fingerprint, one place that writes, one lock.

Everything ketasim computes and stores (numba's compiled kernels, the spinal drive table, the
sensitization calibration) is keyed by `fingerprint`: a hash of the source files the code
that produced it imports (the transitive closure of ``ketasim`` imports, read from the
sources, so a kernel that calls a kernel in another file is keyed by both) plus the Python,
numpy and numba versions. A changed source therefore gives a new key: a stale cache cannot be
read, it is never there to be found (Brian2 keys its compiled code by content the same way).

Files are written atomically (a temporary file in the same folder, then `os.replace`) under
an inter-process lock (`file_lock`), so parallel test workers compute a table once and a
killed writer never leaves a half file. The root folder is ``$KETASIM_CACHE`` or
``~/.cache/ketasim``.
"""

from __future__ import annotations

import ast
import fcntl
import hashlib
import os
import platform
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numba
import numpy as np
from numba.core import caching as _nb_caching

PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # .../ketasim


def cache_root() -> Path:
    """The cache folder: ``$KETASIM_CACHE`` or ``~/.cache/ketasim`` (created on demand).

    Examples
    --------
    >>> cache_root().is_dir()
    True
    """
    d = Path(os.environ.get("KETASIM_CACHE", Path.home() / ".cache" / "ketasim"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _module_file(name: str) -> Path | None:
    """Source file of a ``ketasim`` module name (package ``__init__`` or module), if any."""
    parts = name.split(".")
    if parts[0] != "ketasim":
        return None
    base = PACKAGE_ROOT.joinpath(*parts[1:])
    for cand in (base / "__init__.py", base.with_suffix(".py")):
        if cand.is_file():
            return cand
    return None


def _module_name(path: Path) -> str:
    rel = path.resolve().relative_to(PACKAGE_ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """``ketasim`` modules named by the import statements of one source file (any depth:
    imports inside functions count too)."""
    name = _module_name(path)
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                anchor = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                mod = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)  # `from pkg import module`
    return {m for m in out if m.split(".")[0] == "ketasim"}


@cache
def _file_hash(path: Path, mtime_ns: int, size: int) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


@cache
def _closure(start: Path, stamps: tuple) -> tuple[Path, ...]:
    seen: dict[Path, None] = {}
    todo = [start]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen[p] = None
        for mod in _imports(p):
            f = _module_file(mod)
            if f is not None and f not in seen:
                todo.append(f)
    return tuple(sorted(seen))


def source_closure(module: str | Path) -> tuple[Path, ...]:
    """The ``ketasim`` source files that ``module`` (a dotted name or a file) imports,
    directly or through other ketasim modules, itself included.

    Examples
    --------
    >>> files = source_closure("ketasim.spinal.engine")
    >>> any(f.name == "nmda.py" for f in files)   # the engine calls the NMDA kernels
    True
    """
    path = Path(module) if isinstance(module, Path) else _module_file(module)
    if path is None:
        raise ValueError(f"not a ketasim module: {module!r}")
    stamps = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                   for p in sorted(PACKAGE_ROOT.rglob("*.py")))
    return _closure(path.resolve(), stamps)


def versions() -> dict[str, str]:
    """The runtime versions a cached result also depends on."""
    return {"python": platform.python_version(), "numpy": np.__version__,
            "numba": numba.__version__}


def fingerprint(*modules: str | Path, extra: str = "") -> str:
    """Content hash (16 hex digits) of the sources ``modules`` import and the runtime versions.

    Parameters
    ----------
    modules : dotted ``ketasim`` module names or source files; their import closures are hashed.
    extra : anything else the cached object depends on (a spec, a grid), as a string.

    Examples
    --------
    >>> a = fingerprint("ketasim.spinal.engine")
    >>> a == fingerprint("ketasim.spinal.engine") and a != fingerprint("ketasim.pk.solver")
    True
    """
    h = hashlib.sha256()
    files = sorted({f for m in modules for f in source_closure(m)})
    for f in files:
        st = f.stat()
        h.update(str(f.relative_to(PACKAGE_ROOT)).encode())
        h.update(_file_hash(f, st.st_mtime_ns, st.st_size))
    h.update(repr(sorted(versions().items())).encode())
    h.update(extra.encode())
    return h.hexdigest()[:16]


class file_lock:
    """Exclusive inter-process lock on ``cache_root()/.NAME.lock`` (POSIX ``flock``).

    Examples
    --------
    >>> with file_lock("doctest"):
    ...     pass
    """

    def __init__(self, name: str):
        self.path = cache_root() / f".{name}.lock"

    def __enter__(self):
        self._f = open(self.path, "a")  # noqa: SIM115 (held for the lock's lifetime)
        fcntl.flock(self._f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self._f, fcntl.LOCK_UN)
        self._f.close()


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Write ``path`` atomically: ``write(tmp)`` fills a temporary file in the same folder,
    which then replaces ``path`` in one step; on failure nothing is left behind.

    Examples
    --------
    >>> p = cache_root() / "doctest.txt"
    >>> _ = atomic_write(p, lambda tmp: tmp.write_text("ok"))
    >>> p.read_text()
    'ok'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def cached_file(name: str, compute: Callable[[], object], load: Callable[[Path], object],
                save: Callable[[object, Path], None], *, shipped: Path | None = None,
                refresh: bool = False):
    """Load ``name`` from the folder of files shipped with the package or from `cache_root`;
    on a miss (or ``refresh``) compute it once under a lock and save it atomically.

    ``name`` must carry the content key (see `fingerprint`). The one place ketasim writes a
    cache file.
    """
    candidates = ([shipped / name] if shipped is not None else []) + [cache_root() / name]
    if not refresh:
        for path in candidates:
            if path.exists():
                return load(path)
    path = cache_root() / name
    with file_lock(name):
        if path.exists() and not refresh:  # another process computed it meanwhile
            return load(path)
        obj = compute()
        atomic_write(path, lambda tmp: save(obj, tmp))
    return obj


# --------------------------------------------------------------------- numba kernels
class _KernelLocator(_nb_caching._CacheLocator):
    """numba cache locator for ketasim kernels: cache files live under
    ``cache_root()/numba/<fingerprint of the kernel file's import closure>``, so a kernel that
    inlines or calls a kernel of another file is recompiled when either file changes
    (numba's own locators stamp only the calling function's file)."""

    def __init__(self, py_func, py_file: str):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        fp = fingerprint(Path(py_file))
        rel = Path(py_file).resolve().relative_to(PACKAGE_ROOT).parent
        self._path = str(cache_root() / "numba" / fp / rel)

    def get_cache_path(self):
        return self._path

    def get_source_stamp(self):
        return Path(self._path).parent.name  # the fingerprint: content, not mtime

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        try:
            Path(py_file).resolve().relative_to(PACKAGE_ROOT)
        except ValueError:
            return None  # not ours: numba's own locators decide
        self = cls(py_func, py_file)
        try:
            self.ensure_cache_path()
        except OSError:
            return None
        return self


def install_kernel_locator() -> None:
    """Put `_KernelLocator` first in numba's locator list (idempotent). Called by
    ``ketasim/__init__`` before any kernel module is imported."""
    impl = getattr(_nb_caching, "CacheImpl", None) or _nb_caching._CacheImpl  # renamed in 0.61
    classes = impl._locator_classes
    if _KernelLocator not in classes:
        classes.insert(0, _KernelLocator)


def kernel_cache_dir(module: str) -> Path:
    """Folder of the compiled kernels of ``module`` (for tests and for users who clean up)."""
    f = _module_file(module)
    return cache_root() / "numba" / fingerprint(f) / f.resolve().relative_to(PACKAGE_ROOT).parent
