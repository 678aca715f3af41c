"""The seed's claims M1..M18: what each says and what the simulator must show.

One entry per claim: ``id``, ``text`` (the claim of the seed, as the project states it) and
``observable`` (what the simulator must show, one line, no citations). The demo report puts
the claim of every experiment section at its head; ``PK`` (the pharmacokinetic layer every
claim starts from) has an entry of its own.

Examples
--------
>>> CLAIMS["M8"].observable.startswith("Spikes per stimulus rise")
True
>>> len([c for c in CLAIMS if c.startswith("M")])
18
>>> claim_order("PK") < claim_order("M1") < claim_order("M10")
True
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Claim", "CLAIMS", "claim_order"]


@dataclass(frozen=True)
class Claim:
    """One claim of the seed: its ID, its text and the observable that shows it."""

    id: str
    text: str
    observable: str


_CLAIMS = (
    Claim("PK",
          "Dose in: a dose in mg/kg (bolus) or mg/kg/h (infusion) gives a plasma and an "
          "effect-site concentration, and the free drug at the receptor.",
          "Concentration courses of the seed's two regimens (0.05-0.3 mg/kg/h infusions; "
          "1-2 mg/kg boluses) under each published ketamine model."),
    Claim("M1",
          'Propofol and thiopental potentiate GABA-A receptors (Cl- influx): hypnosis and '
          'amnesia, but they are sedatives, not analgesics: they do not touch the pain signal '
          'itself.',
          'At hypnotic concentrations propofol/thiopental make the cortex unresponsive, yet '
          'spinal wind-up and sensitization proceed almost unchanged; ketamine reduces them.'),
    Claim("M2",
          'Ketamine works on the "accelerator" (glutamate), not the "brake": marked analgesia at '
          'doses too low to cause unconsciousness.',
          'A dose window exists where spinal NMDA block and analgesia are substantial while '
          'consciousness measures stay near awake.'),
    Claim("M3",
          'Normal, protective pain: the response is proportional to the stimulus.',
          'Without sensitization, projection-neuron output and pain rating grow monotonically and'
          ' roughly proportionally with stimulus intensity; innocuous touch gives no pain.'),
    Claim("M4",
          'Central sensitization: after strong or repeated input the spinal "gain" rises: '
          'hyperalgesia (pain hurts more) and allodynia (touch hurts).',
          'After a conditioning barrage, the stimulus-response curve shifts left/up '
          '(hyperalgesia) and A-beta touch input drives projection neurons to pain (allodynia).'),
    Claim("M5",
          'The NMDA receptor is a coincidence detector: it needs glutamate AND depolarization; at'
          ' rest Mg2+ corks the pore (voltage-dependent block).',
          'NMDA current-voltage curve with a region of negative slope in 1 mM Mg2+, linear in 0 '
          'Mg2+; glutamate alone at rest passes little current.'),
    Claim("M6",
          'AMPA receptors depolarize the cell and expel the Mg2+ cork.',
          'Blocking AMPA in the model abolishes most NMDA current during a barrage; '
          'depolarization relieves block.'),
    Claim("M7",
          'Ca2+ through NMDA receptors is the master switch: second messengers sensitize '
          'receptors, traffic new ones to the surface, change gene expression -> lasting '
          'excitability.',
          'Ca2+ influx drives a gain variable with an early (reversible) and a late (persistent) '
          'phase; blocking NMDA Ca2+ influx prevents it.'),
    Claim("M8",
          'Wind-up: firing grows stimulus by stimulus under repeated C-fibre input, the '
          'electrophysiological hallmark of central sensitization.',
          'Spikes per stimulus rise over a train at 0.5-2 Hz but not at 0.1 Hz; wind-up depends '
          'on NMDA receptors.'),
    Claim("M9",
          'Ketamine is a non-competitive antagonist: it enters the open pore and binds the PCP '
          'site, trapped like a broken key.',
          'Open-channel block kinetics: block needs opening; a trapped fraction remains after '
          'agonist removal; glutamate does not out-compete it.'),
    Claim("M10",
          'Block is use-dependent: the most active neurons are blocked most, normal circuits are '
          'spared.',
          'At the same ketamine concentration, fractional block grows with stimulation frequency '
          'and depolarization; low-activity responses are little affected.'),
    Claim("M11",
          'By stopping Ca2+ influx ketamine stops the gain cascade and resets sensitivity: it '
          'reverses hyperalgesia, and works in neuropathic pain that resists opioids.',
          'Ketamine prevents and partly reverses the gain increase and the hyperalgesia/allodynia'
          ' of M4; in a neuropathic scenario opioids help little and ketamine helps.'),
    Claim("M12",
          'Low, sub-anesthetic dose (infusion 0.05-0.3 mg/kg/h): strong analgesia, little effect '
          'on consciousness.',
          'Infusions in this range reach plasma levels with analgesia and near-awake cortex.'),
    Claim("M13",
          'High, anesthetic dose (bolus 1-2 mg/kg): NMDA block throughout thalamus and cortex '
          'breaks the synchronous rhythms that bind thought: dissociation (trance, amnesia, '
          'analgesia).',
          'After a 1-2 mg/kg bolus cortical integration (synchrony between regions) collapses; a '
          'dissociation measure tracks effect-site concentration.'),
    Claim("M14",
          'Emergence phenomena (hallucinations, vivid dreams, agitation) appear as the drug wears'
          ' off.',
          'As concentration falls after a bolus, a window opens where the cortex is awake but '
          'disintegrated; emergence risk is computed from it and differs by regimen.'),
    Claim("M15",
          'Ketamine weakly inhibits noradrenaline and serotonin reuptake, strengthening '
          'descending inhibition.',
          'Monoamine transporter occupancy from published affinities raises descending '
          'inhibition; its size is shown honestly (weak at analgesic doses).'),
    Claim("M16",
          'Long opioid use causes opioid-induced hyperalgesia and tolerance through NMDA '
          'upregulation; ketamine prevents or reverses both.',
          'Chronic opioid exposure up-regulates NMDA function, raising pain sensitivity and '
          'opioid need; co-administered ketamine blunts it.'),
    Claim("M17",
          'Ketamine is opioid-sparing: the same pain control with less morphine.',
          'In a post-operative virtual trial with patient-controlled morphine, adding low-dose '
          'ketamine lowers 24/48 h morphine use at equal or better pain scores.'),
    Claim("M18",
          'Clinical settings: severe trauma, post-operative pain, chronic neuropathic pain, '
          'intensive care.',
          'Ready-made scenarios for these settings, runnable from the command line and the web '
          'explorer.'),
)

_CLAIMS += (
    Claim("BRAIN",
          "The brain layer: drugs act on the cortex through its receptors (ketamine on NMDA, "
          "propofol/thiopental/midazolam on GABA-A), changing its rhythms, integration and "
          "responsiveness.",
          "Spectra, synchrony, directed connectivity, complexity, PCI and responsiveness of "
          "the thalamocortical network against effect-site concentration."),
)

#: {ID: Claim}, in the report's order: PK first, then M1..M18.
CLAIMS: dict[str, Claim] = {c.id: c for c in _CLAIMS}


def claim_order(claim: str) -> tuple[int, int]:
    """Sort key of a claim ID: ``PK`` first, then ``M1`` .. ``M18`` by number; unknown last.

    Examples
    --------
    >>> sorted(["M10", "M2", "PK", "M1"], key=claim_order)
    ['PK', 'M1', 'M2', 'M10']
    """
    if claim == "PK":
        return (0, 0)
    if claim[:1] == "M" and claim[1:].isdigit():
        return (1, int(claim[1:]))
    return (2, 0)
