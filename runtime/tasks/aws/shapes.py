"""A Task's Parameters as an API request, and an API response as the task result AWS gives.

Requests (:func:`to_request`): fields are the API's members in PascalCase (``JobName`` for Batch's
``jobName``); a field the input shape lacks fails as AWS fails it (``The field "X" is not
supported by Step Functions``); ``null`` is an absent member; a value that is not a string where
the API takes one is sent as its JSON text (an SQS ``MessageBody`` object, an SNS ``Message``,
EventBridge ``Detail``); a request's streamed body (S3 ``Body``, Lambda ``Payload``) is always
the value's JSON text (``"text"`` becomes ``"\\"text\\""``, as AWS writes an S3 object from a
string), any other blob a base64 string (or JSON text for a value that is not a string).
Required members left out fail with the service's validation error (``1 validation error
detected: Value null at 'item' failed to satisfy constraint: Member must not be null``), which
botocore would otherwise refuse before sending.

Results (:func:`to_result`): the parsed response without ``ResponseMetadata``, members in
PascalCase, a streamed body (S3 ``Body``) as its text, other blobs in base64, timestamps as ISO
8601 text (``aws-sdk``, the Java SDK 2.x) or epoch milliseconds (optimized integrations, the Java
SDK 1.x). :func:`http_metadata` gives the ``SdkHttpMetadata``/``SdkResponseMetadata`` pair the
optimized integrations of the Java SDK 1.x add.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from runtime.tasks.aws.errors import ServiceFailure, unsupported_field, unusable_parameters

Timestamps = Callable[[datetime], Any]


def iso_instant(moment: datetime) -> str:
    """``moment`` as Java's ``Instant.toString()`` writes it: ``2024-05-01T12:00:00.250Z``."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    micros = moment.microsecond
    if micros == 0:
        return text + "Z"
    if micros % 1000 == 0:
        return f"{text}.{micros // 1000:03d}Z"
    return f"{text}.{micros:06d}Z"


def epoch_millis(moment: datetime) -> int:
    """``moment`` in milliseconds since the epoch (how the Java SDK 1.x writes a Date)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def pascal(name: str) -> str:
    """A member's name as Step Functions spells it: its first letter upper-cased."""
    return name[:1].upper() + name[1:]


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# -- requests -----------------------------------------------------------------------------------


def refuse_fields(parameters: Any, allowed: frozenset[str]) -> None:
    """Fail (``States.Runtime``) on a top-level field the integration does not accept."""
    if isinstance(parameters, dict):
        for key in parameters:
            if key not in allowed:
                raise unsupported_field(parameters, key)


def to_request(parameters: Any, shape: Any, *, shown: Any = None) -> dict[str, Any]:
    """boto3's keyword arguments for ``parameters`` against an operation's input ``shape``.

    Raises ``StatesError`` (``States.Runtime``, quoting ``shown``, default ``parameters``) for a
    field the API does not have, :class:`ServiceFailure` for required members left out.
    """
    if parameters is None:
        parameters = {}
    shown = parameters if shown is None else shown
    if not isinstance(parameters, dict):
        raise unusable_parameters(shown, "The Parameters must be a JSON object")
    if shape is None:
        if parameters:
            raise unsupported_field(shown, next(iter(parameters)))
        return {}
    problems: list[str] = []
    request = _structure(shown, parameters, shape, "", problems)
    if problems:
        count = len(problems)
        raise ServiceFailure(
            "ValidationException",
            f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems),
            400,
        )
    return request


def _structure(
    root: Any, value: dict[str, Any], shape: Any, path: str, problems: list[str]
) -> dict[str, Any]:
    members = shape.members
    names = _member_names(shape)
    payload = shape.serialization.get("payload")
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = names.get(key)
        if name is None:
            raise unsupported_field(root, key)
        if item is None:
            continue
        member = members[name]
        if member.type_name == "blob":
            streamed = name == payload or member.serialization.get("streaming")
            out[name] = _blob(root, key, item, bool(streamed))
        else:
            where = f"{path}.{_lower(name)}" if path else _lower(name)
            out[name] = _value(root, item, member, where, problems)
    for name in shape.required_members:
        if name not in out:
            where = f"{path}.{_lower(name)}" if path else _lower(name)
            problems.append(
                f"Value null at '{where}' failed to satisfy constraint: Member must not be null"
            )
    return out


