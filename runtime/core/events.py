"""History events shaped like GetExecutionHistory, and the JSON rendering AWS uses in them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

# Event type -> the name of its details object ("TaskStateEntered" -> "stateEnteredEventDetails").
_DETAILS_OVERRIDES = {
    "StateEntered": "stateEnteredEventDetails",
    "StateExited": "stateExitedEventDetails",
}


def details_key(event_type: str) -> str:
    """The key of an event type's details object, as GetExecutionHistory names it."""
    for suffix, key in _DETAILS_OVERRIDES.items():
        if event_type.endswith(suffix) and event_type != suffix:
            return key
    return event_type[0].lower() + event_type[1:] + "EventDetails"


class _LastConversion:
    """A conversion that remembers its last result: runs of events share a timestamp.

    The last (key, text) pair is one tuple, read and replaced atomically, so threads never see
    a mixed pair.
    """

    __slots__ = ("_convert", "_last")

    def __init__(self, convert: Any) -> None:
        self._convert = convert
        self._last: tuple[Any, str] = (None, "")

    def __call__(self, key: Any) -> str:
        last = self._last
        if key == last[0]:
            return last[1]
        text = self._convert(key)
        self._last = (key, text)
        return text


def is_task_attempt(event_type: str) -> bool:
    """Whether ``event_type`` records a task attempt (TaskScheduled, LambdaFunctionStarted,
    ActivitySucceeded...) rather than a state's own progress (TaskStateEntered...)."""
    return event_type.startswith(("Task", "LambdaFunction", "Activity")) and not (
        event_type.startswith("TaskState")
    )


def _iso_millis(moment: datetime) -> str:
    """``2026-01-02T03:04:05.678Z``: a UTC time as the context object shows it (cached)."""
    utc = moment.astimezone(UTC) if moment.utcoffset() else moment
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _iso_of_millis(millis: int) -> str:
    """:func:`iso_millis` of a time given in milliseconds since the epoch (cached)."""
    return _iso_millis(from_millis(millis))


def _isoformat_of_millis(millis: int) -> str:
    """``datetime.isoformat()`` of a UTC time given in milliseconds since the epoch (cached)."""
    return from_millis(millis).isoformat()


