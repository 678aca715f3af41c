"""`ketasim export ...`: write ketasim models in the field's exchange formats.

The command group only; the commands register on `export_app` from their own modules
(`ketasim.cli.export_neuro`: ``export nmodl``).
"""

import typer

from ketasim.cli.app import app

export_app = typer.Typer(help="Export ketasim models in the field's formats (NMODL for "
                         "NEURON, ...), each file with its provenance and citations.",
                         no_args_is_help=True)
app.add_typer(export_app, name="export")
