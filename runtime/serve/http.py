"""The HTTP front: AWS's JSON 1.0 protocol over HTTP/1.1, on an asyncio event loop.

``POST /`` with ``X-Amz-Target: AWSStepFunctions.<Action>`` and a JSON body; the answer is the
action's JSON, or ``{"__type": ..., "message": ...}`` with a 4xx/5xx status. ``GET /health``
answers ``{"status": "ok"}``.

Connections live on one event loop thread (a selector: an idle keep-alive connection costs no
thread, so thousands opening and closing at once do not stall it); each complete request is
answered on a bounded pool of worker threads. Before any action runs, the Host header must name
this server (:mod:`.hosts`) and, when the operator gave credentials, the request must carry a
valid SigV4 signature (:mod:`.sigv4`). Bodies over the size limit get 413 without being parsed,
a stalled client is dropped after the idle timeout, and an unexpected exception is logged here
and answered as ``InternalFailure`` (never a traceback).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import traceback
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from runtime import jsontext
from runtime.serve.errors import ApiError, internal
from runtime.serve.hosts import HostCheck
from runtime.serve.service import Service
from runtime.serve.sigv4 import Verifier

TARGET_PREFIX = "AWSStepFunctions"
CONTENT_TYPE = "application/x-amz-json-1.0"
MAX_REQUEST_BYTES = 2 * 1024 * 1024  # a 1 MiB definition, JSON-escaped, fits
IDLE_TIMEOUT = 120.0
HEAD_LIMIT = 64 * 1024  # request line and headers
MAX_HEADERS = 100
WORKERS = 128  # requests answered at once (GetActivityTask long polls hold one each)
BACKLOG = 4096
_DRAIN_LIMIT = 64 * 1024 * 1024
_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    411: "Length Required",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


@dataclass(slots=True)
class _Request:
    method: str
    target: str
    version: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ","
    body: bytes = b""


class _Reply(Exception):
    """An answer decided while reading the request; ``close`` ends the connection."""

    def __init__(self, status: int, code: str, message: str, close: bool = True) -> None:
        super().__init__(message)
        self.status, self.payload, self.close = status, _error(code, message), close


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
        allowed_hosts: Iterable[str] = (),
        credentials: dict[str, str] | None = None,
        workers: int = WORKERS,
    ) -> None:
        self.service = service
        self.max_request_bytes = max_request_bytes
        self.verbose = verbose
        self.hosts = HostCheck(host, allowed_hosts)
        self.verifier = Verifier(credentials) if credentials else None
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.create_server((host, port), family=family, backlog=BACKLOG)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="asl-serve")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        host = self._socket.getsockname()[0]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{self.port}"

    # -- lifecycle -------------------------------------------------------------------------------

    def serve_forever(self) -> None:
        """Start the service (resuming executions) and answer requests until :meth:`shutdown`."""
        self.service.start()
        try:
            self._run()
        finally:
            self.close()

    def start(self) -> Server:
        """Serve from a background thread (tests, embedding); returns self."""
        self.service.start()
        self._thread = threading.Thread(target=self._run, name="asl-serve-http", daemon=True)
        self._thread.start()
        self._ready.wait()
        return self

    def shutdown(self) -> None:
        """Stop answering (from another thread than :meth:`serve_forever`'s)."""
        self._ready.wait()
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                loop.call_soon_threadsafe(stopped.set)

    def close(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self._socket.close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.service.close()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        server = await asyncio.start_server(
            self._connection, sock=self._socket, backlog=BACKLOG, limit=HEAD_LIMIT
        )
        self._ready.set()
        try:
            await self._stopped.wait()
        finally:
            server.close()
            for writer in list(self._connections):
                writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)

    # -- one connection --------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    request = await self._read(reader)
                except _Reply as reply:
                    await _write(writer, reply.status, reply.payload, reply.close)
                    if reply.close:
                        return
                    continue
                if request is None:
                    return
                close = _wants_close(request)
                status, payload = await loop.run_in_executor(self._pool, self._respond, request)
                await _write(writer, status, payload, close)
                if close:
                    return
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError, OSError):
            return
        except asyncio.CancelledError:
            return
        finally:
            self._connections.discard(writer)
            writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> _Request | None:
        """The next request, None at a clean end of the connection, or :class:`_Reply`."""
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise _Reply(400, "BadRequest", "Incomplete request head")
            return None
        except asyncio.LimitOverrunError:
            raise _Reply(431, "BadRequest", f"Request head over {HEAD_LIMIT} bytes")
        except TimeoutError:
            return None
        request = _parse_head(head)
        if request.headers.get("transfer-encoding"):
            raise _Reply(411, "MissingContentLength", "Content-Length is required")
        text = request.headers.get("content-length", "0").strip()
        if not text.isdigit():
            raise _Reply(400, "SerializationException", "Bad Content-Length")
        length = int(text)
        if length > self.max_request_bytes:
            await _drain(reader, length)
            raise _Reply(
                413,
                "RequestEntityTooLargeException",
                f"Request body of {length} bytes exceeds the limit of "
                f"{self.max_request_bytes} bytes",
            )
        if length:
            try:
                request.body = await asyncio.wait_for(reader.readexactly(length), IDLE_TIMEOUT)
            except TimeoutError:
                raise _Reply(408, "RequestTimeout", "The request body did not arrive in time")
        return request

    # -- answering (on a worker thread) ----------------------------------------------------------

    def _respond(self, request: _Request) -> tuple[int, dict[str, Any]]:
        try:
            return self._answer(request)
        except ApiError as exc:
            return exc.status, exc.body()
        except Exception:
            self.service.log(f"{request.method} {request.target} failed:\n{traceback.format_exc()}")
            error = internal()
            return error.status, error.body()

    def _answer(self, request: _Request) -> tuple[int, dict[str, Any]]:
        host = request.headers.get("host")
        if not self.hosts.allows(host):
            raise ApiError("AccessDeniedException", self.hosts.message(host), 403)
        if self.verbose:
            self.service.log(f"{request.method} {request.target}")
        path = request.target.split("?", 1)[0]
        if request.method == "GET":
            if path in ("/health", "/ping"):
                running = self.service.loop.running_count()
                return 200, {"status": "ok", "runningExecutions": running}
            raise ApiError("UnknownOperationException", "Use POST / with X-Amz-Target", 404)
        if request.method != "POST":
            raise ApiError(
                "UnknownOperationException", f"Method {request.method} is not supported", 501
            )
        if self.verifier is not None:
            self.verifier.check(request.method, request.target, request.headers, request.body)
        target = request.headers.get("x-amz-target", "")
        prefix, _, action = target.partition(".")
        if prefix != TARGET_PREFIX or not action:
            raise ApiError(
                "UnknownOperationException",
                f"Unknown or missing X-Amz-Target {target!r}; expected '{TARGET_PREFIX}.<Action>'",
            )
        try:
            params = jsontext.loads(request.body) if request.body.strip() else {}
        except jsontext.JsonTextError as exc:
            raise ApiError("SerializationException", f"Malformed JSON body: {exc}")
        if not isinstance(params, dict):
            raise ApiError("SerializationException", "The body must be a JSON object")
        try:
            return 200, self.service.handle(action, params)
        except ApiError:
            raise
        except Exception:
            self.service.log(f"{action} failed:\n{traceback.format_exc()}")
            raise internal()


