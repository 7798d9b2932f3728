"""Schedules from CreateSchedule/UpdateSchedule requests, validated as EventBridge validates.

Members come in the API's PascalCase shape (the REST front, ``asl schedule`` and templates build
the same dict). The members' own constraints (lengths, patterns, enums, ranges, required) are
checked against botocore's model of the ``scheduler`` service (:mod:`.model`); then AWS's
semantic rules: the expression parses (:mod:`.expressions`), the time zone exists, a FLEXIBLE
window has a size and an OFF window none, EndDate is after StartDate, a recurring schedule does
not start more than five minutes ago. Beyond EventBridge, ``OverlapPolicy`` and
``CatchupWindowSeconds`` set the two Temporal-like policies.

Only Step Functions targets run here: a state machine ARN (or a version or alias ARN), or the
universal target ``arn:aws:scheduler:::aws-sdk:sfn:startExecution`` whose Input is
StartExecution's request (``StateMachineArn``, optional ``Input`` and ``Name``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from runtime.core import jsontext
from runtime.core.arns import ACCOUNT, REGION
from runtime.schedules.model import input_shape, validation_message, violations
from runtime.stores.schedules import DEFAULT_GROUP, ScheduleGroupRecord, ScheduleRecord

UNIVERSAL_START = "arn:aws:scheduler:::aws-sdk:sfn:startExecution"
OVERLAP_POLICIES = ("SKIP", "BUFFER_ONE", "ALLOW_ALL")
START_DATE_GRACE = 300.0  # a recurring schedule may start at most 5 minutes ago
_EXTENSIONS = ("OverlapPolicy", "CatchupWindowSeconds")


class ScheduleRequestError(Exception):
    """A refused request: ``code`` is AWS's error name (ValidationException,
    ConflictException, ResourceNotFoundException), ``message`` its message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> ScheduleRequestError:
    return ScheduleRequestError("ValidationException", message)


def schedule_arn(group: str, name: str) -> str:
    return f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{group}/{name}"


def group_arn(name: str) -> str:
    return f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{name}"


def new_schedule(params: dict[str, Any], *, now: float) -> ScheduleRecord:
    """A new schedule from CreateSchedule's members (see the module's docstring)."""
    _check_members("CreateSchedule", params)
    group = params.get("GroupName") or DEFAULT_GROUP
    name = params["Name"]
    record = ScheduleRecord(
        arn=schedule_arn(group, name),
        name=name,
        group_name=group,
        schedule_expression=params["ScheduleExpression"],
        target=dict(params["Target"]),
        creation_date=now,
        last_modification_date=now,
    )
    return _fill(record, params, now=now, previous=None)


def updated_schedule(
    existing: ScheduleRecord, params: dict[str, Any], *, now: float
) -> ScheduleRecord:
    """``existing`` as UpdateSchedule's members make it: like AWS, every member is replaced
    (one left out takes its default), except our extensions, which keep their value when left
    out (boto3 cannot send them)."""
    _check_members("UpdateSchedule", params)
    group = params.get("GroupName") or DEFAULT_GROUP
    if params["Name"] != existing.name or group != existing.group_name:
        raise ScheduleRequestError(
            "ResourceNotFoundException", f"Schedule {params['Name']} does not exist."
        )
    record = ScheduleRecord(
        arn=existing.arn,
        name=existing.name,
        group_name=existing.group_name,
        schedule_expression=params["ScheduleExpression"],
        target=dict(params["Target"]),
        creation_date=existing.creation_date,
        last_modification_date=now,
        overlap_policy=existing.overlap_policy,
        catchup_window=existing.catchup_window,
    )
    return _fill(record, params, now=now, previous=existing)


def default_group(store: Any, *, now: float) -> ScheduleGroupRecord:
    """The ``default`` schedule group of ``store``, created on first use."""
    found = store.get_schedule_group(DEFAULT_GROUP)
    if found is not None:
        return found
    record = ScheduleGroupRecord(group_arn(DEFAULT_GROUP), DEFAULT_GROUP, now, now)
    return store.add_schedule_group(record)[0]


def schedule_view(record: ScheduleRecord) -> dict[str, Any]:
    """GetSchedule's response members (dates as epoch seconds); our extensions only when set."""
    view: dict[str, Any] = {
        "Arn": record.arn,
        "Name": record.name,
        "GroupName": record.group_name,
        "ScheduleExpression": record.schedule_expression,
        "ScheduleExpressionTimezone": record.timezone,
        "State": record.state,
        "FlexibleTimeWindow": dict(record.flexible_time_window),
        "Target": dict(record.target),
        "ActionAfterCompletion": record.action_after_completion,
        "CreationDate": record.creation_date,
        "LastModificationDate": record.last_modification_date,
    }
    if record.description:
        view["Description"] = record.description
    for key, value in (
        ("StartDate", record.start_date),
        ("EndDate", record.end_date),
        ("KmsKeyArn", record.kms_key_arn),
        ("OverlapPolicy", record.overlap_policy),
        ("CatchupWindowSeconds", record.catchup_window),
    ):
        if value is not None:
            view[key] = value
    return view


