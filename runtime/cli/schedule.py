"""``asl schedule``: EventBridge Scheduler's schedules in the local store.

``create|update|list|describe|delete|pause|resume`` keep schedules (and the state machines they
start) in the store ``asl serve`` and the fleet fire them from; ``trigger`` and ``backfill``
start occurrences now (see :mod:`runtime.cli.schedule_fire`). Flags become CreateSchedule's
members and go through :mod:`runtime.schedules.requests`, so a schedule is checked as
EventBridge checks it. Exit codes: 0 done, 1 a triggered execution failed, 2 a usage error, bad
input, an unknown schedule or a store problem. See docs/schedules.md.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import datetime
from typing import Any

from runtime.cli.run import EXIT_OK, EXIT_USAGE, UsageError, add_store_option, guarded

OVERLAP = {"skip": "SKIP", "buffer-one": "BUFFER_ONE", "allow-all": "ALLOW_ALL"}
_DURATION = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)?\s*$"
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``asl schedule`` and its actions."""
    parser = subparsers.add_parser(
        "schedule",
        help="create and manage schedules (EventBridge Scheduler) that start state machines",
        description="Create, list, change, trigger and backfill schedules in the store. "
        "asl serve (or a fleet's workers) fires them. See docs/schedules.md.",
        epilog="Exit status: 0 done, 1 a triggered execution failed, 2 usage error, bad input, "
        "unknown schedule or a store problem.",
    )
    actions = parser.add_subparsers(
        dest="action", metavar="ACTION", parser_class=type(parser), required=False
    )

    def usage(_: argparse.Namespace) -> int:  # `asl schedule` alone: its actions, exit 2
        parser.print_help(sys.stderr)
        return EXIT_USAGE

    parser.set_defaults(func=usage)

    p = actions.add_parser(
        "create",
        help="create a schedule (or every schedule of a template with --template)",
        description="Create a schedule that starts a state machine: --cron, --rate, --at or "
        "--expression, and --machine. With --template, register a CloudFormation/SAM "
        "template's state machines and schedules instead (again: updates what changed).",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="the schedule's name")
    _add_definition(p, create=True)
    template = p.add_argument_group("from a template")
    template.add_argument(
        "--template",
        metavar="FILE",
        help="a CloudFormation/SAM template: its AWS::Scheduler::Schedule resources and SAM "
        "Schedule/ScheduleV2 events, with the state machines they start",
    )
    template.add_argument(
        "--stack", metavar="NAME", help="the stack name (default: the template's folder name)"
    )
    template.add_argument(
        "--parameter",
        dest="parameters",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a template parameter's value (repeatable)",
    )
    p.set_defaults(func=create)

    p = actions.add_parser(
        "update",
        help="change a schedule (the flags given; the rest stays)",
        description="Change a schedule: the flags given replace its values, the others stay.",
    )
    p.add_argument("name", metavar="NAME")
    _add_definition(p, create=False)
    p.add_argument("--enabled", action="store_true", help="set the schedule ENABLED")
    p.set_defaults(func=update)

    p = actions.add_parser("list", help="list schedules", description="List the schedules.")
    p.add_argument("--group", metavar="G", help="only the schedules of group G")
    p.add_argument(
        "--state", type=str.upper, choices=("ENABLED", "DISABLED"), help="only this state"
    )
    p.add_argument("--format", choices=("table", "json"), default="table")
    add_store_option(p)
    p.set_defaults(func=list_schedules)

    p = actions.add_parser(
        "describe",
        help="a schedule as GetSchedule returns it, with its next occurrences and last runs",
        description="Print a schedule as GetSchedule returns it, plus NextOccurrences and "
        "the LastExecutions it started.",
    )
    _add_name(p)
    p.add_argument("--count", type=int, default=5, metavar="N", help="next occurrences shown")
    p.set_defaults(func=describe)

    for action, text in (
        ("delete", "delete a schedule (its executions stay)"),
        ("pause", "pause a schedule (State DISABLED): it fires no more until resumed"),
        ("resume", "resume a paused schedule (State ENABLED)"),
    ):
        p = actions.add_parser(action, help=text, description=text[0].upper() + text[1:] + ".")
        _add_name(p)
        p.set_defaults(func=_change, change=action)

    from runtime.cli.schedule_fire import add_parsers

    add_parsers(actions, _add_name)


