"""``ASL_S3_LOCAL_ROOT``: bucket names follow S3's rules and nothing outside the root is read,
listed, hashed or written, whatever the bucket, key or prefix (``..``, absolute paths, symlinks).

The world: ``outside/secret.json`` beside the root (the sentinel), ``root/data-bucket`` with one
object, a symlinked file and a symlinked folder leading out, and ``root/linked-bucket``, a
symlink to ``outside``. Every case checks that the sentinel's content never shows and that
``outside`` holds nothing new.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import runtime
from runtime.drivers import s3 as _s3
from tests.runtime.map.support import GET_OBJECT, LIST_OBJECTS, PUT_OBJECT, distributed

SECRET = '["SECRET"]'
# How each refusal's cause begins: S3's error code and message.
INVALID_BUCKET = "InvalidBucketName: The specified bucket is not valid"
NO_BUCKET = "NoSuchBucket: The specified bucket does not exist"
NO_KEY = "NoSuchKey: The specified key does not exist"
NOT_A_FILE = "InvalidArgument: s3://"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.json").write_text(SECRET)
    root = tmp_path / "root"
    bucket = root / "data-bucket"
    bucket.mkdir(parents=True)
    (bucket / "items.json").write_text("[1]")
    (bucket / "escape.json").symlink_to(outside / "secret.json")
    (bucket / "out-dir").symlink_to(outside, target_is_directory=True)
    (root / "linked-bucket").symlink_to(outside, target_is_directory=True)
    monkeypatch.setenv("ASL_S3_LOCAL_ROOT", str(root))
    return {"outside": outside, "root": root}


def _fill(text: str, world: dict[str, Path]) -> str:
    return text.replace("{outside}", str(world["outside"]))


def _refused(result: Any, error: str, cause: str, world: dict[str, Path]) -> None:
    assert (result.status, result.error) == ("FAILED", error), result.output
    assert result.cause.startswith(cause), result.cause
    _nothing_leaked(result, world)


def _nothing_leaked(result: Any, world: dict[str, Path]) -> None:
    assert "SECRET" not in json.dumps([result.output, result.cause])
    assert "secret" not in json.dumps(result.output)
    assert sorted(p.name for p in world["outside"].iterdir()) == ["secret.json"]


# --- ItemReader getObject, for every InputType: (id, bucket, key, how the cause begins) --------

GET_CASES = [
    ("dotdot-bucket", "..", "outside/secret.json", INVALID_BUCKET),
    ("absolute-bucket", "{outside}", "secret.json", INVALID_BUCKET),
    ("etc-bucket", "/etc", "hostname", INVALID_BUCKET),
    ("dotdot-key", "data-bucket", "../../outside/secret.json", NO_KEY),
    ("dotdot-inside-key", "data-bucket", "a/../../../outside/secret.json", NO_KEY),
    ("absolute-key", "data-bucket", "{outside}/secret.json", NO_KEY),
    ("symlinked-file", "data-bucket", "escape.json", NO_KEY),
    ("symlinked-folder", "data-bucket", "out-dir/secret.json", NO_KEY),
    ("symlinked-bucket", "linked-bucket", "secret.json", NO_BUCKET),
]


@pytest.mark.parametrize("input_type", ["JSON", "JSONL", "CSV"])
@pytest.mark.parametrize(
    ("bucket", "key", "code"), [c[1:] for c in GET_CASES], ids=[c[0] for c in GET_CASES]
)
def test_get_object_stays_inside_the_root(world, input_type, bucket, key, code) -> None:
    params = {"Bucket": _fill(bucket, world), "Key": _fill(key, world)}
    reader = {"Resource": GET_OBJECT, "ReaderConfig": {"InputType": input_type}}
    result = runtime.execute(distributed(ItemReader={**reader, "Parameters": params}), {})
    _refused(result, "States.ItemReaderFailed", code, world)


# --- ItemReader listObjectsV2: (id, bucket, how the cause begins) ------------------------------

LIST_CASES = [
    ("dotdot-bucket", "..", INVALID_BUCKET),
    ("dot-bucket", ".", INVALID_BUCKET),
    ("absolute-bucket", "{outside}", INVALID_BUCKET),
    ("etc-bucket", "/etc", INVALID_BUCKET),
    ("dotdot-inside-bucket", "data-bucket/../..", INVALID_BUCKET),
    ("symlinked-bucket", "linked-bucket", NO_BUCKET),
]


@pytest.mark.parametrize("flatten", [False, True], ids=["metadata", "load-and-flatten"])
@pytest.mark.parametrize(
    ("bucket", "code"), [c[1:] for c in LIST_CASES], ids=[c[0] for c in LIST_CASES]
)
def test_list_objects_stays_inside_the_root(world, flatten, bucket, code) -> None:
    config = {"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN"} if flatten else {}
    reader = {"Resource": LIST_OBJECTS, "ReaderConfig": config}
    params = {"Bucket": _fill(bucket, world), "Prefix": ""}
    result = runtime.execute(distributed(ItemReader={**reader, "Parameters": params}), {})
    _refused(result, "States.ItemReaderFailed", code, world)


@pytest.mark.parametrize(
    ("config", "expected"),
    [({}, ["items.json"]), ({"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN"}, [1])],
    ids=["metadata", "load-and-flatten"],
)
def test_listing_skips_symlinks_leading_out(world, config, expected) -> None:
    reader = {"Resource": LIST_OBJECTS, "ReaderConfig": config}
    params = {"Bucket": "data-bucket", "Prefix": ""}
    result = runtime.execute(distributed(ItemReader={**reader, "Parameters": params}), {})
    assert result.status == "SUCCEEDED", result.cause
    keys = [item["Key"] if isinstance(item, dict) else item for item in result.output]
    assert keys == expected
    _nothing_leaked(result, world)


# --- ResultWriter: (id, bucket, prefix, how the cause begins) ----------------------------------

PUT_CASES = [
    ("dotdot-bucket", "..", "outside", INVALID_BUCKET),
    ("absolute-bucket", "{outside}", "", INVALID_BUCKET),
    ("symlinked-bucket", "linked-bucket", "", NO_BUCKET),
    ("dotdot-prefix", "data-bucket", "../../outside", NOT_A_FILE),
    ("absolute-prefix", "data-bucket", "{outside}", NOT_A_FILE),
    ("symlinked-folder-prefix", "data-bucket", "out-dir", NOT_A_FILE),
]


@pytest.mark.parametrize(
    ("bucket", "prefix", "code"), [c[1:] for c in PUT_CASES], ids=[c[0] for c in PUT_CASES]
)
def test_result_writer_stays_inside_the_root(world, bucket, prefix, code) -> None:
    params = {"Bucket": _fill(bucket, world), "Prefix": _fill(prefix, world)}
    machine = distributed(
        ItemsPath="$.items", ResultWriter={"Resource": PUT_OBJECT, "Parameters": params}
    )
    result = runtime.execute(machine, {"items": [1, 2]})
    _refused(result, "States.ResultWriterFailed", code, world)
    written = [p for p in world["root"].rglob("*") if p.is_file() and not p.is_symlink()]
    assert sorted(p.name for p in written) == ["items.json"]


# --- S3's bucket naming rules --------------------------------------------------------------------

VALID_NAMES = ["abc", "my-bucket", "a.b.c", "1bucket", "a" * 63, "log-s3alias", "1.2.3.4a"]
INVALID_NAMES = [
    "",
    "ab",
    "a" * 64,
    "Bucket",
    "my_bucket",
    "-abc",
    "abc-",
    ".abc",
    "abc.",
    "a..b",
    "192.168.5.4",
    "..",
    "/etc",
    "bucket/key",
    "ab c",
    "bücket",
    "abc\n",
]


@pytest.mark.parametrize(
    ("name", "valid"), [(n, True) for n in VALID_NAMES] + [(n, False) for n in INVALID_NAMES]
)
def test_bucket_names_follow_s3_rules(name: str, valid: bool) -> None:
    if valid:
        _s3.check_bucket_name(name)
        return
    with pytest.raises(_s3.S3Error, match=f"^{INVALID_BUCKET}"):
        _s3.check_bucket_name(name)