def schedule_summary(record: ScheduleRecord) -> dict[str, Any]:
    """ListSchedules' item (a ScheduleSummary) for ``record``."""
    return {
        "Arn": record.arn,
        "Name": record.name,
        "GroupName": record.group_name,
        "State": record.state,
        "CreationDate": record.creation_date,
        "LastModificationDate": record.last_modification_date,
        "Target": {"Arn": record.target.get("Arn")},
    }


def group_view(record: ScheduleGroupRecord) -> dict[str, Any]:
    """GetScheduleGroup's response members."""
    return {
        "Arn": record.arn,
        "Name": record.name,
        "State": record.state,
        "CreationDate": record.creation_date,
        "LastModificationDate": record.last_modification_date,
    }


def timestamp(value: Any, member: str) -> float | None:
    """A date member as epoch seconds: a number, a datetime (naive: UTC) or ISO-8601 text."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise invalid(f"Invalid {member} '{value}': expected epoch seconds or ISO-8601")
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    raise invalid(f"Invalid {member}: expected epoch seconds or ISO-8601")


# -- the checks ----------------------------------------------------------------------------------


def _check_members(operation: str, params: dict[str, Any]) -> None:
    if not isinstance(params, dict):
        raise invalid("The request must be an object of members")
    members = {k: v for k, v in params.items() if k not in _EXTENSIONS}
    problems = violations(input_shape(operation), members)
    if problems:
        raise invalid(validation_message(problems))


def _fill(
    record: ScheduleRecord, params: dict[str, Any], *, now: float, previous: ScheduleRecord | None
) -> ScheduleRecord:
    from runtime.schedules import expressions

    try:
        expression = expressions.parse(record.schedule_expression)
        record.timezone = params.get("ScheduleExpressionTimezone") or "UTC"
        expressions.zone(record.timezone)
    except expressions.ExpressionError as exc:
        raise invalid(str(exc))
    record.start_date = timestamp(params.get("StartDate"), "StartDate")
    record.end_date = timestamp(params.get("EndDate"), "EndDate")
    _check_dates(record, expression.one_time, now, previous)
    record.flexible_time_window = _window(params["FlexibleTimeWindow"])
    _check_target(record.target)
    record.description = params.get("Description") or ""
    record.state = params.get("State") or "ENABLED"
    record.action_after_completion = params.get("ActionAfterCompletion") or "NONE"
    record.kms_key_arn = params.get("KmsKeyArn")
    if params.get("OverlapPolicy") is not None:
        record.overlap_policy = _overlap(params["OverlapPolicy"])
    if params.get("CatchupWindowSeconds") is not None:
        record.catchup_window = _catchup(params["CatchupWindowSeconds"])
    return record


def _check_dates(
    record: ScheduleRecord, one_time: bool, now: float, previous: ScheduleRecord | None
) -> None:
    start, end = record.start_date, record.end_date
    if start is not None and end is not None and end <= start:
        raise invalid("The EndDate you specify must be later than the StartDate.")
    unchanged = previous is not None and previous.start_date == start
    if start is not None and not one_time and not unchanged and start < now - START_DATE_GRACE:
        raise invalid("The StartDate you specify cannot be earlier than 5 minutes ago.")


def _window(window: dict[str, Any]) -> dict[str, Any]:
    mode, size = window["Mode"], window.get("MaximumWindowInMinutes")
    if mode == "FLEXIBLE" and size is None:
        raise invalid(
            "MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE "
            "(1 to 1440 minutes)."
        )
    if mode == "OFF" and size is not None:
        raise invalid(
            "MaximumWindowInMinutes must not be given when FlexibleTimeWindow Mode is OFF."
        )
    return {"Mode": mode, **({"MaximumWindowInMinutes": size} if size is not None else {})}


def _check_target(target: dict[str, Any]) -> None:
    """The target must start an execution (:func:`.targets.resolve`, with sample context
    attributes) whose input is JSON."""
    from runtime.schedules import targets

    sample = targets.context_attributes(
        schedule_arn(DEFAULT_GROUP, "sample"), "2024-01-01T00:00:00Z", "sample", 1
    )
    try:
        resolved = targets.resolve(target, sample)
    except targets.TargetError as exc:
        raise invalid(f"Invalid Target: {exc}.")
    _json(resolved.input, "Target.Input" if target["Arn"] != UNIVERSAL_START else "Input")


def _json(text: str, member: str) -> Any:
    try:
        return jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        raise invalid(f"Invalid Target: {member} is not JSON ({exc}).")


def _overlap(value: Any) -> str:
    if value not in OVERLAP_POLICIES:
        raise invalid(
            f"Value '{value}' at 'overlapPolicy' failed to satisfy constraint: Member must "
            f"satisfy enum value set: [{', '.join(OVERLAP_POLICIES)}]"
        )
    return str(value)


def _catchup(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise invalid(
            f"Value '{value}' at 'catchupWindowSeconds' failed to satisfy constraint: "
            "Member must be a number of seconds greater than or equal to 0"
        )
    return float(value)


__all__ = [
    "OVERLAP_POLICIES",
    "UNIVERSAL_START",
    "ScheduleRequestError",
    "default_group",
    "group_arn",
    "group_view",
    "new_schedule",
    "schedule_arn",
    "schedule_view",
    "timestamp",
    "updated_schedule",
]
