"""Citation registry: every published number in ketasim points to a registered source.

Modules register their sources at import time with `register`; results list the keys they
rest on in ``attrs["citations"]`` and `cite` turns keys (or a result) into references.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketasim.core.errors import UnknownNameError


@dataclass(frozen=True)
class Citation:
    key: str
    authors: str
    year: int
    title: str
    journal: str
    doi: str = ""
    pmid: str = ""

    def format(self) -> str:
        ids = "; ".join(x for x in (f"doi:{self.doi}" if self.doi else "",
                                    f"PMID {self.pmid}" if self.pmid else "") if x)
        return f"{self.authors} ({self.year}). {self.title}. {self.journal}." + (
            f" {ids}." if ids else "")


_REGISTRY: dict[str, Citation] = {}


def register(key: str, authors: str, year: int, title: str, journal: str,
             doi: str = "", pmid: str = "") -> str:
    """Register a source under ``key`` and return the key (idempotent for identical entries)."""
    c = Citation(key, authors, year, title, journal, doi, pmid)
    old = _REGISTRY.get(key)
    if old is not None and old != c:
        raise ValueError(f"citation key {key!r} registered twice with different content")
    _REGISTRY[key] = c
    return key


def get(key: str) -> Citation:
    try:
        return _REGISTRY[key]
    except KeyError:
        raise UnknownNameError("citation", key, f"one of {sorted(_REGISTRY)}") from None


def all_citations() -> dict[str, Citation]:
    return dict(_REGISTRY)


def keys_of(obj) -> list[str]:
    """Citation keys of a result (``attrs['citations']``, ';'-separated) or an iterable of keys."""
    if hasattr(obj, "attrs"):
        raw = obj.attrs.get("citations", "")
        return [k for k in raw.split(";") if k]
    if isinstance(obj, str):
        return [obj]
    return list(obj)


def cite(obj) -> list[str]:
    """Formatted references for a result Dataset, a key, or an iterable of keys.

    Examples
    --------
    >>> import ketasim
    >>> ketasim.cite([])
    []
    """
    return [get(k).format() for k in keys_of(obj)]
