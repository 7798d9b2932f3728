"""Child executions this process runs (``states:startExecution``, ``aws-sdk:sfn``), each on a
thread of its own, and how they are stopped.

A child runs with the task dispatch its parent lends it (:func:`lent_dispatch`: the parent's
Lambda handlers, bindings and AWS mode, without its mocks) when the parent's Task runs in this
process; otherwise (a child resumed on its own) with the options stored with it. The threads are
not daemons: the process stays until its children end, and ``asl run`` waits for them
(:func:`settle`) before it closes the store.

:func:`stop` stops a child as StopExecution does: ``ExecutionAborted`` is recorded, then its run
here is cancelled at once, whatever it waits for (a Wait, a Lambda call, a grandchild). When the
Task waiting on a ``.sync`` child is given up (its parent timed out, was stopped, or a Parallel
branch failed), :func:`abandon` stops the child, unless the parent stays RUNNING to be resumed
(its process was interrupted or is shutting down): the resumed Task waits for the same child.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import json
import logging
import threading
import time
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from runtime.callbacks import machines
from runtime.callbacks.machines import MachineSpec

SETTLE_SECONDS = 2.0
"""How long an abandoned child's parent has to show whether it ended (stop the child) or was
suspended (leave it for the resumed parent) before a parent still running here counts as ended."""
ABORT_ATTEMPTS = 10
_POLL = 0.05
_log = logging.getLogger("asl.nested")


class Halted(Exception):
    """The run of a child execution was ended in this process (stopped or suspended)."""


def lent_dispatch() -> Any:
    """The dispatch the parent whose Task runs in this context lends its children (None outside
    a Task): its own, without a mock test case (that is the parent's, by state name)."""
    dispatch = machines.DISPATCH.get()
    from runtime.tasks import TaskDispatcher

    if isinstance(dispatch, TaskDispatcher) and dispatch._mocks is not None:
        dispatch = copy.copy(dispatch)
        dispatch._mocks = None
    return dispatch


def stop(store: Any, arn: str, error: str | None = None, cause: str | None = None) -> Any:
    """Stop execution ``arn`` as StopExecution does: record ``ExecutionAborted`` (with ``error``
    and ``cause``) unless it has ended, then end its run in this process, if it runs here.

    Returns the record as stored then; None for an Express child (it has none).
    """
    record = None if ":express:" in arn else _abort(store, arn, error, cause)
    machines.halt(arn)
    return record


def _abort(store: Any, arn: str, error: str | None, cause: str | None) -> Any:
    from runtime.core.events import Event
    from runtime.stores.base import RUNNING, ConcurrentWriteError, Outcome

    details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
    for _ in range(ABORT_ATTEMPTS):  # another step may be recorded meanwhile: try after it
        record = store.get(arn)
        if record.status != RUNNING:
            return record
        now = datetime.now(UTC)
        last = record.last_event_id
        event = Event(last + 1, last, now, "ExecutionAborted", details or None)
        try:
            store.append(
                arn,
                (event,),
                expected_last_id=last,
                outcome=Outcome("ABORTED", now, None, error, cause),
            )
        except ConcurrentWriteError:
            continue
        break
    return store.get(arn)


class _Run:
    """One child execution on a thread of this process, and the event loop it runs on."""

    __slots__ = ("_lock", "_loop", "future", "halted")

    def __init__(self) -> None:
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.halted = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def observe(self, _event: Any) -> None:
        """The runner's observer, called on the child's loop: notes that loop on the first
        event (and ends the run at once if it was halted before)."""
        if self._loop is not None:
            return
        with self._lock:
            self._loop = asyncio.get_running_loop()
            halted = self.halted
        if halted:
            _cancel_all()

    def halt(self) -> None:
        """End the run: cancel everything on its loop (it runs nothing else)."""
        with self._lock:
            self.halted = True
            loop = self._loop
        if loop is not None:
            with suppress(RuntimeError):  # its loop has closed: the run is over
                loop.call_soon_threadsafe(_cancel_all)


def _cancel_all() -> None:
    for task in asyncio.all_tasks():
        task.cancel()


class Children:
    """The child executions this process runs, and the chores that stop abandoned ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, _Run] = {}
        self._chores: list[concurrent.futures.Future[Any]] = []

    def ensure_running(self, store: Any, arn: str, dispatch: Any = None) -> None:
        """Run the stored child ``arn`` here (with ``dispatch``, else its stored options) unless
        it has ended or a live process runs it."""
        from runtime.stores.base import RUNNING, lease_is_live, lease_owner

        if ":express:" in arn:
            return  # Express children are not stored: they run where they were started
        with self._lock:
            run = self._runs.get(arn)
            if run is not None and not run.future.done():
                return
            record = store.get(arn)
            me = lease_owner()
            if record.status != RUNNING or record.lease_owner == me:
                return  # ended, or run by another thread of this process
            if lease_is_live(record.lease_owner, record.lease_heartbeat, me):
                return
            if machines.launch(store, record):
                return
            self._runs[arn] = self._start(arn, _resume, store, arn, dispatch)

    def run_express(
        self,
        arn: str,
        spec: MachineSpec,
        name: str,
        input_text: str,
        options: Any,
        dispatch: Any = None,
    ) -> None:
        """Run an Express child (kept in memory) on a thread; :meth:`future` gives its end."""
        with self._lock:
            self._runs[arn] = self._start(arn, _express, spec, name, input_text, options, dispatch)

    def future(self, arn: str) -> concurrent.futures.Future[Any] | None:
        """The end of child ``arn``'s run in this process (None if it never ran here): its
        result, or the exception that ended it (:class:`Halted` when it was ended here)."""
        run = self._runs.get(arn)
        return run.future if run is not None else None

    def halt(self, arn: str) -> bool:
        """End the run of child ``arn`` if it runs here (a stopper: see ``machines``)."""
        with self._lock:
            run = self._runs.get(arn)
        if run is None or run.future.done():
            return False
        run.halt()
        return True

    def abandon(self, store: Any, parent_arn: str, child_arn: str) -> None:
        """The Task of ``parent_arn`` waiting on ``child_arn`` was given up: stop the child (on
        a thread: this returns at once) unless the parent stays RUNNING to be resumed."""
        chore = _thread("asl-abandon", _reap, store, parent_arn, child_arn)
        with self._lock:
            self._chores = [c for c in self._chores if not c.done()] + [chore]

    def settle(self, *, suspend: bool = False) -> None:
        """Wait until the children this process runs have ended and the abandoned ones are
        stopped. ``suspend`` (or Ctrl-C while waiting): end their runs first, leaving them
        RUNNING for a resume."""
        try:
            self._settle(suspend)
        except KeyboardInterrupt:
            self._settle(True)
            raise

    def _settle(self, suspend: bool) -> None:
        while True:
            with self._lock:
                runs = [r for r in self._runs.values() if not r.future.done()]
                pending = [r.future for r in runs] + [c for c in self._chores if not c.done()]
            if not pending:
                return
            if suspend:
                for run in runs:
                    run.halt()
            concurrent.futures.wait(pending)

    def _start(self, arn: str, fn: Any, *args: Any) -> _Run:
        """``fn(*args, observe)`` on a new (non-daemon) thread: the process stays until it ends."""
        run = _Run()

        def work() -> None:
            try:
                outcome = fn(*args, run.observe)
            except BaseException as exc:  # given as the outcome: a waiter on another loop
                if run.halted:  # would not retrieve it, and asyncio would complain
                    outcome = Halted(f"the run of {arn} was ended here")
                else:
                    _log.warning("nested execution %s failed to run: %s", arn, exc)
                    outcome = exc
            run.future.set_result(outcome)

        threading.Thread(target=work, name=f"asl-child {arn}", daemon=False).start()
        return run


def _reap(store: Any, parent_arn: str, child_arn: str) -> None:
    """Stop an abandoned child once its parent has shown it ended or runs on without it."""
    from runtime.stores.base import RUNNING, ExecutionNotFound, StoreError, lease_owner

    settled_by = time.monotonic() + SETTLE_SECONDS
    while True:
        try:
            parent = store.get(parent_arn)
        except ExecutionNotFound:
            break  # a parent with no record (runtime.execute): nothing will resume it
        except StoreError:
            return  # the store is closed or failing: the child stays as it is
        if parent.status != RUNNING:
            break
        if time.monotonic() >= settled_by:
            if parent.lease_owner != lease_owner():
                return  # suspended: its resumed Task waits for this child
            break  # it runs on here without that Task (a Parallel branch failed)
        time.sleep(_POLL)
    try:
        stop(store, child_arn)
    except StoreError as exc:
        _log.warning("could not stop the abandoned child execution %s: %s", child_arn, exc)


def _thread(name: str, fn: Any, *args: Any) -> concurrent.futures.Future[Any]:
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def work() -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=work, name=name, daemon=False).start()
    return future


def _resume(store: Any, arn: str, dispatch: Any, observe: Any) -> Any:
    from runtime.drivers import runner as _runner
    from runtime.stores.base import LeaseHeld

    try:
        return _runner.resume(store, arn, dispatch=dispatch, observer=observe)
    except LeaseHeld:
        return None  # another process took it first: it runs there


def _express(
    spec: MachineSpec, name: str, input_text: str, options: Any, dispatch: Any, observe: Any
) -> Any:
    from runtime.drivers import runner as _runner
    from runtime.stores import MemoryStore

    result = _runner.start(
        MemoryStore(),
        spec.definition,
        json.loads(input_text),
        filename=spec.filename,
        name=name,
        machine_name=spec.name,
        express=True,
        options=options,
        dispatch=dispatch,
        observer=observe,
    )
    return result, input_text


CHILDREN = Children()
machines.add_stopper(CHILDREN.halt)


def settle(*, suspend: bool = False) -> None:
    """Wait for the child executions this process runs (see :meth:`Children.settle`)."""
    CHILDREN.settle(suspend=suspend)


__all__ = ["CHILDREN", "Children", "Halted", "lent_dispatch", "settle", "stop"]