def _value(root: Any, value: Any, shape: Any, path: str, problems: list[str]) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict) and not shape.is_document_type:
        return _structure(root, value, shape, path, problems)
    if kind == "list" and isinstance(value, list):
        member = shape.member
        return [_value(root, item, member, f"{path}.member", problems) for item in value]
    if kind == "map" and isinstance(value, dict):
        member = shape.value
        return {k: _value(root, v, member, f"{path}.{k}", problems) for k, v in value.items()}
    if kind == "string" and not isinstance(value, str):
        return _json_text(value)
    if kind == "blob":
        return _blob(root, path, value, False)
    return value


def _blob(root: Any, field: str, value: Any, streamed: bool) -> bytes:
    """A blob member's bytes: a streamed body's JSON text; else a base64 string decoded."""
    if streamed or not isinstance(value, str):
        return _json_text(value).encode()
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise unusable_parameters(
            root, f"The value for the field '{field}' must be a base64-encoded STRING"
        ) from None


_NAMES: dict[int, tuple[Any, dict[str, str]]] = {}


def _member_names(shape: Any) -> dict[str, str]:
    """PascalCase field -> member name, per structure shape (remembered with the shape, which
    the entry keeps alive so that its id is never another's)."""
    entry = _NAMES.get(id(shape))
    if entry is None:
        entry = _NAMES[id(shape)] = (shape, {pascal(name): name for name in shape.members})
    return entry[1]


def _lower(name: str) -> str:
    return name[:1].lower() + name[1:]


# -- results ------------------------------------------------------------------------------------


def to_result(response: dict[str, Any], shape: Any, timestamps: Timestamps) -> dict[str, Any]:
    """The task result for a parsed boto3 ``response`` of an operation with output ``shape``."""
    if shape is None:
        return {}
    return _out_structure(response, shape, timestamps)


def _out_structure(value: dict[str, Any], shape: Any, timestamps: Timestamps) -> dict[str, Any]:
    members = shape.members
    out: dict[str, Any] = {}
    for name, item in value.items():
        member = members.get(name)
        if member is not None:
            out[pascal(name)] = _out(item, member, timestamps)
    return out


def _out(value: Any, shape: Any, timestamps: Timestamps) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict) and not shape.is_document_type:
        return _out_structure(value, shape, timestamps)
    if kind == "list" and isinstance(value, list):
        member = shape.member
        return [_out(item, member, timestamps) for item in value]
    if kind == "map" and isinstance(value, dict):
        member = shape.value
        return {k: _out(v, member, timestamps) for k, v in value.items()}
    if isinstance(value, datetime):
        return timestamps(value)
    if hasattr(value, "read"):  # a streamed payload (S3 Body): its text
        return value.read().decode("utf-8", "replace")
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return value


def http_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """``SdkHttpMetadata`` and ``SdkResponseMetadata`` for a response's ``ResponseMetadata``."""
    raw = metadata.get("RawHeaders")
    if raw is None:
        raw = list((metadata.get("HTTPHeaders") or {}).items())
    every: dict[str, list[str]] = {}
    for name, value in raw:
        every.setdefault(name, []).append(value)
    joined = {
        name: ",".join(values) for name, values in sorted(every.items(), key=lambda i: i[0].lower())
    }
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": every,
            "HttpHeaders": joined,
            "HttpStatusCode": int(metadata.get("HTTPStatusCode") or 200),
        },
        "SdkResponseMetadata": {"RequestId": metadata.get("RequestId")},
    }


__all__ = [
    "epoch_millis",
    "http_metadata",
    "iso_instant",
    "pascal",
    "refuse_fields",
    "to_request",
    "to_result",
]
