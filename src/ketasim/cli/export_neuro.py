"""`ketasim export nmodl`: the WDR neuron and its synapses as NMODL for NEURON."""

from __future__ import annotations

import json

import typer

from ketasim.cli.errors import friendly, output_dir
from ketasim.cli.export import export_app

NMODL_HELP = (
    "Write the spinal WDR circuit as NMODL mechanisms plus a NEURON driver.\n\n"
    "Mechanisms, generated from the ketasim specs: ks_hh (Traub Na/K), ks_nap, ks_cal "
    "(L-type Ca2+, GHK), ks_capool, ks_can (I_CAN), ks_kca, ks_dexp (AMPA, NK1, GABA-A, "
    "glycine) and ks_nmda (the receptor layer's 20-state NMDA scheme with Mg2+, ketamine "
    "and norketamine block and trapping, as a KINETIC block). ketasim_wdr.py builds the "
    "two-compartment WDR neuron and the interneuron and plays the deterministic wind-up "
    "protocol (events.json). Every file carries the ketasim version, the spec hash and the "
    "citations.\n\n"
    "Then: cd DIR && nrnivmodl && python ketasim_wdr.py")


@export_app.command("nmodl", help=NMODL_HELP)
@friendly
def nmodl_cmd(
    out: str = typer.Option(..., "--out", "-o", help="folder to write (created if missing)"),
    ketamine: str = typer.Option("0", "--ketamine-uM", "--ketamine",
                                 help="ketamine at the receptors, uM (or a quantity)"),
    norketamine: str = typer.Option("0", "--norketamine-uM", "--norketamine",
                                    help="norketamine at the receptors, uM (or a quantity)"),
    mg: str = typer.Option("1", "--mg-mM", "--mg", help="extracellular Mg2+, mM"),
    n_stimuli: int = typer.Option(15, "--n-stimuli", help="shocks of the wind-up protocol"),
    frequency: str = typer.Option("1", "--frequency-Hz", "--frequency",
                                  help="shock frequency, Hz"),
    dt: str = typer.Option("0.025", "--dt-ms", "--dt", help="NEURON fixed step, ms"),
    as_json: bool = typer.Option(False, "--json", help="print the export summary as JSON"),
) -> None:
    from ketasim.core.units import as_float
    from ketasim.core.validation import Interval
    from ketasim.exchange.nmodl import export_nmodl
    from ketasim.spinal import SpinalParams, train

    def num(text, flag, unit, lim):
        try:
            value: float | str = float(text)
        except ValueError:
            value = text
        return as_float(value, flag, unit, lim)

    ket = num(ketamine, "--ketamine-uM", "uM", Interval(0.0, 1e4))
    nk = num(norketamine, "--norketamine-uM", "uM", Interval(0.0, 1e4))
    mg_mm = num(mg, "--mg-mM", "mM", Interval(0.0, 100.0))
    f_hz = num(frequency, "--frequency-Hz", "Hz", Interval(0.0, 1000.0, closed="right"))
    dt_ms = num(dt, "--dt-ms", "ms", Interval(0.001, 0.1))
    from ketasim.core.validation import check
    check("--n-stimuli", n_stimuli, Interval(1, 10_000, integer=True))
    folder = output_dir("--out", out)
    info = export_nmodl(folder, SpinalParams(mg_mm=mg_mm), ketamine_uM=ket,
                        norketamine_uM=nk, dt_ms=dt_ms,
                        protocol=train(n_stimuli, f_hz).deterministic())
    if as_json:
        typer.echo(json.dumps(info))
        return
    typer.echo(f"wrote {len(info['files'])} files to {info['out_dir']} (spec hash "
               f"{info['spec_hash']}, ketasim {info['ketasim_version']})")
    typer.echo(f"next: cd {info['out_dir']} && nrnivmodl && python ketasim_wdr.py")
