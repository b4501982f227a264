"""Running the Bolt app: over Socket Mode (the default) or as an HTTP endpoint."""

from __future__ import annotations

import logging
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_sdk import WebClient

from tools.errors import ConfigError
from tools.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _LoggingHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)


def run_socket_mode(app: App, settings: Settings) -> None:
    """Connect to Slack over Socket Mode and handle events until interrupted."""
    if not settings.slack_app_token:
        raise ConfigError(
            "SLACK_APP_TOKEN is not set; generate an app-level token (xapp-...) with the "
            "connections:write scope under Basic Information, or run `modelpilot slack --http`"
        )
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    web_client = None
    if settings.slack_api_url:
        web_client = WebClient(base_url=settings.slack_api_url.rstrip("/") + "/")
    handler = SocketModeHandler(app, settings.slack_app_token, web_client=web_client)
    handler.start()


def make_http_server(app: App, settings: Settings, host: str, port: int) -> WSGIServer:
    """Return a threaded HTTP server that hands signed POSTs on /slack/events to ``app``."""
    if not settings.slack_signing_secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set; HTTP mode verifies every request with it: copy "
            "the Signing Secret from the app's Basic Information page"
        )
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    handler = SlackRequestHandler(app, path=EVENTS_PATH)
    return make_server(
        host, port, handler, server_class=_ThreadingWSGIServer, handler_class=_LoggingHandler
    )
