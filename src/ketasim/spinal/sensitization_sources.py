"""Citations of the sensitization, descending-control and slow-model modules of the spinal layer.

Registered at import time; keys appear in comments next to the numbers they support and in
``attrs["citations"]`` of results. DOIs are given only where verified against a source.
"""

from ketasim.core.citations import register
from ketasim.receptors.sources import NISHIMURA_1998 as NISHIMURA1998  # noqa: F401

SHOUVAL2002 = register(
    "shouval2002", "Shouval HZ, Bear MF, Cooper LN", 2002,
    "A unified model of NMDA receptor-dependent bidirectional synaptic plasticity",
    "Proc Natl Acad Sci USA 99:10831-10836")
GRAUPNER2012 = register(
    "graupner2012", "Graupner M, Brunel N", 2012,
    "Calcium-based plasticity model explains sensitivity of synaptic changes to spike pattern, "
    "rate, and dendritic location", "Proc Natl Acad Sci USA 109:3991-3996")
BENRATH2005 = register(
    "benrath2005", "Benrath J, Brechtel C, Sandkuhler J", 2005,
    "Low dose of S(+)-ketamine prevents long-term potentiation in pain pathways under strong "
    "opioid analgesia in the rat spinal cord in vivo", "Br J Anaesth 95:518-523",
    doi="10.1093/bja/aei215")
KLEIN2004 = register(
    "klein2004", "Klein T, Magerl W, Hopf HC, Sandkuhler J, Treede RD", 2004,
    "Perceptual correlates of nociceptive long-term potentiation and long-term depression in "
    "humans", "J Neurosci 24:964-971")
MILLAN2002 = register(
    "millan2002", "Millan MJ", 2002, "Descending control of pain",
    "Prog Neurobiol 66:355-474")
PERTOVAARA2006 = register(
    "pertovaara2006", "Pertovaara A", 2006,
    "Noradrenergic pain modulation", "Prog Neurobiol 80:53-83")
KAWASAKI2003 = register(
    "kawasaki2003", "Kawasaki Y, Kumamoto E, Furue H, Yoshimura M", 2003,
    "Alpha 2 adrenoceptor-mediated presynaptic inhibition of primary afferent glutamatergic "
    "transmission in rat substantia gelatinosa neurons", "Anesthesiology 98:682-689")
TORSNEY2006 = register(
    "torsney2006", "Torsney C, MacDermott AB", 2006,
    "Disinhibition opens the gate to pathological pain signaling in superficial neurokinin 1 "
    "receptor-expressing neurons in rat spinal cord", "J Neurosci 26:1833-1843")
COULL2003 = register(
    "coull2003", "Coull JA, Boudreau D, Bachand K, et al.", 2003,
    "Trans-synaptic shift in anion gradient in spinal lamina I neurons as a mechanism of "
    "neuropathic pain", "Nature 424:938-942")
MOORE2002 = register(
    "moore2002", "Moore KA, Kohno T, Karchewski LA, Scholz J, Baba H, Woolf CJ", 2002,
    "Partial peripheral nerve injury promotes a selective loss of GABAergic inhibition in the "
    "superficial dorsal horn of the spinal cord", "J Neurosci 22:6724-6731")
LIU2000 = register(
    "liu2000", "Liu CN, Wall PD, Ben-Dor E, Michaelis M, Amir R, Devor M", 2000,
    "Tactile allodynia in the absence of C-fiber activation: altered firing properties of DRG "
    "neurons following spinal nerve injury", "Pain 85:503-521")
KOHNO2005 = register(
    "kohno2005", "Kohno T, Ji RR, Ito N, et al.", 2005,
    "Peripheral axonal injury results in reduced mu opioid receptor pre- and post-synaptic "
    "action in the spinal cord", "Pain 117:77-87")
WOOLF2011 = register(
    "woolf2011", "Woolf CJ", 2011, "Central sensitization: implications for the diagnosis and "
    "treatment of pain", "Pain 152:S2-S15")
KLEIN2007 = register(
    "klein2007", "Klein T, Magerl W, Nickel U, Hopf HC, Sandkuhler J, Treede RD", 2007,
    "Effects of the NMDA-receptor antagonist ketamine on perceptual correlates of long-term "
    "potentiation within the nociceptive system", "Neuropharmacology 52:655-661")
