"""``asl executions``, ``asl describe``, ``asl history``, ``asl resume`` and ``asl redrive``.

They work on the SQLite store ``asl run`` records Standard executions in. ID is an execution ARN
or name. Exit codes: 0 done (for resume/redrive: SUCCEEDED), 1 the execution FAILED, TIMED_OUT or
ABORTED, 2 usage error, unknown execution or a store problem. See docs/cli-run.md.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from runtime.cli.run import (
    EXIT_OK,
    Progress,
    add_aws_option,
    add_store_option,
    guarded,
    report,
    settle_children,
    warner,
)
from runtime.core.events import render_details

SUMMARY_WIDTH = 90


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
        choices=("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"),
        help="only executions with this status",
    )
    p.add_argument("--format", choices=("table", "json"), default="table")
    add_store_option(p)
    p.set_defaults(func=executions)

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
        records = _with_store(args, lambda store: store.list(status=args.status))
        if args.format == "json":
            _print_json({"executions": [_list_item(r) for r in records]})
            return EXIT_OK
        rows = [
            (r.name, r.machine_name, r.status, _date(r.start_date), _date(r.stop_date))
            for r in records
        ]
        _print_table(("NAME", "MACHINE", "STATUS", "START", "STOP"), rows)
        return EXIT_OK

    return guarded("executions", body)


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
