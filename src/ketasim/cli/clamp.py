"""`ketasim clamp nmda|gabaa|glycine ...`: the virtual voltage-clamp bench on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ketasim.cli.app import app
from ketasim.cli.errors import as_flags, friendly
from ketasim.core.errors import InputError, UnknownNameError
from ketasim.core.validation import Interval, check, check_work

console = Console()

#: Python argument names of the receptor API -> the flags of this command
_FLAGS = {"voltage_mV": "--voltage", "mg_mM": "--mg", "glutamate_uM": "--glutamate",
          "ketamine_uM": "--ketamine", "norketamine_uM": "--norketamine",
          "duration_ms": "--duration", "dt_ms": "--dt", "gmax_nS": "--gmax",
          "concentration_uM": "--concentration", "gaba_uM": "--gaba", "pulse_ms": "--pulse",
          "max_points": "--max-points", "Segment.duration_ms": "--duration"}
_NONNEG = Interval(0, None)
_POSITIVE = Interval(0, None, closed="neither")


def _number(text: str, flag: str, unit: str, constraint: Interval) -> float:
    """One CLI value: a number in ``unit`` or a quantity ("1 mM"); NaN/inf refused."""
    from ketasim.core.units import as_float as to_float

    try:
        value: float | str = float(text)
    except ValueError:
        value = text
    return to_float(value, flag, unit, constraint)


def _numbers(text: str, flag: str, unit: str, constraint: Interval) -> list[float]:
    items = [x.strip() for x in text.split(",")]
    if not text.strip() or any(not x for x in items):
        raise InputError(flag, text, f"comma-separated values in {unit}, e.g. 0,0.1,1,10")
    return [_number(x, f"{flag}[{i}]" if len(items) > 1 else flag, unit, constraint)
            for i, x in enumerate(items)]


def _write(path: Path, flag: str, write) -> None:
    try:
        write(path)
    except OSError as exc:
        raise InputError(flag, str(path), f"a writable file ({exc.strerror})") from None


def _plot(path: Path, traces, title: str) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for label, t, y in traces:
        ax.plot(t, y, label=label)
    ax.set(xlabel="time (ms)", ylabel="current (pA)", title=title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    _write(path, "--plot", lambda p: fig.savefig(p, dpi=120))


@app.command()
@friendly
def clamp(
    receptor: str = typer.Argument("nmda", help="receptor model: nmda | gabaa | glycine"),
    voltage: str = typer.Option("-66", help="holding potential(s) (mV or a quantity), "
                                "comma-separated for an I-V"),
    mg: str = typer.Option("1.0", help="extracellular Mg2+ (mmol/L or a quantity)"),
    glutamate: str = typer.Option("1000.0", help="agonist concentration (> 0; umol/L or a "
                                  "quantity)"),
    ketamine: str = typer.Option("0,0.1,0.3,1,3,10,30",
                                 help="ketamine concentrations, comma-separated (umol/L, free)"),
    norketamine: str = typer.Option("0.0", help="norketamine (umol/L, free)"),
    duration: str = typer.Option("10000.0", help="agonist + drug application (ms or a "
                                 "quantity)"),
    dt: str = typer.Option(None, help="sampling interval (ms; default 1 for nmda, 0.01 for "
                           "gabaa/glycine); the nmda solution is exact at every sample"),
    gmax: str = typer.Option("1.0", help="maximal conductance (> 0; nS); currents in pA"),
    subunit: str = typer.Option(None, "--subunit", help="nmda: receptor subunit set 2A | 2B "
                                "| 2C | 2D, a composition (lamina_I, inhibitory_interneuron, "
                                "deep_wdr, cortex_fs_interneuron) or conductance weights such "
                                "as 2B=0.5,2D=0.5; default: the default (GluN2A-like) model"),
    mg_factor: str = typer.Option("4.0", "--mg-factor", help="nmda: factor on the Mg2+ Kd "
                                  "of 2C/2D sets (4 = Qian 2005 lower bound, 8.9 upper)"),
    site: str = typer.Option("1", "--site", help="nmda: ketamine's allosteric site, the "
                             "gating factor of an occupied site (1 = off; 'orser' = the upper "
                             "bound fitted to Orser 1997, 4.10; range 1-1000)"),
    preincubate: bool = typer.Option(False, help="start from equilibrium with the drug "
                                     "(incl. trapped drug) instead of drug-free rest"),
    drug: str = typer.Option("propofol", help="gabaa/glycine: propofol | thiopental | "
                             "pentobarbital | ketamine"),
    concentration: str = typer.Option("0,1,3,10", "--concentration", "--conc",
                                      help="gabaa/glycine: drug concentrations, "
                                      "comma-separated (umol/L, free)"),
    gaba: str = typer.Option("10000.0", help="gabaa/glycine: agonist pulse (umol/L)"),
    pulse: str = typer.Option("3.0", help="gabaa/glycine: agonist pulse duration (ms)"),
    max_points: float = typer.Option(2e7, "--max-points",
                                     help="cap on conditions x time samples per voltage"),
    out: Path = typer.Option(None, "--out", help="also write the JSON result to this file"),
    plot: Path = typer.Option(None, "--plot", help="write a PNG of the current traces "
                              "(first voltage)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """Virtual voltage clamp: NMDA block by ketamine, or GABA-A/glycine under anaesthetics.

    Values are numbers in the unit of the help text or quantities ("1 mM", "-60 mV").

    nmda: receptors start drug-free at rest (or pre-incubated), then glutamate and ketamine
    are applied together for DURATION at each holding VOLTAGE (exact propagators of the
    20-state kinetic model). Fractional block is relative to the ketamine-free control run in
    the same batch (norketamine and Mg2+ are present in the control too). --subunit picks a
    GluN2 subunit set or a mixture (its current is the conductance-weighted sum); --site adds
    ketamine's allosteric site (abbott_2024) to every part.
    JSON keys (nmda): receptor, subunit (the --subunit text or null), subunit_weights ({label:
    conductance share}), mg_factor, site_gating_factor (1 = no allosteric site), voltage_mV
    (number, or list if several), mg_mM,
    glutamate_uM, norketamine_uM, duration_ms, gmax_nS, start ("rest" | "equilibrium"),
    control_peak_pA, control_steady_pA, ic50_steady_uM (log-interpolated, null if not bracketed;
    first voltage), rows: list of {voltage_mV, ketamine_uM, peak_pA, steady_pA, peak_block,
    steady_block, equilibrium_block}. peak = current at the largest conducting fraction, steady
    = current at the end of the application, blocks are fractions of the ketamine-free
    conductance, equilibrium_block = closed-form equilibrium.

    gabaa / glycine: a PULSE ms pulse of GABA (glycine) on receptors pre-equilibrated with
    each DRUG concentration, baseline-subtracted, at each holding VOLTAGE. JSON keys:
    receptor, drug, voltage_mV (number, or list if several), agonist_uM, pulse_ms, rows: list
    of {voltage_mV, concentration_uM, peak_pA, charge_pC, decay_tau_ms, peak_ratio,
    charge_ratio, decay_ratio, tonic_pA}.
    """
    from ketasim.receptors.clamp import (
        gabaa_pulse_response,
        ic50_from_curve,
        nmda_dose_response,
    )

    receptor = receptor.lower()
    if receptor not in ("nmda", "gabaa", "glycine"):
        raise UnknownNameError("receptor", receptor, "nmda, gabaa or glycine")
    volts = _numbers(voltage, "--voltage", "mV", Interval(-200, 200))
    gmax_nS = _number(gmax, "--gmax", "nS", _POSITIVE)
    dt_ms = _number(dt or ("1.0" if receptor == "nmda" else "0.01"), "--dt", "ms", _POSITIVE)
    check("--max-points", max_points, Interval(1, None))
    from ketasim.cli.errors import figure_suffixes, output_file

    out = None if out is None else output_file("--out", out)
    plot = None if plot is None else output_file("--plot", plot, figure_suffixes())
    if receptor in ("gabaa", "glycine"):
        concs = _numbers(concentration, "--concentration", "uM", _NONNEG)
        gaba_uM = _number(gaba, "--gaba", "uM", _POSITIVE)
        pulse_ms = _number(pulse, "--pulse", "ms", _POSITIVE)
        rows, traces = [], []
        for v in volts:
            with as_flags(_FLAGS):
                ds = gabaa_pulse_response(drug, concs, gaba_uM=gaba_uM, pulse_ms=pulse_ms,
                                          voltage_mV=v, gmax_nS=gmax_nS, receptor=receptor,
                                          dt_ms=dt_ms,
                                          max_points=max_points)
            rows += [dict(voltage_mV=v, concentration_uM=float(c), peak_pA=float(ds.peak[i]),
                          charge_pC=float(ds.charge[i]), decay_tau_ms=float(ds.decay_tau[i]),
                          peak_ratio=float(ds.peak_ratio[i]),
                          charge_ratio=float(ds.charge_ratio[i]),
                          decay_ratio=float(ds.decay_ratio[i]), tonic_pA=float(ds.tonic[i]))
                     for i, c in enumerate(ds.concentration_uM.values)]
            if not traces:
                traces = [(f"{drug} {c:g} uM", ds.time.values, ds.current.values[i])
                          for i, c in enumerate(ds.concentration_uM.values)]
        result = dict(receptor=receptor, drug=drug,
                      voltage_mV=volts[0] if len(volts) == 1 else volts, agonist_uM=gaba_uM,
                      pulse_ms=pulse_ms, rows=rows)
        if plot:
            _plot(plot, traces, f"{receptor} {pulse_ms:g} ms pulse, {volts[0]:g} mV")
        if out:
            _write(out, "--out", lambda p: p.write_text(json.dumps(result, indent=2)))
        if as_json:
            typer.echo(json.dumps(result, indent=2))
            return
        table = Table("V (mV)", f"{drug} (uM)", "peak (pA)", "charge (pC)", "decay tau (ms)",
                      "charge ratio", "decay ratio", "tonic (pA)",
                      title=f"{receptor} {pulse_ms:g} ms pulse")
        for r in rows:
            table.add_row(f"{r['voltage_mV']:g}", f"{r['concentration_uM']:g}",
                          f"{r['peak_pA']:.3f}", f"{r['charge_pC']:.4f}",
                          f"{r['decay_tau_ms']:.2f}", f"{r['charge_ratio']:.3f}",
                          f"{r['decay_ratio']:.3f}", f"{r['tonic_pA']:.4f}")
        console.print(table)
        return
    conc = _numbers(ketamine, "--ketamine", "uM", _NONNEG)
    from ketasim.receptors.subunits import as_mixture, parse_mixture

    mg_factor_x = _number(mg_factor, "--mg-factor", "", Interval(1.0, 100.0))
    model = None if subunit is None else parse_mixture(subunit, mg_factor=mg_factor_x,
                                                       field="--subunit")
    from ketasim.receptors.calibrate import ALLO_GATING_FACTOR_ORSER
    from ketasim.receptors.populations import with_site

    site_x = (ALLO_GATING_FACTOR_ORSER if site.strip().lower() == "orser"
              else _number(site, "--site", "", Interval(1.0, 1000.0)))
    if site_x > 1.0:
        model = with_site(model, site_x)
    weights = dict(zip(as_mixture(model).labels, as_mixture(model).weights, strict=True))
    mg_mM = _number(mg, "--mg", "mM", _NONNEG)
    glu_uM = _number(glutamate, "--glutamate", "uM", _POSITIVE)
    nk_uM = _number(norketamine, "--norketamine", "uM", _NONNEG)
    dur_ms = _number(duration, "--duration", "ms", _POSITIVE)
    n = dur_ms / dt_ms
    check_work("time points (concentrations x samples)", (len(conc) + 1) * (n + 1),
               max_points, "pass --max-points ... to go past it")
    if abs(n - round(n)) > 1e-6:
        raise InputError("--duration", dur_ms, f"a multiple of --dt ({dt_ms:g} ms)")
    nonzero = [c for c in conc if c > 0]
    start = "equilibrium" if preincubate else "rest"
    rows, first = [], None
    for v in volts:
        with as_flags(_FLAGS):
            ds = nmda_dose_response(nonzero or [0.0], voltage_mV=v, mg_mM=mg_mM,
                                    glutamate_uM=glu_uM, duration_ms=dur_ms,
                                    norketamine_uM=nk_uM, dt_ms=dt_ms, gmax_nS=gmax_nS,
                                    start=start, params=model, max_points=max_points)
        first = first if first is not None else ds
        if 0.0 in conc:
            rows.append(dict(voltage_mV=v, ketamine_uM=0.0, peak_pA=float(ds.control_peak),
                             steady_pA=float(ds.control_steady), peak_block=0.0,
                             steady_block=0.0, equilibrium_block=0.0))
        for c in nonzero:
            r = ds.sel(ketamine_uM=c)
            rows.append(dict(voltage_mV=v, ketamine_uM=c, peak_pA=float(r.peak),
                             steady_pA=float(r.steady), peak_block=float(r.peak_block),
                             steady_block=float(r.steady_block),
                             equilibrium_block=float(r.equilibrium_block)))
    r0 = [r for r in rows if r["voltage_mV"] == volts[0]]
    ic50 = ic50_from_curve([r["ketamine_uM"] for r in r0], [r["steady_block"] for r in r0])
    result = dict(receptor="nmda", subunit=subunit, subunit_weights=weights,
                  mg_factor=mg_factor_x, site_gating_factor=site_x,
                  voltage_mV=volts[0] if len(volts) == 1 else volts,
                  mg_mM=mg_mM, glutamate_uM=glu_uM, norketamine_uM=nk_uM, duration_ms=dur_ms,
                  gmax_nS=gmax_nS, start=start, control_peak_pA=float(first.control_peak),
                  control_steady_pA=float(first.control_steady),
                  ic50_steady_uM=None if ic50 != ic50 else ic50, rows=rows)
    if plot:
        t = first.time.values
        traces = [(f"ketamine {c:g} uM", t, first.trace.values[i])
                  for i, c in enumerate(first.ketamine_uM.values) if c > 0]
        _plot(plot, traces, f"NMDA clamp at {volts[0]:g} mV, Mg2+ {mg_mM:g} mM")
    if out:
        _write(out, "--out", lambda p: p.write_text(json.dumps(result, indent=2)))
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    table = Table("V (mV)", "ketamine (uM)", "peak (pA)", "steady (pA)", "peak block",
                  "steady block", "equilibrium block",
                  title=f"NMDA clamp{'' if subunit is None else ' (' + subunit + ')'}, "
                        f"Mg2+ {mg_mM:g} mM, glutamate {glu_uM:g} uM, {dur_ms:g} ms")
    for r in rows:
        table.add_row(f"{r['voltage_mV']:g}", f"{r['ketamine_uM']:g}", f"{r['peak_pA']:.3f}",
                      f"{r['steady_pA']:.3f}", f"{r['peak_block']:.3f}",
                      f"{r['steady_block']:.3f}", f"{r['equilibrium_block']:.3f}")
    console.print(table)
    if result["ic50_steady_uM"] is not None:
        console.print(f"steady-state IC50 at {volts[0]:g} mV ~ {result['ic50_steady_uM']:.3g} uM")
