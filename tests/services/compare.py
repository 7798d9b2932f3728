"""What the engine did against what AWS recorded, normalised as the recording was.

An :class:`Outcome` is how one execution ended (status, output, error, cause, event types).
:func:`differences` lists every way it differs from the case, after the engine's values are
named back (resources the world created -> the recording's placeholders; the recorder's literal
replacements; its transformer presets; ARN partition and region) and SdkHttpMetadata is reduced
to what a local emulator can match: the status code and the shape of the headers, not their set.

Two more allowances, each for a cause outside the engine: members AWS added after a case was
recorded (the redrive members, for recordings older than RedriveExecution), and members moto
sends that AWS does not (``ConsumedCapacity`` nobody asked for). Nothing else is forgiven.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from tests.runtime.conformance.normalise import matches, parse_json_strings, rewrite
from tests.runtime.conformance.test_execution_cases import mask_keys
from tests.services.cases import ServiceCase

# RedriveExecution (November 2023) added these members to DescribeExecution, and so to the
# results and causes of startExecution.sync; recordings made before it have none of them.
REDRIVE_ADDED = "2023-11-15"
_REDRIVE_MEMBERS = ("RedriveCount", "RedriveStatus", "RedriveStatusReason")
# moto's UpdateItem answers ConsumedCapacity unasked (moto/dynamodb/responses.py, update_item);
# AWS sends it only when ReturnConsumedCapacity asks, which no case does.
_MOTO_UNASKED = ("ConsumedCapacity",)
# LocalStack's TransformerUtility.dynamodb_api(): table names in values and messages
_TEST_TABLE = re.compile(r"([a-zA-Z0-9-_.]*)?test_table_([a-zA-Z0-9-_.]*)?")
# The two no-such-queue recordings kept the test's random suffix in the cause while their input
# shows the normalised name; the cause names the queue the input names.
_RECORDED_QUEUE_HOST = re.compile(r"no-such-queue-[0-9a-f]{8}\b")


@dataclass
class Outcome:
    """How an execution ended, as plain JSON values."""

    status: str
    output: Any = None
    error: str | None = None
    cause: Any = None
    events: list[str] = field(default_factory=list)
    note: str = ""  # what else happened (a consumer's complaint)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rename(value: Any, pairs: list[tuple[str, str]]) -> Any:
    """Every string in ``value`` with each (literal, replacement) applied in order."""
    return rewrite(value, [(re.escape(a), b.replace("\\", "\\\\")) for a, b in pairs])


def _without(value: Any, members: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, members) for k, v in value.items() if k not in members}
    if isinstance(value, list):
        return [_without(v, members) for v in value]
    return value


def recorded_on(case: ServiceCase) -> str:
    """The day the case was recorded against AWS, ``YYYY-MM-DD``."""
    source = case.data["source"]
    if source.get("aws_validated_date"):
        return str(source["aws_validated_date"])[:10]
    day, month, year = source["recorded_date"].split(",", 1)[0].split("-")
    return f"{year}-{month}-{day}"


def sdk_metadata_shape(value: Any) -> Any:
    """``SdkHttpMetadata`` / ``SdkResponseMetadata`` reduced to what must agree: the HTTP status
    code, headers as a name -> list map and a name -> text map, a request id."""
    if isinstance(value, list):
        return [sdk_metadata_shape(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: sdk_metadata_shape(v) for k, v in value.items()}
    meta = value.get("SdkHttpMetadata")
    if isinstance(meta, dict):
        all_headers, headers = meta.get("AllHttpHeaders"), meta.get("HttpHeaders")
        out["SdkHttpMetadata"] = {
            "HttpStatusCode": meta.get("HttpStatusCode"),
            "AllHttpHeaders": isinstance(all_headers, dict) and bool(all_headers),
            "HttpHeaders": isinstance(headers, dict) and bool(headers),
        }
    response = value.get("SdkResponseMetadata")
    if isinstance(response, dict):
        out["SdkResponseMetadata"] = {"RequestId": isinstance(response.get("RequestId"), str)}
    return out


def normalise(case: ServiceCase, value: Any, names: list[tuple[str, str]]) -> Any:
    """The engine's ``value`` named as the recording names things."""
    pairs = sorted(names, key=lambda pair: -len(pair[0])) + case.literal_replacements
    value = rename(value, pairs)
    if "transform.dynamodb_api" in case.presets:
        value = rewrite(value, [(_TEST_TABLE, "<test-table>")])
    value = rename(value, [("arn:aws:", "arn:<partition>:"), ("us-east-1", "<region>")])
    value = _without(parse_json_strings(value), _MOTO_UNASKED)
    if recorded_on(case) < REDRIVE_ADDED:
        value = _without(value, _REDRIVE_MEMBERS)
    return sdk_metadata_shape(mask_keys(value, case.masked_keys))