# -- the wire ------------------------------------------------------------------------------------


def _parse_head(head: bytes) -> _Request:
    lines = head.decode("latin-1").split("\r\n")
    while lines and not lines[0]:
        lines.pop(0)  # tolerate blank lines before the request line (RFC 9112 2.2)
    parts = lines[0].split(" ") if lines else []
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _Reply(400, "BadRequest", f"Malformed request line {(lines or [''])[0][:80]!r}")
    headers: dict[str, str] = {}
    count = 0
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip() or " " in name:
            raise _Reply(400, "BadRequest", f"Malformed header line {line[:80]!r}")
        count += 1
        if count > MAX_HEADERS:
            raise _Reply(431, "BadRequest", f"More than {MAX_HEADERS} headers")
        key, value = name.lower(), value.strip()
        if key in ("host", "content-length") and key in headers:
            raise _Reply(400, "BadRequest", f"Repeated {name} header")
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return _Request(parts[0], parts[1], parts[2], headers)


def _wants_close(request: _Request) -> bool:
    connection = request.headers.get("connection", "").lower()
    if request.version == "HTTP/1.0":
        return "keep-alive" not in connection
    return "close" in connection


async def _drain(reader: asyncio.StreamReader, length: int) -> None:
    """Read (and drop) an oversized body, so the client sees the answer, not a reset."""
    left = min(length, _DRAIN_LIMIT)
    while left > 0:
        chunk = await asyncio.wait_for(reader.read(min(left, 65536)), IDLE_TIMEOUT)
        if not chunk:
            return
        left -= len(chunk)


async def _write(
    writer: asyncio.StreamWriter, status: int, payload: dict[str, Any], close: bool
) -> None:
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate in stored data: escaped, still JSON
        data = json.dumps(payload, separators=(",", ":")).encode()
    head = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
        "Server: asl-serve",
        f"Content-Type: {CONTENT_TYPE}",
        f"Content-Length: {len(data)}",
        f"x-amzn-RequestId: {uuid.uuid4()}",
    ]
    if status >= 400 and "__type" in payload:
        head.append(f"x-amzn-ErrorType: {payload['__type']}")
    if close:
        head.append("Connection: close")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace") + data)
    await writer.drain()


def _error(code: str, message: str) -> dict[str, str]:
    return {"__type": code, "message": message}
