"""``asl task``: answer task tokens and poll activities against the store, without a server.

::

    asl task list [--execution ID] [--all]              the pending tokens
    asl task success TOKEN [--output JSON | --output-file F]
    asl task failure TOKEN [--error E] [--cause C]
    asl task heartbeat TOKEN
    asl task poll ACTIVITY [--worker NAME] [--wait SECONDS]

Exit codes: 0 done (``poll``: a task was handed out); 1 refused as AWS refuses it (the error
code and message on stderr: ``TaskTimedOut``, ``TaskDoesNotExist``, ``InvalidToken``, ...) or,
for ``poll``, no task came; 2 a usage error or a store problem. See docs/callbacks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from runtime.cli.run import add_store_option

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``asl task``."""
    parser = subparsers.add_parser(
        "task",
        help="answer task tokens (SendTaskSuccess/Failure/Heartbeat) and poll activities",
        description="Send the answers a .waitForTaskToken or activity task waits for, against "
        "the store the execution runs in (the process waiting on it may be another one).",
        epilog="Exit status: 0 done, 1 refused (TaskTimedOut, TaskDoesNotExist, InvalidToken, "
        "...) or no activity task, 2 usage error or store problem.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = actions.add_parser("success", help="SendTaskSuccess: the task's result")
    p.add_argument("token", metavar="TOKEN")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--output", metavar="JSON", help="the result as JSON (default: {})")
    source.add_argument("--output-file", metavar="F", help="read the result JSON from F")
    _common(p)

    p = actions.add_parser("failure", help="SendTaskFailure: fail the task")
    p.add_argument("token", metavar="TOKEN")
    p.add_argument("--error", metavar="E", help="the error name (at most 256 characters)")
    p.add_argument("--cause", metavar="C", help="the cause (at most 32,768 characters)")
    _common(p)

    p = actions.add_parser("heartbeat", help="SendTaskHeartbeat: restart HeartbeatSeconds")
    p.add_argument("token", metavar="TOKEN")
    _common(p)

    p = actions.add_parser("list", help="the tasks waiting for an answer, with their tokens")
    p.add_argument("--execution", metavar="ID", help="only this execution's (ARN or name)")
    p.add_argument("--all", action="store_true", help="closed tasks too")
    p.add_argument("--format", choices=("table", "json"), default="table")
    _common(p)

    p = actions.add_parser("poll", help="GetActivityTask: take one task of an activity")
    p.add_argument("activity", metavar="ACTIVITY", help="the activity's ARN or name")
    p.add_argument("--worker", metavar="NAME", help="the worker name recorded in ActivityStarted")
    p.add_argument(
        "--wait", type=float, default=60.0, metavar="SECONDS", help="long-poll time (default 60)"
    )
    _common(p)


def _common(parser: argparse.ArgumentParser) -> None:
    add_store_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``asl task``: returns the exit status."""
    from runtime.callbacks import CallbackError, CallbackHub
    from runtime.stores import StoreError

    action: Callable[[CallbackHub, argparse.Namespace], int] = _ACTIONS[args.action]
    try:
        hub = CallbackHub.open(args.store, create=args.action == "poll")
    except StoreError as exc:
        return _fail(args, str(exc), EXIT_USAGE)
    try:
        return action(hub, args)
    except CallbackError as exc:
        return _fail(args, f"{exc.code}: {exc.message}", EXIT_REFUSED)
    except (StoreError, _Usage) as exc:
        return _fail(args, str(exc), EXIT_USAGE)
    finally:
        hub.close()


class _Usage(Exception):
    pass


def _success(hub: Any, args: argparse.Namespace) -> int:
    output = args.output
    if args.output_file is not None:
        try:
            with open(args.output_file, encoding="utf-8") as stream:
                output = stream.read()
        except OSError as exc:
            raise _Usage(f"cannot read {args.output_file}: {exc.strerror or exc}")
    hub.send_task_success(args.token, "{}" if output is None else output)
    return EXIT_OK


def _failure(hub: Any, args: argparse.Namespace) -> int:
    hub.send_task_failure(args.token, args.error, args.cause)
    return EXIT_OK


def _heartbeat(hub: Any, args: argparse.Namespace) -> int:
    hub.send_task_heartbeat(args.token)
    return EXIT_OK


def _list(hub: Any, args: argparse.Namespace) -> int:
    arn = None
    if args.execution is not None:
        arn = hub.store.get(args.execution).execution_arn
    tasks = hub.list_tasks(arn, open_only=not args.all)
    if args.format == "json":
        print(json.dumps([t.to_dict() for t in tasks], indent=2))
        return EXIT_OK
    for task in tasks:
        since = datetime.fromtimestamp(task.created, UTC).strftime("%Y-%m-%d %H:%M:%S")
        where = f"activity:{task.activity}" if task.activity else task.kind
        name = task.execution_arn.rsplit(":", 1)[-1]
        print(f"{task.token}  {task.status:<9}  {since}  {name}/{task.state_name}  {where}")
    return EXIT_OK


def _poll(hub: Any, args: argparse.Namespace) -> int:
    from runtime.callbacks import activity_arn

    arn = args.activity if args.activity.startswith("arn:") else activity_arn(args.activity)
    task = asyncio.run(hub.get_activity_task(arn, args.worker, args.wait))
    if task is None:
        return EXIT_REFUSED
    print(json.dumps({"taskToken": task[0], "input": task[1]}))
    return EXIT_OK


_ACTIONS = {
    "success": _success,
    "failure": _failure,
    "heartbeat": _heartbeat,
    "list": _list,
    "poll": _poll,
}


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    print(f"asl task {args.action}: {message}", file=sys.stderr)
    return code
