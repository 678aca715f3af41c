"""The bibliography: every published number in ketasim points to an entry of one data file.

All references live in ``ketasim/core/bibliography.json`` (key, authors, year, title,
journal, volume, pages, doi, pmid, status). Code names them by key (``# [aguiar2010]`` next
to a number; the ``sources`` module of each layer holds the keys as constants), results list
the keys they rest on in ``attrs["citations"]`` (';'-separated), and `cite` turns keys, or a
result, into references. `to_bibtex` and `to_csl_json` export entries.

Status of an entry (one vocabulary, shared with the tags of numbers in the code):
``verified`` (the record was checked at the source), ``secondary`` (taken from a review or a
reference list, not checked at the source), ``fitted`` / ``estimate`` (not a publication: a
value fitted or estimated by ketasim).

Examples
--------
>>> get("aguiar2010").year
2010
>>> cite(["jahr_stevens_1990"])[0][:40]
'Jahr CE, Stevens CF (1990). Voltage depe'
>>> get("no_such_key")
Traceback (most recent call last):
...
ketasim.core.errors.UnknownNameError: citation: got 'no_such_key'; allowed: ...
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from importlib import resources

from ketasim.core.errors import InputError, UnknownNameError

STATUSES = ("verified", "secondary", "fitted", "estimate")
TYPES = ("article", "book", "incollection", "report", "software", "misc")
BIBLIOGRAPHY_FILE = "bibliography.json"


@dataclass(frozen=True)
class Citation:
    """One bibliography entry (see ``bibliography.json``)."""

    key: str
    authors: str
    year: int
    title: str
    journal: str = ""
    doi: str = ""
    pmid: str = ""
    status: str = "secondary"
    type: str = "article"
    volume: str = ""
    pages: str = ""
    publisher: str = ""
    note: str = ""
    layer: str = ""

    def __post_init__(self):
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_:-]*", self.key or ""):
            raise InputError("citation key", self.key, "letters, digits, '_', ':' or '-', "
                             "starting with a letter")
        if self.status not in STATUSES:
            raise InputError(f"{self.key}.status", self.status, f"one of {STATUSES}")
        if self.type not in TYPES:
            raise InputError(f"{self.key}.type", self.type, f"one of {TYPES}")
        if not isinstance(self.year, int) or isinstance(self.year, bool):
            raise InputError(f"{self.key}.year", self.year, "an integer year")

    @property
    def container(self) -> str:
        """Journal (with volume:pages) or book/publisher, as printed in `format`."""
        parts = []
        if self.journal:
            vol = f" {self.volume}" if self.volume else ""
            pages = (f":{self.pages}" if self.volume else f", pp. {self.pages}") \
                if self.pages else ""
            parts.append(f"{self.journal}{vol}{pages}")
        if self.publisher:
            parts.append(self.publisher)
        return ", ".join(parts)

    def format(self) -> str:
        """The reference as one line of text."""
        ids = "; ".join(x for x in (f"doi:{self.doi}" if self.doi else "",
                                    f"PMID {self.pmid}" if self.pmid else "") if x)
        cont = self.container
        return (f"{self.authors} ({self.year}). {self.title}." + (f" {cont}." if cont else "")
                + (f" {ids}." if ids else ""))


_FIELDS = {f.name for f in fields(Citation)}
_REGISTRY: dict[str, Citation] = {}
_LOADED = False


def _load() -> dict[str, Citation]:
    global _LOADED
    if not _LOADED:
        text = resources.files("ketasim.core").joinpath(BIBLIOGRAPHY_FILE).read_text("utf-8")
        for entry in json.loads(text)["entries"]:
            unknown = set(entry) - _FIELDS
            if unknown:
                raise ValueError(f"{BIBLIOGRAPHY_FILE}: {entry.get('key')}: unknown fields "
                                 f"{sorted(unknown)}")
            c = Citation(**entry)
            if c.key in _REGISTRY and _REGISTRY[c.key] != c:
                raise ValueError(f"{BIBLIOGRAPHY_FILE}: key {c.key!r} appears twice")
            _REGISTRY[c.key] = c
        _LOADED = True
    return _REGISTRY


def key(name: str) -> str:
    """Return ``name`` after checking that it is a bibliography key (for ``sources`` modules).

    >>> key("aguiar2010")
    'aguiar2010'
    """
    get(name)
    return name


def register(key: str, authors: str, year: int, title: str, journal: str = "",
             doi: str = "", pmid: str = "", **extra) -> str:
    """Add an entry at run time (a plug-in's own sources) and return its key.

    ketasim's own references live in ``bibliography.json``; registering an existing key is
    allowed only with identical content.
    """
    c = Citation(key, authors, year, title, journal, doi, pmid, **extra)
    reg = _load()
    old = reg.get(key)
    if old is not None and old != c:
        raise ValueError(f"citation key {key!r} registered twice with different content")
    reg[key] = c
    return key


def get(key: str) -> Citation:
    """The entry of ``key``; `UnknownNameError` if the bibliography has none."""
    reg = _load()
    try:
        return reg[key]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(key), list(reg), n=3)
        hint = f" (close: {', '.join(close)})" if close else ""
        raise UnknownNameError("citation", key, f"one of the {len(reg)} keys of "
                               f"{BIBLIOGRAPHY_FILE}{hint}") from None


def all_citations() -> dict[str, Citation]:
    """Every entry of the bibliography, by key (file order)."""
    return dict(_load())


def keys_of(obj) -> list[str]:
    """Citation keys of a result, a key, or a (nested) collection of those, in order, unique.

    A result is anything with ``attrs`` (an xarray Dataset/DataArray): its
    ``attrs["citations"]`` (';'-separated string or list) and those of its data variables.
    A mapping is read by its ``"citations"`` entry (or ``["attrs"]["citations"]``).

    >>> keys_of(["b", ["a", "b"], "c;a"])
    ['b', 'a', 'c']
    """
    out: list[str] = []

    def add(o):
        if o is None:
            return
        if isinstance(o, str):
            for k in o.split(";"):
                k = k.strip()
                if k and k not in out:
                    out.append(k)
        elif hasattr(o, "attrs"):
            add(o.attrs.get("citations"))
            for v in getattr(o, "data_vars", {}).values():
                add(v.attrs.get("citations"))
        elif isinstance(o, dict):
            if "citations" in o:
                add(o["citations"])
            elif isinstance(o.get("attrs"), dict):
                add(o["attrs"].get("citations"))
        elif isinstance(o, Iterable):
            for x in o:
                add(x)
        else:
            raise InputError("citations", o, "a key, a list of keys or a result with "
                             "attrs['citations']")

    add(obj)
    return out


def cite(obj) -> list[str]:
    """Formatted references for a result Dataset, a key, or an iterable of keys.

    Examples
    --------
    >>> import ketasim
    >>> ketasim.cite([])
    []
    >>> ketasim.cite("aguiar2010")[0][:33]
    'Aguiar P, Sousa M, Lima D (2010).'
    """
    return [get(k).format() for k in keys_of(obj)]


# --- export ------------------------------------------------------------------------------
def _people(authors: str) -> list[dict]:
    """CSL name objects for "Domino EF, Smith RE, et al." (a literal when not parsable)."""
    names, etal = [], False
    for part in [p.strip() for p in authors.split(",") if p.strip()]:
        if part.rstrip(".") == "et al":
            etal = True
            continue
        m = re.fullmatch(r"(.+?)\s+([A-Z]{1,4})", part)
        if m is None:
            return [{"literal": authors}]
        names.append({"family": m.group(1), "given": " ".join(f"{c}." for c in m.group(2))})
    if etal:
        names.append({"literal": "others"})
    return names


_TEX_ESCAPE = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
               "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}",
               "^": r"\textasciicircum{}"}


def _tex(s: str) -> str:
    return "".join(_TEX_ESCAPE.get(ch, ch) for ch in str(s))


def _bib_authors(c: Citation) -> str:
    people = _people(c.authors)
    out = []
    for p in people:
        if "family" in p:
            out.append(f"{_tex(p['family'])}, {p['given']}")
        elif p["literal"] == "others" and len(people) > 1:
            out.append("others")
        else:
            out.append("{" + _tex(p["literal"]) + "}")
    return " and ".join(out)


_BIBTYPE = {"article": "article", "book": "book", "incollection": "incollection",
            "report": "techreport", "software": "misc", "misc": "misc"}


def to_bibtex(keys: Iterable[str] | None = None) -> str:
    """BibTeX for ``keys`` (all entries if None), one ``@type{key, ...}`` per key.

    >>> print(to_bibtex(["stimberg2019"]))  # doctest: +NORMALIZE_WHITESPACE
    @article{stimberg2019,
      author = {Stimberg, M. and Brette, R. and Goodman, D. F. M.},
      title = {{Brian 2, an intuitive and efficient neural simulator}},
      year = {2019},
      journal = {eLife},
      volume = {8},
      pages = {e47314},
      doi = {10.7554/eLife.47314},
      note = {status: verified},
    }
    """
    entries = []
    for k in (all_citations() if keys is None else keys_of(keys)):
        c = get(k)
        typ = _BIBTYPE[c.type]
        f = [("author", _bib_authors(c)), ("title", "{" + _tex(c.title) + "}"),
             ("year", str(c.year))]
        if c.journal:
            f.append(("booktitle" if c.type == "incollection" else
                      "series" if c.type == "report" else
                      "howpublished" if typ == "misc" else "journal", _tex(c.journal)))
        if c.volume:
            f.append(("volume", _tex(c.volume)))
        if c.pages:
            f.append(("pages", _tex(c.pages)))
        if c.publisher:
            f.append(("institution" if c.type == "report" else "publisher",
                      _tex(c.publisher)))
        if c.doi:
            f.append(("doi", _tex(c.doi)))
        if c.pmid:
            f.append(("pmid", _tex(c.pmid)))
        note = f"status: {c.status}" + (f"; {c.note}" if c.note else "")
        f.append(("note", _tex(note)))
        body = "".join(f"  {name} = {{{val}}},\n" for name, val in f)
        entries.append(f"@{typ}{{{c.key},\n{body}}}\n")
    return "\n".join(entries)


_CSLTYPE = {"article": "article-journal", "book": "book", "incollection": "chapter",
            "report": "report", "software": "software", "misc": "document"}


def to_csl(keys: Iterable[str] | None = None) -> list[dict]:
    """CSL-JSON items (list of dicts) for ``keys`` (all entries if None).

    >>> item = to_csl(["aguiar2010"])[0]
    >>> item["type"], item["issued"], item["author"][0]
    ('article-journal', {'date-parts': [[2010]]}, {'family': 'Aguiar', 'given': 'P.'})
    """
    items = []
    for k in (all_citations() if keys is None else keys_of(keys)):
        c = get(k)
        item = {"id": c.key, "type": _CSLTYPE[c.type], "title": c.title,
                "author": [p if "family" in p else {"literal": p["literal"]}
                           for p in _people(c.authors) if p.get("literal") != "others"]
                or [{"literal": c.authors}],
                "issued": {"date-parts": [[c.year]]}}
        if c.journal:
            item["container-title"] = c.journal
        for name, val in (("volume", c.volume), ("page", c.pages), ("publisher", c.publisher),
                          ("DOI", c.doi), ("PMID", c.pmid)):
            if val:
                item[name] = val
        item["note"] = f"status: {c.status}" + (f"; {c.note}" if c.note else "")
        items.append(item)
    return items


def to_csl_json(keys: Iterable[str] | None = None) -> str:
    """`to_csl` as a JSON text."""
    return json.dumps(to_csl(keys), indent=2, ensure_ascii=False)


def as_dict(key: str) -> dict:
    """The entry of ``key`` as a plain dict (the fields of ``bibliography.json``)."""
    return asdict(get(key))
