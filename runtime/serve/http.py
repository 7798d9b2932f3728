"""The HTTP front: AWS's JSON 1.0 protocol over the standard library's threading server.

``POST /`` with ``X-Amz-Target: AWSStepFunctions.<Action>`` and a JSON body; the answer is the
action's JSON, or ``{"__type": ..., "message": ...}`` with a 4xx/5xx status. Bodies over the size
limit get 413 without being parsed, a stalled client is dropped after the idle timeout, and an
unexpected exception is logged here and answered as ``InternalFailure`` (never a traceback).
``GET /health`` answers ``{"status": "ok"}``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from runtime.serve.errors import ApiError, internal
from runtime.serve.service import Service

TARGET_PREFIX = "AWSStepFunctions"
CONTENT_TYPE = "application/x-amz-json-1.0"
MAX_REQUEST_BYTES = 2 * 1024 * 1024  # a 1 MiB definition, JSON-escaped, fits
IDLE_TIMEOUT = 120.0
_DRAIN_LIMIT = 64 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "asl-serve"
    timeout = IDLE_TIMEOUT
    wbufsize = 64 * 1024  # headers and body leave in one write (no Nagle/delayed-ACK stall)
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    # -- the protocol ----------------------------------------------------------------------------

    def do_POST(self) -> None:
        body = self._body()
        if body is None:
            return
        status, payload = self._answer(body)
        self._send(status, payload)

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] in ("/health", "/ping"):
            running = self.server.service.loop.running_count()
            self._send(200, {"status": "ok", "runningExecutions": running})
        else:
            self._send(404, _error("UnknownOperationException", "Use POST / with X-Amz-Target"))

    def _body(self) -> bytes | None:
        """The request body, or None when an error was already answered."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            self._send(411, _error("MissingContentLength", "Content-Length is required"))
            return None
        text = self.headers.get("Content-Length")
        try:
            length = int(text) if text is not None else 0
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            self._send(400, _error("SerializationException", "Bad Content-Length"))
            return None
        limit = self.server.max_request_bytes
        if length > limit:
            self._drain(length)
            self.close_connection = True
            self._send(
                413,
                _error(
                    "RequestEntityTooLargeException",
                    f"Request body of {length} bytes exceeds the limit of {limit} bytes",
                ),
            )
            return None
        return self.rfile.read(length) if length else b""

    def _drain(self, length: int) -> None:
        """Read (and drop) an oversized body, so the client sees the answer, not a reset."""
        left = min(length, _DRAIN_LIMIT)
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                return
            left -= len(chunk)

    def _answer(self, body: bytes) -> tuple[int, dict[str, Any]]:
        target = self.headers.get("X-Amz-Target") or ""
        prefix, _, action = target.partition(".")
        if prefix != TARGET_PREFIX or not action:
            return 400, _error(
                "UnknownOperationException",
                f"Unknown or missing X-Amz-Target {target!r}; expected '{TARGET_PREFIX}.<Action>'",
            )
        try:
            params = json.loads(body) if body.strip() else {}
        except (ValueError, UnicodeDecodeError) as exc:
            return 400, _error("SerializationException", f"Malformed JSON body: {exc}")
        if not isinstance(params, dict):
            return 400, _error("SerializationException", "The body must be a JSON object")
        try:
            return 200, self.server.service.handle(action, params)
        except ApiError as exc:
            return exc.status, exc.body()
        except Exception:
            self.server.service.log(f"{action} failed:\n{traceback.format_exc()}")
            error = internal()
            return error.status, error.body()

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if status >= 400 and "__type" in payload:
            self.send_header("x-amzn-ErrorType", str(payload["__type"]))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    # -- the base class's error pages and logging, as JSON and quiet ----------------------------

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self._send(
                code, _error("BadRequest" if code < 500 else "InternalFailure", message or "")
            )

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            self.server.service.log(f"{self.address_string()} {format % args}")


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(
        self, address: tuple[str, int], service: Service, max_request_bytes: int, verbose: bool
    ) -> None:
        self.service = service
        self.max_request_bytes = max_request_bytes
        self.verbose = verbose
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            self.service.log(f"connection from {client_address} failed:\n{traceback.format_exc()}")


class Server:
    """``asl serve``'s server: the service plus its HTTP front on ``host:port``."""

    def __init__(
        self,
        service: Service,
        host: str = "127.0.0.1",
        port: int = 8083,
        *,
        max_request_bytes: int = MAX_REQUEST_BYTES,
        verbose: bool = False,
    ) -> None:
        self.service = service
        self.httpd = _HttpServer((host, port), service, max_request_bytes, verbose)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        host = self.httpd.server_address[0]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        """Start the service (resuming executions) and answer requests until :meth:`shutdown`."""
        self.service.start()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.close()

    def start(self) -> Server:
        """Serve from a background thread (tests, embedding); returns self."""
        self.service.start()
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stop answering (from another thread than :meth:`serve_forever`'s)."""
        self.httpd.shutdown()

    def close(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
            self._thread = None
        self.httpd.server_close()
        self.service.close()


def _error(code: str, message: str) -> dict[str, str]:
    return {"__type": code, "message": message}
