"""The recorded TestState calls (``tests/conformance/teststate``): requests and comparison.

Each case holds one TestState call as AWS answered it (see tests/conformance/README.md).
:func:`request` turns a case into the call's keyword arguments for boto3's ``test_state``;
:func:`differences` compares a response with the recording after the README's normalisation:

* texts the recorder parsed (JSON objects) are parsed on our side too; other texts (arrays,
  strings) are compared as they are, character for character;
* ``arn:aws:`` is ``arn:<partition>:``, ``us-east-1`` ``<region>``, ISO-8601 timestamps ``date``;
  the case's own ``snapshot_transformers`` apply as recorded;
* ``<resource:N>`` and ``<uuid:N>`` stand for names AWS made up: each stands for one value
  throughout the case, different numbers for different values;
* ``SdkHttpMetadata``/``SdkResponseMetadata`` carry the headers of the service that answered:
  their status code is compared, not the header set.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.runtime.conformance.normalise import parse_json_strings

ACCOUNT = "111111111111"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/TestStateRole"
# Fixtures the original tests put into inputs and mocks (LocalStack's arns helpers).
FIXTURES = {
    "__FX__localstack.utils.aws.arns.stepfunctions_state_machine_arn()__": (
        f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:TargetStateMachine"
    ),
    "__FX__localstack.utils.aws.arns.stepfunctions_standard_execution_arn()__": (
        f"arn:aws:states:{REGION}:{ACCOUNT}:execution:TargetStateMachine:TestStartTarget"
    ),
}
# Tests whose calls gave no roleArn (the context then shows "RoleArn": null); every other
# recorded call passed the role the test created.
_WITHOUT_ROLE = (
    "::TestStateMachineScenarios::",
    "::TestStateMockScenarios::",
    "::TestStateContextObject::",
    "::TestFieldValidationMode",
    "::test_localstack_blogpost_scenario",
    "::test_state_with_variables",
)
_TEXT_MEMBERS = ("output", "cause")
_INSPECTION_TEXTS = (
    "input",
    "afterArguments",
    "afterInputPath",
    "afterParameters",
    "result",
    "afterResultSelector",
    "afterResultPath",
    "variables",
    "afterItemsPath",
    "afterItemSelector",
    "afterItemBatcher",
    "afterItemsPointer",
)
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?$")
_PLACEHOLDER = re.compile(r"<(resource|uuid):\d+>")


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _fill(text: str) -> str:
    for fixture, value in FIXTURES.items():
        text = text.replace(fixture, value)
    return text


def _json_text(value: Any) -> str:
    return _fill(json.dumps(value))


def request(case: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of the recorded call."""
    params = dict(case.get("parameters") or {})
    call: dict[str, Any] = {"definition": _json_text(case["definition"])}
    if "input" in case:
        call["input"] = _json_text(case["input"])
    for key in ("inspectionLevel", "stateName", "stateConfiguration", "revealSecrets"):
        if key in params:
            call[key] = params[key]
    for key in ("context", "variables"):  # JSON text in the API
        if key in params:
            call[key] = _json_text(params[key])
    if "mock" in params:
        mock = dict(params["mock"])
        if "result" in mock:
            mock["result"] = _fill(mock["result"])
        call["mock"] = mock
    if not any(part in case["source"]["node_id"] for part in _WITHOUT_ROLE):
        call["roleArn"] = ROLE
    return call


# -- comparison ----------------------------------------------------------------------------------


def response_members(response: dict[str, Any]) -> dict[str, Any]:
    """The response without boto3's metadata, its JSON texts parsed where the recorder did."""
    out = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    for key in _TEXT_MEMBERS:
        if key in out:
            out[key] = parse_json_strings(out[key])
    if "inspectionData" in out:
        data = dict(out["inspectionData"])
        for key in _INSPECTION_TEXTS:
            if key in data:
                data[key] = parse_json_strings(data[key])
        out["inspectionData"] = data
    return out


def normalise(value: Any, case: dict[str, Any]) -> Any:
    """Our response as the recorder would have written it down."""
    value = _transform(value, case.get("snapshot_transformers") or [], under=())
    return _generic(value)


