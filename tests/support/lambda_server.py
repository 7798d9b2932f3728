"""A small Lambda-compatible HTTP endpoint for tests: the Invoke API over Python handlers.

``POST /2015-03-31/functions/{FunctionName}/invocations`` runs the handler registered for the
function (by name, ARN or partial ARN; ``?Qualifier=`` honoured) as the Lambda Python runtime
would and answers with the headers AWS sends. A handler's exception comes back as HTTP 200 with
``X-Amz-Function-Error: Unhandled`` and the runtime's error object; an unknown function as 404
``ResourceNotFoundException``; :meth:`LambdaServer.throttle` and :meth:`LambdaServer.fail` make
the next calls answer 429 ``TooManyRequestsException`` or any other service error. It listens on
127.0.0.1 on a free port; point boto3 at :attr:`LambdaServer.url` (``AWS_ENDPOINT_URL_LAMBDA``).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from runtime.handlers import calls
from runtime.tasks.lambda_local import LambdaContext
from runtime.tasks.lambda_shapes import FunctionRef

Handler = Callable[[Any, Any], Any]
PREFIX = "/2015-03-31/functions/"


@dataclass(slots=True)
class Invocation:
    """One request the server answered."""

    function: str  # the FunctionName in the path, decoded
    qualifier: str | None
    invocation_type: str
    event: Any
    headers: dict[str, str]


@dataclass(slots=True)
class _Failure:
    status: int
    code: str
    body: dict[str, Any]
    times: int


@dataclass(slots=True)
class _State:
    functions: dict[str, Handler] = field(default_factory=dict)
    failures: dict[str, list[_Failure]] = field(default_factory=dict)
    invocations: list[Invocation] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class LambdaServer:
    """The endpoint; a context manager that starts and stops it."""

    def __init__(
        self,
        functions: Mapping[str, Handler] | None = None,
        *,
        region: str = "us-east-1",
        account: str = "111111111111",
    ) -> None:
        self.region, self.account = region, account
        self._state = _State()
        for name, handler in (functions or {}).items():
            self.add(name, handler)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- configuration ---------------------------------------------------------------------------

    def add(self, name: str, handler: Handler) -> None:
        """Serve ``handler`` as the function ``name`` (a name, or an ARN: its name is used)."""
        ref = FunctionRef.parse(name)
        with self._state.lock:
            self._state.functions[ref.name if ref else name] = handler

    def clear(self) -> None:
        """Forget every function, pending failure and recorded invocation."""
        with self._state.lock:
            self._state.functions.clear()
            self._state.failures.clear()
            self._state.invocations.clear()

    def throttle(self, name: str, times: int = 1) -> None:
        """The next ``times`` calls of ``name`` get 429 TooManyRequestsException."""
        body = {
            "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
            "Type": "User",
            "message": "Rate Exceeded.",
        }
        self._queue(name, _Failure(429, "TooManyRequestsException", body, times))

    def fail(self, name: str, status: int, code: str, message: str, times: int = 1) -> None:
        """The next ``times`` calls of ``name`` get this service error."""
        kind = "Service" if status >= 500 else "User"
        self._queue(name, _Failure(status, code, {"Type": kind, "Message": message}, times))

    @property
    def invocations(self) -> list[Invocation]:
        with self._state.lock:
            return list(self._state.invocations)

    def _queue(self, name: str, failure: _Failure) -> None:
        with self._state.lock:
            self._state.failures.setdefault(name, []).append(failure)

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "the server is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LambdaServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
        server.daemon_threads = True
        server.block_on_close = False
        server.lambda_server = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="lambda-server")
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LambdaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- answering -------------------------------------------------------------------------------

    def answer(
        self, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, extra headers and body for one request (called on the server's threads)."""
        request_id = str(uuid.uuid4())
        parts = urlsplit(path)
        if not parts.path.startswith(PREFIX) or not parts.path.endswith("/invocations"):
            return _error(404, "UnknownOperationException", {"message": "Unknown operation"})
        name = unquote(parts.path[len(PREFIX) : -len("/invocations")])
        qualifier = (parse_qs(parts.query).get("Qualifier") or [None])[0]
        ref = FunctionRef.parse(name) or FunctionRef(name)
        if qualifier:
            ref = FunctionRef(ref.name, qualifier, ref.region, ref.account)
        kind = headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        try:
            event = json.loads(body) if body else None
        except ValueError as exc:
            return _error(
                400,
                "InvalidRequestContentException",
                {"Type": "User", "message": f"Could not parse request body into json: {exc}"},
            )
        with self._state.lock:
            self._state.invocations.append(
                Invocation(name, ref.qualifier, kind, event, dict(headers))
            )
            failure = self._next_failure(ref.name)
            handler = self._state.functions.get(ref.name)
        if failure is not None:
            return _error(failure.status, failure.code, failure.body)
        if handler is None:
            arn = (
                f"arn:aws:lambda:{ref.region or self.region}:{ref.account or self.account}:"
                f"function:{ref.name}:{ref.qualifier or '$LATEST'}"
            )
            message = {"Type": "User", "Message": f"Function not found: {arn}"}
            return _error(404, "ResourceNotFoundException", message)
        if kind == "DryRun":
            return 204, {"x-amzn-RequestId": request_id}, b""
        context = LambdaContext.for_call(
            FunctionRef(ref.name, ref.qualifier, self.region, self.account), request_id, None
        )
        if kind == "Event":
            threading.Thread(
                target=calls.call, args=(handler, (event, context), request_id), daemon=True
            ).start()
            return 202, {"x-amzn-RequestId": request_id}, b""
        outcome = calls.call(handler, (event, context), request_id)
        extra = {
            "x-amzn-RequestId": request_id,
            "x-amzn-Remapped-Content-Length": "0",
            "X-Amz-Executed-Version": "$LATEST",
            "X-Amzn-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
        }
        if headers.get("X-Amz-Log-Type") == "Tail":
            log = f"START RequestId: {request_id}\nEND RequestId: {request_id}\n"
            extra["X-Amz-Log-Result"] = base64.b64encode(log.encode()).decode()
        if outcome.body is not None:
            return 200, extra, outcome.body.encode()
        error = outcome.error
        if error is None:  # the handler raised a StatesError itself
            assert outcome.raised is not None
            error = {
                "errorMessage": outcome.raised.cause,
                "errorType": outcome.raised.error,
                "requestId": request_id,
                "stackTrace": [],
            }
        extra["X-Amz-Function-Error"] = "Unhandled"
        return 200, extra, json.dumps(error).encode()

    def _next_failure(self, name: str) -> _Failure | None:
        queue = self._state.failures.get(name)
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        return failure


def _error(status: int, code: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    headers = {"x-amzn-RequestId": str(uuid.uuid4()), "x-amzn-ErrorType": code}
    return status, headers, json.dumps(body).encode()


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Lambda

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner: LambdaServer = self.server.lambda_server  # type: ignore[attr-defined]
        status, headers, payload = owner.answer(self.path, self.headers, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "keep-alive")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def send_response(self, code: int, message: str | None = None) -> None:
        """The status line and a Date header; no Server header (Lambda sends none)."""
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def log_message(self, format: str, *args: Any) -> None:
        pass


__all__ = ["Invocation", "LambdaServer"]
