"""Choices: drug, PK model, patient covariates, regimen, condition, horizon."""

import streamlit as st

from ketasim.app import core, ui
from ketasim.core.errors import KetasimError

ui.setup("choices", "Choices: patient, drug and regimen")
c = ui.cfg()
draft = core.copy_config(c)

st.caption("Doses and rates are text with their unit ('0.5 mg/kg', '35 mg', '0.15 mg/kg/h', "
           "'10 ug/kg/min'); leave a field empty for none. Nothing typed here is run as "
           "code: every value is checked by the scenario schema.")

left, right = st.columns(2)
with left:
    st.subheader("Patient")
    p = draft["patient"]
    p["weight_kg"] = st.number_input("weight (kg)", 0.3, 400.0, float(p["weight_kg"]), 1.0,
                                     key="ch_weight")
    p["height_cm"] = st.number_input("height (cm)", 30.0, 250.0, float(p["height_cm"]), 1.0,
                                     key="ch_height")
    p["age_yr"] = st.number_input("age (years)", 0.0, 120.0, float(p["age_yr"]), 1.0,
                                  key="ch_age")
    p["sex"] = st.selectbox("sex", ("female", "male"), ("female", "male").index(p["sex"]),
                            key="ch_sex")
    st.subheader("Clinical condition")
    from ketasim.scenarios.schema import CONDITION_KINDS

    draft["condition"] = st.selectbox("condition", CONDITION_KINDS,
                                      CONDITION_KINDS.index(draft["condition"]),
                                      key="ch_condition")
    draft["horizon"] = st.text_input("horizon (at most 7 d)", draft["horizon"], max_chars=32,
                                     key="ch_horizon")
with right:
    st.subheader("Regimen")
    from ketasim.pk import list_models

    draft["drug"] = st.selectbox("drug", core.DRUG_CHOICES,
                                 core.DRUG_CHOICES.index(draft["drug"]), key="ch_drug")
    models = [""] + [m.name for m in list_models(draft["drug"])]
    if draft["model"] not in models:
        draft["model"] = ""
    from ketasim.pk import DEFAULT_MODEL

    default_model = DEFAULT_MODEL[draft["drug"]]
    draft["model"] = st.selectbox("PK model", models, models.index(draft["model"]),
                                  format_func=lambda m: m or f"default ({default_model})",
                                  key="ch_model")
    draft["bolus"] = st.text_input("bolus at 0 h", draft["bolus"], max_chars=64,
                                   key="ch_bolus")
    draft["infusion"] = st.text_input("infusion rate from 0 h", draft["infusion"],
                                      max_chars=64, key="ch_infusion")
    draft["infusion_duration"] = st.text_input("infusion duration ('' = to the horizon)",
                                               draft["infusion_duration"], max_chars=32,
                                               key="ch_infusion_duration")
    draft["tci_target"] = st.text_input(
        "TCI target ('3 ug/mL', or '3 ug/mL at 0 min, 2 ug/mL at 30 min'; '' = none; "
        "runs for the infusion duration)",
        draft.get("tci_target", ""), max_chars=200, key="ch_tci_target")
    sites = ("effect", "plasma")
    draft["tci_site"] = st.selectbox("TCI site", sites,
                                     sites.index(draft.get("tci_site", "effect")),
                                     key="ch_tci_site")
    st.subheader("Second drug (optional)")
    seconds = ("none", *core.DRUG_CHOICES)
    draft["second_drug"] = st.selectbox("second drug", seconds,
                                        seconds.index(draft["second_drug"]), key="ch_second")
    if draft["second_drug"] != "none":
        draft["second_bolus"] = st.text_input("its bolus at 0 h", draft["second_bolus"],
                                              max_chars=64, key="ch_second_bolus")
        draft["second_infusion"] = st.text_input("its infusion rate", draft["second_infusion"],
                                                 max_chars=64, key="ch_second_infusion")
        draft["second_infusion_duration"] = st.text_input(
            "its infusion duration", draft["second_infusion_duration"], max_chars=32,
            key="ch_second_duration")

try:  # a shorter horizon pulls the moment looked at inside it
    hz = core.to_scenario({**draft, "time_h": 0.0}, tests=False).horizon_h
    draft["time_h"] = min(float(draft["time_h"]), hz)
except KetasimError:
    pass
try:
    s = core.to_scenario(draft)
    from ketasim.scenarios import canonical_json

    # the PK models' covariate ranges are checked when the model runs: run it (cached)
    ui.cached_timeline(canonical_json(core.to_scenario(draft, tests=False)))
except KetasimError as exc:
    ui.show_error(exc)
    st.info("The other pages keep showing the last valid configuration.")
else:
    if draft != c:
        st.session_state["cfg"] = draft
        c = draft
    reg = s.regimens
    st.success(f"Valid scenario: {len(reg)} regimen(s), condition {s.condition.kind}, "
               f"horizon {s.horizon_h:g} h" + (f"; {reg[0].drug} model {reg[0].model}"
                                                if reg else "; no drug"))

st.subheader("Scenario YAML")
st.caption("Download it from the sidebar and run it with `ketasim simulate scenario.yaml`, "
           "or paste a scenario here to check it and load its patient, condition and first "
           "doses.")
text = st.text_area("paste a scenario YAML", "", height=120, max_chars=100_000,
                    key="ch_yaml")
if st.button("Check and load", key="ch_load") and text.strip():
    from ketasim.scenarios import load_scenario

    try:
        loaded = load_scenario(text, max_horizon_h=core.MAX_HORIZON_H)
        new = core.from_scenario(loaded, ui.cfg())
        core.to_scenario(new)
    except KetasimError as exc:
        ui.show_error(exc)
    else:
        st.session_state["cfg"] = new
        for k in [k for k in st.session_state if str(k).startswith("ch_") and k != "ch_yaml"]:
            del st.session_state[k]
        st.success("Loaded: patient, condition, horizon and the first bolus and infusion of "
                   "the first two regimens (other doses and tests are not kept).")
        st.rerun()
with st.expander("The current scenario as YAML"):
    with ui.guard():
        st.code(core.scenario_yaml(ui.scenario()), language="yaml")
