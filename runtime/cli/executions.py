"""``asl executions``, ``asl describe``, ``asl history``, ``asl resume``, ``asl redrive``,
``asl stop`` and ``asl prune``.

They work on the store ``asl run`` records Standard executions in (SQLite, or Redis with
``ASL_STORE``/``--store``). ID is an execution ARN or name. Exit codes: 0 done (for
resume/redrive: SUCCEEDED), 1 the execution FAILED, TIMED_OUT or ABORTED, 2 usage error, unknown
execution or a store problem, 3 (``asl stop``) the execution had already ended. See
docs/cli-run.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from runtime.cli.run import (
    EXIT_OK,
    Progress,
    UsageError,
    add_aws_option,
    add_store_option,
    guarded,
    report,
    settle_children,
    warner,
)
from runtime.core.events import render_details

SUMMARY_WIDTH = 90
EXIT_ENDED = 3
"""``asl stop``: the execution had already ended (nothing was changed)."""
STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
DEFAULT_LIMIT = 100


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the execution subcommands."""
    p = subparsers.add_parser(
        "executions",
        help="list recorded executions",
        description="List the Standard executions in the store, newest first.",
    )
    p.add_argument(
        "--status",
        type=str.upper,
        metavar="STATUS",
        choices=STATUSES,
        help="only executions with this status",
    )
    p.add_argument("--machine", metavar="NAME", help="only executions of this state machine")
    p.add_argument(
        "--since",
        metavar="WHEN",
        type=_since,
        help="only executions started since WHEN: an ISO date or time (UTC unless it says), "
        "or a duration ago (30m, 2h, 7d)",
    )
    p.add_argument(
        "--limit",
        type=_positive,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"at most N executions (default {DEFAULT_LIMIT}); the rest with --next-token",
    )
    p.add_argument(
        "--next-token", metavar="TOKEN", help="the next page: the token the last page printed"
    )
    p.add_argument("--format", choices=("table", "json"), default="table")
    add_store_option(p)
    p.set_defaults(func=executions)

    p = subparsers.add_parser(
        "stop",
        help="stop a running execution (StopExecution)",
        description="Stop a RUNNING execution, whoever runs it: it ends ABORTED with an "
        "ExecutionAborted event, its pending tasks close and its child executions stop. "
        "Exit 3 if it had already ended.",
    )
    _add_id(p)
    p.add_argument("--error", help="the error code to record (at most 256 characters)")
    p.add_argument("--cause", help="a description of the cause (at most 32768 characters)")
    p.set_defaults(func=stop)

    p = subparsers.add_parser(
        "prune",
        help="remove closed executions older than the retention",
        description="Remove the executions that closed more than DAYS days ago (default "
        "ASL_RETENTION, 90), with their events, tasks and child executions. RUNNING "
        "executions always stay.",
    )
    p.add_argument(
        "--older-than",
        type=_days,
        metavar="DAYS",
        help="closed more than DAYS days ago (a decimal allowed); default ASL_RETENTION",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="print what would be removed, remove nothing"
    )
    add_store_option(p)
    p.set_defaults(func=prune)

    p = subparsers.add_parser(
        "describe",
        help="describe one execution (DescribeExecution's JSON)",
        description="Print an execution as DescribeExecution returns it.",
    )
    _add_id(p)
    p.set_defaults(func=describe)

    p = subparsers.add_parser(
        "history",
        help="print an execution's event history",
        description="Print an execution's events: a table, or GetExecutionHistory's JSON.",
    )
    _add_id(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=history)

    for command, text in (
        ("resume", "continue a Standard execution whose process died"),
        ("redrive", "restart a FAILED, TIMED_OUT or ABORTED execution from where it failed"),
    ):
        p = subparsers.add_parser(command, help=text, description=text[0].upper() + text[1:] + ".")
        _add_id(p)
        p.add_argument(
            "--format",
            choices=("output", "json"),
            default="output",
            help="print the output JSON (default) or the execution summary as JSON",
        )
        add_aws_option(p)  # default: the mode the execution was started with
        p.set_defaults(func=resume if command == "resume" else redrive)


def _add_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID", help="the execution ARN or name")
    add_store_option(parser)


