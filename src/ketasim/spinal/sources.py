"""Citations of the spinal layer, registered at import time (keys used in comments and attrs)."""

from ketasim.core.citations import register
from ketasim.receptors.sources import BURNASHEV_1995 as BURNASHEV1995  # noqa: F401
from ketasim.receptors.sources import DESTEXHE_1996 as DESTEXHE1998  # noqa: F401

AGUIAR2010 = register(
    "aguiar2010", "Aguiar P, Sousa M, Lima D", 2010,
    "NMDA channels together with L-type calcium currents and calcium-activated nonspecific "
    "cationic currents are sufficient to generate windup in WDR neurons",
    "J Neurophysiol 104:1155-1166")
TRAUB1991 = register(
    "traub1991", "Traub RD, Wong RK, Miles R, Michelson H", 1991,
    "A model of a CA3 hippocampal pyramidal neuron incorporating voltage-clamp data on "
    "intrinsic conductances", "J Neurophysiol 66:635-650")
MCCORMICK1992 = register(
    "mccormick1992", "McCormick DA, Huguenard JR", 1992,
    "A model of the electrophysiological properties of thalamocortical relay neurons",
    "J Neurophysiol 68:1384-1400")
DESTEXHE1994 = register(
    "destexhe1994", "Destexhe A, Contreras D, Sejnowski TJ, Steriade M", 1994,
    "A model of spindle rhythmicity in the isolated thalamic reticular nucleus",
    "J Neurophysiol 72:803-818")
DESTEXHE1993 = register(
    "destexhe1993", "Destexhe A, Babloyantz A, Sejnowski TJ", 1993,
    "Ionic mechanisms for intrinsic slow oscillations in thalamic relay neurons",
    "Biophys J 65:1538-1552")
PRESCOTT2005 = register(
    "prescott2005", "Prescott SA, De Koninck Y", 2005,
    "Integration time in a subset of spinal lamina I neurons is lengthened by sodium and "
    "calcium currents acting synergistically to prolong subthreshold depolarization",
    "J Neurosci 25:4743-4754", doi="10.1523/JNEUROSCI.0356-05.2005")
CLEMENTS1992 = register(
    "clements1992", "Clements JD, Lester RA, Tong G, Jahr CE, Westbrook GL", 1992,
    "The time course of glutamate in the synaptic cleft", "Science 258:1498-1501")
DICKENSON1987 = register(
    "dickenson1987", "Dickenson AH, Sullivan AF", 1987,
    "Evidence for a role of the NMDA receptor in the frequency dependent potentiation of deep "
    "rat dorsal horn nociceptive neurones following C fibre stimulation",
    "Neuropharmacology 26:1235-1238", pmid="2821443")
CUELLAR2005 = register(
    "cuellar2005", "Cuellar JM, Dutton RC, Antognini JF, Carstens E", 2005,
    "Differential effects of halothane and isoflurane on lumbar dorsal horn neuronal windup "
    "and excitability", "Br J Anaesth 94:617-625")
HERRERO2000 = register(
    "herrero2000", "Herrero JF, Laird JM, Lopez-Garcia JA", 2000,
    "Wind-up of spinal cord neurones and pain sensation: much ado about something?",
    "Prog Neurobiol 61:169-203")
MENDELL1966 = register(
    "mendell1966", "Mendell LM", 1966,
    "Physiological properties of unmyelinated fiber projection to the spinal cord",
    "Exp Neurol 16:316-332")
FRANKS1994 = register(
    "franks1994", "Franks NP, Lieb WR", 1994,
    "Molecular and cellular mechanisms of general anaesthesia", "Nature 367:607-614")
DAVIES1987 = register(
    "davies1987", "Davies SN, Lodge D", 1987,
    "Evidence for involvement of N-methylaspartate receptors in 'wind-up' of class 2 neurones "
    "in the dorsal horn of the rat", "Brain Res 424:402-406")
GASSER1939 = register(
    "gasser1939", "Gasser HS, Grundfest H", 1939,
    "Axon diameters in relation to the spike dimensions and the conduction velocity in "
    "mammalian A fibers", "Am J Physiol 127:393-414")
BRIAN2 = register(
    "stimberg2019", "Stimberg M, Brette R, Goodman DFM", 2019,
    "Brian 2, an intuitive and efficient neural simulator", "eLife 8:e47314",
    doi="10.7554/eLife.47314")
