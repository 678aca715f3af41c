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
    receptor: str = typer.Argument("nmda", help="receptor model: nmda | gabaa | glycine"),
    voltage: str = typer.Option("-66", help="holding potential(s) (mV), comma-separated for "
                                "an I-V (nmda)"),
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
    drug: str = typer.Option("propofol", help="gabaa/glycine: propofol | thiopental | "
                             "pentobarbital | ketamine"),
    conc: str = typer.Option("0,1,3,10", help="gabaa/glycine: drug concentrations, "
                             "comma-separated (umol/L, free)"),
    gaba: float = typer.Option(10000.0, help="gabaa/glycine: agonist pulse (umol/L)"),
    pulse: float = typer.Option(3.0, help="gabaa/glycine: agonist pulse duration (ms)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """Virtual voltage clamp: NMDA block by ketamine, or GABA-A/glycine under anaesthetics.

    nmda: receptors start drug-free at rest (or pre-incubated), then glutamate and ketamine
    are applied together for DURATION at each holding VOLTAGE (exact propagators of the
    20-state kinetic model). Fractional block is relative to the ketamine-free control run in
    the same batch (norketamine and Mg2+ are present in the control too).
    JSON keys (nmda): receptor, voltage_mV (number, or list if several), mg_mM, glutamate_uM,
    norketamine_uM, duration_ms, gmax_nS, start ("rest" | "equilibrium"), control_peak_pA,
    control_steady_pA, ic50_steady_uM (log-interpolated, null if not bracketed; first voltage),
    rows: list of {voltage_mV, ketamine_uM, peak_pA, steady_pA, peak_block, steady_block,
    equilibrium_block}. peak = current at the largest conducting fraction, steady = current
    at the end of the application, blocks are fractions of the ketamine-free conductance,
    equilibrium_block = closed-form equilibrium.

    gabaa / glycine: a PULSE ms pulse of GABA (glycine) on receptors pre-equilibrated with
    each DRUG concentration, baseline-subtracted. JSON keys: receptor, drug, voltage_mV,
    agonist_uM, pulse_ms, rows: list of {conc_uM, peak_pA, charge_pC, decay_tau_ms,
    peak_ratio, charge_ratio, decay_ratio, tonic_pA}.
    """
    from ketasim.receptors.clamp import (
        gabaa_pulse_response,
        ic50_from_curve,
        nmda_dose_response,
    )

    volts = _floats(voltage, "--voltage")
    receptor = receptor.lower()
    if receptor in ("gabaa", "glycine"):
        ds = gabaa_pulse_response(drug, _floats(conc, "--conc"), gaba_uM=gaba, pulse_ms=pulse,
                                  v_mV=volts[0], gmax_nS=gmax, receptor=receptor)
        rows = [dict(conc_uM=float(c), peak_pA=float(ds.peak[i]),
                     charge_pC=float(ds.charge[i]), decay_tau_ms=float(ds.decay_tau[i]),
                     peak_ratio=float(ds.peak_ratio[i]), charge_ratio=float(ds.charge_ratio[i]),
                     decay_ratio=float(ds.decay_ratio[i]), tonic_pA=float(ds.tonic[i]))
                for i, c in enumerate(ds.conc.values)]
        out = dict(receptor=receptor, drug=drug, voltage_mV=volts[0], agonist_uM=gaba,
                   pulse_ms=pulse, rows=rows)
        if as_json:
            typer.echo(json.dumps(out, indent=2))
            return
        table = Table(f"{drug} (uM)", "peak (pA)", "charge (pC)", "decay tau (ms)",
                      "charge ratio", "decay ratio", "tonic (pA)",
                      title=f"{receptor} {pulse:g} ms pulse, {volts[0]:g} mV")
        for r in rows:
            table.add_row(f"{r['conc_uM']:g}", f"{r['peak_pA']:.3f}", f"{r['charge_pC']:.4f}",
                          f"{r['decay_tau_ms']:.2f}", f"{r['charge_ratio']:.3f}",
                          f"{r['decay_ratio']:.3f}", f"{r['tonic_pA']:.4f}")
        console.print(table)
        return
    if receptor != "nmda":
        raise UnknownNameError("receptor", receptor, "nmda, gabaa or glycine")
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
    start = "equilibrium" if preincubate else "rest"
    rows, first = [], None
    for v in volts:
        ds = nmda_dose_response(nonzero or [0.0], v_mV=v, mg_mM=mg, glu_uM=glutamate,
                                duration_ms=duration, nk_uM=norketamine, dt_ms=dt,
                                gmax_nS=gmax, start=start)
        first = first if first is not None else ds
        if 0.0 in conc:
            rows.append(dict(voltage_mV=v, ketamine_uM=0.0, peak_pA=float(ds.control_peak),
                             steady_pA=float(ds.control_steady), peak_block=0.0,
                             steady_block=0.0, equilibrium_block=0.0))
        for c in nonzero:
            r = ds.sel(ketamine=c)
            rows.append(dict(voltage_mV=v, ketamine_uM=c, peak_pA=float(r.peak),
                             steady_pA=float(r.steady), peak_block=float(r.peak_block),
                             steady_block=float(r.steady_block),
                             equilibrium_block=float(r.equilibrium_block)))
    r0 = [r for r in rows if r["voltage_mV"] == volts[0]]
    ic50 = ic50_from_curve([r["ketamine_uM"] for r in r0], [r["steady_block"] for r in r0])
    out = dict(receptor="nmda", voltage_mV=volts[0] if len(volts) == 1 else volts, mg_mM=mg,
               glutamate_uM=glutamate, norketamine_uM=norketamine, duration_ms=duration,
               gmax_nS=gmax, start=start, control_peak_pA=float(first.control_peak),
               control_steady_pA=float(first.control_steady),
               ic50_steady_uM=None if ic50 != ic50 else ic50, rows=rows)
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    table = Table("V (mV)", "ketamine (uM)", "peak (pA)", "steady (pA)", "peak block",
                  "steady block", "equilibrium block",
                  title=f"NMDA clamp, Mg2+ {mg:g} mM, glutamate {glutamate:g} uM, "
                        f"{duration:g} ms")
    for r in rows:
        table.add_row(f"{r['voltage_mV']:g}", f"{r['ketamine_uM']:g}", f"{r['peak_pA']:.3f}",
                      f"{r['steady_pA']:.3f}", f"{r['peak_block']:.3f}",
                      f"{r['steady_block']:.3f}", f"{r['equilibrium_block']:.3f}")
    console.print(table)
    if out["ic50_steady_uM"] is not None:
        console.print(f"steady-state IC50 at {volts[0]:g} mV ~ {out['ic50_steady_uM']:.3g} uM")
