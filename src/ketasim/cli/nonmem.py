"""`ketasim nonmem`: simulate a NONMEM-style dataset (PRED/IPRED) and show CMT numbering."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from ketasim.cli.app import app

console = Console()

nonmem_app = typer.Typer(help="NONMEM-style datasets: simulate dosing/observation records "
                         "with a ketasim PK model (PRED/IPRED) and list the CMT numbering.",
                         no_args_is_help=True)
app.add_typer(nonmem_app, name="nonmem")

SIM_HELP = """Simulate the records of DATA (CSV; NONMEM columns ID, TIME, AMT, RATE, CMT,
EVID, MDV, DV, II, ADDL, SS and covariates WT, AGE, HT, SEX) with a ketasim PK model and
write them back with PRED (typical individual with covariates) and IPRED (with --etas or
--iiv; else IPRED = PRED). Units: --time-unit (default h), --amt-unit (mg), --conc-unit
(ng/mL). CMT numbering: `ketasim nonmem compartments DRUG --model NAME`. A bad record is
reported with its row, line and column.

Example: ketasim nonmem simulate data.csv --drug ketamine --model kamp --out pred.csv

JSON keys (--json): drug, model, records, individuals, out, ipred, params_hash, citations.
"""


_FLAGS = {"time_unit": "--time-unit", "amt_unit": "--amt-unit", "conc_unit": "--conc-unit",
          "sex_coding": "--sex-coding", "seed": "--seed", "data": "DATA"}


def _drug_model(drug: str, model: str | None):
    if model and "/" in model:
        d, m = model.split("/", 1)
        return d, m
    return drug, model


@nonmem_app.command("simulate", help=SIM_HELP,
                    short_help="Simulate a NONMEM-style dataset: write PRED/IPRED.")
def simulate_cmd(
    data: str = typer.Argument(..., help="NONMEM-style CSV (or whitespace-separated) file"),
    drug: str = typer.Option("ketamine", "--drug", "-d", help="drug of the model"),
    model: str = typer.Option(None, "--model", "-m", help="model name (or DRUG/NAME); "
                              "default: the drug's default"),
    out: str = typer.Option(..., "--out", "-o", help="output CSV with PRED and IPRED"),
    time_unit: str = typer.Option("h", "--time-unit", help="unit of TIME, II and RATE's time"),
    amt_unit: str = typer.Option("mg", "--amt-unit", help="unit of AMT"),
    conc_unit: str = typer.Option("ng/mL", "--conc-unit", help="unit of PRED/IPRED (and DV)"),
    etas: str = typer.Option(None, "--etas", help="CSV with ID and eta columns (CL, V1, ... "
                             "or ETA_CL, ...) for IPRED"),
    iiv: bool = typer.Option(False, "--iiv", help="draw etas from the model's omegas"),
    seed: int = typer.Option(0, "--seed", help="seed of --iiv"),
    sex_coding: str = typer.Option("0=male,1=female", "--sex-coding",
                                   help="'0=male,1=female' or '1=male,2=female'"),
    no_check: bool = typer.Option(False, "--no-check-validity",
                                  help="allow covariates outside the model's range"),
    as_json: bool = typer.Option(False, "--json", help="print a JSON summary (keys above)"),
) -> None:
    from ketasim.cli.errors import as_flags, output_file
    from ketasim.core.citations import cite
    from ketasim.exchange.nonmem import simulate_nonmem, write_nonmem

    path = output_file("--out", out, (".csv", ".txt", ".dat"))

    d, m = _drug_model(drug, model)
    with as_flags(_FLAGS):
        ds = simulate_nonmem(data, d, m, time_unit=time_unit, amt_unit=amt_unit,
                             conc_unit=conc_unit, etas=etas, iiv=iiv, seed=seed,
                             sex_coding=sex_coding, check_validity=not no_check)
    write_nonmem(ds, path)
    ids = ds["ID"].values
    n_ind = int(1 + (ids[1:] != ids[:-1]).sum()) if ids.size else 0
    summary = {"drug": ds.attrs["drug"], "model": ds.attrs["pk_model"],
               "records": int(ds.sizes["record"]), "individuals": n_ind, "out": str(path),
               "ipred": ds.attrs["ipred"], "params_hash": ds.attrs["params_hash"],
               "citations": cite(ds)}
    if as_json:
        typer.echo(json.dumps(summary, indent=1))
        return
    console.print(f"{summary['records']} records of {n_ind} individuals simulated with "
                  f"{summary['model']} -> {path}", highlight=False)
    console.print(f"  {summary['ipred']}", style="dim", highlight=False)


@nonmem_app.command("compartments", help="The CMT numbering of DRUG's model: CMT, "
                    "compartment, observed concentration.",
                    short_help="CMT numbering of a model.")
def compartments_cmd(
    drug: str = typer.Argument(..., help="drug"),
    model: str = typer.Option(None, "--model", "-m", help="model name"),
    as_json: bool = typer.Option(False, "--json", help="print JSON [[CMT, name, output]]"),
) -> None:
    from ketasim.exchange.nonmem import compartment_table

    rows = compartment_table(drug, model)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    t = Table("CMT", "compartment", "observed as", title=f"{drug} / {model or 'default'}")
    for n, name, o in rows:
        t.add_row(str(n), name, (o + "_ng_mL") if o else "- (depot: doses only)")
    console.print(t)
