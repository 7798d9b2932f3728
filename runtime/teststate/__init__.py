"""TestState: run one state once, as AWS's TestState API does, and show its data flow.

Shared by ``asl serve`` (the API's TestState action), ``asl test-state`` and
``runtime.test_state``; no transport here. :func:`answer` takes the API's request members and
returns its response members; :func:`test_state` is the Python call, with keyword options.

* The definition is one state, or a whole machine with ``stateName`` naming any state in it
  (inside Map and Parallel states too).
* ``inspectionLevel`` INFO, DEBUG or TRACE: see :mod:`._inspection` for what each shows.
* ``mock``: a ``result`` (checked against the service's API shape, ``fieldValidationMode``
  STRICT, PRESENT or NONE: :mod:`._shapes`) or an ``errorOutput``. Task, Map and Parallel states
  take mocks; Map and Parallel states need one. An unmocked Task runs through the caller's
  task routing (and needs ``roleArn``, as on AWS).
* ``stateConfiguration``: ``retrierRetryCount`` (the attempt a retrier is at),
  ``mapIterationFailureCount`` (failed iterations of a mocked Map), ``errorCausedByState``,
  ``mapItemReaderData``.
* ``context`` is the context object, used exactly as given; ``variables`` the variables in scope.

Statuses: SUCCEEDED, FAILED, RETRIABLE (a retrier would retry: ``retryIndex`` and
``retryBackoffIntervalSeconds``), CAUGHT_ERROR (a catcher took the error: ``catchIndex``). A
refused call raises :class:`TestStateError` with AWS's error code and message. Nothing waits: a
Wait state or a retry's backoff passes at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from runtime.teststate._errors import TestStateError
from runtime.teststate._request import LEVELS, VALIDATION_MODES
from runtime.teststate._run import Environment, answer

__all__ = [
    "LEVELS",
    "VALIDATION_MODES",
    "Environment",
    "TestStateError",
    "answer",
    "environment",
    "local_role",
    "test_state",
]

_UNSET: Any = object()


def test_state(
    definition: str | Path | Mapping[str, Any],
    *,
    input: Any = _UNSET,
    state_name: str | None = None,
    inspection_level: str = "INFO",
    mock_result: Any = _UNSET,
    mock_error: str | None = None,
    mock_cause: str | None = None,
    field_validation_mode: str | None = None,
    context: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    state_configuration: Mapping[str, Any] | None = None,
    role_arn: str | None = None,
    lambdas: Mapping[str, str | Callable[..., Any]] | None = None,
    bind: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Test one state as AWS's TestState does; the response as the API returns it.

    ``definition`` is a path, JSON text or a mapping: one state, or a whole machine with
    ``state_name``. ``input``, ``context`` and ``variables`` are Python values; ``mock_result``
    (a value) or ``mock_error``/``mock_cause`` mock the state; ``state_configuration`` takes
    the API's members (``retrierRetryCount``, ``mapIterationFailureCount``,
    ``errorCausedByState``, ``mapItemReaderData``). Unmocked tasks run through the same routes
    as ``runtime.execute`` (``lambdas``, ``bind``) with ``role_arn`` (default: the engine's
    local role). The response's ``output`` and ``inspectionData`` members are JSON text.

    Raises :class:`TestStateError` for a call AWS refuses.
    """
    params: dict[str, Any] = {
        "definition": _definition_text(definition),
        "inspectionLevel": inspection_level,
        "roleArn": role_arn or local_role(),
    }
    if input is not _UNSET:
        params["input"] = json.dumps(input)
    if state_name is not None:
        params["stateName"] = state_name
    for key, value in (("context", context), ("variables", variables)):
        if value is not None:
            params[key] = json.dumps(value)
    mock: dict[str, Any] = {}
    if mock_result is not _UNSET:
        mock["result"] = json.dumps(mock_result)
    if mock_error is not None or mock_cause is not None:
        mock["errorOutput"] = {
            k: v for k, v in (("error", mock_error), ("cause", mock_cause)) if v is not None
        }
    if field_validation_mode is not None:
        mock["fieldValidationMode"] = field_validation_mode
    if mock:
        params["mock"] = mock
    if state_configuration is not None:
        config = dict(state_configuration)
        data = config.get("mapItemReaderData")
        if data is not None and not isinstance(data, str):
            config["mapItemReaderData"] = json.dumps(data)
        params["stateConfiguration"] = config
    return answer(params, environment(lambdas=lambdas, bind=bind))


test_state.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, whatever its name


def environment(
    *,
    lambdas: Mapping[str, str | Callable[..., Any]] | None = None,
    bind: Mapping[str, str] | None = None,
) -> Environment:
    """An environment whose unmocked tasks take ``runtime.execute``'s routes (``lambdas``,
    ``bind``); the state runs and definitions compile on the calling thread."""
    from runtime.tasks import build_dispatch

    return Environment(dispatch=build_dispatch(lambdas=lambdas or {}, bindings=bind or {}))


def local_role() -> str:
    """The execution role of local runs: what ``roleArn`` is when the caller gives none."""
    from runtime.core.arns import ACCOUNT

    return f"arn:aws:iam::{ACCOUNT}:role/asl-local"


def _definition_text(definition: str | Path | Mapping[str, Any]) -> str:
    if isinstance(definition, Mapping):
        return json.dumps(definition)
    if isinstance(definition, Path) or (
        not definition.lstrip().startswith("{") and Path(definition).suffix
    ):
        path = Path(definition)
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            return json.dumps(yaml.safe_load(text))
        return text
    return definition
