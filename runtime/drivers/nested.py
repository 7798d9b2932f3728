"""Nested executions (``states:startExecution``, ``aws-sdk:sfn``) this process runs: the
:class:`~runtime.tasks.children.ChildDriver` the dispatchers ask, installed on import.

Each child runs on a thread of its own, through the one run path
(:class:`~runtime.drivers.run_path.Executions`). The threads are not daemons: the process stays
until its children end, and ``asl run`` waits for them (:func:`settle`) before it closes the
store. ``asl serve`` runs the Standard children stored in its store on its own loop (a launcher:
see :mod:`runtime.callbacks.machines`).

:meth:`NestedExecutions.stop` stops a child as StopExecution does: ``ExecutionAborted`` is
recorded, then its run here is cancelled at once, whatever it waits for (a Wait, a Lambda call,
a grandchild). When the Task waiting on a ``.sync`` child is given up (its parent timed out, was
stopped, or a Parallel branch failed), :meth:`NestedExecutions.abandon` stops the child, unless
the parent stays RUNNING to be resumed (its process was interrupted or is shutting down): the
resumed Task waits for the same child.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import threading
import time
import uuid
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from runtime.callbacks import machines
from runtime.drivers.stopping import stop
from runtime.stores.base import (
    RUNNING,
    ExecutionAlreadyExists,
    ExecutionNotFound,
    ExecutionRecord,
    HistoryStore,
    LeaseHeld,
    StoreError,
    lease_is_live,
    lease_owner,
)
from runtime.tasks import children
from runtime.tasks.children import ChildRefused, ChildStart, Halted

SETTLE_SECONDS = 2.0
"""How long an abandoned child's parent has to show whether it ended (stop the child) or was
suspended (leave it for the resumed parent) before a parent still running here counts as ended."""
_POLL = 0.05
_SEED_BITS = (1 << 63) - 1
_log = logging.getLogger("asl.nested")


class _Run:
    """One child execution on a thread of this process, and the event loop it runs on."""

    __slots__ = ("_lock", "_loop", "future", "halted")

    def __init__(self) -> None:
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.halted = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def observe(self, _event: Any) -> None:
        """The run's observer, called on the child's loop: notes that loop on the first
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


class NestedExecutions:
    """The child executions this process runs, and the chores that stop abandoned ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, _Run] = {}
        self._chores: list[concurrent.futures.Future[Any]] = []

    # -- the ChildDriver -------------------------------------------------------------------------

    def start(self, store: HistoryStore, child: ChildStart) -> datetime:
        from runtime.drivers import runner

        if not runner.valid_name(child.name):
            raise ChildRefused("InvalidName", f"Invalid Name: '{child.name}'")
        spec = child.spec
        try:
            runner.load_machine(spec.definition, spec.type, spec.filename)
        except Exception as exc:  # an invalid child definition
            raise ChildRefused("InvalidDefinition", f"Invalid State Machine Definition: {exc}")
        if spec.type == "EXPRESS":
            started = datetime.now(UTC)
            options = runner.RunOptions.from_dict(child.options)
            with self._lock:
                self._runs[child.arn] = self._start(child.arn, _express, child, options)
            return started
        record = ExecutionRecord(
            execution_arn=child.arn,
            name=child.name,
            machine_name=spec.name,
            type="STANDARD",
            definition=spec.definition,
            input=child.input,
            seed=uuid.uuid4().int & _SEED_BITS,
            start_date=datetime.now(UTC),
            filename=spec.filename,
            options=child.options,
        )
        try:
            stored, _ = store.create(record)
        except ExecutionAlreadyExists as exc:
            raise ChildRefused("ExecutionAlreadyExists", str(exc))
        except StoreError as exc:
            raise ChildRefused("ServiceUnavailable", str(exc))
        self.ensure_running(store, stored.execution_arn, child.dispatch)
        return stored.start_date

    def ensure_running(self, store: HistoryStore, arn: str, dispatch: Any = None) -> None:
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

    def find(self, store: HistoryStore, arn: str) -> ExecutionRecord | None:
        try:
            return store.get(arn)
        except ExecutionNotFound:
            return None

    def stop(
        self,
        store: HistoryStore,
        arn: str,
        error: str | None = None,
        cause: str | None = None,
    ) -> ExecutionRecord | None:
        record = None if ":express:" in arn else stop(store, arn, error, cause)
        machines.halt(arn)
        return record

    def abandon(self, store: HistoryStore, parent_arn: str, child_arn: str) -> None:
        chore = _thread("asl-abandon", _reap, self, store, parent_arn, child_arn)
        with self._lock:
            self._chores = [c for c in self._chores if not c.done()] + [chore]

    def future(self, arn: str) -> concurrent.futures.Future[Any] | None:
        run = self._runs.get(arn)
        return run.future if run is not None else None

    # -- this process ----------------------------------------------------------------------------

    def halt(self, arn: str) -> bool:
        """End the run of child ``arn`` if it runs here (a stopper: see ``machines``)."""
        with self._lock:
            run = self._runs.get(arn)
        if run is None or run.future.done():
            return False
        run.halt()
        return True

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


def _reap(nested: NestedExecutions, store: HistoryStore, parent_arn: str, child_arn: str) -> None:
    """Stop an abandoned child once its parent has shown it ended or runs on without it."""
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
        nested.stop(store, child_arn)
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


def _resume(store: HistoryStore, arn: str, dispatch: Any, observe: Any) -> Any:
    from runtime.drivers.run_path import Executions

    try:
        return Executions(store).resume(arn, dispatch=dispatch, observer=observe)
    except LeaseHeld:
        return None  # another process took it first: it runs there


def _express(child: ChildStart, options: Any, observe: Any) -> Any:
    from runtime.drivers.run_path import Executions
    from runtime.stores import MemoryStore

    spec = child.spec
    result = Executions(MemoryStore()).start(
        spec.definition,
        json.loads(child.input),
        filename=spec.filename,
        name=child.name,
        machine_name=spec.name,
        express=True,
        options=options,
        dispatch=child.dispatch,
        observer=observe,
    )
    return result, child.input


NESTED = NestedExecutions()
children.install(NESTED)
machines.add_stopper(NESTED.halt)


def settle(*, suspend: bool = False) -> None:
    """Wait for the child executions this process runs (see :meth:`NestedExecutions.settle`)."""
    NESTED.settle(suspend=suspend)


__all__ = ["NESTED", "NestedExecutions", "settle"]
