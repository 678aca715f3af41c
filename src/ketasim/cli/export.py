"""`ketasim export`: write a model in another tool's language (SBML, COMBINE/OMEX, ...).

Subcommands register on `export_app`: ``sbml`` and ``omex`` here, ``nmodl`` in
`ketasim.cli.export_neuro`.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console

from ketasim.cli.app import app
from ketasim.cli.pk import AGE_OPT as _A
from ketasim.cli.pk import DRUG_HELP
from ketasim.cli.pk import HEIGHT_OPT as _H
from ketasim.cli.pk import SEX_OPT as _S
from ketasim.cli.pk import WEIGHT_OPT as _W

console = Console()

export_app = typer.Typer(help="Export ketasim models: SBML (PK + receptor occupancy, "
                         "dosing as events), COMBINE/OMEX with SED-ML, NMODL (the WDR "
                         "neuron for NEURON).", no_args_is_help=True)
app.add_typer(export_app, name="export")

_COMMON = """
Doses: --bolus "0.5 mg/kg" | "20 mg im at 30 min" | "1 mg/kg over 2 min"; --infusion
"0.15 mg/kg/h for 2 h" (repeatable); none: the model without events. Patient: --weight-kg,
--age-yr, --height-cm, --sex. Time in min, amounts in mg, volumes in L. The file's notes and
annotations carry the ketasim version, the parameter hash and the citations.
"""

SBML_HELP = ("""SBML Level 3 of DRUG's PK model (effect site, metabolite, absorption depots)
and its receptor occupancy layer (assignment rules; --no-receptors to omit), dosing as
events, for one patient. Needs python-libsbml (the 'exchange' extra of ketasim).
""" + _COMMON + """
Example: ketasim export sbml ketamine --model kamp --bolus "0.5 mg/kg" --out ketamine.xml

JSON keys (--json): drug, model, out, params_hash, citations.""")

OMEX_HELP = ("""COMBINE archive (OMEX): the SBML model, a SED-ML time course (0 to --t-end,
--points outputs, CVODE) and metadata. Needs python-libsedml and python-libcombine.
""" + _COMMON + """
Example: ketasim export omex propofol --bolus "2 mg/kg" --t-end "2 h" --out propofol.omex

JSON keys (--json): drug, model, out, params_hash, citations.""")


def _opts(drug, model, bolus, infusion, route, weight, age, height, sex):
    from ketasim.cli.pk import _patient
    from ketasim.pk.dosing import CLI, Schedule

    sched = Schedule.parse(bolus, infusion, route, dialect=CLI) if (bolus or infusion) \
        else None
    return sched, _patient(weight, age, height, sex)


def _summary(drug, model, path, xml, as_json):
    from ketasim.core.citations import cite

    ann = xml.split('ketasim:params_hash="')[1].split('"')[0]
    keys = xml.split('ketasim:citations="')[1].split('"')[0].split(";")
    out = {"drug": drug, "model": model, "out": str(path), "params_hash": ann,
           "citations": cite(keys)}
    if as_json:
        typer.echo(json.dumps(out, indent=1))
    else:
        console.print(f"wrote {path} (params_hash {ann})", highlight=False)
        for c in out["citations"]:
            console.print(f"  {c}", style="dim", highlight=False)


_DRUG = typer.Argument(..., help=DRUG_HELP)
_MODEL = typer.Option(None, "--model", "-m", help="model name (default: the drug's default)")
_BOLUS = typer.Option([], "--bolus", "-b", help="a bolus (repeatable)")
_INF = typer.Option([], "--infusion", "-i", help="an infusion (repeatable)")
_ROUTE = typer.Option("iv", "--route", help="default route of boluses without one")
_KE0 = typer.Option(None, "--ke0", help="override ke0 (1/min or e.g. '0.3 1/min')")
_REC = typer.Option(True, "--receptors/--no-receptors", help="include the receptor layer")
_JSON = typer.Option(False, "--json", help="print a JSON summary (keys above)")


@export_app.command("sbml", help=SBML_HELP, short_help="SBML Level 3 of a PK model with "
                    "receptor occupancy, dosing as events.")
def sbml_cmd(drug: str = _DRUG, model: str = _MODEL, bolus: list[str] = _BOLUS,
             infusion: list[str] = _INF, route: str = _ROUTE, weight: str = _W,
             age: str = _A, height: str = _H, sex: str = _S, ke0: str = _KE0,
             receptors: bool = _REC,
             out: str = typer.Option(..., "--out", "-o", help="output .xml / .sbml file"),
             as_json: bool = _JSON) -> None:
    from ketasim.cli.errors import output_file
    from ketasim.cli.pk import _flag_number
    from ketasim.exchange.sbml import export_sbml
    from ketasim.pk.dosing import CLI

    path = output_file("--out", out, (".xml", ".sbml"))
    sched, patient = _opts(drug, model, bolus, infusion, route, weight, age, height, sex)
    xml = export_sbml(drug, model, sched, patient, receptors=receptors,
                      ke0=None if ke0 is None else _flag_number(ke0), path=path, _dialect=CLI)
    _summary(drug, model, path, xml, as_json)


@export_app.command("omex", help=OMEX_HELP, short_help="COMBINE/OMEX archive: SBML + "
                    "SED-ML time course + metadata.")
def omex_cmd(drug: str = _DRUG, model: str = _MODEL, bolus: list[str] = _BOLUS,
             infusion: list[str] = _INF, route: str = _ROUTE, weight: str = _W,
             age: str = _A, height: str = _H, sex: str = _S, ke0: str = _KE0,
             receptors: bool = _REC,
             t_end: str = typer.Option("4 h", "--t-end", help="end of the time course"),
             points: int = typer.Option(241, "--points", help="output points (>= 2)"),
             out: str = typer.Option(..., "--out", "-o", help="output .omex file"),
             as_json: bool = _JSON) -> None:
    import zipfile

    from ketasim.cli.errors import output_file
    from ketasim.cli.pk import _flag_number
    from ketasim.exchange.sbml import export_omex
    from ketasim.pk.dosing import CLI

    path = output_file("--out", out, (".omex",))
    sched, patient = _opts(drug, model, bolus, infusion, route, weight, age, height, sex)
    export_omex(drug, model, sched, patient, path=path, t_end=_flag_number(t_end),
                points=points, receptors=receptors,
                ke0=None if ke0 is None else _flag_number(ke0), _dialect=CLI)
    xml = zipfile.ZipFile(path).read("model.xml").decode()
    _summary(drug, model, path, xml, as_json)
