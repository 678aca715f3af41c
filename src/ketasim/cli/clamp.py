"""`ketasim clamp nmda ...`: the virtual voltage-clamp bench on the command line."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from ketasim.cli.app import app
from ketasim.cli.errors import friendly
from ketasim.core.errors import InputError, UnknownNameError

console = Console()


def _floats(text: str, field: str) -> list[float]:
    try:
        vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(field, text, "comma-separated numbers, e.g. 0,0.1,1,10") from None
    if not vals:
        raise InputError(field, text, "at least one number")
    return vals


@app.command()
@friendly
def clamp(
    receptor: str = typer.Argument("nmda", help="receptor model: nmda"),
    voltage: float = typer.Option(-66.0, help="holding potential (mV)"),
    mg: float = typer.Option(1.0, help="extracellular Mg2+ (mmol/L)"),
    glutamate: float = typer.Option(1000.0, help="agonist concentration (umol/L)"),
    ketamine: str = typer.Option("0,0.1,0.3,1,3,10,30",
                                 help="ketamine concentrations, comma-separated (umol/L, free)"),
    norketamine: float = typer.Option(0.0, help="norketamine (umol/L, free)"),
    duration: float = typer.Option(10000.0, help="agonist + drug application (ms)"),
    dt: float = typer.Option(1.0, help="sampling interval (ms); the solution is exact"),
    gmax: float = typer.Option(1.0, help="maximal conductance (nS); currents in pA"),
    preincubate: bool = typer.Option(False, help="start from equilibrium with the drug "
                                     "(incl. trapped drug) instead of drug-free rest"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """Voltage-clamp an NMDA receptor population and co-apply agonist with each ketamine level.

    Receptors start drug-free at rest (or pre-incubated), then glutamate and ketamine are
    applied together for DURATION at the holding VOLTAGE (exact propagators of the 20-state
    kinetic model). Fractional block is relative to the ketamine-free control run in the same
    batch (norketamine and Mg2+ are present in the control too).

    JSON keys: receptor, voltage_mV, mg_mM, glutamate_uM, norketamine_uM, duration_ms,
    gmax_nS, start ("rest" | "equilibrium"), control_peak_pA, control_steady_pA,
    ic50_steady_uM (log-interpolated, null if not bracketed), rows: list of {ketamine_uM,
    peak_pA, steady_pA, peak_block, steady_block, equilibrium_block}. peak = most inward
    current (most outward above 0 mV), steady = current at the end of the application,
    equilibrium_block = closed-form equilibrium (infinite application).
    """
    from ketasim.receptors.clamp import ic50_from_curve, nmda_dose_response

    if receptor.lower() != "nmda":
        raise UnknownNameError("receptor", receptor, "nmda")
    conc = _floats(ketamine, "--ketamine")
    if any(c < 0 for c in conc):
        raise InputError("--ketamine", ketamine, "concentrations >= 0 (umol/L)")
    for name, val in (("--mg", mg), ("--glutamate", glutamate), ("--norketamine", norketamine)):
        if val < 0:
            raise InputError(name, val, "a concentration >= 0")
    if duration <= 0 or dt <= 0 or duration / dt > 5e6:
        raise InputError("--duration/--dt", (duration, dt),
                         "positive values with duration/dt <= 5e6 samples")
    nonzero = [c for c in conc if c > 0]
    ds = nmda_dose_response(nonzero or [0.0], v_mV=voltage, mg_mM=mg, glu_uM=glutamate,
                            duration_ms=duration, nk_uM=norketamine, dt_ms=dt, gmax_nS=gmax,
                            start="equilibrium" if preincubate else "rest")
    rows = []
    if 0.0 in conc:
        rows.append(dict(ketamine_uM=0.0, peak_pA=float(ds.control_peak),
                         steady_pA=float(ds.control_steady), peak_block=0.0, steady_block=0.0,
                         equilibrium_block=0.0))
    for c in (nonzero if nonzero else []):
        r = ds.sel(ketamine=c)
        rows.append(dict(ketamine_uM=c, peak_pA=float(r.peak), steady_pA=float(r.steady),
                         peak_block=float(r.peak_block), steady_block=float(r.steady_block),
                         equilibrium_block=float(r.equilibrium_block)))
    ic50 = ic50_from_curve([r["ketamine_uM"] for r in rows], [r["steady_block"] for r in rows])
    out = dict(receptor="nmda", voltage_mV=voltage, mg_mM=mg, glutamate_uM=glutamate,
               norketamine_uM=norketamine, duration_ms=duration, gmax_nS=gmax,
               start="equilibrium" if preincubate else "rest",
               control_peak_pA=float(ds.control_peak), control_steady_pA=float(ds.control_steady),
               ic50_steady_uM=None if ic50 != ic50 else ic50, rows=rows)
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    table = Table("ketamine (uM)", "peak (pA)", "steady (pA)", "peak block", "steady block",
                  "equilibrium block",
                  title=f"NMDA clamp {voltage:g} mV, Mg2+ {mg:g} mM, glutamate {glutamate:g} uM, "
                        f"{duration:g} ms")
    for r in rows:
        table.add_row(f"{r['ketamine_uM']:g}", f"{r['peak_pA']:.3f}", f"{r['steady_pA']:.3f}",
                      f"{r['peak_block']:.3f}", f"{r['steady_block']:.3f}",
                      f"{r['equilibrium_block']:.3f}")
    console.print(table)
    if out["ic50_steady_uM"] is not None:
        console.print(f"steady-state IC50 ~ {out['ic50_steady_uM']:.3g} uM")
