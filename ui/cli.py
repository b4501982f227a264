"""The ``modelpilot`` command line.

Each module in ``ui.commands`` adds its own commands through ``register(app)``, so a new
capability adds a module instead of editing this file. Errors from the ``ModelPilotError``
family become one line on stderr here, and nowhere else.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys

import typer

import ui.commands
from tools.errors import ModelPilotError

log = logging.getLogger("modelpilot")

app = typer.Typer(
    name="modelpilot",
    help="Ask about your experiments, runs, models, pipelines, datasets and deployments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _configure(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log detail to stderr."),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Third-party libraries are chatty at INFO; keep our own messages readable.
    for noisy in ("httpx", "chromadb", "urllib3", "alembic", "mlflow", "jieba", "numexpr", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _register_commands() -> None:
    for module_info in sorted(pkgutil.iter_modules(ui.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"ui.commands.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def main() -> None:
    """Run the CLI and turn a ``ModelPilotError`` into one line and exit status 1."""
    try:
        app(standalone_mode=False)
    except ModelPilotError as exc:
        log.debug("command failed", exc_info=True)
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
