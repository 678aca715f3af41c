"""Citations of the receptor layer, registered at import time.

Keys are used next to every published number in ``ketasim.receptors`` (``# [key]``).
Tags as in the team reference: [V] verified at an abstract/page, [V-code] read in a public
model file, [M] from memory (unverified), [C] computed by us, [FIT] fitted by us (target named).
"""

from ketasim.core.citations import register

JAHR_STEVENS_1990 = register(
    "jahr_stevens_1990", "Jahr CE, Stevens CF", 1990,
    "Voltage dependence of NMDA-activated macroscopic conductances predicted by single-channel "
    "kinetics", "J Neurosci 10:3178-3182", doi="10.1523/JNEUROSCI.10-09-03178.1990",
    pmid="1697902")
VARGAS_ROBINSON_2004 = register(
    "vargas_caballero_robinson_2004", "Vargas-Caballero M, Robinson HPC", 2004,
    "Fast and slow voltage-dependent dynamics of magnesium block in the NMDA receptor: the "
    "asymmetric trapping block model", "J Neurosci 24:6171-6180",
    doi="10.1523/JNEUROSCI.1380-04.2004", pmid="15240809")
DESTEXHE_1996 = register(
    "destexhe_mainen_sejnowski_1998", "Destexhe A, Mainen ZF, Sejnowski TJ", 1998,
    "Kinetic models of synaptic transmission", "In: Methods in Neuronal Modeling, 2nd ed., "
    "MIT Press, pp. 1-25 (NMDA5/AMPA/GABAA rate sets; NMDA5 fit to Hessler et al. 1993)")
KAMPA_2004 = register(
    "kampa_2004", "Kampa BM, Clements J, Jonas P, Stuart GJ", 2004,
    "Kinetics of Mg2+ unblock of NMDA receptors: implications for spike-timing dependent "
    "synaptic plasticity", "J Physiol 556:337-345", doi="10.1113/jphysiol.2003.058842",
    pmid="14754998")
ASCHER_NOWAK_1988 = register(
    "ascher_nowak_1988", "Ascher P, Nowak L", 1988,
    "The role of divalent cations in the N-methyl-D-aspartate responses of mouse central "
    "neurones in culture", "J Physiol 399:247-266", pmid="2457089")
MEALING_1999 = register(
    "mealing_1999", "Mealing GA, Lanthorn TH, Murray CL, Small DL, Morley P", 1999,
    "Differences in degree of trapping of low-affinity uncompetitive N-methyl-D-aspartic acid "
    "receptor antagonists with similar kinetics of block", "J Pharmacol Exp Ther 288:204-210",
    pmid="9862772")
ORSER_1997 = register(
    "orser_1997", "Orser BA, Pennefather PS, MacDonald JF", 1997,
    "Multiple mechanisms of ketamine blockade of N-methyl-D-aspartate receptors",
    "Anesthesiology 86:903-917", pmid="9105235")
KOTERMANSKI_JOHNSON_2009 = register(
    "kotermanski_johnson_2009", "Kotermanski SE, Johnson JW", 2009,
    "Mg2+ imparts NMDA receptor subtype selectivity to the Alzheimer's drug memantine",
    "J Neurosci 29:2774-2779", doi="10.1523/JNEUROSCI.3703-08.2009", pmid="19261873")
EBERT_1997 = register(
    "ebert_1997", "Ebert B, Mikkelsen S, Thorkildsen C, Borgbjerg FM", 1997,
    "Norketamine, the main metabolite of ketamine, is a non-competitive NMDA receptor "
    "antagonist in the rat cortex and spinal cord", "Eur J Pharmacol 333:99-104",
    pmid="9311667")
BURNASHEV_1995 = register(
    "burnashev_1995", "Burnashev N, Zhou Z, Neher E, Sakmann B", 1995,
    "Fractional calcium currents through recombinant GluR channels of the NMDA, AMPA and "
    "kainate receptor subtypes", "J Physiol 485:403-418", pmid="7666365")
BAI_1999 = register(
    "bai_1999", "Bai D, Pennefather PS, MacDonald JF, Orser BA", 1999,
    "The general anesthetic propofol slows deactivation and desensitization of GABA(A) "
    "receptors", "J Neurosci 19:10635-10646", pmid="10594047")
WANG_2004 = register(
    "wang_2004_propofol_glycine", "Wang X, Huang ZG, Gold A, et al.", 2004,
    "Propofol modulates gamma-aminobutyric acid-mediated inhibitory neurotransmission to "
    "cardiac vagal neurons in the brainstem", "Anesthesiology 100:1198-1205", pmid="15114218")
MATHERS_2007 = register(
    "mathers_2007", "Mathers DA, Wan X, Puil E", 2007,
    "Barbiturate activation and modulation of GABA(A) receptors in neocortex",
    "Neuropharmacology 52:1160-1168", pmid="17289092")
GAGE_ROBERTSON_1985 = register(
    "gage_robertson_1985", "Gage PW, Robertson B", 1985,
    "Prolongation of inhibitory postsynaptic currents by pentobarbitone, halothane and "
    "ketamine in CA1 pyramidal cells in rat hippocampus", "Br J Pharmacol 85:675-681",
    pmid="2992670")
TAKAZAWA_2009 = register(
    "takazawa_2009", "Takazawa T, Furue H, Nishikawa K, et al.", 2009,
    "Actions of propofol on substantia gelatinosa neurones in the rat spinal dorsal horn in "
    "vivo", "Eur J Neurosci 29:518-528", pmid="19222560")
NISHIMURA_1998 = register(
    "nishimura_1998", "Nishimura M, Sato K, Okada T, et al.", 1998,
    "Ketamine inhibits monoamine transporters expressed in human embryonic kidney 293 cells",
    "Anesthesiology 88:768-774", pmid="9523822")
HIROTA_1999 = register(
    "hirota_1999", "Hirota K, Okawa H, Appadu BL, Grandy DK, Devi LA, Lambert DG", 1999,
    "Stereoselective interaction of ketamine with recombinant mu, kappa, and delta opioid "
    "receptors expressed in Chinese hamster ovary cells", "Anesthesiology 90:174-182",
    pmid="9915326")
CHEN_1991 = register(
    "chen_1991_mu_binding", "Chen ZR, Irvine RJ, Somogyi AA, Bochner F", 1991,
    "Mu receptor binding of some commonly used opioids and their metabolites",
    "Life Sci 48:2165-2171", doi="10.1016/0024-3205(91)90150-a", pmid="1851921")
VOLPE_2011 = register(
    "volpe_2011", "Volpe DA, McMahon Tobin GA, Mellon RD, et al.", 2011,
    "Uniform assessment and ranking of opioid mu receptor binding constants for selected "
    "opioid drugs", "Regul Toxicol Pharmacol 59:385-390", doi="10.1016/j.yrtph.2010.12.007",
    pmid="21215785")
OWN_ESTIMATE = register(
    "ketasim_receptors_estimate", "ketasim receptor layer", 2026,
    "Own estimate or fit (the target is named next to the number in the code)",
    "ketasim source code")
