"""``celery:TASK[@QUEUE]`` resources: a Task state runs on a Celery worker fleet over Redis.

Each attempt is sent as a Celery message to QUEUE (default ``celery``) with a deterministic task
id (execution, redrive count, the state's place and visit, attempt number), the state's
effective input as its one argument and the engine's reply channel in its headers. The
engine awaits exactly one outcome per id: workers store it with ``SET NX`` and publish it only
when that store won (:mod:`runtime.fleet.wire`), and a redispatched attempt (a resumed
execution) takes a stored outcome instead of sending again. Outcomes arrive on one Redis pub/sub
connection per event loop, so thousands of tasks in flight cost no thread each.

``TimeoutSeconds`` is enforced by the driver; ``HeartbeatSeconds`` here: once a worker starts
the task, each heartbeat must come within it, or the attempt fails with
``States.HeartbeatTimeout``. See docs/fleet.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
import threading
import uuid
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asl.errors import HEARTBEAT_TIMEOUT, StatesError
from runtime.core.interpreter import TaskRequest
from runtime.fleet import app as fleet_app
from runtime.fleet.wire import HEARTBEAT_HEADER, PREFIX_HEADER, REPLY_HEADER, Keys
from runtime.handlers import calls
from runtime.handlers.loading import ConfigurationError
from runtime.tasks import propagation

PREFIX = "celery:"
BROKER_ERROR = "Celery.BrokerError"
_NAMESPACE = uuid.UUID("5b0c2a4e-6f57-4d7e-9a53-2f1d7f0a1c11")
_RECOVER_FOR = 30.0  # seconds the listener keeps reconnecting before failing waiting tasks
_log = logging.getLogger("asl.fleet")


def parse(resource: str) -> tuple[str, str | None]:
    """``(task name, queue or None)`` of a ``celery:`` resource; ValueError if malformed."""
    spec = resource[len(PREFIX) :] if resource.startswith(PREFIX) else resource
    name, sep, queue = spec.rpartition("@")
    if not sep:
        name, queue = spec, ""
    if not name or (sep and not queue) or any(c.isspace() for c in spec):
        raise ValueError(
            f"{resource!r} is not a Celery resource: write celery:TASK_NAME or "
            "celery:TASK_NAME@QUEUE (for example celery:images.resize@gpu)"
        )
    return name, queue or None


def task_id(request: TaskRequest) -> str:
    """The attempt's Celery task id: the same whenever this attempt is dispatched again."""
    if not request.key:  # a request built by hand: unique, but not stable across replays
        return str(uuid.uuid4())
    execution = request.context.get("Execution") or {}
    text = "\x1f".join(
        (
            str(execution.get("Id", "")),
            str(execution.get("RedriveCount", 0)),
            request.key,
            str(request.attempt),
        )
    )
    return str(uuid.uuid5(_NAMESPACE, text))


def outcome(message: dict[str, Any], resource: str) -> Any:
    """The task result a worker's outcome message carries, or the StatesError it reports."""
    if "body" in message:
        body = message["body"]
        calls.check_size(body, resource)
        return calls.unmarshal(body)
    raised = message.get("raised")
    if isinstance(raised, dict):
        raise StatesError(str(raised.get("error") or "States.TaskFailed"), raised.get("cause"))
    error = message.get("error") if isinstance(message.get("error"), dict) else {}
    cause = json.dumps(error, separators=(",", ":"), ensure_ascii=False)  # as python: reports
    raise StatesError(str(error.get("errorType") or "States.TaskFailed"), cause)


