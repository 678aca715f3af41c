"""Citations of the pharmacokinetic layer (registered at import time).

DOI/PMID are given where we saw them at the source or in pk_models.md [V] entries; the
others are left empty rather than guessed.

Each key is used next to the numbers it supports in `ketasim.pk.models` and friends.
"""

from ketasim.core.citations import register

# --- ketamine -------------------------------------------------------------------------
DOMINO = register(
    "domino1984", "Domino EF, Domino SE, Smith RE, et al.", 1984,
    "Ketamine kinetics in unmedicated and diazepam-premedicated subjects",
    "Clin Pharmacol Ther 36:645-653")
CLEMENTS = register(
    "clements1981", "Clements JA, Nimmo WS", 1981,
    "Pharmacokinetics and analgesic effect of ketamine in man",
    "Br J Anaesth 53:27-30", doi="10.1093/bja/53.1.27", pmid="7459184")
CLEMENTS1982 = register(
    "clements1982", "Clements JA, Nimmo WS, Grant IS", 1982,
    "Bioavailability, pharmacokinetics, and analgesic activity of ketamine in humans",
    "J Pharm Sci 71:539-542")
HIJAZI = register(
    "hijazi2003", "Hijazi Y, Bodonian C, Bolon M, Salord F, Boulieu R", 2003,
    "Pharmacokinetics and haemodynamics of ketamine in intensive care patients with brain "
    "or spinal cord injury", "Br J Anaesth 90:155-160", doi="10.1093/bja/aeg028",
    pmid="12538370")
HERD = register(
    "herd2007", "Herd DW, Anderson BJ, Holford NHG", 2007,
    "Ketamine disposition in children presenting for procedural sedation and analgesia in "
    "a children's emergency department", "Paediatr Anaesth 17:622-629",
    doi="10.1111/j.1460-9592.2006.02145.x", pmid="17564643")
HORNIK = register(
    "hornik2018", "Hornik CP, Gonzalez D, van den Anker J, et al.", 2018,
    "Population pharmacokinetics of intramuscular and intravenous ketamine in children",
    "J Clin Pharmacol 58:1092-1104", doi="10.1002/jcph.1116", pmid="29677389")
KAMP = register(
    "kamp2020", "Kamp J, Olofsen E, Henthorn TK, van Velzen M, Niesters M, Dahan A", 2020,
    "Ketamine pharmacokinetics: a systematic review of the literature, meta-analysis, and "
    "population analysis", "Anesthesiology 133:1192-1213",
    doi="10.1097/ALN.0000000000003577", pmid="32997732")
FLINT = register(
    "flint2017", "Flint RB, Brouwer CNM, Kranzlin ASC, Lie-A-Huen L, Bos AP, Mathot RAA", 2017,
    "Pharmacokinetics of S-ketamine during prolonged sedation at the pediatric intensive "
    "care unit", "Paediatr Anaesth 27:1098-1107", doi="10.1111/pan.13239")
OPENTIVA = register(
    "opentiva2023", "Selby J", 2023, "opentiva 1.1.2: TCI simulation (ke0 values from a "
    "1-min time to peak effect for the ketamine models)", "Python package, MIT licence")
YANAGIHARA = register(
    "yanagihara2003", "Yanagihara Y, Ohtani M, Kariya S, et al.", 2003,
    "Plasma concentration profiles of ketamine and norketamine after administration of "
    "various ketamine preparations to healthy Japanese volunteers",
    "Biopharm Drug Dispos 24:37-43")
ROLAN = register(
    "rolan2014", "Rolan P, Lim S, Sunderland V, Liu Y, Molnar V", 2014,
    "The absolute bioavailability of racemic ketamine from a novel sublingual formulation",
    "Br J Clin Pharmacol 77:1011-1016", doi="10.1111/bcp.12264", pmid="24977293")
IN2022 = register(
    "pharmacotherapy2022_in", "Pharmacotherapy 2022 (PMC9118341)", 2022,
    "Intranasal vs intravenous racemic ketamine pharmacokinetics (Table 6: F 17/13/11 % "
    "after 10/30/50 mg; Tmax 14-23 min)", "Pharmacotherapy 42:298-310",
    doi="10.1002/phar.2669")
DAYTON = register(
    "dayton1983", "Dayton PG, Stiller RL, Cook DR, Perel JM", 1983,
    "The binding of ketamine to plasma proteins: emphasis on human plasma",
    "Eur J Clin Pharmacol 24:825-831")

# --- propofol -------------------------------------------------------------------------
MARSH = register(
    "marsh1991", "Marsh B, White M, Morton N, Kenny GN", 1991,
    "Pharmacokinetic model driven infusion of propofol in children",
    "Br J Anaesth 67:41-48", doi="10.1093/bja/67.1.41", pmid="1859758")
SCHNIDER = register(
    "schnider1998", "Schnider TW, Minto CF, Gambus PL, et al.", 1998,
    "The influence of method of administration and covariates on the pharmacokinetics of "
    "propofol in adult volunteers", "Anesthesiology 88:1170-1182",
    doi="10.1097/00000542-199805000-00006", pmid="9605675")
