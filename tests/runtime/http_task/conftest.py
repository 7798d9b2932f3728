"""An HTTP endpoint on 127.0.0.1 for the HTTP Task tests: it records every request and answers
what the test told it to."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Seen:
    """One request the endpoint received."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0


class Endpoint:
    """A server on 127.0.0.1; :attr:`url` is its root."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.answers: dict[str, Answer] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def answer(self, path: str, status: int = 200, body: Any = None, **options: Any) -> None:
        """Answer requests for ``path`` with ``status`` and ``body`` (JSON unless bytes)."""
        headers = dict(options.pop("headers", {}))
        if body is None:
            data = b""
        elif isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        self.answers[path] = Answer(status, headers, data, **options)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(endpoint: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _serve(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
            endpoint.requests.append(Seen(self.command, parts.path, query, headers, body))
            answer = endpoint.answers.get(parts.path, Answer(404, {}, b"no such path"))
            if answer.delay:
                time.sleep(answer.delay)
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _serve

    return Handler


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    try:
        yield server
    finally:
        server.close()
