"""Citation keys of the brain layer (entries in ``ketasim/core/bibliography.json``).

Tags next to numbers in ``ketasim.brain``: ``[verified]`` (checked at the source),
``[secondary]`` (from a review, another model or an abstract), ``[fitted]`` (fitted by us; the
target is named) or ``[estimate]`` (our own estimate).
"""

from ketasim.core.citations import key

BRETTE_GERSTNER_2005 = key("brette_gerstner_2005")
DESTEXHE_2009 = key("destexhe_2009")
HOMAYOUN_MOGHADDAM_2007 = key("homayoun_moghaddam_2007")
SAPKOTA_2016 = key("sapkota_2016")
ADAM_2024 = key("adam_2024")
SELF_2012 = key("self_2012")
ZHANG_2012_NR2C = key("zhang_2012_nr2c")
ZHANG_2009_NRT = key("zhang_2009_nrt")
LEE_2013 = key("lee_2013")
CHEN_SHU_BAYLISS_2009 = key("chen_shu_bayliss_2009")
BOJAK_2013 = key("bojak_2013")
MILNE_2003 = key("milne_2003")
HUNG_1992 = key("hung_1992")
BARR_2001 = key("barr_2001")
MAZZONI_2008 = key("mazzoni_2008")
OWN_ESTIMATE = key("ketasim_brain_estimate")
