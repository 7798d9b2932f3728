"""``inspectionData``: which stages each state shows, as AWS shows them, and how they are written.

INFO shows none. DEBUG and TRACE show the state's ``input`` and the stages its type and query
language go through (the table below), ``variables`` when there are any, and ``errorDetails``
(``retryIndex``, ``retryBackoffIntervalSeconds``, ``catchIndex``) when a retrier or catcher took
the error; TRACE adds the HTTP ``request`` and ``response`` of a task that made one. A JSONPath
stage the state does not declare shows its default (``afterInputPath`` is the input when there
is no ``InputPath``). Values are JSON text, written as AWS writes them in TestState responses
(``[1, 2]``, ``{"a": 1}``).
"""

from __future__ import annotations

import json
from typing import Any

from asl import model as m

_JSONPATH = {
    "Task": (
        "afterInputPath",
        "afterParameters",
        "result",
        "afterResultSelector",
        "afterResultPath",
    ),
    "Pass": ("afterInputPath", "afterParameters", "afterResultSelector", "afterResultPath"),
    "Map": ("afterInputPath", "afterItemsPath", "afterResultSelector", "afterResultPath"),
    "Parallel": ("afterResultSelector", "afterResultPath"),
    "Choice": ("afterInputPath",),
    "Wait": ("afterInputPath",),
    "Succeed": ("afterInputPath",),
    "Fail": ("afterInputPath",),
}
_JSONATA = {"Task": ("afterArguments", "result")}
_MAP = ("maxConcurrency", "toleratedFailureCount", "toleratedFailurePercentage")


def render(value: Any) -> str:
    """JSON text as TestState writes it."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def inspection(
    state: m.State,
    *,
    input: Any,
    noted: dict[str, Any],
    details: dict[str, int],
    variables: dict[str, Any],
    trace: bool,
) -> dict[str, Any]:
    """The ``inspectionData`` of a run at DEBUG or TRACE."""
    data: dict[str, Any] = {"input": render(input)}
    stages = _JSONATA.get(state.type, ()) if state.is_jsonata else _JSONPATH[state.type]
    noted = dict(noted)
    if not state.is_jsonata and "afterInputPath" in stages:
        noted.setdefault("afterInputPath", input)
    if isinstance(state, m.PassState) and not state.is_jsonata and state.has_result:
        # AWS shows the Result, not the stages it replaces
        noted.pop("afterInputPath", None)
        noted.pop("afterParameters", None)
        if "afterResultSelector" in noted:
            noted["result"] = state.result
        stages = ("result", *stages)
    for key in stages:
        if key in noted:
            data[key] = render(noted[key])
    if state.type == "Map":
        data.update((key, noted[key]) for key in _MAP if key in noted)
    if trace:
        data.update((key, noted[key]) for key in ("request", "response") if key in noted)
    if variables:
        data["variables"] = render(variables)
    if details:
        data["errorDetails"] = details
    return data