class CeleryDispatch:
    """The ``celery:`` route. One instance may serve many executions and event loops.

    ``broker`` defaults to ``$ASL_BROKER_URL`` (else ``redis://127.0.0.1:6379/0``), ``prefix``
    to ``$ASL_FLEET_PREFIX``, ``queue`` (for resources naming none) to ``celery``.
    """

    def __init__(
        self, broker: str | None = None, *, prefix: str | None = None, queue: str | None = None
    ) -> None:
        self.broker = fleet_app.broker_url(broker)
        self.keys = Keys(fleet_app.key_prefix(prefix))
        self.queue = queue or fleet_app.DEFAULT_QUEUE
        self._app: Any = None
        self._ping: str | bool | None = False  # not asked yet
        self._lock = threading.Lock()
        self._sender = ThreadPoolExecutor(1, thread_name_prefix="asl-celery-send")
        self._listeners: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Listener] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, request: TaskRequest, resource: str | None = None) -> Any:
        resource = resource or request.resource
        try:
            name, queue = parse(resource)
        except ValueError as exc:
            raise StatesError("States.Runtime", str(exc))
        tid = task_id(request)
        listener = self._listener()
        waiter = await listener.expect(tid, request.heartbeat_seconds)
        try:
            stored = await listener.lookup(tid, beats=waiter.seconds is not None)
            if stored is not None:
                waiter.settle(stored)  # a resumed execution: this attempt finished already
            else:
                headers: dict[str, Any] = {
                    REPLY_HEADER: listener.channel,
                    PREFIX_HEADER: self.keys.prefix,
                }
                if request.heartbeat_seconds is not None:
                    headers[HEARTBEAT_HEADER] = request.heartbeat_seconds
                propagation.inject(request, headers)  # traceparent, when traced
                await self._send(name, queue or self.queue, tid, request.parameters, headers)
            message = await waiter.future
        finally:
            listener.forget(tid)
        return outcome(message, resource)

    def check(self, resource: str) -> str | None:
        """Preflight: ConfigurationError for a malformed resource or missing Celery; a warning
        when the broker cannot be reached."""
        try:
            parse(resource)
        except ValueError as exc:
            raise ConfigurationError(str(exc))
        for module in ("celery", "redis"):
            if importlib.util.find_spec(module) is None:
                raise ConfigurationError(
                    f"{resource}: celery: resources need the {module!r} package: "
                    "pip install 'celery[redis]'"
                )
        return self.ping()

    def ping(self) -> str | None:
        """None when the broker answers, else a warning saying it does not (asked once)."""
        if self._ping is not False:
            return self._ping
        self._ping = self._ask_broker()
        return self._ping

    def _ask_broker(self) -> str | None:
        import redis

        try:
            client = redis.Redis.from_url(self.broker, socket_connect_timeout=1, socket_timeout=1)
            with contextlib.closing(client):
                client.ping()
        except (redis.RedisError, OSError, ValueError) as exc:
            return (
                f"cannot reach the Celery broker {self.broker} ({exc}); celery: tasks will fail "
                f"with {BROKER_ERROR} unless it comes up. Set ASL_BROKER_URL or start Redis."
            )
        return None

    @property
    def app(self) -> Any:
        """The Celery app messages are sent with (created on first use)."""
        with self._lock:
            if self._app is None:
                self._app = fleet_app.make_app(self.broker, prefix=self.keys.prefix)
            return self._app

    # -- internals -----------------------------------------------------------------------------

    def _listener(self) -> _Listener:
        loop = asyncio.get_running_loop()
        listener = self._listeners.get(loop)
        if listener is None or listener.closed:
            listener = self._listeners[loop] = _Listener(self.broker, self.keys)
        return listener

    async def _send(
        self, name: str, queue: str, tid: str, value: Any, headers: dict[str, Any]
    ) -> None:
        app = self.app

        def send() -> None:
            app.send_task(
                name,
                args=[value],
                task_id=tid,
                queue=queue,
                headers=headers,
                ignore_result=True,
                retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
            )

        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._sender, send)
        except (TypeError, ValueError) as exc:  # not JSON-serialisable: cannot happen for ASL
            raise StatesError("States.Runtime", f"cannot send the task input: {exc}")
        except Exception as exc:
            raise StatesError(BROKER_ERROR, f"cannot send task {name!r} to {self.broker}: {exc}")


