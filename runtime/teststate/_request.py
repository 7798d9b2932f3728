"""A TestState request, read and checked member by member (AWS's member names and messages)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.core import jsontext
from runtime.teststate._errors import INVALID_INPUT, TestStateError, refused

LEVELS = ("INFO", "DEBUG", "TRACE")
VALIDATION_MODES = ("STRICT", "PRESENT", "NONE")
_MOCK_MEMBERS = ("result", "errorOutput", "fieldValidationMode")
_CONFIGURATION_MEMBERS = {
    "retrierRetryCount": int,
    "errorCausedByState": str,
    "mapIterationFailureCount": int,
    "mapItemReaderData": str,
}


@dataclass(frozen=True, slots=True)
class Mock:
    """``mock``: a result (``result`` is its value) or an error, and how results are checked."""

    result: Any = None
    has_result: bool = False
    error: str | None = None
    cause: str | None = None
    validation: str = "STRICT"


@dataclass(frozen=True, slots=True)
class Request:
    """A checked TestState request."""

    definition: str
    input: Any
    level: str
    state_name: str | None
    role_arn: str | None
    mock: Mock | None
    variables: dict[str, Any]
    context: dict[str, Any] | None
    retry_count: int = 0
    failure_count: int | None = None
    error_state: str | None = None
    reader_items: Any = None
    has_reader_items: bool = False
    reveal_secrets: bool = False


def read(params: Mapping[str, Any]) -> Request:
    """The request in ``params`` (the API's members); TestStateError when a member is wrong."""
    definition = _text(params, "definition", required=True)
    assert definition is not None
    level = _text(params, "inspectionLevel") or "INFO"
    if level not in LEVELS:
        raise _enum("inspectionLevel", level, LEVELS)
    state_name = _text(params, "stateName")
    if state_name is not None and not state_name:
        raise refused(
            "1 validation error detected: Value '' at 'stateName' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    variables = _json(params, "variables", {})
    if not isinstance(variables, dict):
        raise refused("Invalid variables: the variables must be a JSON object")
    context = _json(params, "context", None)
    if context is not None and not isinstance(context, dict):
        raise refused("Invalid Context object provided: the context must be a JSON object")
    config = params.get("stateConfiguration") or {}
    if not isinstance(config, Mapping):
        raise refused("stateConfiguration must be an object")
    for key, value in config.items():
        kind = _CONFIGURATION_MEMBERS.get(key)
        if kind is None:
            raise refused(
                f"Unknown member stateConfiguration.{key}: expected one of "
                f"{', '.join(_CONFIGURATION_MEMBERS)}"
            )
        if not isinstance(value, kind) or isinstance(value, bool):
            kind_name = "an integer" if kind is int else "a string"
            raise refused(f"stateConfiguration.{key} must be {kind_name}")
        if kind is int and value < 0:
            raise refused(
                f"1 validation error detected: Value '{value}' at 'stateConfiguration.{key}' "
                "failed to satisfy constraint: Member must have value greater than or equal to 0"
            )
    reader_text = config.get("mapItemReaderData")
    reader_items = None
    if reader_text is not None:
        reader_items = _parse(reader_text, "stateConfiguration.mapItemReaderData")
    reveal = params.get("revealSecrets") or False
    if not isinstance(reveal, bool):
        raise refused("revealSecrets must be a boolean")
    return Request(
        definition=definition,
        input=_input(params),
        level=level,
        state_name=state_name,
        role_arn=_text(params, "roleArn"),
        mock=_mock(params.get("mock")),
        variables=variables,
        context=context,
        retry_count=config.get("retrierRetryCount", 0),
        failure_count=config.get("mapIterationFailureCount"),
        error_state=config.get("errorCausedByState"),
        reader_items=reader_items,
        has_reader_items=reader_text is not None,
        reveal_secrets=reveal,
    )


def _mock(value: Any) -> Mock | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise refused("mock must be an object with result or errorOutput")
    unknown = [k for k in value if k not in _MOCK_MEMBERS]
    if unknown:
        raise refused(
            f"Unknown member mock.{unknown[0]}: expected result, errorOutput or fieldValidationMode"
        )
    if "result" in value and "errorOutput" in value:
        raise refused(
            "A test mock should have only one of the following fields: [result, errorOutput]."
        )
    mode = value.get("fieldValidationMode") or "STRICT"
    if mode not in VALIDATION_MODES:
        raise _enum("mock.fieldValidationMode", mode, VALIDATION_MODES)
    if "result" in value:
        text = value["result"]
        if not isinstance(text, str):
            raise refused("Mocked result must be valid JSON")
        try:
            result = jsontext.loads(text)
        except jsontext.JsonTextError:
            raise refused("Mocked result must be valid JSON")
        return Mock(result=result, has_result=True, validation=mode)
    error = value.get("errorOutput")
    if not isinstance(error, Mapping):
        raise refused("A test mock should have one of the following fields: [result, errorOutput].")
    name, cause = error.get("error"), error.get("cause")
    if not isinstance(name, (str, type(None))) or not isinstance(cause, (str, type(None))):
        raise refused("mock.errorOutput.error and mock.errorOutput.cause must be strings")
    return Mock(error=name or "", cause=cause, validation=mode)


def _input(params: Mapping[str, Any]) -> Any:
    text = _text(params, "input")
    if text is None:
        return {}
    try:
        return jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        raise TestStateError(INVALID_INPUT, f"Invalid State Machine Execution Input: '{exc}'")


def _json(params: Mapping[str, Any], key: str, default: Any) -> Any:
    text = _text(params, key)
    return default if text is None else _parse(text, key)


def _parse(text: str, key: str) -> Any:
    try:
        return jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        raise refused(f"Invalid {key}: not a JSON payload ({exc})")


def _text(params: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = params.get(key)
    if value is None:
        if required:
            raise refused(
                f"1 validation error detected: Value null at '{key}' failed to satisfy "
                "constraint: Member must not be null"
            )
        return None
    if not isinstance(value, str):
        raise refused(f"{key} must be a string (JSON text where the API takes JSON)")
    return value


def _enum(key: str, value: str, allowed: tuple[str, ...]) -> TestStateError:
    return refused(
        f"1 validation error detected: Value '{value}' at '{key}' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
    )
