"""Worker side: answering the engine from Celery's signals (see :mod:`runtime.fleet.wire`).

Every task a worker runs for the engine, ``runtime.task`` function or plain Celery task alike,
reports its outcome here: the return value marshalled as Lambda marshals one, an exception as the
Lambda error object (the same code as the ``python:`` route, :mod:`runtime.handlers.calls`).
Messages without the engine's headers (plain Celery callers) are left alone.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import celery
from celery import signals

from asl.errors import StatesError
from runtime.fleet.decisions import DECIDE_HEADER
from runtime.fleet.wire import (
    HEARTBEAT_HEADER,
    HEARTBEAT_TTL,
    PREFIX_HEADER,
    PUBLISH_OUTCOME,
    REPLY_HEADER,
    RESULT_TTL,
    Keys,
)
from runtime.handlers import calls

NOT_REGISTERED = "Celery.NotRegistered"
_log = logging.getLogger("asl.fleet")
_INTERNAL = (str(Path(celery.__file__).parent), str(Path(__file__).parent))
_state: dict[str, Any] = {"url": None, "pid": None, "client": None, "script": None}
_last_beat: dict[str, float] = {}
_UNREAD = object()


def connect(broker_url: str) -> None:
    """Answer the engine through ``broker_url``'s Redis from now on (idempotent)."""
    _state["url"] = broker_url
    signals.task_prerun.connect(_on_start, weak=False, dispatch_uid="asl-start")
    signals.task_success.connect(_on_success, weak=False, dispatch_uid="asl-success")
    signals.task_failure.connect(_on_failure, weak=False, dispatch_uid="asl-failure")
    signals.task_unknown.connect(_on_unknown, weak=False, dispatch_uid="asl-unknown")


def answered(request: Any) -> bool:
    """For a duplicate delivery of a finished attempt: publish the stored outcome (and, for a
    decider's attempt, ask for the decision again: the first delivery's worker may have died
    between storing the outcome and asking), say True."""
    route = _route(request)
    if route is None:
        return False
    stored = getattr(request, "asl_stored", _UNREAD)
    if stored is _UNREAD:
        stored = _redis().get(route[1].result(request.id))
    if stored is None:
        return False
    _redis().publish(route[0], stored)
    _ask_decision(getattr(request, DECIDE_HEADER, None))
    return True


def heartbeat() -> bool:
    """Record a heartbeat for the current task; see :func:`runtime.heartbeat`."""
    task = celery.current_task
    request = getattr(task, "request", None)
    route = _route(request) if request is not None else None
    if route is None or getattr(request, "called_directly", True):
        return False
    task_id = request.id
    every = min(1.0, (route[2] or 5.0) / 5)
    now = time.monotonic()
    if now - _last_beat.get(task_id, -every) < every:
        return True
    _last_beat[task_id] = now
    try:
        _beat(route, task_id, "hb")
    except Exception:
        _log.exception("asl: could not record a heartbeat for task %s", task_id)
        return False
    return True


# -- signal receivers -------------------------------------------------------------------------


def _on_start(sender: Any = None, task_id: str | None = None, **_: Any) -> None:
    request = getattr(sender, "request", None)
    route = _route(request)
    if route is not None and task_id and getattr(request, DECIDE_HEADER, None):
        # Started (for the decider's watchdog), and the outcome a duplicate delivery finds:
        # one round trip for both (see answered).
        pipe = _redis().pipeline(transaction=False)
        pipe.set(route[1].started(task_id), f"{time.time():.3f}", ex=RESULT_TTL)
        pipe.get(route[1].result(task_id))
        request.asl_stored = pipe.execute()[1]
    if route is not None and route[2] is not None and task_id:
        _beat(route, task_id, "start", worker=getattr(sender.request, "hostname", None))


def _on_success(sender: Any = None, result: Any = None, **_: Any) -> None:
    request = getattr(sender, "request", None)
    route = _route(request)
    if route is None:
        return
    outcome = calls.marshal_outcome(result, None)
    if outcome.error is not None:
        _publish(route, request.id, {"error": outcome.error})
    else:
        _publish(route, request.id, {"body": outcome.body})
    _ask_decision(getattr(request, DECIDE_HEADER, None))


