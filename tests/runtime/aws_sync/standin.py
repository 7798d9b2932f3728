"""A stand-in in front of moto's server, for the job states moto cannot reach.

Every request goes on to moto over HTTP and moto's answer comes back, except that the answer to
an operation named with :meth:`StandIn.rewrite` (JSON protocols: the operation, matched on
``X-Amz-Target``; REST protocols: ``METHOD /path-prefix``) is passed through a function first:
a CodeBuild build moto always reports SUCCEEDED can be reported FAILED, or still IN_PROGRESS.
Point one service's clients at it with ``AWS_ENDPOINT_URL_<SERVICE>``; the job itself still
lives in moto.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Rewrite = Callable[[dict[str, Any]], None]
_SKIPPED = {"host", "content-length", "connection", "transfer-encoding"}


class StandIn:
    """A proxy to ``upstream`` on 127.0.0.1; :attr:`url` is its endpoint."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rewrites: dict[str, Rewrite] = {}
        self.seen: list[str] = []  # the operations asked, in order
        handler = _handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def rewrite(self, operation: str, change: Rewrite) -> None:
        """Pass moto's answers to ``operation`` (``BatchGetBuilds``, or for a REST API
        ``GET /model-customization-jobs/``) through ``change``."""
        self.rewrites[operation] = change

    def change_for(self, method: str, path: str, target: str) -> Rewrite | None:
        """The rewrite of a request, if any."""
        operation = target.rpartition(".")[2]
        if operation in self.rewrites:
            return self.rewrites[operation]
        asked = f"{method} {path}"
        return next((c for k, c in self.rewrites.items() if " " in k and asked.startswith(k)), None)


def _handler(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    class Forward(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._forward()

        def do_POST(self) -> None:
            self._forward()

        def do_PUT(self) -> None:
            self._forward()

        def do_DELETE(self) -> None:
            self._forward()

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _SKIPPED}
            request = urllib.request.Request(
                stand_in.upstream + self.path, data=body, headers=headers, method=self.command
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status, reply, answer = response.status, response.headers, response.read()
            except urllib.error.HTTPError as exc:
                status, reply, answer = exc.code, exc.headers, exc.read()
            target = self.headers.get("X-Amz-Target") or ""
            operation = target.rpartition(".")[2]
            stand_in.seen.append(operation or f"{self.command} {self.path}")
            change = stand_in.change_for(self.command, self.path, target)
            if change is not None and status == 200:
                document = json.loads(answer)
                change(document)
                answer = json.dumps(document).encode()
            self.send_response(status)
            for name, value in reply.items():
                if name.lower() not in _SKIPPED:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    return Forward
