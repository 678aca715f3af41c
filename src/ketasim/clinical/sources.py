"""Citations of the clinical layer (drug-free psychophysics for the pain transfer)."""

from ketasim.core.citations import register

TILLMAN1995 = register(
    "tillman1995", "Tillman DB, Treede RD, Meyer RA, Campbell JN", 1995,
    "Response of C fibre nociceptors in the anaesthetized monkey to heat stimuli: correlation "
    "with pain threshold in humans", "J Physiol 485:767-774")
YARNITSKY1992 = register(
    "yarnitsky1992", "Yarnitsky D, Simone DA, Dotson RM, Cline MA, Ochoa JL", 1992,
    "Single C nociceptor responses and psychophysical parameters of evoked pain: effect of rate "
    "of rise of heat stimuli in humans", "J Physiol (1992)")
TOREBJORK1984 = register(
    "torebjork1984", "Torebjork HE, LaMotte RH, Robinson CJ", 1984,
    "Peripheral neural correlates of magnitude of cutaneous pain and hyperalgesia: simultaneous "
    "recordings in humans of sensory judgments of pain and evoked responses in nociceptors "
    "with C-fibers", "J Neurophysiol 51:325-339", doi="10.1152/jn.1984.51.2.325")
PRICE1983 = register(
    "price1983", "Price DD, McGrath PA, Rafii A, Buckingham B", 1983,
    "The validation of visual analogue scales as ratio scale measures for chronic and "
    "experimental pain", "Pain 17:45-56")
PRICE2008 = register(
    "price2008", "Price DD, Patel R, Robinson ME, Staud R", 2008,
    "Characteristics of electronic visual analogue and numerical scales for ratings of "
    "experimental pain in healthy subjects and fibromyalgia patients", "Pain 140:158-166")
