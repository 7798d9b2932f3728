"""ItemBatcher: MaxItemsPerBatch, MaxInputBytesPerBatch (and their Path forms), BatchInput."""

from __future__ import annotations

import pytest

import runtime

from .support import distributed

ITEMS = [{"id": i} for i in range(5)]  # each item is 8 bytes of JSON: {"id":0}


def ids(batches: list[dict]) -> list[list[int]]:
    return [[item["id"] for item in batch["Items"]] for batch in batches]


# (id, ItemBatcher, input, expected item ids per batch)
BATCH_CASES = [
    ("max-items-2", {"MaxItemsPerBatch": 2}, {}, [[0, 1], [2, 3], [4]]),
    ("max-items-larger-than-input", {"MaxItemsPerBatch": 50}, {}, [[0, 1, 2, 3, 4]]),
    ("max-items-1", {"MaxItemsPerBatch": 1}, {}, [[0], [1], [2], [3], [4]]),
    ("max-items-path", {"MaxItemsPerBatchPath": "$.size"}, {"size": 3}, [[0, 1, 2], [3, 4]]),
    # {"Items":[]} is 12 bytes; every item adds 8 (+1 for a comma): 12+8+1+8 = 29 fits 30.
    ("max-bytes", {"MaxInputBytesPerBatch": 30}, {}, [[0, 1], [2, 3], [4]]),
    ("max-bytes-too-small-for-one", {"MaxInputBytesPerBatch": 10}, {}, [[0], [1], [2], [3], [4]]),
    (
        "max-bytes-path",
        {"MaxInputBytesPerBatchPath": "$.bytes"},
        {"bytes": 40},
        [[0, 1, 2], [3, 4]],
    ),
    (
        "bytes-reduce-item-count",
        {"MaxItemsPerBatch": 4, "MaxInputBytesPerBatch": 30},
        {},
        [[0, 1], [2, 3], [4]],
    ),
    (
        "items-reduce-below-bytes",
        {"MaxItemsPerBatch": 2, "MaxInputBytesPerBatch": 1000},
        {},
        [[0, 1], [2, 3], [4]],
    ),
]


@pytest.mark.parametrize(
    ("batcher", "extra", "expected"),
    [case[1:] for case in BATCH_CASES],
    ids=[case[0] for case in BATCH_CASES],
)
def test_batches(batcher: dict, extra: dict, expected: list[list[int]]) -> None:
    machine = distributed(ItemsPath="$.items", ItemBatcher=batcher)
    result = runtime.execute(machine, {"items": ITEMS, **extra}, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert ids(result.output) == expected
    assert all(set(batch) == {"Items"} for batch in result.output)
    assert len(result.child_histories) == len(expected)
    # MapStateStarted counts items, not batches.
    assert result.history[2]["mapStateStartedEventDetails"] == {"length": 5}


def test_batch_input_from_the_state_input() -> None:
    machine = distributed(
        ItemsPath="$.items",
        ItemBatcher={"MaxItemsPerBatch": 3, "BatchInput": {"run.$": "$.run", "fixed": True}},
    )
    result = runtime.execute(machine, {"items": ITEMS, "run": "r-7"}, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert [batch["BatchInput"] for batch in result.output] == [{"run": "r-7", "fixed": True}] * 2


def test_batch_input_jsonata() -> None:
    machine = distributed(
        query_language="JSONata",
        Items="{% $states.input.items %}",
        ItemBatcher={
            "MaxItemsPerBatch": "{% $states.input.size %}",
            "BatchInput": {"total": "{% $count($states.input.items) %}"},
        },
    )
    result = runtime.execute(machine, {"items": ITEMS, "size": 4}, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert ids(result.output) == [[0, 1, 2, 3], [4]]
    assert result.output[0]["BatchInput"] == {"total": 5}


def test_item_selector_applies_to_each_item_before_batching() -> None:
    machine = distributed(
        ItemsPath="$.items",
        ItemSelector={"n.$": "$$.Map.Item.Value.id", "at.$": "$$.Map.Item.Index"},
        ItemBatcher={"MaxItemsPerBatch": 2},
    )
    result = runtime.execute(machine, {"items": ITEMS[:3]}, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [
        {"Items": [{"n": 0, "at": 0}, {"n": 1, "at": 1}]},
        {"Items": [{"n": 2, "at": 2}]},
    ]


def test_batch_tolerance_counts_items() -> None:
    """A failed batch fails every item in it: 2 of 5 items fail, so 40% must be tolerated."""
    fail_first_batch = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.Items[0].id", "NumericEquals": 0, "Next": "Boom"}],
                "Default": "Done",
            },
            "Boom": {"Type": "Fail", "Error": "Boom"},
            "Done": {"Type": "Pass", "End": True},
        },
    }
    outcomes = {}
    for percentage in (39, 40):
        machine = distributed(
            fail_first_batch,
            ItemsPath="$.items",
            ItemBatcher={"MaxItemsPerBatch": 2},
            ToleratedFailurePercentage=percentage,
        )
        outcomes[percentage] = runtime.execute(machine, {"items": ITEMS}, time_skip=True).status
    assert outcomes == {39: "FAILED", 40: "SUCCEEDED"}


@pytest.mark.parametrize(
    ("batcher", "data", "words"),
    [
        (
            {"MaxItemsPerBatchPath": "$.n"},
            {"n": 0},
            'MaxItemsPerBatchPath field refers to value "0"',
        ),
        ({"MaxInputBytesPerBatchPath": "$.n"}, {"n": -1}, "MaxInputBytesPerBatchPath field"),
        ({"MaxItemsPerBatchPath": "$.n"}, {"n": "two"}, "MaxItemsPerBatchPath field refers"),
        ({"MaxItemsPerBatchPath": "$.n"}, {"n": 1.5}, "not a valid positive integer"),
        ({"MaxItemsPerBatchPath": "$.absent"}, {}, "MaxItemsPerBatchPath parameter does not"),
    ],
)
def test_invalid_batch_sizes_are_runtime_errors(batcher: dict, data: dict, words: str) -> None:
    machine = distributed(ItemsPath="$.items", ItemBatcher=batcher)
    result = runtime.execute(machine, {"items": ITEMS, **data}, time_skip=True)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert words in result.cause
