"""Calling user code: in a worker thread, results marshalled and exceptions reported as Lambda does.

Handlers run on pooled daemon threads, so Parallel branches and Map iterations overlap, a Map
starts no more threads than it runs at once, and a handler still running when its task times
out cannot keep the process alive: Python
cannot stop a thread, so the abandoned call finishes (or not) in the background and its outcome
is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import decimal
import json
import queue
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from asl.errors import DATA_LIMIT_EXCEEDED, StatesError
from runtime.core.jsontext import MAX_DEPTH, depth

PAYLOAD_LIMIT = 256 * 1024
MARSHAL_ERROR = "Runtime.MarshalError"

T = TypeVar("T")


@dataclass(slots=True)
class Outcome:
    """What one call produced: a response body (JSON text, or raw text) or an error object."""

    body: str | None = None
    error: dict[str, Any] | None = None
    raised: StatesError | None = None  # a StatesError the handler raised itself


class _DaemonPool:
    """Reusable daemon threads: one is started only when none is idle, then kept for reuse.

    So a 10,000-item Map uses as many threads as run at once (its concurrency), not one per item;
    and, being daemons, threads stuck in an abandoned (timed-out) call never keep the process
    alive.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[Callable[[], Callable[[], None]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._count = 0

    def submit(self, job: Callable[[], Callable[[], None]]) -> None:
        """Run ``job`` on a pooled thread; the callable it returns runs once the thread is idle
        again (so work submitted in reaction to it reuses this thread)."""
        with self._lock:
            start = self._idle == 0
            if start:
                self._count += 1
            else:
                self._idle -= 1
        self._jobs.put(job)
        if start:
            threading.Thread(
                target=self._work, name=f"{self._name}-{self._count}", daemon=True
            ).start()

    def _work(self) -> None:
        while True:
            deliver = self._jobs.get()()
            with self._lock:
                self._idle += 1
            deliver()

    @property
    def threads(self) -> int:
        """How many threads the pool has started."""
        return self._count


_POOL = _DaemonPool("asl-task")


async def in_thread(fn: Callable[..., T], *args: Any, name: str = "asl-task") -> T:
    """Run ``fn(*args)`` on a pooled daemon thread and await its result."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def settle(ok: bool, value: Any) -> None:
        if future.done():  # cancelled (timed out) meanwhile: drop the outcome
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def work() -> Callable[[], None]:
        try:
            outcome = (True, context.run(fn, *args))
        except Exception as exc:
            outcome = (False, exc)

        def deliver() -> None:
            with contextlib.suppress(RuntimeError):  # the event loop closed while we ran
                loop.call_soon_threadsafe(settle, *outcome)

        return deliver

    _POOL.submit(work)
    return await future


def call(fn: Callable[..., Any], args: tuple[Any, ...], request_id: str | None) -> Outcome:
    """Call user code and marshal its outcome; never raises (runs in the worker thread)."""
    try:
        value = fn(*args)
    except StatesError as exc:
        return Outcome(raised=exc)
    except SystemExit as exc:
        return Outcome(error=exit_error(exc, request_id))
    except Exception as exc:
        return Outcome(error=error_object(exc, request_id, skip_frames=1))
    return marshal_outcome(value, request_id)


async def call_async(fn: Callable[..., Any], args: tuple[Any, ...], request_id: str | None):
    """:func:`call` for a coroutine function, awaited on the event loop itself."""
    try:
        value = await fn(*args)
    except StatesError as exc:
        return Outcome(raised=exc)
    except SystemExit as exc:
        return Outcome(error=exit_error(exc, request_id))
    except Exception as exc:
        return Outcome(error=error_object(exc, request_id, skip_frames=1))
    return marshal_outcome(value, request_id)


def marshal_outcome(value: Any, request_id: str | None) -> Outcome:
    try:
        return Outcome(body=marshal(value))
    except (TypeError, ValueError) as exc:
        error: dict[str, Any] = {
            "errorMessage": f"Unable to marshal response: {exc}",
            "errorType": MARSHAL_ERROR,
        }
        if request_id is not None:
            error["requestId"] = request_id
        error["stackTrace"] = []
        return Outcome(error=error)


def error_object(
    exc: BaseException, request_id: str | None, *, skip_frames: int = 0
) -> dict[str, Any]:
    """The error object the Lambda Python runtime reports for an unhandled exception."""
    tb = exc.__traceback__
    for _ in range(skip_frames):  # drop our own calling frames
        if tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
    error: dict[str, Any] = {"errorMessage": str(exc), "errorType": type(exc).__name__}
    if request_id is not None:
        error["requestId"] = request_id
    error["stackTrace"] = traceback.format_list(traceback.extract_tb(tb))
    return error


def exit_error(exc: SystemExit, request_id: str | None) -> dict[str, Any]:
    code = exc.code if isinstance(exc.code, int) else 1
    error: dict[str, Any] = {
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
        f"exit status {code}",
        "errorType": "Runtime.ExitError",
    }
    if request_id is not None:
        error["requestId"] = request_id
    error["stackTrace"] = []
    return error


def marshal(value: Any) -> str:
    """The response body for a return value: bytes as they are, anything else as JSON.

    ``ValueError`` (reported as ``Runtime.MarshalError``, as Lambda does) for what JSON cannot
    carry: NaN/Infinity, lone surrogates, nesting deeper than ``jsontext.MAX_DEPTH``."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    try:
        text = json.dumps(value, default=_json_default, allow_nan=False, ensure_ascii=False)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    if (
        len(text) > 2 * MAX_DEPTH
        and text.count("[") + text.count("{") > MAX_DEPTH
        and depth(value) > MAX_DEPTH
    ):
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"not Unicode text: a lone surrogate at character {exc.start}")
    return text


def unmarshal(body: str) -> Any:
    """A response body as a value: its JSON, or the text itself when it is not JSON."""
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except ValueError:
        return body


def check_size(body: str, task: str) -> None:
    """Fail as AWS does when a task's result is over the 256 KiB payload quota."""
    if len(body) * 4 > PAYLOAD_LIMIT and len(body.encode()) > PAYLOAD_LIMIT:
        raise StatesError(
            DATA_LIMIT_EXCEEDED,
            f"The state/task '{task}' returned a result with a size exceeding the maximum "
            "number of bytes service limit.",
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):  # DynamoDB numbers, as boto3 returns them
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


__all__ = [
    "Outcome",
    "call",
    "call_async",
    "check_size",
    "error_object",
    "in_thread",
    "marshal",
    "unmarshal",
]
