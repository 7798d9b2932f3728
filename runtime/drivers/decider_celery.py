"""The decider on the Celery fleet: decision tasks, attempt tasks, the timer sweeper, submitting.

``asl worker --store redis://...`` registers two tasks besides the users' own:

* ``asl.decide(arn)`` (queue ``asl.decisions``): one decision of the execution
  (:func:`runtime.drivers.decider.decide`) against the shared store;
* ``asl.attempt(arn, attempt id, request)`` (queue ``asl.attempts``): one attempt of a Task state
  whose resource is not a Celery task (Lambda, AWS services, Python, programs, activities...), run
  by the in-process driver's dispatcher; its outcome is stored and a decision asked for.

A ``celery:`` Task's attempt goes straight to its own queue as an ordinary Celery message; the
worker that runs it stores its outcome and asks for the decision (:mod:`runtime.fleet._replies`).
Every worker runs a timer sweeper; the one holding the lease asks for the decisions whose timers
are due. See docs/architecture.md.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from runtime.core.interpreter import TaskRequest
from runtime.drivers.decider import decide, run_attempt
from runtime.drivers.loop import run_sync
from runtime.drivers.runner import RunOptions, _dispatch, _load, check_name, new_record
from runtime.fleet.decisions import (
    ATTEMPT_QUEUE,
    ATTEMPT_TASK,
    DECIDE_HEADER,
    DECISION_QUEUE,
    DECISION_TASK,
    FleetState,
    ask_decision,
    decide_here,
    send_decision,
    watchdog_seconds,
)
from runtime.stores.base import ExecutionRecord, HistoryStore
from runtime.tasks import propagation

QUEUES = (DECISION_QUEUE, ATTEMPT_QUEUE)
SWEEP_SECONDS = 0.2
_log = logging.getLogger("asl.decider")


class CeleryServices:
    """:class:`~runtime.drivers.decider.DecisionServices` over the fleet's Redis and Celery."""

    def __init__(self, app: Any, state: FleetState) -> None:
        self.app = app
        self.state = state
        self._sent: dict[str, float] = {}  # attempts sent by this decision, not marked yet

    def now(self) -> datetime:
        return now()

    def outcome(self, attempt_id: str) -> dict[str, Any] | None:
        return self.state.outcome(attempt_id)

    def post_outcome(self, attempt_id: str, message: dict[str, Any]) -> dict[str, Any]:
        return self.state.post_outcome(attempt_id, message)

    def last_beat(self, attempt_id: str) -> float | None:
        return self.state.last_beat(attempt_id)

    def recorded(self, arn: str, name: str, value: float) -> float:
        return self.state.recorded(arn, name, value)

    def send(self, arn: str, attempt_id: str, request: TaskRequest, *, fresh: bool) -> None:
        sent_now = time.time()
        if not fresh:
            sent = self.state.sent_at(arn, attempt_id)
            if sent is not None and (
                sent_now - sent < watchdog_seconds() or self.state.started(attempt_id)
            ):
                return  # sent, and taken or not yet overdue
            # Never sent (a decider died between its commit and the send), or sent and never
            # started: lost with a worker killed as it took the message. Send it (again).
        from runtime.tasks.celery import PREFIX, parse

        if request.resource.startswith(PREFIX):
            name, queue = parse(request.resource)
            self._send_celery(arn, attempt_id, name, queue, request)
        else:
            traced: dict[str, Any] = {}
            propagation.inject(request, traced)  # traceparent, when traced
            self.app.send_task(
                ATTEMPT_TASK,
                args=[arn, attempt_id, request_to_wire(request)],
                task_id=attempt_id,
                queue=ATTEMPT_QUEUE,
                headers=traced or None,
                ignore_result=True,
            )
        self._sent[attempt_id] = sent_now  # marked with the decision's timer (one round trip)

    def _send_celery(
        self, arn: str, attempt_id: str, name: str, queue: str | None, request: TaskRequest
    ) -> None:
        from runtime.fleet.wire import HEARTBEAT_HEADER, PREFIX_HEADER, REPLY_HEADER

        headers: dict[str, Any] = {
            REPLY_HEADER: self.state.keys.channel("decider"),
            PREFIX_HEADER: self.state.prefix,
            DECIDE_HEADER: arn,
        }
        if request.heartbeat_seconds is not None:
            headers[HEARTBEAT_HEADER] = request.heartbeat_seconds
        propagation.inject(request, headers)  # traceparent, when traced
        self.app.send_task(
            name,
            args=[request.parameters],
            task_id=attempt_id,
            queue=queue or "celery",
            headers=headers,
            ignore_result=True,
        )

    def watch(self, arn: str, due: float | None, *, waits_on_tasks: bool) -> None:
        sent, self._sent = self._sent, {}
        if due is not None and not waits_on_tasks:
            # a three-day Wait is one timer, not a watchdog's
            self.state.set_timer(arn, due, sent=sent)
            return
        watchdog = time.time() + watchdog_seconds()
        if due is not None and due <= watchdog:
            self.state.set_timer(arn, due, sent=sent)
        else:
            self.state.set_timer(arn, watchdog, watchdog=True, sent=sent)

    def finished(self, arn: str) -> None:
        self._sent = {}
        self.state.forget(arn)


