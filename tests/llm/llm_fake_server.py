"""A fake OpenAI-compatible endpoint on 127.0.0.1 for the LLM harness tests (real HTTP, no internet).

Each request pops the next scripted `Reply` (the last one repeats when the script runs out) and is
recorded with its path, headers and JSON body. Replies can delay (to trigger client timeouts), send
any status, any raw body and any headers. A uniquely named module so test files import it directly.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def chat(*texts: str, finish: str = "stop", usage: dict[str, int] | None = None) -> Reply:
    """A chat-completion reply with one choice per text."""
    payload = {
        "id": "chatcmpl-fake-1",
        "object": "chat.completion",
        "model": "fake/model-1",
        "choices": [
            {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": finish}
            for i, t in enumerate(texts)
        ],
        "usage": usage or {"prompt_tokens": 321, "completion_tokens": 45, "total_tokens": 366},
    }
    return Reply(body=json.dumps(payload).encode())


def status(code: int, text: str = "", **headers: str) -> Reply:
    body = json.dumps({"error": {"message": text or f"status {code}", "code": code}}).encode()
    return Reply(status=code, body=body, headers=headers)


class FakeServer:
    """Start with `with FakeServer([...]) as server:`; `server.base_url` ends in /v1."""

    def __init__(self, script: list[Reply]) -> None:
        self.script = list(script)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _next(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                reply = server._next(Seen("POST", self.path, dict(self.headers.items()), body))
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply.body)))
                    for name, value in reply.headers.items():
                        self.send_header(name.replace("_", "-"), value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