iso_millis = _LastConversion(_iso_millis)
iso_of_millis = _LastConversion(_iso_of_millis)
isoformat_of_millis = _LastConversion(_isoformat_of_millis)


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _c_encoder(default: Any) -> Any:
    """json's C encoder made once (``JSONEncoder.encode`` makes one per call): compact,
    non-ASCII kept, as ``_ENCODER``. None where the C accelerator is missing."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    basestring = json.encoder.encode_basestring
    return make(None, default, basestring, None, ":", ",", False, False, True)


_C_ENCODE = _c_encoder(_not_json)


TOO_DEEP_CAUSE = (
    "The value is nested deeper than 512 levels of objects and arrays, more than a JSON payload "
    "may; flatten it or keep it out of the state's output."
)


def to_json(value: Any) -> str:
    """JSON text as AWS writes payloads in history and outputs: compact, non-ASCII kept.

    A value nested beyond what the encoder can write raises ``StatesError('States.Runtime')``:
    inside a state it ends the execution FAILED (a payload AWS could not serialize either)."""
    try:
        if _C_ENCODE is None or type(value) is str:
            return _ENCODER.encode(value)
        return "".join(_C_ENCODE(value, 0))
    except RecursionError:
        from asl.errors import RUNTIME, StatesError

        raise StatesError(RUNTIME, TOO_DEEP_CAUSE) from None


class Payload:
    """A JSON value carried in an event, rendered to JSON text only when someone reads it.

    ``str(payload)`` is the JSON text (what GetExecutionHistory shows); ``payload.value`` the
    value itself. Values in history are never mutated, so the text is computed at most once.
    ``bound`` is an upper bound of the value's size in UTF-8 JSON once the payload quota check
    has measured it, else -1; ``depth`` likewise bounds its nesting depth (-1: not measured, or,
    with a ``bound`` of at most 1 KiB, at most half the bound: each level takes 2 bytes).
    """

    __slots__ = ("_text", "bound", "depth", "value")

    def __init__(
        self, value: Any, text: str | None = None, bound: int = -1, depth: int = -1
    ) -> None:
        self.value = value
        self._text = text
        self.bound = bound
        self.depth = depth

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = to_json(self.value)
        return self._text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Payload({self.text})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Payload):
            return self.text == other.text
        if isinstance(other, str):
            return self.text == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.text)


EventDetails = dict[str, Any] | tuple[str, Any] | None
"""An event's details as recorded: a dict, None, or a state's entry/exit or a Map iteration's
event in compact form (see :func:`state_details`)."""


def payload_text(value: Any) -> str:
    """``default=`` hook for json.dumps: a Payload encodes as its JSON text."""
    if isinstance(value, Payload):
        return value.text
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_quote = json.encoder.encode_basestring
_NOT_TRUNCATED_JSON = '{"truncated":false}'


_STATE_JSON_ENTERED = '{"name":%s,"input":%s,"inputDetails":{"truncated":false}}'
_STATE_JSON_EXITED = '{"name":%s,"output":%s,"outputDetails":{"truncated":false}}'
# A state's entry or exit, the commonest details: one format each.
_STATE_DETAILS_JSON: dict[tuple[str, ...], str] = {
    ("name", "input", "inputDetails"): _STATE_JSON_ENTERED,
    ("name", "output", "outputDetails"): _STATE_JSON_EXITED,
}


def details_json(details: dict[str, Any]) -> str:
    """An event's details as JSON text, each payload as its JSON text in a string (the shape
    GetExecutionHistory gives); the usual members are written directly, the rest encoded."""
    if len(details) == 3:
        template = _STATE_DETAILS_JSON.get(tuple(details))
        if template is not None:
            name, payload, flag = details.values()
            if type(name) is str and type(payload) is Payload and flag is _NOT_TRUNCATED:
                return template % (_quote(name), _quote(payload.text))
    parts = []
    for key, value in details.items():
        kind = type(value)
        if kind is Payload:
            text = _quote(value.text)
        elif kind is str:
            text = _quote(value)
        elif value is _NOT_TRUNCATED:
            text = _NOT_TRUNCATED_JSON
        elif kind is int:
            text = str(value)
        elif _C_DETAILS is not None:
            text = "".join(_C_DETAILS(value, 0))
        else:
            text = _DETAILS_ENCODER.encode(value)
        parts.append(f"{_quote(key)}:{text}")
    return "{" + ",".join(parts) + "}"


_C_DETAILS = _c_encoder(payload_text)
_DETAILS_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=payload_text)


def render_details(details: dict[str, Any] | None) -> dict[str, Any] | None:
    """Event details with every Payload rendered as JSON text."""
    if details is None:
        return None
    return {k: v.text if isinstance(v, Payload) else v for k, v in details.items()}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_millis(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime (exact, no float rounding)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_millis(millis: int) -> datetime:
    """The UTC datetime of a count of milliseconds since the epoch."""
    return _EPOCH + timedelta(milliseconds=millis)


def state_details(event_type: str, compact: tuple[str, Any]) -> dict[str, Any]:
    """The details of an event recorded in compact form: ``(name, payload)`` for a
    ``...StateEntered``/``...StateExited`` event, ``(name, index)`` for a ``MapIteration...``
    one. The hot path keeps a pair, not a dict, for every state it runs and every iteration."""
    name, second = compact
    if event_type.startswith("MapIteration"):
        return {"index": second, "name": name}
    if event_type.endswith("Entered"):
        return {"name": name, "input": second, "inputDetails": _NOT_TRUNCATED}
    return {"name": name, "output": second, "outputDetails": _NOT_TRUNCATED}


class Event:
    """One history event. ``frame`` is our internal scope key (not part of AWS's shape).

    The time is kept as milliseconds since the epoch (``millis``), as the clock gives it;
    ``timestamp`` is the same instant as a datetime, made when first asked for. Either form may be
    passed to the constructor. ``details`` may be given in compact form, ``(name, payload)`` for
    a state's entry or exit and ``(name, index)`` for a Map iteration's event (see
    :func:`state_details`): the event reads as a dict, made when first asked for, and
    :meth:`details_json` writes the compact form directly.
    """

    __slots__ = ("_datetime", "_details", "frame", "id", "millis", "previous_event_id", "type")

    def __init__(
        self,
        id: int,
        previous_event_id: int,
        timestamp: datetime | int,
        type: str,
        details: EventDetails = None,
        frame: str = "",
    ) -> None:
        self.id = id
        self.previous_event_id = previous_event_id
        if isinstance(timestamp, int):
            self.millis = timestamp
            self._datetime = None
        else:
            self.millis = to_millis(timestamp)
            self._datetime = timestamp
        self.type = type
        self._details = details
        self.frame = frame

    @property
    def details(self) -> dict[str, Any] | None:
        details = self._details
        if details.__class__ is tuple:
            details = self._details = state_details(self.type, details)
        return details  # type: ignore[return-value]

    def details_json(self) -> str | None:
        """The details as JSON text, as :func:`details_json` writes them (None without)."""
        details = self._details
        if details is None:
            return None
        if details.__class__ is tuple:
            name, second = details
            kind = self.type
            if kind.startswith("MapIteration"):
                index = second if type(second) is int else to_json(second)
                return f'{{"index":{index},"name":{_quote(name)}}}'
            template = _STATE_JSON_ENTERED if kind.endswith("Entered") else _STATE_JSON_EXITED
            return template % (_quote(name), _quote(second.text))
        return details_json(details)  # type: ignore[arg-type]

    def isoformat(self) -> str:
        """The timestamp in ISO 8601 (``datetime.isoformat``), without making a datetime."""
        if self._datetime is None:
            return isoformat_of_millis(self.millis)
        return self._datetime.isoformat()

    @property
    def timestamp(self) -> datetime:
        moment = self._datetime
        if moment is None:
            moment = self._datetime = from_millis(self.millis)
        return moment

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return (
            self.id == other.id
            and self.previous_event_id == other.previous_event_id
            and self.millis == other.millis
            and self.type == other.type
            and self.details == other.details
            and self.frame == other.frame
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Event(id={self.id}, previous_event_id={self.previous_event_id}, "
            f"timestamp={self.timestamp.isoformat()}, type={self.type!r}, "
            f"details={self.details!r}, frame={self.frame!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The event as GetExecutionHistory returns it (timestamp as an ISO 8601 string)."""
        out: dict[str, Any] = {
            "timestamp": self.isoformat(),
            "type": self.type,
            "id": self.id,
            "previousEventId": self.previous_event_id,
        }
        if self.details is not None:
            out[details_key(self.type)] = render_details(self.details)
        return out


_NOT_TRUNCATED = {"truncated": False}


def payload_details(key: str, value: Any, text: str | None = None) -> dict[str, Any]:
    """``{"input": <json>, "inputDetails": {"truncated": false}}`` style fields."""
    return {
        key: value if isinstance(value, Payload) else Payload(value, text),
        key + "Details": _NOT_TRUNCATED,
    }
