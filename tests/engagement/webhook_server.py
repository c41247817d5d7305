"""A real HTTP server on 127.0.0.1 (loopback only) that records the alerts posted to it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def webhook_server(status: int = 200) -> Iterator[tuple[str, Received]]:
    """Yield (url, received); every POST is parsed as JSON and answered with ``status``."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server dispatches to
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            received.requests.append(
                {
                    "path": self.path,
                    "content_type": self.headers.get("Content-Type"),
                    "json": json.loads(body),
                }
            )
            self.send_response(status)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}/hooks/T000/secret", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
