"""Teaching mode: for every panel, the claims of the seed it shows, what to look for in
plain words, and the sources a student can follow (citation keys of `ketasim.cite`).

The claims are those of the project's mission (M1..M18): the seed is a textbook chapter on
how ketamine acts on the pain system. Their wording here is ours.

Examples
--------
>>> sorted(PANELS)[:2]
['choices', 'compare']
>>> references("windup")[0].startswith("Aguiar")
True
"""

from __future__ import annotations

__all__ = ["CLAIMS", "PANELS", "references"]

#: The seed's claims (short form).
CLAIMS = {
    "M1": "Propofol and thiopental potentiate GABA-A receptors: they sedate and cause "
          "amnesia, but they are not analgesics - the spinal pain signal goes on.",
    "M2": "Ketamine acts on the accelerator (glutamate, NMDA), not the brake: analgesia at "
          "doses too low to cause unconsciousness.",
    "M3": "Normal, protective pain grows with the stimulus; touch does not hurt.",
    "M4": "Central sensitization: after strong input the spinal gain rises - hyperalgesia "
          "(pain hurts more) and allodynia (touch hurts).",
    "M5": "The NMDA receptor is a coincidence detector: glutamate AND depolarisation; at "
          "rest Mg2+ corks the pore.",
    "M7": "Ca2+ through NMDA receptors is the master switch of lasting sensitization.",
    "M8": "Wind-up: firing grows stimulus by stimulus under repeated C-fibre input.",
    "M9": "Ketamine enters the open channel and is trapped there like a broken key.",
    "M10": "Block is use-dependent: the most active channels are blocked most.",
    "M11": "By stopping Ca2+ influx ketamine stops the gain cascade: it reverses "
           "hyperalgesia.",
    "M12": "Low-dose infusions (0.05-0.3 mg/kg/h): analgesia with little effect on "
           "consciousness.",
    "M13": "Anaesthetic bolus (1-2 mg/kg): NMDA block in thalamus and cortex, dissociation.",
    "M14": "Emergence phenomena appear as the drug wears off.",
    "M16": "Long opioid use raises pain sensitivity through NMDA up-regulation; ketamine "
           "blunts it.",
    "M17": "Ketamine is opioid-sparing.",
    "M18": "Clinical settings: trauma, post-operative pain, neuropathic pain, intensive care.",
}