def _add_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the schedule's name")
    parser.add_argument("--group", metavar="G", help="its schedule group (default: default)")
    add_store_option(parser)


def _add_definition(p: argparse.ArgumentParser, *, create: bool) -> None:
    when = p.add_argument_group("when (one of)")
    when.add_argument("--cron", metavar="FIELDS", help='EventBridge cron fields: "0 3 * * ? *"')
    when.add_argument("--rate", metavar="RATE", help='a rate: "5 minutes", "1 hour", "2 days"')
    when.add_argument("--at", metavar="TIME", help="once, at a local time: 2027-01-01T09:00:00")
    when.add_argument(
        "--expression", metavar="EXPR", help="the whole expression: cron(...), rate(...), at(...)"
    )
    p.add_argument(
        "--timezone", metavar="TZ", help="the expression's IANA time zone (default: UTC)"
    )
    what = p.add_argument_group("what it starts")
    what.add_argument(
        "--machine",
        metavar="FILE|ARN",
        help="a definition file (registered as a state machine named after the file) or the "
        "ARN of a state machine in the store",
    )
    what.add_argument("--machine-name", metavar="N", help="the state machine's name for a FILE")
    source = what.add_mutually_exclusive_group()
    source.add_argument("--input", metavar="JSON", help="the executions' input (JSON)")
    source.add_argument("--input-file", metavar="F", help="read the input JSON from a file")
    what.add_argument("--role-arn", metavar="ARN", help="Target.RoleArn (default: asl-local)")
    p.add_argument("--group", metavar="G", help="the schedule group (default: default)")
    p.add_argument("--description", metavar="TEXT")
    p.add_argument("--start", metavar="TIME", help="StartDate: ISO-8601 (no offset: in --timezone)")
    p.add_argument("--end", metavar="TIME", help="EndDate: ISO-8601 (no offset: in --timezone)")
    p.add_argument(
        "--flexible-window",
        type=int,
        metavar="MINUTES",
        help="spread each start over this window (FlexibleTimeWindow FLEXIBLE, 1-1440)",
    )
    if create:
        p.add_argument("--disabled", action="store_true", help="create it paused (DISABLED)")
    else:
        p.add_argument("--disabled", action="store_true", help="set the schedule DISABLED")
    p.add_argument(
        "--delete-after-completion",
        action="store_true",
        help="ActionAfterCompletion DELETE: remove the schedule after its last occurrence",
    )
    p.add_argument(
        "--overlap",
        choices=tuple(OVERLAP),
        help="when the previous run still runs: skip, buffer-one or allow-all (the default)",
    )
    p.add_argument(
        "--catchup-window",
        metavar="DURATION",
        help="after downtime, fire missed occurrences at most this old (90s, 15m, 2h, 1d)",
    )
    p.add_argument(
        "--retries", type=int, metavar="N", help="RetryPolicy.MaximumRetryAttempts (0-185)"
    )
    p.add_argument(
        "--max-event-age",
        metavar="DURATION",
        help="RetryPolicy.MaximumEventAgeInSeconds (60s to 24h)",
    )
    add_store_option(p)


# -- create / update ------------------------------------------------------------------------------


def create(args: argparse.Namespace) -> int:
    """``asl schedule create``."""

    def body() -> int:
        if args.template:
            return _from_template(args)
        if not args.name:
            raise UsageError("give the schedule a NAME (or --template FILE)")
        if args.parameters or args.stack:
            raise UsageError("--stack and --parameter go with --template")
        expression = _expression(args)
        if expression is None:
            raise UsageError("say when: --cron, --rate, --at or --expression")
        if not args.machine:
            raise UsageError("say what it starts: --machine FILE|ARN")
        now = time.time()
        with _store(args) as store:
            params: dict[str, Any] = {
                "Name": args.name,
                "GroupName": args.group or "default",
                "ScheduleExpression": expression,
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {"Arn": "", "RoleArn": args.role_arn or _default_role()},
            }
            _apply(args, params, store, now)
            record, _ = _save(store, params, now)
        _print_json(_view(record))
        return EXIT_OK

    return schedule_guarded("schedule create", body)


