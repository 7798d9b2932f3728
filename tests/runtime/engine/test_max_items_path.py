"""ItemReader ``MaxItemsPath``: a string of digits counts as its integer, a negative value fails
the Map Run with ``States.ItemReaderFailed`` (AWS's recorded behaviour, tests/services E1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import runtime

ITEMS = [{"n": 1}, {"n": 2}, {"n": 3}]


@pytest.fixture
def bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A bucket folder (``ASL_S3_LOCAL_ROOT``) holding ``items.json``."""
    monkeypatch.setenv("ASL_S3_LOCAL_ROOT", str(tmp_path))
    (tmp_path / "items-bucket").mkdir()
    (tmp_path / "items-bucket" / "items.json").write_text(json.dumps(ITEMS))
    return "items-bucket"


def machine(config: dict[str, Any], **first: Any) -> dict[str, Any]:
    """A Pass state (``first``: its Assign...) then a Distributed Map reading ``items.json``."""
    return {
        "StartAt": "Start",
        "States": {
            "Start": {"Type": "Pass", "Next": "Map", **first},
            "Map": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON", **config},
                    "Parameters": {"Bucket.$": "$.bucket", "Key": "items.json"},
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": True}},
                },
                "End": True,
            },
        },
    }


@pytest.mark.parametrize("text", ["2", "02"])
def test_a_variable_holding_a_string_of_digits_limits_the_items(bucket: str, text: str) -> None:
    definition = machine({"MaxItemsPath": "$limit"}, Assign={"limit": text})
    result = runtime.execute(definition, {"bucket": bucket}, time_skip=True)
    assert (result.status, result.cause) == ("SUCCEEDED", None)
    assert result.output == ITEMS[:2]


def test_an_input_string_of_digits_limits_the_items(bucket: str) -> None:
    result = runtime.execute(
        machine({"MaxItemsPath": "$.limit"}), {"bucket": bucket, "limit": "1"}, time_skip=True
    )
    assert result.output == ITEMS[:1]


@pytest.mark.parametrize("limit", [-1, "-3"])
def test_a_negative_value_fails_the_map_run(bucket: str, limit: Any) -> None:
    result = runtime.execute(
        machine({"MaxItemsPath": "$.limit"}), {"bucket": bucket, "limit": limit}, time_skip=True
    )
    assert (result.status, result.error) == ("FAILED", "States.ItemReaderFailed")
    assert result.cause == "field MaxItems must be positive"
    types = [event["type"] for event in result.history]
    assert types[-4:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]
    failed = next(e for e in result.history if e["type"] == "MapRunFailed")
    assert failed["mapRunFailedEventDetails"] == {
        "error": "States.ItemReaderFailed",
        "cause": "field MaxItems must be positive",
    }


def jsonata_machine() -> dict[str, Any]:
    """:func:`machine` in JSONata, ``MaxItems`` from ``$states.input.limit``."""
    definition = machine({"MaxItems": "{% $states.input.limit %}"})
    definition["QueryLanguage"] = "JSONata"
    reader = definition["States"]["Map"]["ItemReader"]
    del reader["Parameters"]
    reader["Arguments"] = {"Bucket": "{% $states.input.bucket %}", "Key": "items.json"}
    return definition


def test_jsonata_a_negative_number_fails_the_map_run_and_text_is_no_number(bucket: str) -> None:
    """Only a path's value may be integer text; a JSONata expression must give a number."""
    definition = jsonata_machine()
    negative = runtime.execute(definition, {"bucket": bucket, "limit": -2}, time_skip=True)
    assert (negative.error, negative.cause) == (
        "States.ItemReaderFailed",
        "field MaxItems must be positive",
    )
    text = runtime.execute(definition, {"bucket": bucket, "limit": "1"}, time_skip=True)
    assert text.error == "States.QueryEvaluationError"


@pytest.mark.parametrize("other", ["two", "1.5", " 2", "2 ", "", "\u0662", 1.5, True, None, [2]])
def test_only_integer_text_counts_as_an_integer(bucket: str, other: Any) -> None:
    """Text "3" limits the items; any other value keeps the States.Runtime error."""
    definition = machine({"MaxItemsPath": "$.limit"})
    taken = runtime.execute(definition, {"bucket": bucket, "limit": "3"}, time_skip=True)
    assert taken.output == ITEMS
    refused = runtime.execute(definition, {"bucket": bucket, "limit": other}, time_skip=True)
    assert refused.error == "States.Runtime"
    assert "The MaxItemsPath field refers to value " in refused.cause
    assert refused.cause.endswith("which is not a valid integer: $.limit")
