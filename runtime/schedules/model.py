"""EventBridge Scheduler's service model (botocore's) and its member constraints.

:func:`violations` checks a request's members against a botocore shape, as AWS's front end
does: required members, types, lengths, value ranges, patterns and enums, each refusal worded as
AWS words it (``Value 'x' at 'name' failed to satisfy constraint: Member must ...``), and
:func:`validation_message` joins them as AWS's ``ValidationException`` does.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any

SERVICE = "scheduler"
INSTALL_HINT = (
    "schedules are checked against botocore's model of EventBridge Scheduler, and botocore "
    "is not installed: pip install 'asl-engine[aws]'"
)


class ModelUnavailable(RuntimeError):
    """botocore (which knows EventBridge Scheduler's API) is not installed."""


@functools.cache
def service_model() -> Any:
    """botocore's model of the ``scheduler`` service (loaded once); :class:`ModelUnavailable`
    without botocore (an install without the ``aws`` extra)."""
    try:
        import botocore.session
    except ImportError:
        raise ModelUnavailable(INSTALL_HINT) from None
    return botocore.session.get_session().get_service_model(SERVICE)


def input_shape(operation: str) -> Any:
    return service_model().operation_model(operation).input_shape


def error_status(code: str, default: int = 400) -> int:
    """The HTTP status the model gives error ``code`` (``default`` for one it lacks)."""
    for shape in service_model().error_shapes:
        if shape.name == code:
            return int(shape.metadata.get("error", {}).get("httpStatusCode", default))
    return default


def violations(shape: Any, value: Any, path: str = "") -> list[str]:
    """Every constraint of ``shape`` that ``value`` breaks (``[]`` when it is valid)."""
    found: list[str] = []
    _check(shape, value, path, found)
    return found


def validation_message(problems: list[str]) -> str:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: {'; '.join(problems)}"


def _check(shape: Any, value: Any, path: str, found: list[str]) -> None:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            found.append(
                f"Value at '{path}' failed to satisfy constraint: Member must be an object"
            )
            return
        for name, member in shape.members.items():
            where = f"{path}.{_camel(name)}" if path else _camel(name)
            if value.get(name) is None:
                if name in shape.required_members:
                    found.append(
                        f"Value null at '{where}' failed to satisfy constraint: "
                        "Member must not be null"
                    )
                continue
            _check(member, value[name], where, found)
        return
    if kind == "list":
        if not isinstance(value, list):
            found.append(f"Value at '{path}' failed to satisfy constraint: Member must be a list")
            return
        _bounds(len(value), meta, path, value, "length", found)
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}.{index + 1}.member", found)
        return
    if kind == "map":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            found.append(f"Value at '{path}' failed to satisfy constraint: Member must be a map")
        return
    if kind == "string":
        if not isinstance(value, str):
            found.append(f"Value at '{path}' failed to satisfy constraint: Member must be a string")
            return
        enum = meta.get("enum")
        if enum and value not in enum:
            found.append(
                f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(enum)}]"
            )
            return
        _bounds(len(value), meta, path, value, "length", found)
        pattern = meta.get("pattern")
        if pattern and not _compiled(pattern).search(value):
            found.append(
                f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern}"
            )
        return
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            found.append(
                f"Value at '{path}' failed to satisfy constraint: Member must be an integer"
            )
            return
        _bounds(value, meta, path, value, "value", found)
        return
    if kind == "boolean" and not isinstance(value, bool):
        found.append(f"Value at '{path}' failed to satisfy constraint: Member must be a boolean")
    if kind == "timestamp" and (
        isinstance(value, bool) or not isinstance(value, (int, float, str, datetime))
    ):
        found.append(f"Value at '{path}' failed to satisfy constraint: Member must be a timestamp")


def _bounds(
    size: int, meta: dict[str, Any], path: str, value: Any, what: str, found: list[str]
) -> None:
    low, high = meta.get("min"), meta.get("max")
    shown = _show(value) if isinstance(value, (str, int)) else None
    where = f"Value '{shown}' at '{path}'" if shown is not None else f"Value at '{path}'"
    if low is not None and size < low:
        found.append(
            f"{where} failed to satisfy constraint: "
            f"Member must have {what} greater than or equal to {low}"
        )
    if high is not None and size > high:
        found.append(
            f"{where} failed to satisfy constraint: "
            f"Member must have {what} less than or equal to {high}"
        )


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 100 else text[:100] + "..."


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


__all__ = [
    "SERVICE",
    "error_status",
    "input_shape",
    "service_model",
    "validation_message",
    "violations",
]
