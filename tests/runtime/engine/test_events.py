"""Events keep their time in milliseconds; either form goes in, both come out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from runtime.core.events import (
    _NOT_TRUNCATED,
    Event,
    Payload,
    details_json,
    from_millis,
    iso_of_millis,
    to_json,
    to_millis,
)
from runtime.drivers.clock import RealClock, VirtualClock

MOMENTS = [
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2026, 11, 22, 23, 59, 59, 999_000, tzinfo=UTC),
    datetime(2024, 2, 29, 12, 0, 0, 1_000, tzinfo=timezone(timedelta(hours=5))),
    datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_millis_round_trip(moment: datetime) -> None:
    millis = to_millis(moment)
    assert from_millis(millis) == moment
    assert Event(1, 0, moment, "X").millis == millis
    assert Event(1, 0, millis, "X").timestamp == moment
    assert Event(1, 0, moment, "X") == Event(1, 0, millis, "X")


def test_iso_of_millis() -> None:
    assert iso_of_millis(0) == "1970-01-01T00:00:00.000Z"
    assert iso_of_millis(1_795_391_999_999) == "2026-11-22T23:59:59.999Z"


def test_clocks_give_whole_milliseconds() -> None:
    real = RealClock()
    assert real.now().microsecond % 1000 == 0
    assert abs(to_millis(real.now()) - real.now_ms()) < 1000
    start = datetime(2026, 1, 1, 0, 0, 0, 123_456, tzinfo=UTC)
    virtual = VirtualClock(start)
    assert virtual.now() == datetime(2026, 1, 1, 0, 0, 0, 123_000, tzinfo=UTC)
    virtual.advance(1.5)
    assert virtual.now_ms() == to_millis(start) + 1500


def test_event_dict_and_equality() -> None:
    event = Event(3, 2, 1_000, "PassStateEntered", {"name": "A", "input": "{}"}, "f")
    assert event.to_dict() == {
        "timestamp": "1970-01-01T00:00:01+00:00",
        "type": "PassStateEntered",
        "id": 3,
        "previousEventId": 2,
        "stateEnteredEventDetails": {"name": "A", "input": "{}"},
    }
    assert event != Event(3, 2, 1_001, "PassStateEntered", {"name": "A", "input": "{}"}, "f")
    assert "PassStateEntered" in repr(event)


@pytest.mark.parametrize(
    "value",
    [None, True, 1, -2.5, 1e300, 'é\n"', [], {}, {"a": [1, {"b": "ü"}]}, [float("inf")]],
    ids=repr,
)
def test_to_json_is_compact_and_keeps_non_ascii(value: object) -> None:
    import json

    assert to_json(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_to_json_refuses_what_is_not_json() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        to_json({"a": object()})


DETAILS = [
    {
        "name": "S",
        "input": Payload({"a": "é", "b": [1, 2.5, None]}),
        "inputDetails": _NOT_TRUNCATED,
    },
    {"name": "S", "output": Payload("x\ny"), "outputDetails": {"truncated": False}},
    {"name": 'q"\u2028é', "output": Payload({"k": "\x00"}), "outputDetails": _NOT_TRUNCATED},
    {"name": "S", "input": "text, not a payload", "inputDetails": _NOT_TRUNCATED},
    {"input": Payload(1), "name": "S", "inputDetails": _NOT_TRUNCATED},  # another order
    {"error": "States.Runtime", "cause": 'bad "quote"'},
    {"index": 3, "name": "M", "flag": True, "ratio": 0.5, "none": None},
    {"assignedVariables": {"x": "1"}, "assignedVariablesDetails": _NOT_TRUNCATED},
    {"nested": {"payload": Payload([1])}},
    {"resourceType": "lambda", "timeoutInSeconds": 10, "heartbeatInSeconds": 2},
]


@pytest.mark.parametrize("details", DETAILS, ids=lambda d: ",".join(d))
def test_details_json_is_the_rendered_details(details: dict) -> None:
    import json

    text = details_json(details)
    expected = json.dumps(
        details,
        separators=(",", ":"),
        ensure_ascii=False,
        default=lambda p: p.text,
    )
    assert text == expected
    assert json.loads(text) == json.loads(expected)


@pytest.mark.parametrize("kind", ["PassStateEntered", "TaskStateExited"])
def test_compact_details_read_and_write_as_the_dict(kind: str) -> None:
    payload = Payload({"k": 'é"\n'})
    compact = Event(2, 1, 5, kind, ("S\u2028", payload))
    key = "input" if kind.endswith("Entered") else "output"
    expected = {"name": "S\u2028", key: payload, key + "Details": _NOT_TRUNCATED}
    assert compact.details_json() == details_json(expected)
    assert compact.details == expected
    assert compact.details is compact.details  # made once
    assert compact == Event(2, 1, 5, kind, expected)
    assert compact.to_dict() == Event(2, 1, 5, kind, expected).to_dict()
    assert Event(1, 0, 0, "ExecutionAborted").details_json() is None


@pytest.mark.parametrize("kind", ["MapIterationStarted", "MapIterationSucceeded"])
def test_compact_iteration_details(kind: str) -> None:
    compact = Event(3, 2, 5, kind, ("Each", 7))
    expected = {"index": 7, "name": "Each"}
    assert compact.details_json() == details_json(expected)
    assert compact.details == expected
    assert list(compact.details) == ["index", "name"]  # AWS's order