def update(args: argparse.Namespace) -> int:
    """``asl schedule update NAME``."""

    def body() -> int:
        from runtime.schedules.requests import schedule_view

        if args.enabled and args.disabled:
            raise UsageError("--enabled or --disabled, not both")
        now = time.time()
        with _store(args) as store:
            existing = _find(store, args)
            params = _params_of(schedule_view(existing))
            expression = _expression(args)
            if expression is not None:
                params["ScheduleExpression"] = expression
            if args.enabled:
                params["State"] = "ENABLED"
            _apply(args, params, store, now)
            record, _ = _save(store, params, now, replace=True)
        _print_json(_view(record))
        return EXIT_OK

    return schedule_guarded("schedule update", body)


def _apply(args: argparse.Namespace, params: dict[str, Any], store: Any, now: float) -> None:
    """The flags given, into CreateSchedule's members ``params``."""
    if args.timezone:
        params["ScheduleExpressionTimezone"] = args.timezone
    zone = params.get("ScheduleExpressionTimezone") or "UTC"
    target = params["Target"]
    if args.machine:
        target["Arn"] = _machine(args, store, now)
    elif args.machine_name:
        raise UsageError("--machine-name names the state machine of --machine FILE")
    if args.role_arn:
        target["RoleArn"] = args.role_arn
    if args.input is not None:
        target["Input"] = _json_text(args.input, "--input")
    elif args.input_file is not None:
        text = _read(args.input_file, "--input-file").strip()
        target["Input"] = _json_text(text, args.input_file)
    if args.retries is not None or args.max_event_age is not None:
        policy = dict(target.get("RetryPolicy") or {})
        if args.retries is not None:
            policy["MaximumRetryAttempts"] = args.retries
        if args.max_event_age is not None:
            policy["MaximumEventAgeInSeconds"] = int(
                duration(args.max_event_age, "--max-event-age")
            )
        target["RetryPolicy"] = policy
    for flag, key in (("start", "StartDate"), ("end", "EndDate")):
        value = getattr(args, flag)
        if value is not None:
            params[key] = moment(value, zone, f"--{flag}")
    if args.description is not None:
        params["Description"] = args.description
    if args.flexible_window is not None:
        params["FlexibleTimeWindow"] = (
            {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": args.flexible_window}
            if args.flexible_window
            else {"Mode": "OFF"}
        )
    if args.disabled:
        params["State"] = "DISABLED"
    if args.delete_after_completion:
        params["ActionAfterCompletion"] = "DELETE"
    if args.overlap:
        params["OverlapPolicy"] = OVERLAP[args.overlap]
    if args.catchup_window is not None:
        params["CatchupWindowSeconds"] = duration(args.catchup_window, "--catchup-window")


def _params_of(view: dict[str, Any]) -> dict[str, Any]:
    """UpdateSchedule's members that keep a schedule as GetSchedule's ``view`` shows it."""
    keep = (
        "Name",
        "GroupName",
        "ScheduleExpression",
        "ScheduleExpressionTimezone",
        "StartDate",
        "EndDate",
        "Description",
        "State",
        "FlexibleTimeWindow",
        "Target",
        "ActionAfterCompletion",
        "KmsKeyArn",
    )
    params = {k: view[k] for k in keep if k in view}
    params["Target"] = dict(params["Target"])
    return params


def _expression(args: argparse.Namespace) -> str | None:
    given = [f for f in ("cron", "rate", "at", "expression") if getattr(args, f) is not None]
    if len(given) > 1:
        raise UsageError(
            f"--{given[0]} and --{given[1]}: give one of --cron, --rate, --at, --expression"
        )
    if not given:
        return None
    value = getattr(args, given[0]).strip()
    if given[0] == "cron":
        if value.startswith("@"):
            return f"cron({_macro(value)})"
        fields = value.split()
        if len(fields) == 5:
            raise UsageError(
                f"--cron {value!r} has crontab's 5 fields; EventBridge's cron has 6 (minutes "
                f"hours day-of-month month day-of-week year, one day field '?'): try --cron "
                f"{' '.join(crontab_to_eventbridge(fields))!r} (docs/schedules.md has a table)"
            )
        return f"cron({value})"
    if given[0] == "rate":
        return f"rate({value})"
    if given[0] == "at":
        return f"at({value})"
    return value


_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
CRONTAB_MACROS = {
    "@yearly": "0 0 1 1 ? *",
    "@annually": "0 0 1 1 ? *",
    "@monthly": "0 0 1 * ? *",
    "@weekly": "0 0 ? * SUN *",
    "@daily": "0 0 * * ? *",
    "@midnight": "0 0 * * ? *",
    "@hourly": "0 * * * ? *",
}


def _macro(text: str) -> str:
    """crontab's ``@daily`` and friends as EventBridge cron fields."""
    fields = CRONTAB_MACROS.get(text.lower())
    if fields is not None:
        return fields
    if text.lower() == "@reboot":
        raise UsageError(
            "--cron @reboot: a schedule fires on the clock, never at a process's start; run "
            "`asl schedule trigger NAME` from whatever starts your system instead"
        )
    raise UsageError(f"--cron {text}: unknown macro (known: {', '.join(CRONTAB_MACROS)})")


def crontab_to_eventbridge(fields: list[str]) -> list[str]:
    """crontab's five fields as EventBridge's six (a hint: ``0 9 * * 1-5`` -> ``0 9 ? *
    MON-FRI *``); crontab's day of week 0-7 (0 and 7: Sunday) becomes SUN-SAT."""
    minute, hour, dom, month, dow = fields

    def day(match: re.Match[str]) -> str:
        return _DAYS[int(match.group()) % 7]

    if dow != "*":
        dow = re.sub(r"\d+", day, dow)
        dom = "?" if dom == "*" else dom
    else:
        dow = "?"
    return [minute, hour, dom, month, dow, "*"]


def _machine(args: argparse.Namespace, store: Any, now: float) -> str:
    """``--machine``: a stored state machine's ARN, or a file registered as one."""
    from runtime.schedules import registry

    if args.machine.startswith("arn:"):
        if args.machine_name:
            raise UsageError("--machine-name is for a definition file, not an ARN")
        if store.get_machine(args.machine) is None:
            raise UsageError(
                f"--machine {args.machine}: no such state machine in the store; give its "
                "definition file instead (--machine FILE), which registers it"
            )
        return args.machine
    text = _read(args.machine, "--machine")
    name = args.machine_name or os.path.basename(args.machine).split(".")[0] or "machine"
    definition = registry.json_definition(text, filename=args.machine)
    arn, _ = registry.store_machine(store, name, definition, now=now)
    return arn


def _save(store: Any, params: dict[str, Any], now: float, *, replace: bool = False) -> Any:
    from runtime.schedules import registry

    return registry.save_schedule(store, params, now=now, replace=replace)


def _from_template(args: argparse.Namespace) -> int:
    from runtime.cli.run import _pairs, warner
    from runtime.templates import install_schedules, read_template, template_schedules

    definition_flags = ("cron", "rate", "at", "expression", "machine", "input", "input_file")
    if args.name or any(getattr(args, f) is not None for f in definition_flags):
        raise UsageError(
            "--template takes its schedules from the template: no NAME, --cron, "
            "--machine, --input... with it"
        )
    text = _read(args.template, "--template")
    template = read_template(text, args.template)
    if template is None:
        raise UsageError(
            f"--template {args.template}: not a CloudFormation/SAM template (no Resources section)"
        )
    found = template_schedules(
        template,
        parameters=_pairs(args.parameters, "--parameter", "KEY=VALUE"),
        stack_name=args.stack,
    )
    warn = warner("schedule create")
    for warning in found.warnings:
        warn(warning)
    if not found.schedules:
        raise UsageError(
            f"{args.template}: the template has no schedule that starts one of "
            "its state machines (AWS::Scheduler::Schedule, or a Schedule or "
            "ScheduleV2 event of an AWS::Serverless::StateMachine)"
        )
    with _store(args) as store:
        lines = install_schedules(store, found, now=time.time())
    for line in lines:
        print(line)
    return EXIT_OK


# -- list / describe / pause / resume / delete ----------------------------------------------------


def list_schedules(args: argparse.Namespace) -> int:
    """``asl schedule list``."""

    def body() -> int:
        now = time.time()
        with _store(args, create=False) as store:
            records = [
                r
                for r in store.list_schedules()
                if (args.group is None or r.group_name == args.group)
                and (args.state is None or r.state == args.state)
            ]
            rows = [(r, next_times(r, now, 1), last_runs(store, r, 1)) for r in records]
        if args.format == "json":
            items = [
                {
                    **_summary(r),
                    "NextRunTime": nxt[0] if nxt else None,
                    "LastRun": last[0] if last else None,
                }
                for r, nxt, last in rows
            ]
            _print_json({"Schedules": items})
            return EXIT_OK
        from runtime.cli.executions import _print_table

        table = [
            (
                r.name,
                r.group_name,
                r.schedule_expression,
                r.timezone,
                r.state,
                nxt[0] if nxt else "-",
                f"{last[0]['scheduledTime']} {last[0]['status']}" if last else "-",
            )
            for r, nxt, last in rows
        ]
        header = ("NAME", "GROUP", "EXPRESSION", "TIMEZONE", "STATE", "NEXT RUN", "LAST RUN")
        _print_table(header, table)
        return EXIT_OK

    return schedule_guarded("schedule list", body)


def describe(args: argparse.Namespace) -> int:
    """``asl schedule describe NAME``."""

    def body() -> int:
        now = time.time()
        with _store(args, create=False) as store:
            record = _find(store, args)
            out = _view(record)
            out["NextOccurrences"] = next_times(record, now, max(args.count, 0))
            out["LastExecutions"] = last_runs(store, record, 10)
        _print_json(out, indent=2)
        return EXIT_OK

    return schedule_guarded("schedule describe", body)


def _change(args: argparse.Namespace) -> int:
    """``asl schedule delete|pause|resume NAME``."""

    def body() -> int:
        from runtime.schedules.requests import schedule_view

        now = time.time()
        with _store(args) as store:
            record = _find(store, args)
            if args.change == "delete":
                store.delete_schedule(record.arn)
                print(f"deleted schedule {record.group_name}/{record.name}")
                return EXIT_OK
            params = _params_of(schedule_view(record))
            params["State"] = "DISABLED" if args.change == "pause" else "ENABLED"
            record, _ = _save(store, params, now, replace=True)
        print(f"schedule {record.group_name}/{record.name}: {record.state}")
        return EXIT_OK

    return schedule_guarded(f"schedule {args.change}", body)


def next_times(record: Any, now: float, count: int) -> list[str]:
    """The next ``count`` occurrences after ``now`` (ISO-8601 UTC); none while paused."""
    from runtime.schedules import expressions
    from runtime.schedules.backfill import iso

    if record.state != "ENABLED" or count <= 0:
        return []
    expression = expressions.parse(record.schedule_expression)
    anchor = record.start_date if record.start_date is not None else record.creation_date
    found = []
    for moment in expressions.occurrences(
        expression,
        tz=expressions.zone(record.timezone),
        anchor=anchor,
        after=now,
        until=now + 400 * 366 * 86400.0,  # cron years end in 2199
        start=record.start_date,
        end=record.end_date,
    ):
        found.append(iso(moment.timestamp()))
        if len(found) == count:
            break
    return found


def last_runs(store: Any, record: Any, count: int) -> list[dict[str, Any]]:
    """The newest ``count`` executions the schedule started: name, ARN, status, scheduled
    time."""
    from runtime.cli.schedule_fire import started_by

    return started_by(store, record)[:count]


# -- helpers --------------------------------------------------------------------------------------


class _store:
    """``with _store(args) as store``: the store of ``--store``, closed after."""

    def __init__(self, args: argparse.Namespace, *, create: bool = True) -> None:
        from runtime.stores import open_store

        self.store = open_store(args.store, create=create)

    def __enter__(self) -> Any:
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()


def _find(store: Any, args: argparse.Namespace) -> Any:
    from runtime.schedules.requests import schedule_arn
    from runtime.stores import store_location

    group = args.group or "default"
    record = store.get_schedule(schedule_arn(group, args.name))
    if record is None:
        names = sorted(f"{r.group_name}/{r.name}" for r in store.list_schedules())
        known = ", ".join(names[:10]) or "none"
        raise UsageError(
            f"no schedule {args.name!r} in group {group} ({store_location(args.store)}); "
            f"its schedules: {known}"
        )
    return record


def _view(record: Any) -> dict[str, Any]:
    from runtime.schedules.backfill import iso
    from runtime.schedules.requests import schedule_view

    view = schedule_view(record)
    for key in ("CreationDate", "LastModificationDate", "StartDate", "EndDate"):
        if isinstance(view.get(key), int | float):
            view[key] = iso(view[key])
    return view


def _summary(record: Any) -> dict[str, Any]:
    """ListSchedules' item for ``record``, with its expression and time zone (for the list)."""
    from runtime.schedules.backfill import iso
    from runtime.schedules.requests import schedule_summary

    item = schedule_summary(record)
    item.update(
        ScheduleExpression=record.schedule_expression,
        ScheduleExpressionTimezone=record.timezone,
        CreationDate=iso(record.creation_date),
        LastModificationDate=iso(record.last_modification_date),
    )
    return item


def moment(text: str, zone: str, flag: str) -> datetime:
    """An ISO-8601 time; without an offset it is a wall-clock time in ``zone``."""
    from runtime.schedules import expressions

    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{flag} {text!r}: not an ISO-8601 time (2027-01-01T09:00:00, "
            "optionally with Z or +01:00)"
        )
    if value.tzinfo is None:
        try:
            value = value.replace(tzinfo=expressions.zone(zone))
        except expressions.ExpressionError as exc:
            raise UsageError(f"--timezone {zone}: {exc}")
    return value


def duration(text: str, flag: str) -> float:
    """``90``, ``90s``, ``15m``, ``2h``, ``1d`` as seconds."""
    match = _DURATION.match(str(text).lower())
    if match is None:
        raise UsageError(f"{flag} {text!r}: a duration such as 90s, 15m, 2h or 1d")
    unit = (match.group(2) or "s")[0]
    return float(match.group(1)) * _UNIT_SECONDS[unit]


def _json_text(text: str, origin: str) -> str:
    from runtime.core import jsontext

    try:
        jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        raise UsageError(f"invalid input JSON ({origin}): {exc}") from None
    return text


def _read(path: str, flag: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except FileNotFoundError:
        raise UsageError(f"{flag} {path}: no such file")
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot be read: {exc.strerror or exc}")
    except UnicodeDecodeError:
        raise UsageError(f"{flag} {path}: not UTF-8 text")


def _default_role() -> str:
    from runtime.schedules.registry import DEFAULT_ROLE

    return DEFAULT_ROLE


def schedule_guarded(command: str, body: Any) -> int:
    """:func:`runtime.cli.run.guarded`, with the schedule layer's refusals (a request AWS would
    refuse, a bad expression or range, a target that cannot start) as usage errors."""

    def checked() -> int:
        from runtime.schedules.backfill import BackfillError
        from runtime.schedules.expressions import ExpressionError
        from runtime.schedules.firing import StartRefused
        from runtime.schedules.model import ModelUnavailable
        from runtime.schedules.requests import ScheduleRequestError

        try:
            return body()
        except ModelUnavailable as exc:
            raise UsageError(str(exc))
        except ScheduleRequestError as exc:
            raise UsageError(f"{exc.code}: {exc.message}")
        except (BackfillError, ExpressionError) as exc:
            raise UsageError(str(exc))
        except StartRefused as exc:
            raise UsageError(f"cannot start the schedule's target: {exc}")

    return guarded(command, checked)


def _print_json(value: Any, indent: int | None = None) -> None:
    from runtime.cli.executions import _print_json as show

    show(value, indent)


__all__ = ["add_parser", "crontab_to_eventbridge", "duration", "moment", "next_times"]
