"""``asl worker``: a Celery worker serving the tasks of the named modules to the engine.

Importing a module registers its :func:`runtime.task` functions; Celery tasks it defines work
too (``shared_task`` ones join the app by themselves, tasks of another app are adopted under
their names). Each worker process answers the engine from Celery's signals (see
:mod:`runtime.fleet._replies`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from runtime.fleet import app as fleet_app
from runtime.fleet import registered
from runtime.handlers.loading import ConfigurationError

_log = logging.getLogger("asl.fleet")


@dataclass(slots=True)
class WorkerOptions:
    """What ``asl worker`` was asked for; ``None`` fields take their defaults."""

    tasks: Sequence[str] = ()
    broker: str | None = None
    concurrency: int | None = None
    queues: Sequence[str] = ()
    hostname: str | None = None
    loglevel: str = "WARNING"
    pool: str = "prefork"
    prefix: str | None = None
    visibility_timeout: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # more app.Worker keywords


def build_app(options: WorkerOptions) -> Any:
    """The worker's Celery app with the modules' tasks registered; ConfigurationError if one
    cannot be imported."""
    from runtime.fleet import _replies

    app = fleet_app.make_app(
        options.broker,
        prefix=options.prefix,
        visibility=options.visibility_timeout,
        current=True,
    )
    modules = [import_module(name) for name in options.tasks]
    register(app, modules)
    _replies.connect(fleet_app.broker_url(options.broker))
    return app


def import_module(name: str) -> ModuleType:
    """Import a ``--tasks`` module (dotted name, importable from the working directory)."""
    from runtime.handlers.loading import load_module

    return load_module(name, purpose=f"--tasks {name}")


def register(app: Any, modules: Sequence[ModuleType] = ()) -> list[str]:
    """Register every :func:`runtime.task` function, and the Celery tasks of ``modules``."""
    from celery import Task

    for name, function in registered().items():
        if name not in app.tasks:
            app.task(name=name, bind=True)(_runner(function))
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, Task) and value.name and value.name not in app.tasks:
                app.tasks.register(value)  # a task of another Celery app: adopt it
    app.finalize()
    return sorted(n for n in app.tasks if not n.startswith("celery."))


def _runner(function: Callable[..., Any]) -> Callable[..., Any]:
    """The Celery task body for a :func:`runtime.task` function."""
    from celery.exceptions import Ignore

    from runtime.fleet import _replies

    is_async = inspect.iscoroutinefunction(function)

    def run(self: Any, event: Any = None) -> Any:
        if _replies.answered(self.request):  # a duplicate delivery of a finished attempt
            raise Ignore()
        if is_async:
            return asyncio.run(function(event))
        return function(event)

    run.__name__ = getattr(function, "__name__", "run")
    run.__qualname__ = getattr(function, "__qualname__", "run")
    run.__module__ = getattr(function, "__module__", __name__)
    run.__doc__ = function.__doc__
    return run


def run(options: WorkerOptions, configure: Callable[[Any], Sequence[str]] | None = None) -> int:
    """Start the worker and serve until it is stopped; returns its exit code.

    ``configure(app)`` registers more tasks before the worker starts (the decider's) and
    returns the queues they need, served besides ``options.queues``."""
    from celery import signals
    from celery.utils.nodenames import default_nodename, host_format

    app = build_app(options)
    extra = list(configure(app)) if configure is not None else []
    tasks = [n for n in app.tasks if not n.startswith("celery.")]
    hostname = host_format(default_nodename(options.hostname or f"asl-{os.getpid()}@%h"))
    queues = list(options.queues) or [fleet_app.DEFAULT_QUEUE]
    queues += [q for q in extra if q not in queues]

    def ready(sender: Any = None, **_: Any) -> None:
        name = getattr(sender, "hostname", hostname)
        print(
            f"asl worker: {name} ready: queues {', '.join(queues)}; "
            f"{len(tasks)} task(s): {', '.join(sorted(tasks)) or '(none)'}",
            file=sys.__stderr__,
            flush=True,
        )

    signals.worker_ready.connect(ready, weak=False, dispatch_uid="asl-ready")
    worker = app.Worker(
        hostname=hostname,
        concurrency=options.concurrency,
        queues=queues,
        loglevel=options.loglevel,
        pool_cls=options.pool,
        **options.extra,
    )
    worker.start()
    return int(worker.exitcode or 0)


__all__ = ["ConfigurationError", "WorkerOptions", "build_app", "register", "run"]
