"""Citation keys of the clinical layer (drug-free psychophysics for the pain transfer).

The references themselves live in ``ketasim/core/bibliography.json``; each name below is a
key, checked against it at import. Status tags of numbers in this layer: ``[verified]``,
``[secondary]``, ``[fitted]``, ``[estimate]`` (see ``docs/CONVENTIONS.md``).
"""

from ketasim.core.citations import key

TILLMAN1995 = key("tillman1995")
YARNITSKY1992 = key("yarnitsky1992")
TOREBJORK1984 = key("torebjork1984")
PRICE1983 = key("price1983")
PRICE2008 = key("price2008")
