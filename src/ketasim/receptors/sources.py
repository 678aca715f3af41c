"""Citation keys of the receptor layer.

The references themselves live in ``ketasim/core/bibliography.json``; each name below is a
key, checked against it at import. Keys are used next to every published number in
``ketasim.receptors`` (``# [key]``), with a status tag: ``[verified]`` (checked at the
source: an abstract, a page or a public model file), ``[secondary]`` (taken from a review or
another model's paper), ``[fitted]`` (fitted by us; the target is named) or ``[estimate]``
(our own estimate).
"""

from ketasim.core.citations import key

JAHR_STEVENS_1990 = key("jahr_stevens_1990")
VARGAS_ROBINSON_2004 = key("vargas_caballero_robinson_2004")
DESTEXHE_1996 = key("destexhe_mainen_sejnowski_1998")
KAMPA_2004 = key("kampa_2004")
GILLING_2009 = key("gilling_2009")
ASCHER_NOWAK_1988 = key("ascher_nowak_1988")
MEALING_1999 = key("mealing_1999")
ORSER_1997 = key("orser_1997")
ABBOTT_2024 = key("abbott_2024")
KOTERMANSKI_JOHNSON_2009 = key("kotermanski_johnson_2009")
EBERT_1997 = key("ebert_1997")
BURNASHEV_1995 = key("burnashev_1995")
BAI_1999 = key("bai_1999")
WANG_2004 = key("wang_2004_propofol_glycine")
MATHERS_2007 = key("mathers_2007")
GAGE_ROBERTSON_1985 = key("gage_robertson_1985")
TAKAZAWA_2009 = key("takazawa_2009")
NISHIMURA_1998 = key("nishimura_1998")
HIROTA_1999 = key("hirota_1999")
CHEN_1991 = key("chen_1991_mu_binding")
VOLPE_2011 = key("volpe_2011")
OWN_ESTIMATE = key("ketasim_receptors_estimate")
# GluN2 subunit sets (`ketasim.receptors.subunits`)
QIAN_2005 = key("qian_2005")
ERREGER_2005 = key("erreger_2005")
DRAVID_2008 = key("dravid_2008")
WYLLIE_1998 = key("wyllie_1998")
YI_2019 = key("yi_2019_glun2b2d")
TONG_2008 = key("tong_2008")
KUNER_SCHOEPFER_1996 = key("kuner_schoepfer_1996")
HILDEBRAND_2014 = key("hildebrand_2014")
SHIOKAWA_2010 = key("shiokawa_2010")
WAGNER_LEONARD_1996 = key("wagner_leonard_1996")
# benzodiazepine (midazolam) modulation of GABA-A (`ketasim.receptors.gabaa`)
PONCER_1996 = key("poncer1996")
WALTERS_2000 = key("walters2000")
