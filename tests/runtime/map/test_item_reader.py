"""ItemReader: JSON, JSON Lines and CSV objects and S3 listings, from S3 (moto) and folders."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

import runtime
from asl.errors import StatesError
from runtime.core.item_reader import parse, s3_action

from .support import GET_OBJECT, LIST_OBJECTS, distributed, types

# --- parsing: (id, ReaderConfig, object text, MaxItems, expected items) -------------------------

PARSE_CASES = [
    ("json-array", {"InputType": "JSON"}, '[1, {"a": 2}, "x"]', 0, [1, {"a": 2}, "x"]),
    ("json-default-type", {}, "[1, 2]", 0, [1, 2]),
    ("json-max-items", {"InputType": "JSON"}, "[1, 2, 3, 4]", 2, [1, 2]),
    ("json-object", {"InputType": "JSON"}, '{"a": 1, "b": 2}', 0, {"a": 1, "b": 2}),
    (
        "json-items-pointer",
        {"InputType": "JSON", "ItemsPointer": "/data/items"},
        '{"data": {"items": [{"id": 1}, {"id": 2}]}}',
        0,
        [{"id": 1}, {"id": 2}],
    ),
    (
        "json-pointer-escapes-and-index",
        {"InputType": "JSON", "ItemsPointer": "/a~1b/0/m~0n"},
        '{"a/b": [{"m~n": [7, 8]}]}',
        0,
        [7, 8],
    ),
    ("json-bom", {"InputType": "JSON"}, "\ufeff[1]", 0, [1]),
    ("jsonl", {"InputType": "JSONL"}, '{"a": 1}\n{"a": 2}\n', 0, [{"a": 1}, {"a": 2}]),
    ("jsonl-blank-lines-crlf", {"InputType": "JSONL"}, '1\r\n\r\n"two"\r\n[3]', 0, [1, "two", [3]]),
    ("jsonl-max-items", {"InputType": "JSONL"}, "1\n2\n3\nnot json", 3, [1, 2, 3]),
    (
        "csv-first-row",
        {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
        "id,name\n1,ann\n2,bob\n",
        0,
        [{"id": "1", "name": "ann"}, {"id": "2", "name": "bob"}],
    ),
    (
        "csv-given-headers",
        {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["x", "y"]},
        "1,2\n3,4",
        0,
        [{"x": "1", "y": "2"}, {"x": "3", "y": "4"}],
    ),
    (
        "csv-max-items-excludes-header",
        {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
        "h\na\nb\nc\n",
        2,
        [{"h": "a"}, {"h": "b"}],
    ),
    (
        "csv-short-rows-and-blank-lines",
        {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
        "a,b,c\n1\n\n4,5,6\n",
        0,
        [{"a": "1", "b": "", "c": ""}, {"a": "4", "b": "5", "c": "6"}],
    ),
    (
        "csv-quoted-fields",
        {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
        'a,b\n"x, y","line\nbreak"\n',
        0,
        [{"a": "x, y", "b": "line\nbreak"}],
    ),
    *[
        (
            f"csv-delimiter-{name.lower()}",
            {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": name},
            f"a{sep}b\n1{sep}2\n",
            0,
            [{"a": "1", "b": "2"}],
        )
        for name, sep in [
            ("COMMA", ","),
            ("PIPE", "|"),
            ("SEMICOLON", ";"),
            ("SPACE", " "),
            ("TAB", "\t"),
        ]
    ],
]


@pytest.mark.parametrize(
    ("config", "text", "limit", "expected"),
    [case[1:] for case in PARSE_CASES],
    ids=[case[0] for case in PARSE_CASES],
)
def test_parse(config: dict, text: str, limit: int, expected: Any) -> None:
    assert parse(text.encode(), config, limit, "s3://b/k") == expected


# --- parse failures: (id, ReaderConfig, object bytes, words in the cause) -----------------------

PARSE_ERRORS = [
    ("json-invalid", {"InputType": "JSON"}, b"[1,", "is not valid JSON"),
    ("json-scalar", {"InputType": "JSON"}, b"42", "Attempting to map over non-iterable node."),
    ("json-pointer-missing", {"ItemsPointer": "/nope"}, b"{}", "ItemsPointer /nope"),
    ("json-pointer-not-a-pointer", {"ItemsPointer": "data"}, b"{}", "JSON Pointer"),
    ("json-pointer-to-scalar", {"ItemsPointer": "/a"}, b'{"a": 1}', "non-iterable"),
    ("jsonl-bad-line", {"InputType": "JSONL"}, b"1\n{oops\n", "line 2 is not valid JSON"),
    ("not-utf8", {"InputType": "JSON"}, b"\xff\xfe[", "is not UTF-8"),
    (
        "csv-duplicate-headers",
        {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
        b"a,a\n1,2",
        "CSV headers cannot contain duplicates.",
    ),
    (
        "csv-given-without-headers",
        {"InputType": "CSV", "CSVHeaderLocation": "GIVEN"},
        b"1,2",
        "requires CSVHeaders",
    ),
    ("csv-bad-delimiter", {"InputType": "CSV", "CSVDelimiter": "COLON"}, b"a", "CSVDelimiter"),
    ("csv-bad-location", {"InputType": "CSV", "CSVHeaderLocation": "LAST"}, b"a", "FIRST_ROW"),
    ("parquet", {"InputType": "PARQUET"}, b"PAR1", "PARQUET is not supported"),
]


@pytest.mark.parametrize(
    ("config", "body", "words"),
    [case[1:] for case in PARSE_ERRORS],
    ids=[case[0] for case in PARSE_ERRORS],
)
def test_parse_failure_is_item_reader_failed(config: dict, body: bytes, words: str) -> None:
    with pytest.raises(StatesError) as info:
        parse(body, config, 0, "s3://b/k")
    assert info.value.error == "States.ItemReaderFailed"
    assert words in info.value.cause


@pytest.mark.parametrize(
    ("resource", "action"),
    [
        (GET_OBJECT, "getObject"),
        (LIST_OBJECTS, "listObjectsV2"),
        ("arn:aws-cn:states:::s3:getObject", "getObject"),
        ("arn:aws:states:::lambda:invoke", None),
        ("arn:aws:lambda:us-east-1:111111111111:function:s3:getObject", None),
    ],
)
def test_s3_action(resource: str, action: str | None) -> None:
    assert s3_action(resource) == action


# --- machines reading from S3 (moto over HTTP) and from a local folder -------------------------


def reader(resource: str = GET_OBJECT, config: dict | None = None, **params: Any) -> dict:
    return {"Resource": resource, "ReaderConfig": config or {}, "Parameters": params}


def test_get_object_json(bucket) -> None:
    bucket.put("in/items.json", json.dumps([{"n": 1}, {"n": 2}, {"n": 3}]))
    machine = distributed(
        ItemReader=reader(config={"InputType": "JSON"}, Bucket=bucket.name, Key="in/items.json")
    )
    result = runtime.execute(machine, {}, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert types(result.history) == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapStateStarted",
        "MapRunStarted",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]
    assert result.history[2]["mapStateStartedEventDetails"] == {"length": 0}
    assert len(result.child_histories) == 3


def test_get_object_csv_with_paths_and_max_items_path(bucket) -> None:
    bucket.put("rows.csv", "id|city\n1|Oslo\n2|Lima\n3|Pune\n")
    machine = distributed(
        ItemReader={
            "Resource": GET_OBJECT,
            "ReaderConfig": {
                "InputType": "CSV",
                "CSVHeaderLocation": "FIRST_ROW",
                "CSVDelimiter": "PIPE",
                "MaxItemsPath": "$.limit",
            },
            "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"},
        },
        ItemSelector={"city.$": "$$.Map.Item.Value.city", "index.$": "$$.Map.Item.Index"},
    )
    result = runtime.execute(
        machine, {"bucket": bucket.name, "key": "rows.csv", "limit": 2}, time_skip=True
    )
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [{"city": "Oslo", "index": 0}, {"city": "Lima", "index": 1}]


def test_get_object_jsonl_jsonata_arguments(bucket) -> None:
    bucket.put("lines.jsonl", '{"v": 1}\n{"v": 2}\n')
    machine = distributed(
        {
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "Output": "{% $states.input.v * 10 %}", "End": True}},
        },
        query_language="JSONata",
        ItemReader={
            "Resource": GET_OBJECT,
            "ReaderConfig": {"InputType": "JSONL", "MaxItems": "{% $states.input.max %}"},
            "Arguments": {"Bucket": "{% $states.input.bucket %}", "Key": "lines.jsonl"},
        },
    )
    result = runtime.execute(machine, {"bucket": bucket.name, "max": 5}, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [10, 20]


def test_list_objects_v2_items_are_object_metadata(bucket) -> None:
    bucket.put("logs/a.txt", "hello")
    bucket.put("logs/b/c.txt", "")
    bucket.put("other/d.txt", "x")
    machine = distributed(ItemReader=reader(LIST_OBJECTS, Bucket=bucket.name, Prefix="logs/"))
    result = runtime.execute(machine, {}, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert [item["Key"] for item in result.output] == ["logs/a.txt", "logs/b/c.txt"]
    first = result.output[0]
    assert sorted(first) == ["Etag", "Key", "LastModified", "Size", "StorageClass"]
    assert first["Etag"] == '"5d41402abc4b2a76b9719d911017c592"'  # md5("hello"), quoted
    assert first["Size"] == 5
    assert first["StorageClass"] == "STANDARD"
    assert isinstance(first["LastModified"], int) and first["LastModified"] > 1_600_000_000


def test_list_objects_load_and_flatten(bucket) -> None:
    bucket.put("parts/1.json", "[1, 2]")
    bucket.put("parts/2.json", "[3]")
    machine = distributed(
        ItemReader=reader(
            LIST_OBJECTS,
            {"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN", "MaxItems": 2},
            Bucket=bucket.name,
            Prefix="parts/",
        )
    )
    result = runtime.execute(machine, {}, time_skip=True)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [1, 2]


@pytest.mark.parametrize(
    ("key", "body", "config", "words"),
    [
        ("missing.json", None, {"InputType": "JSON"}, "NoSuchKey"),
        ("bad.json", "{not json", {"InputType": "JSON"}, "is not valid JSON"),
        ("scalar.json", "7", {"InputType": "JSON"}, "non-iterable"),
    ],
)
def test_read_failure_fails_the_map_run(bucket, key, body, config, words) -> None:
    if body is not None:
        bucket.put(key, body)
    machine = distributed(ItemReader=reader(config=config, Bucket=bucket.name, Key=key))
    result = runtime.execute(machine, {}, time_skip=True)
    assert result.status == "FAILED"
    assert result.error == "States.ItemReaderFailed"
    assert words in result.cause
    assert types(result.history)[3:6] == ["MapRunStarted", "MapRunFailed", "MapStateFailed"]
    failed = result.history[4]["mapRunFailedEventDetails"]
    assert failed["error"] == "States.ItemReaderFailed"


def test_read_failure_is_catchable(local_bucket) -> None:
    machine = distributed(
        ItemReader=reader(Bucket=local_bucket.name, Key="absent.json"),
        Catch=[{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Handled"}],
    )
    machine["States"]["Map"].pop("End")
    machine["States"]["Map"]["Next"] = "Handled"
    machine["States"]["Handled"] = {"Type": "Pass", "End": True}
    result = runtime.execute(machine, {}, time_skip=True)
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "States.ItemReaderFailed"


def test_missing_bucket_parameter_fails(local_bucket) -> None:
    machine = distributed(ItemReader=reader(Key="k.json"))
    result = runtime.execute(machine, {}, time_skip=True)
    assert (result.error, result.status) == ("States.ItemReaderFailed", "FAILED")
    assert "Bucket" in result.cause


@pytest.mark.parametrize("key", ["../escape.json", "a/../../b.json", "/abs.json"])
def test_local_keys_cannot_leave_the_bucket(local_bucket, key: str) -> None:
    machine = distributed(ItemReader=reader(Bucket=local_bucket.name, Key=key))
    result = runtime.execute(machine, {}, time_skip=True)
    assert result.error == "States.ItemReaderFailed"


def test_bad_max_items_path_is_runtime_error(local_bucket) -> None:
    local_bucket.put("k.json", "[1]")
    machine = distributed(
        ItemReader=reader(
            config={"InputType": "JSON", "MaxItemsPath": "$.n"},
            Bucket=local_bucket.name,
            Key="k.json",
        )
    )
    result = runtime.execute(machine, {"n": "lots"}, time_skip=True)
    assert result.error == "States.Runtime"
    assert "MaxItemsPath" in result.cause


def test_boto3_is_imported_only_for_real_s3(tmp_path) -> None:
    """Machines without S3, and machines on a local bucket, never import boto3."""
    (tmp_path / "data-bucket").mkdir()
    (tmp_path / "data-bucket" / "k.json").write_text("[1, 2]")
    local = distributed(ItemReader=reader(Bucket="data-bucket", Key="k.json"))
    plain = distributed()
    script = (
        "import json, sys, runtime\n"
        f"r1 = runtime.execute({json.dumps(plain)!r}, [1], time_skip=True)\n"
        f"r2 = runtime.execute({json.dumps(local)!r}, {{}}, time_skip=True)\n"
        "print(r1.status, r2.status, r2.output, 'boto3' in sys.modules)\n"
    )
    env = {"ASL_S3_LOCAL_ROOT": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=_repo()
    )
    assert out.stdout.split() == ["SUCCEEDED", "SUCCEEDED", "[1,", "2]", "False"], out.stderr


def _repo() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[3])