class _Waiter:
    """One attempt awaiting its outcome; watches its heartbeats when the state has a limit."""

    __slots__ = ("future", "last", "loop", "seconds", "timer")

    def __init__(self, loop: asyncio.AbstractEventLoop, seconds: float | None) -> None:
        self.loop = loop
        self.future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.seconds = seconds
        self.last: float | None = None
        self.timer: asyncio.TimerHandle | None = None

    def beat(self) -> None:
        if self.seconds is None or self.future.done():
            return
        self.last = self.loop.time()
        if self.timer is None:
            self.timer = self.loop.call_at(self.last + self.seconds, self._check)

    def _check(self) -> None:
        self.timer = None
        if self.future.done() or self.last is None or self.seconds is None:
            return
        due = self.last + self.seconds
        if self.loop.time() >= due:
            self.future.set_exception(StatesError(HEARTBEAT_TIMEOUT, None))
        else:
            self.timer = self.loop.call_at(due, self._check)

    def settle(self, message: dict[str, Any]) -> None:
        if not self.future.done():
            self.future.set_result(message)
        self.close()

    def fail(self, error: StatesError) -> None:
        if not self.future.done():
            self.future.set_exception(error)
        self.close()

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class _Listener:
    """The outcomes, starts and heartbeats of one event loop's tasks, from Redis pub/sub.

    Each listener has a reply channel of its own, subscribed once; the workers answer on the
    channel a message names, and a stored outcome is published again to whoever asks later.
    """

    def __init__(self, url: str, keys: Keys) -> None:
        import redis.asyncio as aioredis

        self.keys = keys
        self.channel = keys.channel(uuid.uuid4().hex)
        self.closed = False
        self.loop = asyncio.get_running_loop()
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=16, timeout=None)
        self.redis = aioredis.Redis(connection_pool=pool)
        self.pubsub = self.redis.pubsub()
        self.waiters: dict[str, _Waiter] = {}
        self.lookups: list[tuple[str, bool, asyncio.Future[Any]]] = []
        self.ready: asyncio.Future[None] | None = None
        self.reader: asyncio.Task[None] | None = None

    async def expect(self, tid: str, heartbeat: float | None) -> _Waiter:
        """Register the attempt; the first one subscribes the reply channel."""
        if tid in self.waiters:  # the same attempt twice at once: cannot happen in one engine
            raise StatesError("States.Runtime", f"task {tid} is already being awaited")
        if self.ready is None:
            self.ready = self.loop.create_future()
            self.reader = self.loop.create_task(self._read())
        await asyncio.shield(self.ready)
        waiter = self.waiters[tid] = _Waiter(self.loop, heartbeat)
        return waiter

    async def lookup(self, tid: str, *, beats: bool) -> dict[str, Any] | None:
        """A stored outcome of this attempt; notes a running attempt's last heartbeat.

        Lookups made in the same loop iteration share one MGET.
        """
        future: asyncio.Future[dict[str, Any] | None] = self.loop.create_future()
        self.lookups.append((tid, beats, future))
        if len(self.lookups) == 1:
            self.loop.call_soon(self._spawn_flush)
        return await future

    def forget(self, tid: str) -> None:
        waiter = self.waiters.pop(tid, None)
        if waiter is not None:
            waiter.close()

    def _spawn_flush(self) -> None:
        batch, self.lookups = self.lookups, []
        self.loop.create_task(self._flush(batch))

    async def _flush(self, batch: list[tuple[str, bool, asyncio.Future[Any]]]) -> None:
        names: list[str] = []
        for tid, beats, _ in batch:
            names.append(self.keys.result(tid))
            if beats:
                names.append(self.keys.heartbeat(tid))
        try:
            values = iter(await self.redis.mget(names))
        except Exception as exc:
            error = StatesError(BROKER_ERROR, f"cannot read task outcomes from the broker: {exc}")
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for tid, beats, future in batch:
            stored = next(values)
            if beats and next(values) is not None and tid in self.waiters:
                self.waiters[tid].beat()  # a resumed attempt a worker is running
            if not future.done():
                future.set_result(json.loads(stored) if stored is not None else None)

    async def _read(self) -> None:
        assert self.ready is not None
        failing_since: float | None = None
        try:
            await self.pubsub.subscribe(self.channel)
            while True:
                try:
                    message = await self.pubsub.get_message(timeout=None)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    failing_since = failing_since or self.loop.time()
                    if self.loop.time() - failing_since > _RECOVER_FOR:
                        self._fail_all(StatesError(BROKER_ERROR, f"lost the broker: {exc}"))
                        return
                    await asyncio.sleep(0.5)
                    await self._recover()
                    continue
                failing_since = None
                if message is not None:
                    self._dispatch(message)
        except Exception as exc:  # could not subscribe at all
            self._fail_all(StatesError(BROKER_ERROR, f"cannot listen for outcomes: {exc}"))
        finally:
            await self._close()

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "subscribe":
            if self.ready is not None and not self.ready.done():
                self.ready.set_result(None)
            return
        if kind != "message":
            return
        try:
            data = json.loads(message["data"])
            waiter = self.waiters.get(data["id"])
        except (ValueError, KeyError, TypeError):
            return
        if waiter is None:  # a late, duplicate or foreign message: nobody awaits it
            return
        if data.get("t") == "done":
            waiter.settle(data)
        else:
            waiter.beat()

    async def _recover(self) -> None:
        """After a reconnection: outcomes published meanwhile are read from their keys."""
        with contextlib.suppress(Exception):
            await self.pubsub.subscribe(self.channel)
            for tid in list(self.waiters):
                stored = await self.redis.get(self.keys.result(tid))
                if stored is not None and tid in self.waiters:
                    self.waiters[tid].settle(json.loads(stored))

    def _fail_all(self, error: StatesError) -> None:
        for waiter in self.waiters.values():
            waiter.fail(error)
        if self.ready is not None and not self.ready.done():
            self.ready.set_exception(error)

    async def _close(self) -> None:
        self.closed = True
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
        with contextlib.suppress(Exception):
            await self.redis.aclose()


__all__ = ["BROKER_ERROR", "PREFIX", "CeleryDispatch", "outcome", "parse", "task_id"]