def now() -> datetime:
    """The time, to the millisecond (as history records it)."""
    return datetime.fromtimestamp(time.time_ns() // 1_000_000 / 1000, UTC)


def request_to_wire(request: TaskRequest) -> dict[str, Any]:
    """A task attempt as JSON for an ``asl.attempt`` message."""
    return {
        "resource": request.resource,
        "parameters": request.parameters,
        "state_name": request.state_name,
        "context": request.context,
        "timeout_seconds": request.timeout_seconds,
        "heartbeat_seconds": request.heartbeat_seconds,
        "credentials": request.credentials,
        "attempt": request.attempt,
        "key": request.key,
    }


def request_from_wire(data: dict[str, Any]) -> TaskRequest:
    return TaskRequest(**data)


# -- the worker's side ---------------------------------------------------------------------------


class Decider:
    """What a worker process needs to decide and run attempts: the store, the fleet's Redis."""

    def __init__(self, app: Any, store_url: str, broker_url: str, prefix: str = "") -> None:
        self.app = app
        self.store_url = store_url
        self.broker_url = broker_url
        self.prefix = prefix
        self._pid: int | None = None
        self._store: HistoryStore | None = None
        self._services: CeleryServices | None = None
        self._dispatches: dict[str, Any] = {}

    def services(self) -> CeleryServices:
        self._per_process()
        assert self._services is not None
        return self._services

    def store(self) -> HistoryStore:
        self._per_process()
        assert self._store is not None
        return self._store

    def _per_process(self) -> None:
        """Connections of this process (a prefork pool's children each open their own)."""
        if self._pid == os.getpid():
            return
        import redis

        from runtime.stores import open_store

        self._store = open_store(self.store_url)
        client = redis.Redis.from_url(self.broker_url)
        self._services = CeleryServices(self.app, FleetState(client, self.prefix))
        self._dispatches = {}
        self._pid = os.getpid()

    def decide(self, arn: str) -> None:
        decide(self.store(), arn, self.services())

    def decide_inline(self, arn: str) -> bool:
        """The decision after a completion, in the process that ran the task (no message); False
        if it could not be made here (a decision task is then sent)."""
        try:
            self.decide(arn)
        except Exception:
            _log.exception("asl: deciding %s in place failed; sending a decision task", arn)
            return False
        return True

    def attempt(self, arn: str, attempt_id: str, wire: dict[str, Any]) -> None:
        services = self.services()
        if services.outcome(attempt_id) is None:
            services.state.mark_started(attempt_id)
            request = request_from_wire(wire)
            store = self.store()
            from runtime.callbacks import using_store

            try:
                with using_store(store):
                    message = run_sync(run_attempt(self._dispatch_for(arn), request))
            except Exception as exc:  # this worker cannot run it: the attempt fails, not hangs
                _log.exception("asl: attempt %s of %s could not run here", attempt_id, arn)
                cause = f"The worker could not run the task: {type(exc).__name__}: {exc}"
                message = {"raised": {"error": "States.Runtime", "cause": cause}}
            services.post_outcome(attempt_id, message)
        ask_decision(self.app, arn)

    def _dispatch_for(self, arn: str) -> Any:
        record = self.store().get(arn)
        key = json.dumps([record.machine_name, record.options], sort_keys=True)
        found = self._dispatches.get(key)
        if found is None:
            machine = _load(record.definition, record.type, record.filename)
            options = RunOptions.from_dict(record.options)
            found = self._dispatches[key] = _dispatch(options, record.machine_name, machine, None)
        return found


def register(app: Any, store_url: str, broker_url: str, prefix: str = "") -> Decider:
    """Register ``asl.decide`` and ``asl.attempt`` on the worker's app."""
    decider = Decider(app, store_url, broker_url, prefix)

    @app.task(name=DECISION_TASK, ignore_result=True)
    def decide_task(arn: str) -> None:
        decider.decide(arn)

    @app.task(name=ATTEMPT_TASK, ignore_result=True)
    def attempt_task(arn: str, attempt_id: str, wire: dict[str, Any]) -> None:
        decider.attempt(arn, attempt_id, wire)

    decide_here(decider.decide_inline)
    return decider


class Sweeper(threading.Thread):
    """Asks for the decisions whose timers are due, while this process holds the sweep lease."""

    def __init__(self, app: Any, broker_url: str, prefix: str = "") -> None:
        super().__init__(name="asl-timer-sweeper", daemon=True)
        self.app = app
        self.broker_url = broker_url
        self.prefix = prefix
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stopped = threading.Event()

    def run(self) -> None:
        import redis

        state = FleetState(redis.Redis.from_url(self.broker_url), self.prefix)
        while not self.stopped.wait(SWEEP_SECONDS):
            try:
                self.sweep(state)
            except Exception:  # a broker hiccup: the next sweep tries again
                _log.exception("asl: the timer sweep failed")

    def sweep(self, state: FleetState) -> int:
        if not state.hold_lease(self.owner):
            return 0
        due = state.due_timers(time.time())
        for arn, version in due:
            send_decision(self.app, arn)
            state.rearm_swept(arn, version, time.time() + watchdog_seconds())
        return len(due)


# -- submitting ------------------------------------------------------------------------------


def submit(
    store: HistoryStore,
    app: Any,
    definition: str,
    input_value: Any,
    *,
    name: str | None = None,
    machine_name: str = "machine",
    express: bool = False,
    options: RunOptions | None = None,
    filename: str = "<definition>",
    seed: int | None = None,
) -> tuple[ExecutionRecord, bool]:
    """Store a new execution and set it going on the fleet (:func:`start_decisions`);
    ``(record, created)``.

    The name and the definition are checked first (:class:`RunError`,
    :class:`asl.DefinitionError`); a repeated start of a RUNNING execution with the same name
    and input returns it (``created`` False).
    """
    check_name(name)
    kind = "EXPRESS" if express else "STANDARD"
    _load(definition, kind, filename)
    record = new_record(
        definition,
        input_value,
        kind=kind,
        name=name,
        machine_name=machine_name,
        filename=filename,
        options=options or RunOptions(),
        seed=seed,
        start_date=now(),
    )
    stored, created = store.create(record)
    if created:
        start_decisions(app, stored.execution_arn, store)
    return stored, created


def start_decisions(app: Any, arn: str, store: HistoryStore | None = None) -> None:
    """Set a stored execution going on the fleet, with a watchdog timer should a message be lost
    (a worker killed as it takes a message from Redis loses it for good).

    With ``store``, the starter makes the first decision itself (as Temporal's eager workflow
    start does): ExecutionStarted and the states up to the first task are recorded here and the
    first attempt goes straight to the workers, one message and one decision task fewer for
    them. If that fails, or without ``store``, a decision task is sent instead."""
    import redis

    options = app.conf.broker_transport_options or {}
    client = redis.Redis.from_url(app.conf.broker_url)
    try:
        state = FleetState(client, options.get("global_keyprefix", ""))
        state.set_timer(arn, time.time() + watchdog_seconds(), watchdog=True)
        if store is not None:
            try:
                decide(store, arn, CeleryServices(app, state))
                return
            except Exception:  # the workers decide instead (the watchdog stands meanwhile)
                _log.exception("asl: the first decision of %s failed here; sending it", arn)
    finally:
        client.close()
    send_decision(app, arn)


__all__ = [
    "QUEUES",
    "CeleryServices",
    "Decider",
    "Sweeper",
    "register",
    "start_decisions",
    "submit",
]