def executions(args: argparse.Namespace) -> int:
    """``asl executions``."""

    def body() -> int:
        records, token = _with_store(
            args,
            lambda store: store.page(
                status=args.status,
                machine_name=args.machine,
                since=args.since,
                limit=args.limit,
                token=args.next_token,
            ),
        )
        if args.format == "json":
            out: dict[str, Any] = {"executions": [_list_item(r) for r in records]}
            if token:
                out["nextToken"] = token
            _print_json(out)
            return EXIT_OK
        rows = [
            (r.name, r.machine_name, r.status, _date(r.start_date), _date(r.stop_date))
            for r in records
        ]
        _print_table(("NAME", "MACHINE", "STATUS", "START", "STOP"), rows)
        if token:
            print(f"more executions: add --next-token {token}", file=sys.stderr)
        return EXIT_OK

    return guarded("executions", body)


def stop(args: argparse.Namespace) -> int:
    """``asl stop ID``."""

    def body() -> int:
        from runtime.drivers.runner import RunError
        from runtime.drivers.stopping import stop as stop_execution

        if args.error is not None and len(args.error) > 256:
            raise UsageError("--error must be at most 256 characters")
        if args.cause is not None and len(args.cause) > 32768:
            raise UsageError("--cause must be at most 32768 characters")

        def go(store: Any) -> Any:
            record = store.get(args.id)
            if record.parent_arn is not None:
                raise RunError(
                    f"cannot stop {record.name!r}: it is a Distributed Map child execution "
                    f"(or Map Run) of {record.parent_arn}; stop that execution instead"
                )
            if record.status != "RUNNING":
                return record, False
            return stop_execution(store, record.execution_arn, args.error, args.cause), True

        record, stopped = _with_store(args, go)
        if not stopped:
            print(
                f"asl stop: execution {record.name!r} had already ended: {record.status} at "
                f"{_date(record.stop_date)}; nothing to stop",
                file=sys.stderr,
            )
            return EXIT_ENDED
        _print_json(describe_record(record), indent=2)
        return EXIT_OK

    return guarded("stop", body)


def prune(args: argparse.Namespace) -> int:
    """``asl prune``."""

    def body() -> int:
        from runtime.stores.base import retention_seconds

        seconds = args.older_than if args.older_than is not None else retention_seconds()
        if seconds is None:
            print("asl prune: ASL_RETENTION is off: nothing is old enough (use --older-than)")
            return EXIT_OK
        before = datetime.now(UTC) - timedelta(seconds=seconds)
        removed = _with_store(args, lambda store: store.prune(before=before, dry_run=args.dry_run))
        verb = "would remove" if args.dry_run else "removed"
        for r in removed:
            print(f"{verb} {r.execution_arn} ({r.status}, stopped {_date(r.stop_date)})")
        print(
            f"asl prune: {verb} {len(removed)} execution{'s' if len(removed) != 1 else ''} "
            f"closed before {before.isoformat(timespec='seconds')}",
            file=sys.stderr,
        )
        return EXIT_OK

    return guarded("prune", body)


def describe(args: argparse.Namespace) -> int:
    """``asl describe ID``."""

    def body() -> int:
        _print_json(describe_record(_with_store(args, lambda store: store.get(args.id))), indent=2)
        return EXIT_OK

    return guarded("describe", body)


def history(args: argparse.Namespace) -> int:
    """``asl history ID``."""

    def body() -> int:
        events = _with_store(args, lambda store: store.events(store.get(args.id).execution_arn))
        if args.format == "json":
            _print_json({"events": [e.to_dict() for e in events]}, indent=2)
            return EXIT_OK
        rows = [
            (str(e.id), e.timestamp.isoformat(timespec="milliseconds"), e.type, summary(e))
            for e in events
        ]
        _print_table(("ID", "TIMESTAMP", "TYPE", "DETAILS"), rows)
        return EXIT_OK

    return guarded("history", body)


def resume(args: argparse.Namespace) -> int:
    """``asl resume ID``."""
    return _continue(args, "resume")


def redrive(args: argparse.Namespace) -> int:
    """``asl redrive ID``."""
    return _continue(args, "redrive")


def _continue(args: argparse.Namespace, verb: str) -> int:
    def body() -> int:
        from runtime.drivers.run_path import Executions

        def go(store: Any) -> Any:
            executions = Executions(store, warn=warner(verb))
            action = executions.resume if verb == "resume" else executions.redrive
            interrupted = True
            try:
                with Progress.maybe() as progress:
                    result = action(args.id, observer=progress, aws=args.aws)
                interrupted = False
            finally:  # its nested executions end (or, interrupted, stop) before the store closes
                settle_children(suspend=interrupted)
            return result

        return report(_with_store(args, go), args.format)

    return guarded(verb, body)


