"""Data nested deeper than ``runtime.core.jsontext.MAX_DEPTH`` (512) levels, whichever route
makes it,
ends the execution FAILED with ``States.Runtime`` where the value is produced: never a
RecursionError, a history that cannot be read or stored, or an execution left RUNNING."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import runtime
from runtime.cli import main
from runtime.core.jsontext import MAX_DEPTH, depth
from runtime.stores import SqliteStore
from tests.runtime.limits.deep_machines import ROUTES, nested_text

TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"


def _deepest_payload(history: list[dict]) -> int:
    """The deepest JSON value any event of the history carries."""
    deepest = 0
    for event in history:
        for details in event.values():
            if isinstance(details, dict):
                for key in ("input", "output"):
                    if isinstance(details.get(key), str):
                        deepest = max(deepest, depth(json.loads(details[key])))
    return deepest


@pytest.mark.parametrize("express", [False, True], ids=["standard", "express"])
@pytest.mark.parametrize("route", ROUTES)
def test_execute_fails_deep_data_where_it_is_made(route: str, express: bool) -> None:
    result = runtime.execute(ROUTES[route], {}, express=express)
    assert (result.status, result.error) == ("FAILED", "States.Runtime"), result.cause
    assert TOO_DEEP in result.cause
    assert "An error occurred while executing the state" in result.cause  # names the state
    history = result.history
    json.dumps(history)  # readable and JSON
    assert _deepest_payload(history) <= MAX_DEPTH
    assert history[-1]["type"] == "ExecutionFailed"


def test_data_at_the_limit_still_runs() -> None:
    """512 levels are a payload; only what goes deeper is refused."""
    machine = ROUTES["States.StringToJson, 700 levels"]
    inside = {"a": None}  # the template adds one level: 511 + 1
    result = runtime.execute(
        {**machine, "States": {**machine["States"], "Init": {"Type": "Pass", "Next": "Make"}}},
        {"s": nested_text(MAX_DEPTH - len(inside))},
    )
    assert result.status == "SUCCEEDED", result.cause
    assert depth(result.output) == MAX_DEPTH


def test_a_catch_all_does_not_see_it() -> None:
    caught = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [ROUTES["States.StringToJson, 700 levels"]],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        },
    }
    result = runtime.execute(caught, {})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")


@pytest.mark.parametrize(
    "route", ["Parameters", "ResultPath", "Parallel results", "States.StringToJson, 1,500 levels"]
)
def test_asl_run_stores_the_execution_failed(
    route: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deep.json").write_text(json.dumps(ROUTES[route]))
    store = str(tmp_path / "s.sqlite3")
    code = main(["run", "deep.json", "--name", "d", "--store", store, "--input", "{}"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err, err
    assert "FAILED: States.Runtime" in err and TOO_DEEP in err
    assert main(["executions", "--store", store]) == 0
    listed = capsys.readouterr().out
    assert "FAILED" in listed and "RUNNING" not in listed
    assert main(["history", "d", "--store", store, "--format", "json"]) == 0
    history = json.loads(capsys.readouterr().out)
    history = history.get("events", history) if isinstance(history, dict) else history
    assert history[-1]["type"] == "ExecutionFailed"
    assert _deepest_payload(history) <= MAX_DEPTH
    opened = SqliteStore(store)
    try:
        assert opened.get("d").status == "FAILED"
    finally:
        opened.close()
