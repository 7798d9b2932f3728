"""The Step Functions service behind ``asl serve``: the action table and the shared state.

:meth:`Service.handle` takes an action name and its request members and returns the response
members, or raises :class:`~runtime.serve.errors.ApiError`. The actions live in small modules
(``state_machines``, ``executions``, ``teststate``, ``tasks``), each exporting ``ACTIONS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from runtime.core.events import Event
from runtime.drivers.clock import RealClock, VirtualClock
from runtime.drivers.execution import Dispatch, machine_arn
from runtime.drivers.run_path import Executions, Launch
from runtime.drivers.runner import RunError, RunOptions
from runtime.serve.errors import ApiError, execution_not_found, machine_not_found
from runtime.serve.policy import CodePolicy, GuardedDispatch
from runtime.serve.runs import Log, Loop, log_to_stderr
from runtime.stores import MemoryStore
from runtime.stores.base import (
    RUNNING,
    ExecutionNotFound,
    ExecutionRecord,
    HistoryStore,
    StoreError,
    lease_owner,
)
from runtime.stores.contracts import MachineRecord, MachineStore, Store

T = TypeVar("T")
Action = Callable[["Service", dict[str, Any]], dict[str, Any]]
# JSONata code may only be used (and dropped) by the thread that compiled it, and a thread must
# not die holding some: definitions are loaded and validated on this one long-lived thread,
# never on short-lived request threads.
_ASL_THREAD = ThreadPoolExecutor(1, thread_name_prefix="asl-compile")
_COMPILED_CACHE = 256


class Service:
    """State machines, executions and the loop that runs them, shared by request threads."""

    def __init__(
        self,
        store: Store,
        *,
        lambdas: dict[str, str] | None = None,
        bindings: dict[str, str] | None = None,
        time_skip: bool = False,
        policy: CodePolicy | None = None,
        activity_wait: float = 60.0,
        log: Log = log_to_stderr,
        aws: str | None = None,
        fleet: Any = None,
        schedules: Any = None,
        console_actions: bool = False,
    ) -> None:
        """``fleet``: a Celery app; Standard executions are then run by the fleet's deciders
        (``asl worker --store``) and this server only starts and observes them.
        ``schedules``: a :class:`runtime.serve.schedules.SchedulerSettings` to fire the store's
        schedules from this server (None: no scheduler).
        ``console_actions``: the web console may stop, start and redrive executions and answer
        tasks (``asl serve --console-actions``; see :mod:`runtime.serve.console.api`)."""
        self.store = store
        self.console_actions = console_actions
        self.schedules = schedules
        self.scheduler: Any = None
        self.fleet = fleet
        # Express executions are not durable and keep no history, as on AWS: their records
        # only, so an endless loop holds flat memory until its 5 minutes are up.
        self.express = MemoryStore(keep_events=False)
        self.machines: MachineStore = store  # state machines live beside the executions
        self.options = RunOptions(
            lambdas=dict(lambdas or {}),
            bindings=dict(bindings or {}),
            time_skip=time_skip,
            cwd=os.getcwd(),
            aws=aws,
        )
        self.policy = dataclasses.replace(
            policy or CodePolicy(), bound=frozenset(self.options.bindings)
        )
        self.log = log
        self.activity_wait = activity_wait  # GetActivityTask's long poll, in seconds
        self.owner = lease_owner()
        # How this server runs executions: the one run path, over its store (Express
        # executions' records in ``express``), pending tasks all in ``store``.
        self.executions = Executions(store, callbacks=store, owner=self.owner, loader=self.compile)
        self.loop = Loop(self.owner, log)
        self.lock = threading.RLock()  # state machine creation and updates
        self._resolving = threading.local()
        self._compiled: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._dispatch: Dispatch | None = None
        self._unhook: list[Callable[[], None]] = []
        self._actions = _actions()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop and resume the Standard executions a previous server left running."""
        from runtime.callbacks.machines import add_launcher, add_resolver, add_stopper

        self.loop.start()
        self._unhook = [
            add_resolver(self.nested_machine),
            add_launcher(self.launch_child),
            add_stopper(self.halt_child),
        ]
        self.resume_all()
        if self.schedules is not None:
            from runtime.serve.schedules import start_scheduler

            self.scheduler = start_scheduler(self, self.schedules)

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()  # gives the lease up for another server or worker
        for unhook in self._unhook:
            unhook()
        self.loop.close()
        try:
            self.store.close()
        except Exception as exc:  # closing is best effort
            self.log(f"closing the store: {exc}")

    # -- requests --------------------------------------------------------------------------------

    def handle(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        fn = self._actions.get(action)
        if fn is None:
            raise ApiError("UnknownOperationException", f"Unknown operation {action!r}")
        try:
            return fn(self, params)
        except StoreError as exc:
            raise ApiError("ServiceUnavailable", f"the store failed: {exc}", 503)

    def handle_scheduler(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """One EventBridge Scheduler operation (:mod:`runtime.serve.scheduler`), apart from the
        Step Functions actions (both APIs have a TagResource)."""
        from runtime.serve.scheduler import OPERATIONS

        fn = OPERATIONS.get(operation)
        if fn is None:
            raise ApiError("UnknownOperationException", f"Unknown operation {operation!r}", 404)
        try:
            return fn(self, params)
        except StoreError as exc:
            raise ApiError("InternalServerException", f"the store failed: {exc}", 500)

    # -- shared helpers for the actions ----------------------------------------------------------

    def dispatch(self) -> Dispatch:
        """The task dispatcher every execution uses (built once: with ``aws="moto"`` one
        embedded AWS serves them all)."""
        with self.lock:
            if self._dispatch is None:
                from runtime.tasks import build_dispatch

                options = self.options
                self._dispatch = GuardedDispatch(
                    build_dispatch(
                        lambdas=options.lambdas, bindings=options.bindings, aws=options.aws
                    ),
                    self.policy,
                )
            return self._dispatch

    def check_code(self, states: Iterable[Any]) -> None:
        """``InvalidDefinition`` naming each Task state whose local code the operator did not
        allow (see :mod:`runtime.serve.policy`)."""
        refusals = self.policy.check_states(states)
        if refusals:
            raise ApiError(
                "InvalidDefinition",
                f"Invalid State Machine Definition: 'Not allowed on this server: "
                f"{'; '.join(refusals)}'",
            )

    def asl(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn`` (``asl.load``, ``asl.validate``...) on the long-lived compile thread."""
        return _ASL_THREAD.submit(fn, *args, **kwargs).result()

    def compile(self, definition: str, kind: str, name: str = "<definition>") -> Any:
        """The compiled machine for a definition (cached; models are immutable)."""
        key = (kind, definition)
        with self.lock:
            machine = self._compiled.get(key)
            if machine is not None:
                self._compiled.move_to_end(key)
                return machine
        import asl

        machine = self.asl(asl.load, definition, state_machine_type=kind, filename=name)
        with self.lock:
            self._compiled[key] = machine
            while len(self._compiled) > _COMPILED_CACHE:
                self._compiled.popitem(last=False)
        return machine

    def machine(self, arn: str) -> MachineRecord:
        record = self.machines.get_machine(arn)
        if record is None:
            raise machine_not_found(arn)
        return record

    def nested_machine(self, arn: str) -> Any:
        """The state machine a nested ``states:startExecution`` names: created here, else
        found as the other resolvers find it; StatesError when it runs local code the
        operator did not allow (an Express child runs outside this server's dispatcher)."""
        from runtime.callbacks.machines import MachineSpec, machine_name, resolve

        if getattr(self._resolving, "active", False):
            return None
        name = machine_name(arn)
        record = self.machines.get_machine(machine_arn(name)) if name else None
        if record is not None:  # a version or alias ARN runs the version it names or picks
            from runtime.serve.versions import nested_record

            record = nested_record(self, record, arn)
        if record is not None:
            spec = MachineSpec(
                record.name, record.definition, record.type, record.name, machine_arn(record.name)
            )
        else:
            self._resolving.active = True
            try:
                spec = resolve(arn)
            finally:
                self._resolving.active = False
        if spec is not None:
            try:
                machine = self.compile(spec.definition, spec.type, spec.filename)
            except Exception:
                return spec  # the nested task answers an invalid definition itself
            refusals = self.policy.check_states(machine.iter_all_states())
            if refusals:
                from asl.errors import RUNTIME, StatesError

                raise StatesError(
                    RUNTIME, f"Refused by asl serve: {spec.name}: {'; '.join(refusals)}."
                )
        return spec

    def launch_child(self, store: HistoryStore, record: ExecutionRecord) -> bool:
        """Run a nested execution started in this server's store on the loop (its launcher)."""
        if store is not self.store or record.type != "STANDARD":
            return False
        if not self.loop.is_running(record.execution_arn):
            self._continue(record)
        return True

    def halt_child(self, arn: str) -> bool:
        """End the run of execution ``arn`` on the loop at once if it runs there (its stopper:
        the execution was stopped and its end recorded by the caller)."""
        if not self.loop.is_running(arn):
            return False
        self.loop.loop.call_soon_threadsafe(_cancel_task_named, arn)
        return True

    def store_for(self, arn: str) -> HistoryStore:
        return self.express if ":express:" in arn else self.store

    def execution(self, arn: str) -> ExecutionRecord:
        try:
            record = self.store_for(arn).get(arn)
        except ExecutionNotFound:
            raise execution_not_found(arn)
        if record.execution_arn != arn:  # the stores also look names up; the API does not
            raise execution_not_found(arn)
        return record

    def clock(self, events: list[Event] | None = None) -> RealClock | VirtualClock:
        if not self.options.time_skip:
            return RealClock()
        start = max((e.timestamp for e in events), default=None) if events else None
        return VirtualClock(start) if start is not None else VirtualClock()

    def _continue(self, record: ExecutionRecord) -> bool:
        """Take the lease of a stored RUNNING execution and run it on, from its history."""
        try:
            launch = self.executions.resuming(record.execution_arn, dispatch=self.dispatch())
        except RunError:  # it ended in the meantime
            return False
        except StoreError as exc:
            self.log(f"not resuming {record.execution_arn}: {exc}")
            return False
        except Exception as exc:  # an execution that cannot continue must not stop the rest
            self.log(f"cannot resume {record.execution_arn}: {exc}")
            return False
        machine = self.machines.get_machine(machine_arn(record.machine_name))
        launch.role_arn, launch.sync = role_of(launch.record, machine), False
        self.run(launch)
        return True

    def launch(self, record: ExecutionRecord, role_arn: str) -> None:
        """Run an execution just stored (see :meth:`run`)."""
        launch = self.executions.launch(
            record,
            dispatch=self.dispatch(),
            clock=self.clock(),
            store=self.store_for(record.execution_arn),
            role_arn=role_arn,
            sync=False,
        )
        self.run(launch)

    def run(self, launch: Launch) -> None:
        """Run a prepared execution on the loop; with a fleet, a Standard one is handed to the
        fleet's deciders instead."""
        if launch.record.type == "STANDARD" and self.fleet is not None:
            from runtime.drivers.decider_celery import start_decisions

            # The first decision is made here, on the compile thread (compiled JSONata is
            # used by the thread that compiled it).
            self.asl(start_decisions, self.fleet, launch.arn, self.store)
            return
        self.loop.launch(launch)

    def resume_all(self) -> int:
        """Continue every RUNNING Standard execution this server started that nothing runs
        (none with a fleet: its deciders run them)."""
        if self.fleet is not None:
            return 0
        resumed = 0
        for record in self.store.list(status=RUNNING):
            if record.type != "STANDARD" or self.loop.is_running(record.execution_arn):
                continue
            ours = "serve" in record.options  # started here, or nested in one started here
            if not ours and self.machines.get_machine(machine_arn(record.machine_name)) is None:
                continue
            resumed += self._continue(record)
        if resumed:
            self.log(f"resumed {resumed} running execution(s)")
        return resumed


def _cancel_task_named(name: str) -> None:
    """Cancel the loop's task ``name`` (the loop runs each execution as a task named its ARN)."""
    for task in asyncio.all_tasks():
        if task.get_name() == name:
            task.cancel()


def release_thread_caches() -> None:
    """Drop compiled JSONata on the threads that own it, so exiting prints no warnings."""

    from asl.jsonata import clear_thread_cache as forget

    async def on_loop() -> None:
        forget()

    from runtime.serve.runs import shared_loop

    with contextlib.suppress(Exception):
        _ASL_THREAD.submit(forget).result(5)
        asyncio.run_coroutine_threadsafe(on_loop(), shared_loop()).result(5)


def serve_options(record: ExecutionRecord) -> dict[str, Any]:
    """What StartExecution stored with ``record`` (``stateMachineArn``, ``roleArn``...).

    Empty for an execution started elsewhere; a nested child inherits its parent's options, so
    they count only when they name the record's own state machine.
    """
    found = record.options.get("serve")
    if not isinstance(found, dict):
        return {}
    arn = str(found.get("stateMachineArn") or "")
    return found if arn.rsplit(":", 1)[-1] == record.machine_name else {}


def role_of(record: ExecutionRecord, machine: MachineRecord | None = None) -> str:
    """The role an execution runs with: its StartExecution's, else its machine's."""
    role = serve_options(record).get("roleArn") or (machine.role_arn if machine else None)
    return str(role or default_role())


def default_role() -> str:
    from runtime.drivers.execution import ACCOUNT

    return f"arn:aws:iam::{ACCOUNT}:role/asl-local"


def new_revision() -> str:
    return str(uuid.uuid4())


def now() -> float:
    return time.time()


def _actions() -> dict[str, Action]:
    from runtime.serve import (
        executions,
        map_runs,
        state_machines,
        tasks,
        teststate,
        versions,
    )
    from runtime.serve.console import api as console

    table: dict[str, Action] = {}
    for module in (state_machines, versions, executions, map_runs, teststate, tasks, console):
        table.update(module.ACTIONS)
    return table