# -- rendering -----------------------------------------------------------------------------------


def describe_record(record: Any) -> dict[str, Any]:
    """An ExecutionRecord as DescribeExecution returns it."""
    from runtime.core.arns import machine_arn_of
    from runtime.stores.base import REDRIVABLE_STATUSES

    out: dict[str, Any] = {
        "executionArn": record.execution_arn,
        "stateMachineArn": machine_arn_of(record.execution_arn, record.machine_name),
        "name": record.name,
        "status": record.status,
        "startDate": _date(record.start_date),
        "stopDate": _date(record.stop_date),
        "input": record.input,
        "inputDetails": {"included": True},
        "output": record.output,
        "outputDetails": {"included": True} if record.output is not None else None,
        "error": record.error,
        "cause": record.cause,
        "redriveCount": record.redrive_count,
        "redriveDate": _date(record.redrive_date),
    }
    if isinstance(record.options.get("schedule"), dict):  # started by a schedule (asl's own)
        out["schedule"] = record.options["schedule"]
    if record.type == "STANDARD" and record.status in REDRIVABLE_STATUSES:
        out["redriveStatus"] = "REDRIVABLE"
    else:
        out["redriveStatus"] = "NOT_REDRIVABLE"
        reason = (
            "Execution is RUNNING and cannot be redriven"
            if record.status == "RUNNING"
            else (f"Execution is {record.status} and cannot be redriven")
        )
        out["redriveStatusReason"] = reason
    return {k: v for k, v in out.items() if v is not None}


def summary(event: Any) -> str:
    """A one-line digest of an event's details for the history table."""
    d = render_details(event.details) or {}
    parts = []
    if "name" in d:
        parts.append(str(d["name"]))
    if "index" in d:
        parts.append(f"#{d['index']}")
    if "length" in d:
        parts.append(f"length={d['length']}")
    if "resource" in d:
        kind = d.get("resourceType")
        parts.append(f"{kind}:{d['resource']}" if kind else str(d["resource"]))
    if "redriveCount" in d:
        parts.append(f"redriveCount={d['redriveCount']}")
    if "error" in d or "cause" in d:
        parts.append(": ".join(str(d[k]) for k in ("error", "cause") if d.get(k)))
    elif "output" in d:
        parts.append(f"output={d['output']}")
    elif "input" in d and event.type == "ExecutionStarted":
        parts.append(f"input={d['input']}")
    text = "  ".join(p for p in parts if p).replace("\n", " ")
    return text if len(text) <= SUMMARY_WIDTH else text[: SUMMARY_WIDTH - 1] + "…"


def _list_item(record: Any) -> dict[str, Any]:
    from runtime.core.arns import machine_arn_of

    item = {
        "executionArn": record.execution_arn,
        "stateMachineArn": machine_arn_of(record.execution_arn, record.machine_name),
        "name": record.name,
        "status": record.status,
        "startDate": _date(record.start_date),
        "stopDate": _date(record.stop_date),
        "redriveCount": record.redrive_count,
        "redriveDate": _date(record.redrive_date),
    }
    return {k: v for k, v in item.items() if v is not None}


def _with_store(args: argparse.Namespace, action: Any) -> Any:
    from runtime.stores import ExecutionNotFound, open_store, store_location

    store = open_store(args.store, create=False)
    try:
        return action(store)
    except ExecutionNotFound as exc:
        raise ExecutionNotFound(f"{exc} ({store_location(args.store)})")
    finally:
        store.close()


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _since(text: str) -> datetime:
    """``--since``: a duration ago (``2h``, ``7d``) or an ISO date/time (UTC if naive)."""
    match = _DURATION.match(text.strip().lower())
    if match:
        return datetime.now(UTC) - timedelta(seconds=float(match[1]) * _UNITS[match[2]])
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither an ISO date (2024-05-01, 2024-05-01T12:00:00Z) nor a "
            "duration (30m, 2h, 7d)"
        )
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not 0 <= days < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days (e.g. 30 or 0.5)")
    return days * 86400


def _date(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _print_json(value: Any, indent: int | None = None) -> None:
    import json

    print(json.dumps(value, ensure_ascii=False, indent=indent))


def _print_table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    cells = [header, *[tuple("" if c is None else str(c) for c in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    out = sys.stdout
    for row in cells:
        line = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
        out.write(line.rstrip() + "\n")
