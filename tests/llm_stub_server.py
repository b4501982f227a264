"""A small OpenAI-compatible chat server on 127.0.0.1 that replays scripted responses.

Each POST to /v1/chat/completions takes the next scripted response and records the request
body. A response is a dict:

    {"content": "text", "tool_calls": [{"name": "...", "arguments": {...} or "raw JSON"}],
     "delay_s": 2.0, "status": 500, "raw": "body sent as is"}

``delay_s`` holds the reply back, to test client timeouts; ``close`` releases held replies.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

EXHAUSTED = "(the stub server has no more responses)"


class StubChatServer:
    """Serve scripted chat completions on a free loopback port."""

    def __init__(self, responses: list[dict[str, Any]] | None = None) -> None:
        self.responses: list[dict[str, Any]] = list(responses or [])
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> StubChatServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def _next(self, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            return self.responses.pop(0) if self.responses else {"content": EXHAUSTED}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                response = stub._next(body, {k.lower(): v for k, v in self.headers.items()})
                if response.get("delay_s"):
                    stub._release.wait(float(response["delay_s"]))
                status = int(response.get("status", 200))
                payload = response.get("raw")
                if payload is None:
                    payload = json.dumps(completion(body, response, len(stub.requests)))
                data = payload.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting, which is what a timeout test wants

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def completion(body: dict[str, Any], response: dict[str, Any], number: int) -> dict[str, Any]:
    """Build a chat.completion object from a scripted response."""
    calls = []
    for index, call in enumerate(response.get("tool_calls", [])):
        arguments = call.get("arguments", {})
        calls.append(
            {
                "id": call.get("id", f"call_{number}_{index}"),
                "type": "function",
                "function": {
                    "name": call["name"],
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
            }
        )
    message: dict[str, Any] = {"role": "assistant", "content": response.get("content")}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": f"chatcmpl-stub-{number}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": body.get("model", "stub"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if calls else "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
