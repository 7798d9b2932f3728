"""``asl schedule trigger`` and ``asl schedule backfill``: start a schedule's occurrences now.

Each start goes through :func:`runtime.schedules.firing.fire`, so its execution name derives
from the schedule and the scheduled time (``GROUP@NAME@20270101T020000Z``) and a repeated
trigger or backfill of the same time starts nothing new. Where the execution runs depends on the
store: on a Redis store it is handed to the fleet (as ``asl run --detach``: ``asl worker
--store`` runs it) and the command returns; on SQLite it runs in this process to its end, as
``asl run`` does (``--lambda``, ``--bind`` and ``--aws`` say how its tasks run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from runtime.cli.run import EXIT_FAILED, EXIT_OK, add_task_options


def add_parsers(actions: argparse._SubParsersAction, add_name: Callable[..., None]) -> None:
    """Register ``trigger`` and ``backfill`` under ``asl schedule``."""
    p = actions.add_parser(
        "trigger",
        help="start one occurrence of a schedule now",
        description="Start one occurrence now, named after the schedule and the current "
        "second. On a Redis store the fleet runs it; on SQLite it runs here to its end.",
    )
    add_name(p)
    _add_run_options(p)
    p.add_argument(
        "--format",
        choices=("output", "json"),
        default="output",
        help="print the output JSON (default) or the execution summary as JSON",
    )
    p.set_defaults(func=trigger)

    p = actions.add_parser(
        "backfill",
        help="start the occurrences of a past range (idempotent)",
        description="Start every occurrence of the schedule in [--from, --to] (its expression "
        "in its time zone), oldest first, honouring the overlap policy. Occurrences started "
        "before (by a backfill, a trigger or the scheduler) are not started again.",
    )
    add_name(p)
    p.add_argument("--from", dest="first", required=True, metavar="TIME", help="range start")
    p.add_argument("--to", dest="last", required=True, metavar="TIME", help="range end")
    p.add_argument(
        "--overlap",
        choices=("skip", "buffer-one", "allow-all"),
        help="the overlap policy for this backfill (default: the schedule's)",
    )
    p.add_argument("--dry-run", action="store_true", help="list the occurrences; start nothing")
    _add_run_options(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=backfill)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    add_task_options(p, mocks=False)


# -- trigger ------------------------------------------------------------------------------------


def trigger(args: argparse.Namespace) -> int:
    """``asl schedule trigger NAME``."""
    from runtime.cli.schedule import schedule_guarded

    def body() -> int:
        from runtime.cli.run import UsageError, report
        from runtime.cli.schedule import _find, _store
        from runtime.schedules.firing import clock_from_env, fire, start_request

        try:  # the scheduler's clock: a trigger and a fired occurrence agree on the time
            scheduled = float(int(clock_from_env()()))
        except ValueError as exc:
            raise UsageError(str(exc))
        with _store(args) as store:
            record = _find(store, args)
            starter = Starter(store, args)
            request = start_request(record, scheduled)
            arn = fire(store, starter, record, scheduled)
            if starter.local:
                result = starter.results.get(arn)
                if result is None:  # the same second's trigger ran already
                    print(
                        f"asl schedule trigger: {request.name} already started: {arn}",
                        file=sys.stderr,
                    )
                    return EXIT_OK
                return report(result, args.format)
            status = store.get(arn).status
        summary = {
            "executionArn": arn,
            "name": request.name,
            "status": status,
            "scheduledTime": request.origin["scheduledTime"],
        }
        print(json.dumps(summary))
        return EXIT_OK

    return schedule_guarded("schedule trigger", body)


# -- backfill -----------------------------------------------------------------------------------


def backfill(args: argparse.Namespace) -> int:
    """``asl schedule backfill NAME --from T1 --to T2``."""
    from runtime.cli.schedule import schedule_guarded

    def body() -> int:
        from runtime.cli.executions import _print_table
        from runtime.cli.schedule import OVERLAP, _find, _store, moment
        from runtime.schedules import backfill as bf
        from runtime.schedules.firing import effective_policy, execution_name

        with _store(args) as store:
            record = _find(store, args)
            first = moment(args.first, record.timezone, "--from")
            last = moment(args.last, record.timezone, "--to")
            times = bf.occurrence_times(record, first, last)
            if args.overlap:
                policy = OVERLAP[args.overlap]
            else:
                policy = effective_policy(record, store.get_schedule_group(record.group_name))[0]
            if args.dry_run:
                steps = [bf.Step(t, execution_name(record, t), "PLANNED") for t in times]
                failed = False
            else:
                starter = Starter(store, args)
                steps = bf.backfill(
                    store,
                    starter,
                    record,
                    times,
                    policy=policy,
                    existing=lambda name: _existing(store, record, name),
                )
                failed = any(r.status != "SUCCEEDED" for r in starter.results.values())
        if args.format == "json":
            print(json.dumps({"Policy": policy, "Occurrences": [s.to_dict() for s in steps]}))
        else:
            rows = [(bf.iso(s.scheduled), s.action, s.name, s.reason) for s in steps]
            _print_table(("SCHEDULED", "ACTION", "EXECUTION", "NOTE"), rows)
            counts: dict[str, int] = {}
            for step in steps:
                counts[step.action] = counts.get(step.action, 0) + 1
            text = ", ".join(f"{n} {a.lower()}" for a, n in counts.items()) or "no occurrence"
            print(f"{len(steps)} occurrence(s) in range, overlap {policy}: {text}", file=sys.stderr)
        return EXIT_FAILED if failed else EXIT_OK

    return schedule_guarded("schedule backfill", body)


# -- which executions a schedule started --------------------------------------------------------


def started_by(store: Any, record: Any) -> list[dict[str, Any]]:
    """The executions ``record`` started (each records the occurrence that caused it),
    newest scheduled time first."""
    found = []
    for execution in store.list():
        origin = execution.options.get("schedule") if execution.options else None
        if not isinstance(origin, dict) or origin.get("scheduleArn") != record.arn:
            continue
        found.append(
            {
                "scheduledTime": origin.get("scheduledTime"),
                "name": execution.name,
                "executionArn": execution.execution_arn,
                "status": execution.status,
            }
        )
    found.sort(key=lambda item: str(item["scheduledTime"]), reverse=True)
    return found


def _machine_name(record: Any) -> str:
    arn = str(record.target.get("Arn") or "")
    if arn.endswith(":aws-sdk:sfn:startExecution"):
        try:
            arn = str(json.loads(record.target.get("Input") or "{}").get("StateMachineArn", ""))
        except (ValueError, AttributeError):
            return ""
    parts = arn.split(":")
    return parts[6] if len(parts) > 6 else ""


def _existing(store: Any, record: Any, name: str) -> str | None:
    from runtime.core.arns import execution_arn
    from runtime.stores import ExecutionNotFound

    arn = execution_arn(_machine_name(record), name)
    try:
        return store.get(arn).execution_arn
    except ExecutionNotFound:
        return None


# -- starters -----------------------------------------------------------------------------------


class Starter:
    """FIRE's :class:`~runtime.schedules.starters.StoreStarter` (the execution record, with the
    occurrence that caused it, written into the store), launched on the fleet for a Redis
    store, else run here to its end; ``results`` holds what ran here."""

    def __init__(self, store: Any, args: argparse.Namespace) -> None:
        from runtime.cli.run import _absolute_file, _pairs
        from runtime.drivers.runner import RunOptions
        from runtime.schedules.starters import StoreStarter, fleet_launcher
        from runtime.tasks.aws import resolve_mode

        options = RunOptions(
            lambdas={
                k: _absolute_file(v)
                for k, v in _pairs(args.lambdas, "--lambda", "NAME=MODULE:FUNCTION").items()
            },
            bindings=_pairs(args.bind, "--bind", "RESOURCE=TARGET"),
            cwd=os.getcwd(),
            aws=resolve_mode(args.aws).value,
        )
        location = args.store or os.environ.get("ASL_STORE") or ""
        self.local = not location.startswith(("redis://", "rediss://"))
        self.results: dict[str, Any] = {}
        if self.local:
            launch = self._run_here
        else:
            from runtime.fleet import app as fleet_app

            launch = fleet_launcher(fleet_app.make_app(), store)
        self.store = store
        self.starter = StoreStarter(store, launch=launch, options=options)

    def start(self, request: Any) -> str:
        return self.starter.start(request)

    def is_running(self, execution_arn: str) -> bool:
        return self.starter.is_running(execution_arn)

    def _run_here(self, record: Any) -> None:
        from runtime.cli.run import Progress, settle_children, warner
        from runtime.drivers.run_path import Executions

        interrupted = True
        try:
            with Progress.maybe() as progress, _stdout_to_stderr():
                result = Executions(self.store, warn=warner("schedule")).resume(
                    record.execution_arn, observer=progress
                )
            interrupted = False
        finally:
            settle_children(suspend=interrupted)
        self.results[record.execution_arn] = result


class _stdout_to_stderr:
    """What task code prints goes to stderr, so stdout holds only the result (as asl run)."""

    def __enter__(self) -> None:
        self.saved, sys.stdout = sys.stdout, sys.stderr

    def __exit__(self, *exc: object) -> None:
        sys.stdout = self.saved


__all__ = ["add_parsers", "backfill", "started_by", "trigger"]
