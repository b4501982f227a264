"""``modelpilot console``: serve the Streamlit console on 127.0.0.1."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import typer

from tools.settings import Settings, get_settings
from tools.store.db import release_all


def workspace_exists(settings: Settings) -> bool:
    """Return whether the settings point at a store; a store URL given explicitly counts."""
    if settings.store_url:
        return True
    return (settings.home / "store.duckdb").exists()


def streamlit_command(port: int) -> list[str]:
    """Return the ``streamlit run`` command line for the console on 127.0.0.1:``port``."""
    from ui.console import APP_PATH

    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_PATH),
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--server.headless=true",
        "--browser.gatherUsageStats=false",
        "--client.toolbarMode=minimal",
        # The console's files do not change while it runs; watching them only costs CPU.
        "--server.fileWatcherType=none",
    ]


def _build_demo(settings: Settings) -> None:
    from tools.demo.build import build_demo

    home: Path = settings.home.resolve()
    typer.echo(f"No workspace in {home}; building the demo workspace there first.")
    report = build_demo(settings)
    typer.echo(f"Demo workspace built in {report.seconds:.0f} s.")


def console(
    port: int = typer.Option(8501, "--port", help="TCP port to serve the console on."),
) -> None:
    """Open the web console on http://127.0.0.1:PORT; builds the demo workspace if none exists."""
    settings = get_settings()
    if not workspace_exists(settings):
        _build_demo(settings)
    # Streamlit runs in another process, which must be able to open the DuckDB file.
    release_all()
    typer.echo(f"ModelPilot console: http://127.0.0.1:{port}  (Ctrl+C to stop)")
    returncode = run_until_stopped(streamlit_command(port))
    if returncode not in (0, -signal.SIGINT, -signal.SIGTERM):
        raise typer.Exit(returncode)


def run_until_stopped(command: list[str]) -> int:
    """Run ``command`` and return its exit status, passing SIGTERM on to it.

    Ctrl+C in a terminal reaches both processes. A SIGTERM sent to this process alone is
    passed on, and the command returns only after the Streamlit server has exited.
    """
    process = subprocess.Popen(command)
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: process.terminate())
    try:
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:
                continue  # Streamlit got the same Ctrl+C and is shutting down
    finally:
        signal.signal(signal.SIGTERM, previous)


def register(app: typer.Typer) -> None:
    app.command()(console)
