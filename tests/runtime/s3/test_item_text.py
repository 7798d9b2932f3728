"""ItemReader objects are read as strict JSON payload text: NaN, Infinity, numbers too large for
a double, lone surrogates and nesting past ``runtime.core.jsontext.MAX_DEPTH`` end the Map run with
``States.ItemReaderFailed`` and a cause naming the object, never items that are not JSON."""

from __future__ import annotations

import pytest

import runtime
from asl.errors import StatesError
from runtime.core.item_reader import parse
from tests.runtime.map.support import GET_OBJECT, distributed

DEEP = "[" * 600 + "]" * 600

# (id, object text, words in the cause)
BAD_TEXT = [
    ("nan", "[1, NaN]", "NaN is not a JSON value"),
    ("infinity", "[-Infinity]", "-Infinity is not a JSON value"),
    ("too-large", "[1e999]", "too large for a double"),
    ("lone-surrogate", '["\\ud800"]', "surrogate"),
    ("too-deep", DEEP, "nest"),
]


@pytest.mark.parametrize("input_type", ["JSON", "JSONL"])
@pytest.mark.parametrize(("text", "words"), [c[1:] for c in BAD_TEXT], ids=[c[0] for c in BAD_TEXT])
def test_bad_json_text_is_item_reader_failed(input_type: str, text: str, words: str) -> None:
    with pytest.raises(StatesError) as raised:
        parse(text.encode(), {"InputType": input_type}, 0, "s3://data-bucket/items")
    assert raised.value.error == "States.ItemReaderFailed"
    assert "s3://data-bucket/items" in raised.value.cause
    assert words in raised.value.cause, raised.value.cause


def test_nan_in_an_object_fails_the_execution(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ASL_S3_LOCAL_ROOT", str(tmp_path))
    (tmp_path / "data-bucket").mkdir()
    (tmp_path / "data-bucket" / "items.json").write_text("[1, NaN]")
    params = {"Bucket": "data-bucket", "Key": "items.json"}
    machine = distributed(ItemReader={"Resource": GET_OBJECT, "Parameters": params})
    result = runtime.execute(machine, {})
    assert (result.status, result.error) == ("FAILED", "States.ItemReaderFailed")
    assert "NaN is not a JSON value" in result.cause
