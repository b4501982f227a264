"""``modelpilot slack``: run the Slack bot over Socket Mode, or over HTTP with ``--http``."""

from __future__ import annotations

import typer

from tools.errors import ConfigError
from tools.settings import Settings, get_settings


def check_slack_settings(settings: Settings, http: bool) -> None:
    """Raise one line naming the first missing token, before anything connects."""
    missing = [
        (settings.slack_bot_token, "SLACK_BOT_TOKEN", "the Bot User OAuth Token (xoxb-...)"),
        (
            settings.slack_signing_secret if http else settings.slack_app_token,
            "SLACK_SIGNING_SECRET" if http else "SLACK_APP_TOKEN",
            "the Signing Secret"
            if http
            else "an app-level token (xapp-...) with connections:write",
        ),
    ]
    for value, name, what in missing:
        if not value:
            raise ConfigError(
                f"{name} is not set; export {what} from your Slack app "
                "(create it from slack_manifest.yaml)"
            )


def slack(
    http: bool = typer.Option(
        False, "--http", help="Receive events over HTTP on /slack/events instead of Socket Mode."
    ),
    port: int = typer.Option(3000, "--port", help="TCP port for --http."),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address for --http; put a TLS proxy or tunnel in front."
    ),
) -> None:
    """Run the Slack bot, which replies to mentions, direct messages and /modelpilot."""
    settings = get_settings()
    check_slack_settings(settings, http)
    from ui.slack.app import build_app
    from ui.slack.server import make_http_server, run_socket_mode

    app = build_app(settings)
    if not http:
        typer.echo("ModelPilot Slack bot: connecting over Socket Mode (Ctrl+C to stop)")
        run_socket_mode(app, settings)
        return
    server = make_http_server(app, settings, host, port)
    typer.echo(f"ModelPilot Slack bot: http://{host}:{port}/slack/events (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def register(app: typer.Typer) -> None:
    app.command()(slack)
