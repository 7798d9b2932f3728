"""Distributed Map ``ItemReader``: items from a JSON, JSON Lines or CSV object, or an S3 listing.

The Host reads the objects (:meth:`~runtime.core.host.Host.io`: S3, or a local folder standing
in for it) and records what it read, so a replay reads nothing again. JSON is read as strict
payload text (:mod:`runtime.core.jsontext`: no NaN, Infinity, lone surrogates or runaway
nesting). Any failure to read or parse raises ``States.ItemReaderFailed``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from asl import errors as E
from asl import model as m
from asl.errors import StatesError
from runtime.core import jsontext
from runtime.core.map_io import GET_OBJECT, LIST_OBJECTS, IOFailed, S3Request

if TYPE_CHECKING:
    from runtime.core.interpreter import Frame, Interpreter
    from runtime.core.map import MapRun

MAX_ITEMS_LIMIT = 100_000_000
NEGATIVE_MAX_ITEMS = "field MaxItems must be positive"  # AWS's cause, word for word
_INTEGER_TEXT = re.compile(r"-?[0-9]+")
DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}


def _failed(cause: str) -> StatesError:
    return StatesError(E.ITEM_READER_FAILED, cause)


async def read_items(
    it: Interpreter,
    state: m.MapState,
    frame: Frame,
    effective: Any,
    states: Any,
    eid: int,
    run: MapRun,
) -> list[Any] | dict[str, Any]:
    """Read the Map state's items as its ``ItemReader`` describes (for the Map Run ``run``)."""
    reader = state.item_reader
    assert reader is not None
    params = evaluate_parameters(it, state, frame, reader.parameters, effective, states, eid)
    limit = _max_items(it, state, frame, reader, effective, states, eid)
    config = reader.reader_config
    action = s3_action(reader.resource)
    bucket = _string(params, "Bucket", reader.resource)
    call = S3Caller(it, frame, run, bucket)
    try:
        if action == GET_OBJECT:
            key = _string(params, "Key", reader.resource)
            version = params.get("VersionId")
            body = await call(GET_OBJECT, key=key, version_id=str(version) if version else None)
            return parse(body, config, limit, f"s3://{bucket}/{key}")
        if action == LIST_OBJECTS:
            prefix = params.get("Prefix", "")
            objects = await call(LIST_OBJECTS, prefix=str(prefix))
            if config.get("Transformation", "NONE") != "LOAD_AND_FLATTEN":
                return objects[:limit] if limit else objects
            return await _load_and_flatten(call, objects, config, limit)
    except IOFailed as exc:
        raise _failed(str(exc))
    raise _failed(f"The ItemReader resource is not supported: {reader.resource}")


class S3Caller:
    """Makes one Map Run's S3 calls on one bucket through the Host."""

    __slots__ = ("bucket", "frame", "it", "run")

    def __init__(self, it: Interpreter, frame: Frame, run: MapRun, bucket: str) -> None:
        self.it, self.frame, self.run, self.bucket = it, frame, run, bucket

    async def __call__(self, action: str, **fields: Any) -> Any:
        """The answer to ``action`` on the bucket; raises IOFailed."""
        execution = self.frame.context.get("Execution", {}).get("Id", "")
        request = S3Request(self.run.arn, self.run.key, execution, action, self.bucket, **fields)
        return await self.it.host.io(self.frame, request)


async def _load_and_flatten(
    call: S3Caller, objects: list[dict[str, Any]], config: Mapping, limit: int
) -> list[Any]:
    """Every listed object's records, one after the other (``Transformation: LOAD_AND_FLATTEN``)."""
    items: list[Any] = []
    for obj in objects:
        body = await call(GET_OBJECT, key=obj["Key"])
        records = parse(body, config, limit - len(items) if limit else 0, obj["Key"])
        if isinstance(records, dict):
            raise _failed(f"Attempting to flatten a JSON object, not an array: {obj['Key']}")
        items.extend(records)
        if limit and len(items) >= limit:
            break
    return items


def parse(body: bytes, config: Mapping[str, Any], limit: int = 0, source: str = "") -> Any:
    """The items in an object's bytes, per ``ReaderConfig`` (``limit`` 0: no limit)."""
    input_type = config.get("InputType", "JSON")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _failed(f"{source} is not UTF-8 text: {exc}")
    if input_type == "JSON":
        return _json(text, config.get("ItemsPointer"), limit, source)
    if input_type == "JSONL":
        return _take(_json_lines(text, source), limit)
    if input_type == "CSV":
        return _take(_csv_rows(text, config), limit)
    raise _failed(f"ReaderConfig InputType {input_type} is not supported (JSON, JSONL or CSV)")


