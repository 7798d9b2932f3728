"""The one run path: whoever runs an execution in this process goes through :class:`Executions`.

``asl run``, ``asl resume`` and ``asl redrive``; ``asl serve``'s StartExecution,
StartSyncExecution, RedriveExecution and the executions it continues; ``runtime.execute``; and
nested executions (:mod:`runtime.drivers.nested`). Underneath, a stored execution is a
:class:`~runtime.drivers.runner.Launch` (its record, compiled machine, dispatch, clock, lease
and recorder) that :func:`~runtime.drivers.runner.drive` runs through
:func:`~runtime.drivers.execution.run_execution`, committing its events to the store.

Three ways to use it:

- to the end, here: :meth:`Executions.start`, :meth:`~Executions.resume`,
  :meth:`~Executions.redrive` (the CLI, nested executions on their threads);
- on an event loop that runs many (``asl serve``): :meth:`~Executions.launch`,
  :meth:`~Executions.resuming` and :meth:`~Executions.redriving` prepare a ``Launch`` (taking
  the lease), :func:`drive` runs it (the caller heartbeats the lease meanwhile);
- without a store (Express executions kept in memory: ``runtime.execute``,
  StartSyncExecution): :meth:`~Executions.run_sync` and the coroutine
  :meth:`~Executions.run_unstored`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from asl.model import StateMachine
from runtime.callbacks import using_store
from runtime.core.events import Event
from runtime.drivers import runner
from runtime.drivers.clock import RealClock, VirtualClock
from runtime.drivers.execution import Dispatch, ExecutionResult, run_execution
from runtime.drivers.loop import run_sync
from runtime.drivers.runner import HEARTBEAT_SECONDS, Launch, Observer, RunOptions, Warn
from runtime.stores.base import ExecutionRecord, HistoryStore, lease_owner

Loader = Callable[[str, str, str], Any]
"""``(definition, type, filename) -> compiled machine`` (``asl serve`` compiles on one thread)."""


class Executions:
    """Runs executions over ``store`` (None: in memory only, :meth:`run_sync`).

    ``callbacks`` is where their pending tasks live (default: ``store``); ``owner`` the lease
    owner this process writes as; ``loader`` compiles definitions; ``warn`` hears about task
    options that will not work; ``commit_interval`` is as for :func:`runner.start`.
    """

    def __init__(
        self,
        store: HistoryStore | None = None,
        *,
        callbacks: HistoryStore | None = None,
        owner: str | None = None,
        loader: Loader | None = None,
        warn: Warn | None = None,
        commit_interval: float | None = None,
    ) -> None:
        self.store = store
        self.callbacks = callbacks
        self.owner = owner or (lease_owner() if store is not None else "")
        self.loader = loader
        self.warn = warn
        self.commit_interval = commit_interval

    # -- to the end, in this thread --------------------------------------------------------------

    def start(
        self,
        definition: str,
        input_value: Any = None,
        *,
        filename: str = "<definition>",
        name: str | None = None,
        machine_name: str = "machine",
        express: bool = False,
        options: RunOptions | None = None,
        seed: int | None = None,
        dispatch: Dispatch | None = None,
        observer: Observer | None = None,
        keep_history: bool = True,
    ) -> ExecutionResult:
        """Start an execution of ``definition``, record it and run it to its end (see
        :func:`runner.start`)."""
        return runner.start(
            self._store(),
            definition,
            input_value,
            filename=filename,
            name=name,
            machine_name=machine_name,
            express=express,
            options=options,
            seed=seed,
            dispatch=dispatch,
            observer=observer,
            warn=self.warn,
            commit_interval=self.commit_interval,
            keep_history=keep_history,
            owner=self.owner,
            loader=self.loader,
            callbacks=self.callbacks,
        )

    def resume(self, execution_id: str, **options: Any) -> ExecutionResult:
        """Continue a RUNNING Standard execution from its stored history, to its end (options
        as for :meth:`resuming`)."""
        return runner.run(self.resuming(execution_id, **options))

    def redrive(self, execution_id: str, **options: Any) -> ExecutionResult:
        """Restart a FAILED, TIMED_OUT or ABORTED Standard execution from where it failed, and
        run it to its end (options as for :meth:`redriving`)."""
        return runner.run(self.redriving(execution_id, **options))

    # -- prepared here, driven on a loop ---------------------------------------------------------

    def launch(
        self,
        record: ExecutionRecord,
        *,
        dispatch: Dispatch,
        clock: RealClock | VirtualClock,
        store: HistoryStore | None = None,
        role_arn: str | None = None,
        sync: bool = True,
        observer: Observer | None = None,
    ) -> Launch:
        """A stored execution just created (in ``store``, default this one's) ready to run;
        Standard ones hold the lease ``record`` was created with."""
        durable = record.type == "STANDARD"
        return Launch(
            store or self._store(),
            record,
            self._load(record.definition, record.type, record.filename),
            dispatch,
            clock,
            owner=self.owner if durable else None,
            role_arn=role_arn,
            sync=sync,
            callbacks=self.callbacks,
            observer=observer,
            commit_interval=runner.commit_interval_of(self.commit_interval),
        )

    def resuming(
        self,
        execution_id: str,
        *,
        dispatch: Dispatch | None = None,
        observer: Observer | None = None,
        aws: str | None = None,
    ) -> Launch:
        """Take the lease of a RUNNING Standard execution and load its history: its run from
        there (see :func:`runner.resuming`). ``dispatch`` runs its tasks (default: built from
        the options stored with it, ``aws`` overriding their AWS mode); ``observer`` hears each
        new event."""
        return runner.resuming(
            self._store(), execution_id, **self._continuing(dispatch, aws), observer=observer
        )

    def redriving(
        self,
        execution_id: str,
        *,
        dispatch: Dispatch | None = None,
        observer: Observer | None = None,
        aws: str | None = None,
    ) -> Launch:
        """Take the lease of a failed Standard execution and record ``ExecutionRedriven``: its
        run from where it failed (see :func:`runner.redriving`); options as for
        :meth:`resuming`."""
        return runner.redriving(
            self._store(), execution_id, **self._continuing(dispatch, aws), observer=observer
        )

    # -- without a store -------------------------------------------------------------------------

    async def run_unstored(
        self,
        machine: StateMachine,
        input_value: Any,
        *,
        dispatch: Dispatch,
        name: str | None = None,
        machine_name: str = "machine",
        express: bool = False,
        clock: RealClock | VirtualClock | None = None,
        seed: int | None = None,
        role_arn: str | None = None,
        sync: bool = True,
        keep_history: bool = True,
        sink: Callable[[Event], None] | None = None,
    ) -> ExecutionResult:
        """Run an execution nothing stores (its pending tasks live in ``callbacks``, if
        given, else in the process's in-memory hub)."""
        with using_store(self.callbacks) if self.callbacks is not None else _NO_STORE:
            return await run_execution(
                machine,
                input_value,
                dispatch=dispatch,
                name=name,
                machine_name=machine_name,
                express=express,
                clock=clock,
                seed=seed,
                role_arn=role_arn,
                sync=sync,
                keep_history=keep_history,
                sink=sink,
            )

    def run_sync(self, machine: StateMachine, input_value: Any, **options: Any) -> ExecutionResult:
        """:meth:`run_unstored` to its end, from synchronous code (the main thread reuses one
        event loop: see :func:`runtime.drivers.loop.run_sync`)."""
        return run_sync(self.run_unstored(machine, input_value, **options))

    # -- internals -------------------------------------------------------------------------------

    def _continuing(self, dispatch: Dispatch | None, aws: str | None) -> dict[str, Any]:
        """What resuming and redriving here take beside the execution."""
        return {
            "dispatch": dispatch,
            "aws": aws,
            "warn": self.warn,
            "commit_interval": self.commit_interval,
            "owner": self.owner,
            "loader": self.loader,
            "callbacks": self.callbacks,
        }

    def _store(self) -> HistoryStore:
        if self.store is None:
            raise TypeError("these Executions have no store: use run_sync or run_unstored")
        return self.store

    def _load(self, definition: str, kind: str, filename: str) -> Any:
        return (self.loader or runner.load_machine)(definition, kind, filename)


_NO_STORE = contextlib.nullcontext()

IN_MEMORY = Executions()
"""Executions kept in memory only (``runtime.execute``): their pending tasks in the process's
in-memory hub."""


async def drive(launch: Launch) -> ExecutionResult:
    """Run a prepared execution to its end on the running loop (its result keeps no history:
    the store has it). The caller keeps its lease alive meanwhile (every
    ``HEARTBEAT_SECONDS``)."""
    return await runner.drive(launch, keep_history=False)


__all__ = [
    "HEARTBEAT_SECONDS",
    "IN_MEMORY",
    "Executions",
    "Launch",
    "Loader",
    "drive",
]
