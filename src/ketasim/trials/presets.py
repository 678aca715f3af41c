"""Preset trials (YAML files in ``presets/``): list, path, commented YAML to start from.

Examples
--------
>>> list_trial_presets()  # doctest: +NORMALIZE_WHITESPACE
['healthy_psychophysics', 'ketamine_infusion_vs_bolus', 'postop_ketamine_vs_placebo',
 'postop_pca', 'postop_pca_ketamine', 'remifentanil_high_vs_low']
"""

from __future__ import annotations

from pathlib import Path

from ketasim.core.errors import UnknownNameError

__all__ = ["TRIAL_PRESET_DIR", "list_trial_presets", "trial_preset_path", "init_trial"]

TRIAL_PRESET_DIR = Path(__file__).with_name("presets")


def list_trial_presets() -> list[str]:
    """Names of the preset trials, sorted."""
    return sorted(p.stem for p in TRIAL_PRESET_DIR.glob("*.yaml"))


def trial_preset_path(name: str) -> Path:
    """Path of preset trial ``name`` (`UnknownNameError` listing them otherwise)."""
    names = list_trial_presets()
    if not isinstance(name, str) or name not in names:
        raise UnknownNameError("trial", name, f"one of {', '.join(names)}")
    return TRIAL_PRESET_DIR / f"{name}.yaml"


def init_trial(name: str) -> str:
    """Preset trial ``name`` as commented YAML to edit (``ketasim trial init NAME``).

    >>> init_trial("postop_ketamine_vs_placebo").startswith("# ketasim trial")
    True
    """
    text = trial_preset_path(name).read_text(encoding="utf-8")
    head = (f"# ketasim trial, from the preset {name!r}. Edit it, then run it with\n"
            "#   ketasim trial run my.yaml [--patients N] [--workers N] [--out DIR]\n"
            "# Quantities carry their units ('0.5 mg/kg', '24 h'). Unknown fields are "
            "refused.\n")
    return head + text
