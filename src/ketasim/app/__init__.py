"""The web explorer: every layer live in the browser (`ketasim app`).

A multi-page Streamlit app (``ketasim/app/main.py`` and ``ketasim/app/views/``) whose panels
share one patient and one regimen: choices, concentrations, NMDA block by site, wind-up,
sensitization and pain, side by side, small virtual trials; teaching boxes on every panel
and exports (CSV, NetCDF, PNG, scenario YAML). What the panels compute is in
`ketasim.app.core` (no Streamlit), the shared widgets in `ketasim.app.ui`.

`streamlit_command` builds the command that `ketasim app` runs: bound to 127.0.0.1 unless
a host is given explicitly, no usage statistics, no file watcher, no browser opened, no
error tracebacks shown to the client. Streamlit serves its own static files: nothing is
fetched from a CDN.

Examples
--------
>>> cmd = streamlit_command(port=8600)
>>> "--server.address=127.0.0.1" in cmd and "--browser.gatherUsageStats=false" in cmd
True
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ketasim.core.errors import InputError

__all__ = ["MAIN", "streamlit_command", "streamlit_env", "launch", "LOCAL_HOSTS"]

#: The entry script.
MAIN = Path(__file__).with_name("main.py")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def streamlit_command(port: int = 8501, host: str = "127.0.0.1") -> list[str]:
    """The ``streamlit run`` command line of the explorer.

    >>> streamlit_command(port=0)
    Traceback (most recent call last):
    ...
    ketasim.core.errors.InputError: port: got 0; allowed: an integer in [1024, 65535]
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 1024 <= port <= 65535:
        raise InputError("port", port, "an integer in [1024, 65535]")
    if not isinstance(host, str) or not host or len(host) > 255 or any(
            ch.isspace() for ch in host):
        raise InputError("host", host, "a host name or IP address")
    return [sys.executable, "-m", "streamlit", "run", str(MAIN),
            f"--server.port={port}", f"--server.address={host}",
            "--server.headless=true", "--server.fileWatcherType=none",
            "--server.runOnSave=false", "--browser.gatherUsageStats=false",
            "--global.developmentMode=false", "--client.showErrorDetails=false",
            "--client.toolbarMode=viewer", "--server.maxUploadSize=1",
            "--theme.base=light"]


def streamlit_env() -> dict[str, str]:
    """Environment of the server: telemetry off also through Streamlit's variables."""
    env = dict(os.environ)
    env.update(STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
               STREAMLIT_SERVER_FILE_WATCHER_TYPE="none", STREAMLIT_SERVER_HEADLESS="true")
    return env


def launch(port: int = 8501, host: str = "127.0.0.1") -> int:  # pragma: no cover - blocks
    """Run the explorer until interrupted; returns Streamlit's exit code."""
    cmd = streamlit_command(port, host)
    try:
        return subprocess.call(cmd, env=streamlit_env())
    except KeyboardInterrupt:
        return 0
