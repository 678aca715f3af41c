"""Scenarios: what happens to this patient under this regimen (M18).

This package holds the declarative part: the scenario document (`Scenario` and its sections,
validated by pydantic; every problem an `InputError` naming its field path, value and what is
allowed), its stable hash, and the presets of the seed's settings. Running a scenario through
the layers (PK -> receptors -> spinal slow model -> spiking tests -> pain) is `simulate`
(`ketasim.scenarios.runner`, whose docstring says what is mapped how); its JSON summary is
`summary` and its files (NetCDF, HTML report) `write_outputs`.

Examples
--------
>>> from ketasim.scenarios import load_scenario, scenario_hash
>>> s = load_scenario("name: demo\\nregimens:\\n  - drug: ketamine\\n    doses:\\n"
...                   "      - {kind: bolus, dose: 0.5 mg/kg}\\n")
>>> s.regimens[0].doses[0].mg_per_kg
0.5
>>> len(scenario_hash(s))
16
"""

from ketasim.scenarios.presets import (
    init_preset,
    list_presets,
    load_scenario,
    preset_path,
    show_preset,
    to_yaml,
)
from ketasim.scenarios.report import write_outputs
from ketasim.scenarios.runner import simulate, summary
from ketasim.scenarios.schema import (
    ICU,
    Bolus,
    Healthy,
    HeatTest,
    Infusion,
    Neuropathic,
    OpioidTolerant,
    Patient,
    PinprickTest,
    Postoperative,
    Problem,
    Readouts,
    Regimen,
    Scenario,
    ScenarioError,
    TouchTest,
    Trauma,
    WindupTest,
    canonical_json,
    scenario_hash,
)

__all__ = [
    "Scenario", "Patient", "Regimen", "Bolus", "Infusion", "Healthy", "Postoperative",
    "Trauma", "Neuropathic", "OpioidTolerant", "ICU", "WindupTest", "HeatTest",
    "PinprickTest", "TouchTest", "Readouts", "ScenarioError", "Problem", "scenario_hash",
    "canonical_json", "load_scenario", "list_presets", "show_preset", "init_preset",
    "to_yaml", "preset_path", "simulate", "summary", "write_outputs",
]