def _expected(case: ServiceCase, key: str) -> Any:
    value = case.expected.get(key)
    for url, replacement in case.literal_replacements:
        if replacement == "<no_such_sqs_queue_url>":
            value = rewrite(value, [(_RECORDED_QUEUE_HOST, url.removeprefix("http://"))])
    return sdk_metadata_shape(value)


def _pinned(case: ServiceCase, value: Any) -> Any:
    """``value`` with the names the recorder gave (``<ArnPart_0idx>``, ``<sqs_queue_url>``,
    ``<test_aws_account_id>``...) made literal: ``matches`` takes any ``<...>`` for a wildcard,
    which suits generated values (``<uuid:1>``, ``<request_id>``) but not names, which must
    agree."""
    tokens = {r for _, r in case.literal_replacements if r.startswith("<")}
    tokens |= {"<partition>", "<region>", "<test-table>"}
    return rename(value, [(t, f"«{t[1:-1]}»") for t in sorted(tokens, key=len, reverse=True)])


def _same_cause(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and "errorMessage" in expected:
        return isinstance(actual, dict) and all(
            matches(expected.get(k), actual.get(k)) for k in ("errorMessage", "errorType")
        )
    return matches(expected, actual)


def differences(case: ServiceCase, outcome: Outcome, names: list[tuple[str, str]]) -> list[str]:
    """Each way ``outcome`` differs from the recording (empty: it conforms)."""
    expected = case.expected
    found: list[str] = []
    if outcome.status != expected["status"]:
        found.append(
            f"status: expected {expected['status']}, got {outcome.status} "
            f"(error={outcome.error!r}, cause={outcome.cause!r})"
        )
        return found
    if "output" in expected:
        actual = normalise(case, outcome.output, names)
        if not matches(_pinned(case, _expected(case, "output")), _pinned(case, actual)):
            found.append(
                f"output:\n  expected {_expected(case, 'output')!r}\n  got      {actual!r}"
            )
    if "error" in expected and outcome.error != expected["error"]:
        found.append(f"error: expected {expected['error']!r}, got {outcome.error!r}")
    if "cause" in expected:
        actual = normalise(case, outcome.cause, names)
        if not _same_cause(_pinned(case, _expected(case, "cause")), _pinned(case, actual)):
            found.append(f"cause:\n  expected {_expected(case, 'cause')!r}\n  got      {actual!r}")
    wanted = case.expected_events
    if wanted is not None and outcome.events != wanted:
        found.append(f"events:\n  expected {wanted}\n  got      {outcome.events}")
    return found


def assert_conforms(case: ServiceCase, outcome: Outcome, names: list[tuple[str, str]]) -> None:
    """Fail with every difference, and anything the consumer reported."""
    problems = differences(case, outcome, names)
    if outcome.note:
        problems.append(outcome.note)
    assert not problems, "\n".join(problems)


__all__ = [
    "Outcome",
    "assert_conforms",
    "differences",
    "normalise",
    "rename",
    "sdk_metadata_shape",
]
