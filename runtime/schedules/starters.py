"""Starting a scheduled execution straight in a store, for processes without ``asl serve``.

:class:`StoreStarter` creates the execution record as ``asl run --detach`` does, from the state
machine record in the store (a version's definition for a version ARN, an alias's pick for an
alias ARN), then hands it to ``launch``: on the fleet :func:`fleet_launcher` sets it going on the
deciders; without a launcher the record waits RUNNING for ``asl serve`` on that store to run
it when it starts (serve resumes the executions it started, and this record says it did).
``asl serve`` itself starts scheduled executions through StartExecution
(``runtime.serve.schedules``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from runtime.core.arns import execution_arn
from runtime.drivers.machines import resolve
from runtime.drivers.runner import RunError, RunOptions, check_name, new_record
from runtime.schedules.firing import StartRefused, StartRequest
from runtime.stores.base import RUNNING, ExecutionAlreadyExists, ExecutionNotFound
from runtime.stores.contracts import MachineRecord

Launch = Callable[[Any], None]  # given the stored ExecutionRecord


class StoreStarter:
    """A :class:`~runtime.schedules.firing.Starter` that writes executions into ``store``."""

    def __init__(
        self,
        store: Any,
        *,
        launch: Launch | None = None,
        options: RunOptions | None = None,
        now: Callable[[], Any] | None = None,
    ) -> None:
        self.store = store
        self.launch = launch
        self.options = options or RunOptions()
        self.now = now or _now

    def start(self, request: StartRequest) -> str:
        machine, associated = self._machine(request.machine_arn, request.name)
        express = machine.type == "EXPRESS"
        arn = execution_arn(machine.name, request.name, express)
        try:
            check_name(request.name)
            value = json.loads(request.input)
        except RunError as exc:
            raise StartRefused(str(exc))
        except ValueError as exc:
            raise StartRefused(f"the input of {request.name} is not JSON: {exc}")
        record = new_record(
            machine.definition,
            value,
            kind=machine.type,
            name=request.name,
            machine_name=machine.name,
            filename=machine.name,
            options=self.options,
            seed=None,
            start_date=self.now(),
        )
        record.input = request.input
        record.options["serve"] = {
            "stateMachineArn": associated.pop("stateMachineArn"),
            "roleArn": machine.role_arn,
            "revisionId": machine.revision_id,
            **associated,
        }
        record.options["schedule"] = dict(request.origin)
        try:
            stored, created = self.store.create(record)
        except ExecutionAlreadyExists:
            return arn  # started before (by another scheduler, or an earlier attempt)
        if created and self.launch is not None:
            self.launch(stored)
        return stored.execution_arn

    def is_running(self, execution_arn: str) -> bool:
        try:
            return self.store.get(execution_arn).status == RUNNING
        except ExecutionNotFound:
            return False

    def _machine(self, arn: str, name: str) -> tuple[MachineRecord, dict[str, str]]:
        """The record whose definition runs, and the ARNs the execution records. An alias
        picks by a roll from the execution name's hash: the same occurrence always runs the
        same version, whichever scheduler starts it."""
        roll = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 100
        resolved = resolve(self.store, arn, roll)
        if resolved is None:
            raise StartRefused(f"State Machine Does Not Exist: '{arn}'")
        arns = {"stateMachineArn": resolved.machine_arn}
        if resolved.version_arn:
            arns["stateMachineVersionArn"] = resolved.version_arn
        if resolved.alias_arn:
            arns["stateMachineAliasArn"] = resolved.alias_arn
        return resolved.record, arns


def _now() -> datetime:
    """The time, to the millisecond (as history records it)."""
    return datetime.fromtimestamp(time.time_ns() // 1_000_000 / 1000, UTC)


def fleet_launcher(app: Any, store: Any) -> Launch:
    """Set a new execution going on the fleet's deciders (the first decision made here)."""
    from runtime.drivers.decider_celery import start_decisions

    def launch(record: Any) -> None:
        start_decisions(app, record.execution_arn, store)

    return launch


__all__ = ["StoreStarter", "fleet_launcher"]