def _on_failure(
    sender: Any = None, task_id: str | None = None, exception: BaseException | None = None, **_: Any
) -> None:
    route = _route(getattr(sender, "request", None))
    if route is None or task_id is None or exception is None:
        return
    if isinstance(exception, StatesError):
        reply: dict[str, Any] = {"raised": {"error": exception.error, "cause": exception.cause}}
    else:
        skip = _internal_frames(exception.__traceback__)
        reply = {"error": calls.error_object(exception, None, skip_frames=skip)}
    _publish(route, task_id, reply)
    _ask_decision(getattr(getattr(sender, "request", None), DECIDE_HEADER, None))


def _on_unknown(
    sender: Any = None,
    name: str | None = None,
    id: str | None = None,
    message: Any = None,
    **_: Any,
) -> None:
    headers = getattr(message, "headers", None) or {}
    route = _route_from(headers)
    if route is None or not id:
        return
    hostname = getattr(sender, "hostname", None) or "this worker"
    cause = (
        f"Task {name!r} is not registered on {hostname}: start the worker with the module "
        f"that defines it (asl worker --tasks MODULE), or check the task name."
    )
    _publish(route, id, {"raised": {"error": NOT_REGISTERED, "cause": cause}})
    _ask_decision(headers.get(DECIDE_HEADER))


# -- plumbing ---------------------------------------------------------------------------------

_Route = tuple[str, Keys, float | None]  # reply channel, keys, HeartbeatSeconds


def _route(request: Any) -> _Route | None:
    if request is None:
        return None
    return _route_from(
        {
            REPLY_HEADER: getattr(request, REPLY_HEADER, None),
            PREFIX_HEADER: getattr(request, PREFIX_HEADER, None),
            HEARTBEAT_HEADER: getattr(request, HEARTBEAT_HEADER, None),
        }
    )


def _route_from(headers: dict[str, Any]) -> _Route | None:
    channel = headers.get(REPLY_HEADER)
    if not isinstance(channel, str) or not channel:
        return None
    prefix = headers.get(PREFIX_HEADER)
    seconds = headers.get(HEARTBEAT_HEADER)
    beat = float(seconds) if isinstance(seconds, (int, float)) and seconds > 0 else None
    return channel, Keys(prefix if isinstance(prefix, str) else ""), beat


def _publish(route: _Route, task_id: str, fields: dict[str, Any]) -> bool:
    """Store and publish an attempt's outcome; if one is stored already, publish that one."""
    channel, keys, _ = route
    _last_beat.pop(task_id, None)
    text = json.dumps({"id": task_id, "t": "done", **fields}, ensure_ascii=False)
    _redis()
    stored = _state["script"](keys=[keys.result(task_id)], args=[text, RESULT_TTL, channel])
    return bool(stored)


def _ask_decision(arn: Any) -> None:
    """The attempt was sent by a decider (:mod:`runtime.fleet.decisions`): ask for the
    execution's next decision now that its outcome is stored."""
    if not isinstance(arn, str) or not arn:
        return
    from runtime.fleet.decisions import ask_decision

    ask_decision(celery.current_app, arn)


def _beat(route: _Route, task_id: str, kind: str, **fields: Any) -> None:
    channel, keys, seconds = route
    ttl = max(HEARTBEAT_TTL, int(2 * (seconds or 0)))
    text = json.dumps({"id": task_id, "t": kind, **fields})
    pipe = _redis().pipeline(transaction=False)
    pipe.set(keys.heartbeat(task_id), f"{time.time():.3f}", ex=ttl)
    pipe.publish(channel, text)
    pipe.execute()


def _redis() -> Any:
    """This process's Redis client (pool workers are forked: one client per process)."""
    if _state["pid"] != os.getpid():
        import redis

        url = _state["url"]
        if url is None:
            raise RuntimeError("runtime.fleet is not connected to a broker")
        client = redis.Redis.from_url(url)
        _state.update(
            pid=os.getpid(), client=client, script=client.register_script(PUBLISH_OUTCOME)
        )
    return _state["client"]


def _internal_frames(tb: TracebackType | None) -> int:
    """How many leading traceback frames are Celery's or ours, not the task's."""
    count = 0
    while tb is not None and tb.tb_next is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_INTERNAL):
            break
        tb = tb.tb_next
        count += 1
    return count


__all__ = ["NOT_REGISTERED", "answered", "connect", "heartbeat"]
