"""Citation keys of the spinal layer (used in comments and ``attrs["citations"]``).

The references themselves live in ``ketasim/core/bibliography.json``; each name below is a
key, checked against it at import. The receptor layer's entries the spinal circuit rests on
are re-exported under the spinal layer's spelling.
"""

from ketasim.core.citations import key
from ketasim.receptors.sources import BURNASHEV_1995 as BURNASHEV1995  # noqa: F401
from ketasim.receptors.sources import DESTEXHE_1996 as DESTEXHE1998  # noqa: F401

AGUIAR2010 = key("aguiar2010")
TRAUB1991 = key("traub1991")
MCCORMICK1992 = key("mccormick1992")
DESTEXHE1994 = key("destexhe1994")
DESTEXHE1993 = key("destexhe1993")
PRESCOTT2005 = key("prescott2005")
CLEMENTS1992 = key("clements1992")
DICKENSON1987 = key("dickenson1987")
CUELLAR2005 = key("cuellar2005")
HERRERO2000 = key("herrero2000")
MENDELL1966 = key("mendell1966")
FRANKS1994 = key("franks1994")
DAVIES1987 = key("davies1987")
GASSER1939 = key("gasser1939")
BRIAN2 = key("stimberg2019")
