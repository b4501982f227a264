"""A stand-in for Slack's Web API on 127.0.0.1 that records every call.

Web API methods are served under ``/api/<method>`` (point ``WebClient(base_url=stub.api_url)``
or ``MODELPILOT_SLACK_API_URL`` at it); ``/response/<name>`` replaces a response_url.
Each request is recorded with its path, method name, parsed body and headers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT_USER_ID = "UBOT"
TEAM_ID = "T0TEAM"


@dataclass
class RecordedCall:
    path: str
    method: str  # the Web API method (chat.postMessage) or "response/<name>"
    body: dict[str, Any]
    headers: dict[str, str]

    def text(self) -> str:
        """Return every string in the body, blocks included, as one text to search."""
        return json.dumps(self.body, ensure_ascii=False)


@dataclass
class SlackStub:
    host: str
    port: int
    calls: list[RecordedCall] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _next_ts: int = 1000

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api/"

    def response_url(self, name: str) -> str:
        return f"http://{self.host}:{self.port}/response/{name}"

    def calls_to(self, method: str) -> list[RecordedCall]:
        with self.lock:
            return [call for call in self.calls if call.method == method]

    def clear(self) -> None:
        with self.lock:
            self.calls.clear()

    def record(self, call: RecordedCall) -> str:
        """Store ``call`` and return a message timestamp for it."""
        with self.lock:
            self.calls.append(call)
            self._next_ts += 1
            return f"{self._next_ts}.000100"


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    text = raw.decode("utf-8")
    if "json" in content_type:
        parsed: dict[str, Any] = json.loads(text)
        return parsed
    fields = {key: values[-1] for key, values in parse_qs(text).items()}
    # The SDK sends blocks and attachments as JSON strings inside form bodies.
    for key in ("blocks", "attachments"):
        if isinstance(fields.get(key), str):
            fields[key] = json.loads(fields[key])
    return fields


def _reply(stub: SlackStub, method: str, body: dict[str, Any], ts: str) -> dict[str, Any]:
    if method == "auth.test":
        return {
            "ok": True,
            "url": "https://modelpilot-test.slack.com/",
            "team": "ModelPilot test",
            "user": "modelpilot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": "B0BOT",
        }
    if method == "chat.postMessage":
        message = {"ts": ts, "text": body.get("text"), "thread_ts": body.get("thread_ts")}
        return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": message}
    if method == "chat.postEphemeral":
        return {"ok": True, "message_ts": ts}
    return {"ok": True}


def _handler(stub: SlackStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = _parse_body(self.rfile.read(length), self.headers.get("Content-Type") or "")
            path = self.path.split("?", 1)[0]
            method = path.removeprefix("/api/") if path.startswith("/api/") else path.lstrip("/")
            headers = {key.lower(): value for key, value in self.headers.items()}
            ts = stub.record(RecordedCall(path, method, body, headers))
            if method.startswith("response/"):
                self._send(b"ok", "text/plain")
                return
            reply = json.dumps(_reply(stub, method, body, ts)).encode()
            self._send(reply, "application/json")

        def _send(self, payload: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_stub() -> Iterator[SlackStub]:
    """Serve a stub on a free port of 127.0.0.1 for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    stub = SlackStub("127.0.0.1", server.server_address[1])
    server.RequestHandlerClass = _handler(stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
