"""Citation keys of the sensitization, descending-control and slow-model modules.

The references themselves live in ``ketasim/core/bibliography.json``; each name below is a
key, checked against it at import. Keys appear in comments next to the numbers they support
and in ``attrs["citations"]`` of results.
"""

from ketasim.core.citations import key
from ketasim.receptors.sources import NISHIMURA_1998 as NISHIMURA1998  # noqa: F401

SHOUVAL2002 = key("shouval2002")
GRAUPNER2012 = key("graupner2012")
BENRATH2005 = key("benrath2005")
KLEIN2004 = key("klein2004")
MILLAN2002 = key("millan2002")
PERTOVAARA2006 = key("pertovaara2006")
KAWASAKI2003 = key("kawasaki2003")
TORSNEY2006 = key("torsney2006")
COULL2003 = key("coull2003")
MOORE2002 = key("moore2002")
LIU2000 = key("liu2000")
KOHNO2005 = key("kohno2005")
WOOLF2011 = key("woolf2011")
KLEIN2007 = key("klein2007")
