"""Citation keys of the pharmacokinetic layer.

The references themselves live in ``ketasim/core/bibliography.json`` (DOI/PMID only where
checked at the source, status ``verified``; the others are left empty rather than guessed,
status ``secondary``). Each name below is a key, checked against the bibliography at import,
and is used next to the numbers it supports in `ketasim.pk.models` and friends.
"""

from ketasim.core.citations import key

# --- ketamine -------------------------------------------------------------------------
DOMINO = key("domino1984")
CLEMENTS = key("clements1981")
CLEMENTS1982 = key("clements1982")
HIJAZI = key("hijazi2003")
HERD = key("herd2007")
HORNIK = key("hornik2018")
KAMP = key("kamp2020")
FLINT = key("flint2017")
OTTO = key("otto2021")
FANTA = key("fanta2015")
NLMIXR2LIB = key("nlmixr2lib")
OLOFSEN2012 = key("olofsen2012")
OPENTIVA = key("opentiva2023")
YANAGIHARA = key("yanagihara2003")
ROLAN = key("rolan2014")
IN2022 = key("pharmacotherapy2022_in")
DAYTON = key("dayton1983")

# --- propofol -------------------------------------------------------------------------
MARSH = key("marsh1991")
SCHNIDER = key("schnider1998")
SCHNIDER1999 = key("schnider1999")
ELEVELD2018 = key("eleveld2018")
ALSALLAMI = key("alsallami2015")
JAMES = key("james1976")
MAZOIT = key("mazoit1999")

# --- midazolam ------------------------------------------------------------------------
ZOMORODI = key("zomorodi1998")
BUHRER1990 = key("buhrer1990")
HANKE2018 = key("hanke2018_midazolam")
ALLONEN1981 = key("allonen1981")

# --- thiopental -----------------------------------------------------------------------
STANSKI = key("stanski1990")
BURCH = key("burch1983")

# --- opioids --------------------------------------------------------------------------
SHAFER = key("shafer1990")
MINTO = key("minto1997")
ELEVELD2017 = key("eleveld2017")
SARTON = key("sarton2000")
OLSEN = key("olsen1975")
MEULDERMANS = key("meuldermans1982")
EGAN = key("egan1993")

# --- target-controlled infusion (ketasim.pk.tci) --------------------------------------
JACOBS = key("jacobs1990")
BAILEY_SHAFER = key("bailey_shafer1991")
SHAFER_GREGG = key("shafer_gregg1992")
PYTCI = key("pytci")

# --- virtual populations --------------------------------------------------------------
FRYAR = key("fryar2021")

# --- validation data (measured concentrations; used in tests only, never fitted) -------
ANALGOSEDATION = key("analgosedation_ejdmp")