def _transform(value: Any, transformers: list[dict[str, Any]], under: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            path = (*under, key)
            replaced = _replacement(path, item, transformers)
            out[key] = replaced if replaced is not _KEEP else _transform(item, transformers, path)
        return out
    if isinstance(value, list):
        return [_transform(v, transformers, under) for v in value]
    if isinstance(value, str):
        for t in transformers:
            if t["type"] == "RegexTransformer":
                pattern, replacement = t["args"][:2]
                value = re.sub(pattern, replacement, value)
    return value


_KEEP: Any = object()


def _replacement(path: tuple[str, ...], value: Any, transformers: list[dict[str, Any]]) -> Any:
    """A key-based transformer's replacement for the value at ``path``, else _KEEP."""
    for t in transformers:
        if t["type"] == "JsonpathTransformer":
            # "$..output..StartDate": a StartDate key anywhere below an "output" member
            names = re.findall(r"\.\.(\w+)", t["kwargs"]["jsonpath"])
            if path[-1] == names[-1] and all(n in path[:-1] for n in names[:-1]):
                return t["kwargs"]["replacement"]
        key_value = t["type"] == "transform.key_value" and path[-1] == t["args"][0]
        if key_value and isinstance(value, str) and value:
            return t["args"][1]
    return _KEEP


def _generic(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _generic(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_generic(v) for v in value]
    if isinstance(value, str):
        if _TIMESTAMP.match(value):
            return "date"
        return value.replace("arn:aws:", "arn:<partition>:").replace(REGION, "<region>")
    return value


def differences(expected: Any, actual: Any) -> list[str]:
    """Where ``actual`` (normalised) differs from the recording; empty when it matches."""
    found: list[str] = []
    _compare(expected, actual, "$", {}, found)
    return found


def _compare(want: Any, got: Any, where: str, names: dict[str, str], found: list[str]) -> None:
    if isinstance(want, dict) and isinstance(got, dict):
        if where.endswith(".SdkHttpMetadata"):  # the answering service's own headers
            _compare(want.get("HttpStatusCode"), got.get("HttpStatusCode"), where, names, found)
            if set(got) != set(want):
                found.append(f"{where}: members {sorted(got)} != {sorted(want)}")
            return
        if where.endswith(".SdkResponseMetadata"):
            if set(got) != set(want) or not all(isinstance(v, str) and v for v in got.values()):
                found.append(f"{where}: {got!r} is not shaped like {want!r}")
            return
        if set(want) != set(got):
            found.append(
                f"{where}: members {sorted(got)} != {sorted(want)} "
                f"(missing {sorted(set(want) - set(got))}, extra {sorted(set(got) - set(want))})"
            )
        for key in want:
            if key in got:
                _compare(want[key], got[key], f"{where}.{key}", names, found)
        return
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            found.append(f"{where}: {len(got)} items != {len(want)}: {got!r}")
            return
        for i, (w, g) in enumerate(zip(want, got, strict=True)):
            _compare(w, g, f"{where}[{i}]", names, found)
        return
    if isinstance(want, str) and isinstance(got, str) and _PLACEHOLDER.search(want):
        if not _same_names(want, got, names):
            found.append(f"{where}: {got!r} does not fit {want!r} (names so far: {names})")
        return
    if type(want) is not type(got) or want != got:
        found.append(f"{where}: {got!r} != {want!r}")


def _same_names(want: str, got: str, names: dict[str, str]) -> bool:
    """Whether ``got`` is ``want`` with each placeholder standing for one name, consistently."""
    holders = [m.group(0) for m in _PLACEHOLDER.finditer(want)]
    pattern = ""
    rest = want
    groups: list[str] = []
    for holder in holders:
        before, rest = rest.split(holder, 1)
        pattern += re.escape(before)
        if holder in names:
            pattern += re.escape(names[holder])
        elif holder in groups:
            pattern += f"(?P={_group(holder)})"
        else:
            pattern += f"(?P<{_group(holder)}>[^:/]+?)"
            groups.append(holder)
    pattern += re.escape(rest)
    match = re.fullmatch(pattern, got)
    if match is None:
        return False
    for holder in groups:
        value = match.group(_group(holder))
        if value in names.values():  # another placeholder already stands for it
            return False
        names[holder] = value
    return True


def _group(holder: str) -> str:
    return re.sub(r"\W", "_", holder)
