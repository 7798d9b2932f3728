"""The Celery app the fleet runs on, with safe defaults.

* JSON only: ``accept_content=["json"]``, so a pickled (or YAML, msgpack...) message is refused
  and logged, never deserialised;
* late acknowledgement: a message is acknowledged when its task has finished, and requeued when
  the worker process running it dies (``task_acks_late``, ``task_reject_on_worker_lost``);
* a prefetch of one, so a busy worker does not sit on messages others could run;
* a broker visibility timeout (``ASL_VISIBILITY_TIMEOUT``, default 6 hours) that must be longer
  than the longest task: a message not acknowledged by then is delivered again (workers look for
  such messages every few seconds, not Kombu's default 100);
* only registered tasks run: a message naming any other task is dropped and logged.

The broker is ``ASL_BROKER_URL`` (default ``redis://127.0.0.1:6379/0``); ``ASL_FLEET_PREFIX``
puts every key the fleet uses under a prefix, so several fleets can share one Redis database.
"""

from __future__ import annotations

import os
from typing import Any

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUE = "celery"  # Celery's own default, so plain Celery clients and workers interoperate
DEFAULT_VISIBILITY_TIMEOUT = 6 * 3600.0


def broker_url(url: str | None = None) -> str:
    """``url``, else ``$ASL_BROKER_URL``, else the local default."""
    return url or os.environ.get("ASL_BROKER_URL") or DEFAULT_BROKER


def key_prefix(prefix: str | None = None) -> str:
    """``prefix``, else ``$ASL_FLEET_PREFIX``, else none."""
    return prefix if prefix is not None else os.environ.get("ASL_FLEET_PREFIX", "")


def visibility_timeout(seconds: float | None = None) -> float:
    """``seconds``, else ``$ASL_VISIBILITY_TIMEOUT``, else 6 hours."""
    if seconds is not None:
        return float(seconds)
    text = os.environ.get("ASL_VISIBILITY_TIMEOUT")
    return float(text) if text else DEFAULT_VISIBILITY_TIMEOUT


def settings(
    broker: str | None = None,
    *,
    prefix: str | None = None,
    visibility: float | None = None,
) -> dict[str, Any]:
    """The Celery configuration of a fleet app."""
    url = broker_url(broker)
    timeout = visibility_timeout(visibility)
    transport: dict[str, Any] = {
        "visibility_timeout": timeout,
        # Kombu looks for messages whose visibility timeout passed (their worker was lost) every
        # interval x throttle seconds, 100 s by default, under a mutex that a worker killed
        # while holding it keeps for 300 s: look every few seconds, and hold it briefly.
        "unacked_restore_interval": max(1, min(10, int(timeout // 2))),
        "unacked_restore_throttle": 1,
        "unacked_mutex_expire": 30,
    }
    backend: dict[str, Any] = {}
    prefix = key_prefix(prefix)
    if prefix:
        transport["global_keyprefix"] = backend["global_keyprefix"] = prefix
    return {
        "broker_url": url,
        "result_backend": url,  # for plain Celery callers; the engine does not use it
        "result_expires": 24 * 3600,
        "task_serializer": "json",
        "result_serializer": "json",
        "event_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": DEFAULT_QUEUE,
        "broker_transport_options": transport,
        "result_backend_transport_options": backend,
        "broker_connection_retry_on_startup": True,
    }


def make_app(
    broker: str | None = None,
    *,
    prefix: str | None = None,
    visibility: float | None = None,
    main: str = "asl",
    current: bool = False,
) -> Any:
    """A Celery app with the fleet's safe defaults (see the module docstring)."""
    from celery import Celery

    app = Celery(main, set_as_current=current)
    app.conf.update(settings(broker, prefix=prefix, visibility=visibility))
    return app


__all__ = [
    "DEFAULT_BROKER",
    "DEFAULT_QUEUE",
    "broker_url",
    "key_prefix",
    "make_app",
    "settings",
    "visibility_timeout",
]