def _json(text: str, pointer: Any, limit: int, source: str) -> Any:
    try:
        value = jsontext.loads(text)
    except ValueError as exc:
        raise _failed(f"{source} is not valid JSON: {exc}")
    if pointer is not None:
        value = resolve_pointer(value, pointer)
    if isinstance(value, dict):
        return dict(list(value.items())[:limit]) if limit else value
    if not isinstance(value, list):
        raise _failed("Attempting to map over non-iterable node.")
    return value[:limit] if limit else value


def resolve_pointer(value: Any, pointer: Any) -> Any:
    """The value at a JSON Pointer (RFC 6901) such as ``/data/items``."""
    if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
        raise _failed(f"ItemsPointer must be a JSON Pointer such as /data/items: {pointer!r}")
    if not pointer:
        return value
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            raise _failed(f"ItemsPointer {pointer} does not resolve in the JSON input")
    return value


def _json_lines(text: str, source: str) -> Iterator[Any]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield jsontext.loads(line)
        except ValueError as exc:
            raise _failed(f"{source} line {number} is not valid JSON: {exc}")


def _csv_rows(text: str, config: Mapping[str, Any]) -> Iterator[dict[str, str]]:
    name = config.get("CSVDelimiter", "COMMA")
    if name not in DELIMITERS:
        raise _failed(f"CSVDelimiter must be one of {', '.join(DELIMITERS)}: {name!r}")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITERS[name])
    location = config.get("CSVHeaderLocation", "FIRST_ROW")
    if location == "GIVEN":
        headers = config.get("CSVHeaders")
        if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
            raise _failed("CSVHeaderLocation GIVEN requires CSVHeaders, an array of strings.")
    elif location == "FIRST_ROW":
        headers = next(rows, [])
    else:
        raise _failed(f"CSVHeaderLocation must be FIRST_ROW or GIVEN: {location!r}")
    if len(set(headers)) < len(headers):
        raise _failed("CSV headers cannot contain duplicates.")
    try:
        for row in rows:
            if row:  # a blank line
                yield {h: row[i] if i < len(row) else "" for i, h in enumerate(headers)}
    except csv.Error as exc:
        raise _failed(f"CSV cannot be parsed: {exc}")


def _take(values: Iterator[Any], limit: int) -> list[Any]:
    out = []
    for value in values:
        out.append(value)
        if limit and len(out) >= limit:
            break
    return out


# --- fields -------------------------------------------------------------------------------------


def s3_action(resource: str) -> str | None:
    """``getObject`` for ``arn:aws:states:::s3:getObject`` (any partition), else None."""
    head, sep, action = resource.rpartition(":::s3:")
    if not sep or not head.startswith("arn:") or not head.endswith(":states"):
        return None
    return action


def evaluate_parameters(
    it: Interpreter, state: m.State, frame: Frame, fn: Any, effective: Any, states: Any, eid: int
) -> dict[str, Any]:
    """A reader's or writer's ``Parameters`` (JSONPath) or ``Arguments`` (JSONata)."""
    if fn is None:
        return {}
    if state.is_jsonata:
        value = it._jsonata(state, eid, fn, states, frame)
    else:
        value = it._template(state, eid, fn, effective, frame)
    if not isinstance(value, dict):
        return {}
    return value


def _string(params: Mapping[str, Any], key: str, resource: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise _failed(f"{resource} needs a {key} string in its Parameters/Arguments.")
    return value


def _max_items(it, state, frame, reader: m.ItemReader, data, states, eid) -> int:
    """``ReaderConfig.MaxItems``/``MaxItemsPath`` (0: all items). A path may find the number as
    text (``"2"``); a negative number fails the Map Run, as AWS's reader does."""
    from runtime.core.events import to_json
    from runtime.core.interpreter import _runtime

    if reader.max_items is None:
        return 0
    value = it._resolve(state, frame, reader.max_items, data, states, eid, "MaxItems")
    from_path = isinstance(reader.max_items, m.FromPath)
    if from_path and isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(reader.max_items, m.FromPath):
            message = (
                f"The MaxItemsPath field refers to value {to_json(value)} which is not a valid "
                f"integer: {reader.max_items.path}"
            )
        else:
            message = f"The MaxItems field must be a non-negative integer: {to_json(value)}"
        name = E.QUERY_EVALUATION_ERROR if state.is_jsonata else E.RUNTIME
        raise _runtime(state, eid, message, name)
    if value < 0:
        raise _failed(NEGATIVE_MAX_ITEMS)
    return min(value, MAX_ITEMS_LIMIT)
