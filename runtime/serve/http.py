"""The HTTP front: AWS's JSON 1.0 protocol over HTTP/1.1, on an asyncio event loop.

``POST /`` with ``X-Amz-Target: AWSStepFunctions.<Action>`` and a JSON body; the answer is the
action's JSON, or ``{"__type": ..., "message": ...}`` with a 4xx/5xx status. ``GET /health``
answers ``{"status": "ok"}``; ``GET /`` and ``GET /console/...`` the web console's files
(:mod:`.console.assets`), whose ``AslConsole.<Op>`` actions are answered like Step Functions'
(:mod:`.console.api`). EventBridge Scheduler's rest-json routes (``/schedules/...``,
``/schedule-groups/...``, ``/tags/...``) are answered on the same port through :mod:`.rest`
and :meth:`Service.handle_scheduler`.

Connections live on one event loop thread (a selector: an idle keep-alive connection costs no
thread, so thousands opening and closing at once do not stall it); each complete request is
answered on a bounded pool of worker threads. The HTTP/1.1 framing is h11's (heads, keep-alive,
pipelining, ``Content-Length`` or chunked bodies, ``Expect: 100-continue``); a request h11
refuses, or one open to smuggling (``Content-Length`` with ``Transfer-Encoding``, a folded
header line), gets an AWS-shaped 4xx and the connection is closed. Before any action runs, the
Host header must name this server (:mod:`.hosts`) and, when the operator gave credentials, the
request must carry a valid SigV4 signature (:mod:`.sigv4`). Bodies over the size limit get 413
without being parsed, a stalled client is dropped after the idle timeout, and an unexpected
exception is logged here and answered as ``InternalFailure`` (never a traceback).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import h11

from runtime.core import jsontext
from runtime.serve.console import assets
from runtime.serve.console.api import PREFIX as CONSOLE_PREFIX
from runtime.serve.console.api import refuse_console_write
from runtime.serve.errors import ApiError, internal
from runtime.serve.hosts import HostCheck
from runtime.serve.rest import CONTENT_TYPE as REST_CONTENT_TYPE
from runtime.serve.rest import Route, error_body, scheduler_api, scheduler_route
from runtime.serve.service import Service
from runtime.serve.sigv4 import SERVICE, Verifier

TARGET_PREFIX = "AWSStepFunctions"
CONTENT_TYPE = "application/x-amz-json-1.0"
MAX_REQUEST_BYTES = 2 * 1024 * 1024  # a 1 MiB definition, JSON-escaped, fits
IDLE_TIMEOUT = 120.0
HEAD_LIMIT = 64 * 1024  # request line and headers
MAX_HEADERS = 100
WORKERS = 128  # requests answered at once (GetActivityTask long polls hold one each)
BACKLOG = 4096
_DRAIN_LIMIT = 64 * 1024 * 1024  # an oversized body read (and dropped) before the 413
_READ = 64 * 1024
_CONTENT_TYPE = CONTENT_TYPE.encode()
_REST_CONTENT_TYPE = REST_CONTENT_TYPE.encode()
_REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}
_HEAD_END = re.compile(rb"\n\r?\n")  # where h11 ends a head
_FOLD = re.compile(rb"\n[ \t]")  # an obs-fold continuation line (RFC 9112 5.2)


@dataclass(frozen=True, slots=True)
class _Answer:
    """A response: its status, JSON body, content type and error name (rest-json carries the
    name in ``x-amzn-ErrorType`` only; the JSON protocol also in the body's ``__type``); or,
    with ``raw``, those bytes as they are (a console file) and its own ``headers``."""

    status: int
    payload: dict[str, Any]
    content_type: bytes = _CONTENT_TYPE
    error_type: str | None = None
    raw: bytes | None = None
    headers: tuple[tuple[bytes, bytes], ...] = ()


@dataclass(slots=True)
class _Request:
    method: str
    target: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ","
    body: bytes = b""


class _Reply(Exception):
    """An answer decided while reading the request; the connection is closed after it."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.payload = status, _error(code, message)


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
        metrics: Callable[[], tuple[bytes, bytes]] | None = None,
    ) -> None:
        """``metrics``: what ``GET /metrics`` answers, ``(content type, body)`` (None: 404)."""
        self.service = service
        self.metrics = metrics
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
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=HEAD_LIMIT)
        try:
            while True:
                try:
                    request = await self._read(conn, reader, writer)
                except _Reply as reply:
                    await _write(conn, writer, _Answer(reply.status, reply.payload), close=True)
                    return
                if request is None:
                    return
                answer = await loop.run_in_executor(self._pool, self._respond, request)
                await _write(conn, writer, answer, head_only=request.method == "HEAD")
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return  # one side asked to close (Connection: close, HTTP/1.0)
                conn.start_next_cycle()
        except (ConnectionError, TimeoutError, OSError, h11.ProtocolError):
            return
        except asyncio.CancelledError:
            return
        finally:
            self._connections.discard(writer)
            writer.close()

    async def _read(
        self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> _Request | None:
        """The next request, None at a clean end of the connection, or :class:`_Reply`."""
        head = bytearray(conn.trailing_data[0])  # pipelined bytes already received
        try:
            while True:
                event = conn.next_event()
                if event is not h11.NEED_DATA:
                    break
                try:
                    async with asyncio.timeout(IDLE_TIMEOUT):
                        data = await reader.read(_READ)
                except TimeoutError:
                    if head:
                        raise _Reply(
                            408, "RequestTimeout", "The request head did not arrive in time"
                        )
                    return None
                head += data
                conn.receive_data(data)
        except h11.RemoteProtocolError as exc:
            raise _protocol_error(exc)
        if isinstance(event, h11.ConnectionClosed):
            return None
        assert isinstance(event, h11.Request)
        if len(event.headers) > MAX_HEADERS:
            raise _Reply(431, "BadRequest", f"More than {MAX_HEADERS} headers")
        end = _HEAD_END.search(head)
        size = end.end() if end else len(head)
        if size > HEAD_LIMIT:  # h11 bounds only a head still incomplete after a read
            raise _Reply(431, "BadRequest", f"Request head over {HEAD_LIMIT} bytes")
        if _FOLD.search(head, 0, size):
            raise _Reply(400, "BadRequest", "Folded (obs-fold) header lines are not accepted")
        headers: dict[str, str] = {}
        for name, value in event.headers:
            key, text = name.decode("ascii"), value.decode("latin-1")
            headers[key] = f"{headers[key]},{text}" if key in headers else text
        if "transfer-encoding" in headers and "content-length" in headers:
            raise _Reply(
                400, "BadRequest", "A request cannot have both Content-Length and Transfer-Encoding"
            )
        request = _Request(event.method.decode("ascii"), event.target.decode("latin-1"), headers)
        request.body = await self._body(
            conn, reader, writer, int(headers.get("content-length", -1))
        )
        return request

    async def _body(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        declared: int,
    ) -> bytes:
        """The request body (``declared`` is its Content-Length, -1 when chunked or none),
        counted as it arrives; over the limit it is drained (up to 64 MiB) and refused."""
        limit = self.max_request_bytes
        if declared > limit and conn.they_are_waiting_for_100_continue:
            raise _too_large(declared, limit)  # the client sends nothing more
        if conn.they_are_waiting_for_100_continue:
            writer.write(conn.send(h11.InformationalResponse(status_code=100, headers=[])))
        parts: list[bytes] = []
        size = 0
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    async with asyncio.timeout(IDLE_TIMEOUT):
                        data = await reader.read(_READ)
                    conn.receive_data(data)
                elif isinstance(event, h11.Data):
                    size += len(event.data)
                    if size > _DRAIN_LIMIT:
                        break
                    if size <= limit:
                        parts.append(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    break
        except TimeoutError:
            raise _Reply(408, "RequestTimeout", "The request body did not arrive in time")
        except h11.RemoteProtocolError as exc:
            raise _protocol_error(exc)
        if size > limit:
            raise _too_large(declared, limit)
        return b"".join(parts)

    # -- answering (on a worker thread) ----------------------------------------------------------

    def _respond(self, request: _Request) -> _Answer:
        try:
            routed = scheduler_route(request.method, request.target)
        except ApiError as exc:
            return _rest_error(exc)
        try:
            if routed is not None:
                return self._rest(request, *routed)
            if request.method in ("GET", "HEAD"):
                return self._get(request)
            return _Answer(*self._answer(request))
        except ApiError as exc:
            if routed is not None:
                return _rest_error(exc)
            return _Answer(exc.status, exc.body())
        except Exception:
            self.service.log(f"{request.method} {request.target} failed:\n{traceback.format_exc()}")
            error = internal()
            if routed is not None:
                return _rest_error(ApiError("InternalServerException", error.message, 500))
            return _Answer(error.status, error.body())

    def _admit(self, request: _Request) -> None:
        """The Host check (every request), and the request logged when verbose."""
        host = request.headers.get("host")
        if not self.hosts.allows(host):
            raise ApiError("AccessDeniedException", self.hosts.message(host), 403)
        if self.verbose:
            self.service.log(f"{request.method} {request.target}")

    def _rest(self, request: _Request, route: Route, labels: dict[str, str]) -> _Answer:
        """An EventBridge Scheduler request (rest-json, signed for ``scheduler``)."""
        self._admit(request)
        if request.method != "GET":
            operation = f"{request.method} {request.target.split('?', 1)[0]}"
            refuse_console_write(operation, request.headers, self.service.console_actions)
        if self.verifier is not None:
            self.verifier.check(
                request.method,
                request.target,
                request.headers,
                request.body,
                service=scheduler_api().signing_name,
            )
        api = scheduler_api()
        call = api.call(route, labels, request.target, request.headers, request.body)
        status, body = api.answer(route, self.service.handle_scheduler(call.operation, call.params))
        return _Answer(status, body, _REST_CONTENT_TYPE)

    def _get(self, request: _Request) -> _Answer:
        """``GET``/``HEAD``: health, the console's files (unsigned: they hold no data)."""
        self._admit(request)
        path = request.target.split("?", 1)[0]
        if path in ("/health", "/ping"):
            running = self.service.loop.running_count()
            return _Answer(200, {"status": "ok", "runningExecutions": running})
        if path == "/metrics" and self.metrics is not None:  # unsigned: scrapers cannot sign
            content_type, body = self.metrics()
            return _Answer(200, {}, raw=body, headers=((b"Content-Type", content_type),))
        if assets.is_console_path(path):
            return _console_file(path, request.headers.get("if-none-match"))
        raise ApiError("UnknownOperationException", "Use POST / with X-Amz-Target", 404)

    def _answer(self, request: _Request) -> tuple[int, dict[str, Any]]:
        self._admit(request)
        if request.method != "POST":
            raise ApiError(
                "UnknownOperationException", f"Method {request.method} is not supported", 501
            )
        if self.verifier is not None:
            self.verifier.check(
                request.method, request.target, request.headers, request.body, service=SERVICE
            )
        target = request.headers.get("x-amz-target", "")
        prefix, _, action = target.partition(".")
        if prefix == CONSOLE_PREFIX and action:
            action = target  # the console's own actions keep their prefix in the table
        elif prefix != TARGET_PREFIX or not action or "." in action:
            raise ApiError(
                "UnknownOperationException",
                f"Unknown or missing X-Amz-Target {target!r}; expected '{TARGET_PREFIX}.<Action>'",
            )
        refuse_console_write(action, request.headers, self.service.console_actions)
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


def _protocol_error(exc: h11.RemoteProtocolError) -> _Reply:
    """h11's refusal of a request, AWS-shaped (its status hint: 400, 431 or 501)."""
    status = exc.error_status_hint
    code = "NotImplemented" if status == 501 else "BadRequest"
    return _Reply(status, code, f"Malformed HTTP request: {exc}")


def _too_large(declared: int, limit: int) -> _Reply:
    size = f"of {declared} bytes " if declared >= 0 else ""
    return _Reply(
        413,
        "RequestEntityTooLargeException",
        f"Request body {size}exceeds the limit of {limit} bytes",
    )


def _console_file(path: str, if_none_match: str | None) -> _Answer:
    found = assets.answer(path, if_none_match)
    if found is None:
        raise ApiError("NotFoundException", f"No console file at {path}", 404)
    headers = tuple((k.encode(), v.encode()) for k, v in found.headers)
    kind = dict(found.headers).get("Content-Type", "")
    return _Answer(found.status, {}, kind.encode(), raw=found.body, headers=headers)


def _rest_error(exc: ApiError) -> _Answer:
    """An error as rest-json answers it: ``{"Message": ...}`` and the name in a header."""
    return _Answer(exc.status, error_body(exc.message), _REST_CONTENT_TYPE, exc.code)


async def _write(
    conn: h11.Connection,
    writer: asyncio.StreamWriter,
    answer: _Answer,
    *,
    close: bool = False,
    head_only: bool = False,
) -> None:
    status, payload = answer.status, answer.payload
    if answer.raw is not None:
        data = answer.raw
        headers = [(b"Server", b"asl-serve"), *answer.headers]
    else:
        data = _json_bytes(payload)
        headers = [  # bytes: h11 takes them as they are
            (b"Server", b"asl-serve"),
            (b"Content-Type", answer.content_type),
            (b"x-amzn-RequestId", str(uuid.uuid4()).encode()),
        ]
    if status != 304:
        headers.append((b"Content-Length", b"%d" % len(data)))
    error_type = answer.error_type or (payload.get("__type") if status >= 400 else None)
    if error_type:
        headers.append((b"x-amzn-ErrorType", str(error_type).encode("latin-1", "replace")))
    if close:
        headers.append((b"Connection", b"close"))
    reason = _REASONS.get(status, b"Error")
    out = conn.send(h11.Response(status_code=status, headers=headers, reason=reason))
    if not head_only:
        out += conn.send(h11.Data(data=data))
    out += conn.send(h11.EndOfMessage())
    writer.write(out)
    await writer.drain()


def _json_bytes(payload: dict[str, Any]) -> bytes:
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate in stored data: escaped, still JSON
        return json.dumps(payload, separators=(",", ":")).encode()


def _error(code: str, message: str) -> dict[str, str]:
    return {"__type": code, "message": message}