SCHNIDER1999 = register(
    "schnider1999", "Schnider TW, Minto CF, Shafer SL, et al.", 1999,
    "The influence of age on propofol pharmacodynamics", "Anesthesiology 90:1502-1516")
ELEVELD2018 = register(
    "eleveld2018", "Eleveld DJ, Colin P, Absalom AR, Struys MMRF", 2018,
    "Pharmacokinetic-pharmacodynamic model for propofol for broad application in "
    "anaesthesia and sedation", "Br J Anaesth 120:942-959",
    doi="10.1016/j.bja.2018.01.018", pmid="29661412")
ALSALLAMI = register(
    "alsallami2015", "Al-Sallami HS, Goulding A, Grant A, et al.", 2015,
    "Prediction of fat-free mass in children", "Clin Pharmacokinet 54:1169-1178")
JAMES = register(
    "james1976", "James WPT", 1976, "Research on obesity (lean body mass formula)",
    "HMSO, London")
MAZOIT = register(
    "mazoit1999", "Mazoit JX, Samii K", 1999,
    "Binding of propofol to blood components: implications for pharmacokinetics and for "
    "pharmacodynamics", "Br J Clin Pharmacol 47:35-42")

# --- thiopental -----------------------------------------------------------------------
STANSKI = register(
    "stanski1990", "Stanski DR, Maitre PO", 1990,
    "Population pharmacokinetics and pharmacodynamics of thiopental: the effect of age "
    "revisited", "Anesthesiology 72:412-422", doi="10.1097/00000542-199003000-00003",
    pmid="2310020")
BURCH = register(
    "burch1983", "Burch PG, Stanski DR", 1983,
    "The role of metabolism and protein binding in thiopental anesthesia",
    "Anesthesiology 58:146-152")

# --- opioids --------------------------------------------------------------------------
SHAFER = register(
    "shafer1990", "Shafer SL, Varvel JR, Aziz N, Scott JC", 1990,
    "Pharmacokinetics of fentanyl administered by computer-controlled infusion pump",
    "Anesthesiology 73:1091-1102", doi="10.1097/00000542-199012000-00005", pmid="2248388")
MINTO = register(
    "minto1997", "Minto CF, Schnider TW, Egan TD, et al.", 1997,
    "Influence of age and gender on the pharmacokinetics and pharmacodynamics of "
    "remifentanil. I. Model development", "Anesthesiology 86:10-23",
    doi="10.1097/00000542-199701000-00004", pmid="9009935")
ELEVELD2017 = register(
    "eleveld2017", "Eleveld DJ, Proost JH, Vereecke H, et al.", 2017,
    "An allometric model of remifentanil pharmacokinetics and pharmacodynamics",
    "Anesthesiology 126:1005-1018", doi="10.1097/ALN.0000000000001634", pmid="28509794")
SARTON = register(
    "sarton2000", "Sarton E, Olofsen E, Romberg R, et al.", 2000,
    "Sex differences in morphine analgesia: an experimental study in healthy volunteers",
    "Anesthesiology 93:1245-1254", doi="10.1097/00000542-200011000-00018", pmid="11046213")
OLSEN = register(
    "olsen1975", "Olsen GD", 1975, "Morphine binding to human plasma proteins",
    "Clin Pharmacol Ther 17:31-35")
MEULDERMANS = register(
    "meuldermans1982", "Meuldermans WE, Hurkmans RM, Heykants JJ", 1982,
    "Plasma protein binding and distribution of fentanyl, sufentanil, alfentanil and "
    "lofentanil in blood", "Arch Int Pharmacodyn Ther 257:4-19")
EGAN = register(
    "egan1993", "Egan TD, Lemmens HJ, Fiset P, et al.", 1993,
    "The pharmacokinetics of the new short-acting opioid remifentanil (GI87084B) in "
    "healthy adult male volunteers", "Anesthesiology 79:881-892")

# --- virtual populations --------------------------------------------------------------
FRYAR = register(
    "fryar2021", "Fryar CD, Carroll MD, Gu Q, Afful J, Ogden CL", 2021,
    "Anthropometric reference data for children and adults: United States, 2015-2018",
    "Vital Health Stat 3(46), National Center for Health Statistics")

# --- validation data (measured concentrations; used in tests only, never fitted) -------
ANALGOSEDATION = register(
    "analgosedation_ejdmp", "Koppel C, et al. (authors from memory, not verified)", 1990,
    "Effects of enzyme induction, renal and cardiac function on ketamine plasma kinetics in "
    "patients with ketamine long-term analgosedation (steady state after 3 d of "
    "1.1-1.3 mg/kg/h: ketamine 1.2 +- 0.3 ug/mL, norketamine 1.0 +- 0.6 ug/mL)",
    "Eur J Drug Metab Pharmacokinet")