#: Per panel: claims shown, what to look for, citation keys.
PANELS = {
    "choices": {
        "claims": ("M18",),
        "look_for": (
            "One patient and one regimen drive every other page. The dose is written with "
            "its unit ('0.5 mg/kg', '10 ug/kg/min'); the clinical condition (healthy, "
            "post-operative, trauma, neuropathic, opioid-tolerant, ICU) sets how much "
            "C-fibre input reaches the spinal cord after the injury. Everything is checked "
            "before anything runs: a wrong unit or a dose above the safety limit is named "
            "with what would be allowed, and the YAML you download runs unchanged with "
            "`ketasim simulate`."),
        "sources": ("kamp2020", "eleveld2018", "woolf2011"),
    },
    "concentrations": {
        "claims": ("M12", "M13"),
        "look_for": (
            "Plasma concentration rises at once after a bolus; the effect site (the brain "
            "and spinal cord) lags behind it by minutes (ke0). Only the FREE drug, not "
            "bound to plasma proteins, reaches the receptor: that is the number every other "
            "layer uses. Compare a 0.15 mg/kg/h infusion (a few tenths of a micromolar) "
            "with a 1-2 mg/kg bolus (several micromolar): this is the difference between "
            "the seed's analgesic and anaesthetic doses. In a PK model with a metabolite "
            "chain (S-ketamine: models otto, adults, and flint, children), norketamine "
            "builds up slowly and also blocks NMDA receptors. S-ketamine binds the NMDA "
            "pore more tightly than the racemate: its free level counts 1.65x at the "
            "receptor (racemic-equivalent)."),
        "sources": ("kamp2020", "domino1984", "dayton1983", "eleveld2018", "shafer1990",
                    "otto2021", "ebert_1997"),
    },
    "nmda": {
        "claims": ("M5", "M9", "M10"),
        "look_for": (
            "Block at the same free ketamine differs by site: receptors with GluN2C/2D "
            "subunits are corked less by Mg2+, so ketamine finds them open and blocks them "
            "more (cortical fast-spiking interneurons carry GluN2D). The trapping plot is a "
            "virtual clamp: while glutamate opens the channels, ketamine enters the open "
            "pore; when glutamate is washed away the channels close with ketamine inside - "
            "the 'trapped' curve stays up although no channel is open. Make the holding "
            "voltage less negative: Mg2+ leaves and ketamine block grows (use and voltage "
            "dependence)."),
        "sources": ("mealing_1999", "orser_1997", "kotermanski_johnson_2009",
                    "vargas_caballero_robinson_2004", "hildebrand_2014", "shiokawa_2010"),
    },
    "windup": {
        "claims": ("M8", "M10", "M1"),
        "look_for": (
            "Each electrical shock at twice the C-fibre threshold gives a burst of spikes in "
            "the wide-dynamic-range neuron; over a 1 Hz train the bursts grow (wind-up) "
            "because NMDA current builds up with each shock. Ketamine lowers the later bursts "
            "more than the first (use dependence: the first burst rests on AMPA). In this "
            "model the build-up falls clearly at the micromolar free levels of an "
            "anaesthetic bolus (try 2 mg/kg and a moment of 0.1 h); at the few tenths of a "
            "micromolar of a low-dose infusion the train changes little. At low frequency "
            "(0.1-0.2 Hz) there is no wind-up to block. Propofol at sedative levels leaves "
            "wind-up almost unchanged."),
        "sources": ("aguiar2010", "dickenson1987", "davies1987", "herrero2000",
                    "mendell1966"),
    },
    "pain": {
        "claims": ("M3", "M4", "M7", "M11"),
        "look_for": (
            "The spinal gain rises after the injury (Ca2+ through NMDA receptors drives an "
            "early, reversible and a late, lasting phase) and falls back slowly. In the "
            "sensitized (secondary) area the same heat and pin-prick hurt more "
            "(hyperalgesia) and touch may start to hurt (allodynia); on normal skin they do "
            "not. Ketamine lowers the Ca2+ drive and so the gain: compare with the placebo "
            "run. Ongoing pain follows the C-fibre drive of the wound."),
        "sources": ("shouval2002", "graupner2012", "woolf2011", "klein2004", "benrath2005",
                    "price1983"),
    },
    "compare": {
        "claims": ("M1", "M2"),
        "look_for": (
            "The three drugs act on three targets: ketamine blocks NMDA receptors, propofol "
            "potentiates GABA-A inhibition, the opioid acts on mu-opioid receptors of the "
            "C-fibre terminals and the WDR neuron. In the wind-up row, propofol at hypnotic "
            "levels hardly changes spikes per stimulus (a sedative, not an analgesic: M1); "
            "the opioid lowers every burst; ketamine lowers the build-up, clearly only at "
            "anaesthetic levels in this model (a bolus of 2 mg/kg looked at after a few "
            "minutes), hardly at the low-dose levels of the default regimen. Only "
            "ketamine enters the slow gain model here: the gain columns of propofol and the "
            "opioid show the untreated course."),
        "sources": ("takazawa_2009", "bai_1999", "eleveld2018", "shafer1990", "aguiar2010"),
    },
    "trials": {
        "claims": ("M11", "M12", "M18"),
        "look_for": (
            "A few hundred virtual patients differ in body size, PK (published variability) "
            "and pain sensitivity. The bands show the spread of ongoing pain over time in "
            "each arm (5-95 % and 25-75 % of patients, median line). In the paired design "
            "every patient runs both arms, so the difference is the drug's alone; in the "
            "randomised design small arms also differ by who was drawn into them. A "
            "difference between arms is only worth reading with its spread: look at how "
            "much the bands overlap."),
        "sources": ("kamp2020", "fryar2021", "woolf2011"),
    },
    "cortex": {
        "claims": ("M1", "M2", "M12", "M13", "M14"),
        "look_for": (
            "A cortical network (excitatory cells and fast-spiking interneurons whose NMDA "
            "receptors ketamine blocks; GABA-A synapses that propofol, thiopental and "
            "midazolam prolong) is summarised by four numbers: responsiveness (the evoked "
            "response to a sensory input, 1 = awake), integration (phase synchrony "
            "between regions), dissociation (awake-like activity with broken integration) "
            "and psychotomimetic intensity. Follow them over time against the free "
            "ketamine level: the right panel shows them along ketamine alone. Emergence "
            "risk accumulates only while the patient is responsive, the cortex "
            "disintegrated and ketamine falling (M14); compare a bolus with an infusion, "
            "or add midazolam as the second drug. These are the brain layer's model "
            "readouts, not fitted to clinical ketamine outcomes: read them as the model's "
            "answer, and compare them with the clinical claims."),
        "sources": ("homayoun_moghaddam_2007", "adam_2024", "sapkota_2016", "milne_2003",
                    "barr_2001", "ketasim_brain_estimate"),
    },
}


def references(panel: str) -> list[str]:
    """Formatted references of a panel's sources (`ketasim.cite`)."""
    from ketasim import cite

    return cite(list(PANELS[panel]["sources"]))
