"""The comparison itself: what it forgives (placeholders, headers, allowances it names) and what
it must not (names, status codes, values, event order), on recorded cases."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.services.cases import ServiceCase, case_by_id
from tests.services.compare import Outcome, differences

SEND = "services_test_sqs_task_service_TestTaskServiceSqs_test_send_message"
CROSS = (
    "credentials_test_credentials_base_TestCredentialsBase_test_cross_account_states_start_sync"
    "_execution_SFN_START_EXECUTION_SYNC_ROLE_ARN_PATH"
)
SYNC2 = "callback_test_callback_TestCallback_test_start_execution_sync2"
NO_QUEUE = (
    "error_handling_test_task_service_sqs_TestTaskServiceSqs"
    "_test_send_message_no_such_queue_no_catch"
)
QUEUE_URL = "http://127.0.0.1:5000/111111111111/queue-u0000001"
NAMES = [(QUEUE_URL, "__FX__fixture.sqs_create_queue()__")]


def sent(status: int = 200, **changes: Any) -> Outcome:
    """What sqs:sendMessage answers on moto: other headers than AWS's, a request id."""
    output = {
        "MD5OfMessageBody": "6a1559560f67c5e7a7d5d838bf0272ee",
        "MessageId": "f0b2d7a1-6d1c-4c55-9c48-3c2d1e1f0a11",
        "SdkHttpMetadata": {
            "AllHttpHeaders": {"Server": ["Werkzeug"], "Content-Length": ["98"]},
            "HttpHeaders": {"Server": "Werkzeug", "Content-Length": "98"},
            "HttpStatusCode": status,
        },
        "SdkResponseMetadata": {"RequestId": "Yz9x"},
        **changes,
    }
    return Outcome("SUCCEEDED", output, events=case_by_id(SEND).data["expected_events"])


def test_other_headers_and_generated_values_conform() -> None:
    assert differences(case_by_id(SEND), sent(), NAMES) == []


@pytest.mark.parametrize(
    "outcome",
    [
        sent(status=400),
        sent(MessageId=None),
        sent(Extra="member"),
        Outcome("FAILED", error="SQS.QueueDoesNotExistException", cause="x"),
        Outcome("SUCCEEDED", sent().output, events=["ExecutionStarted", "ExecutionSucceeded"]),
    ],
    ids=["status code", "value", "member", "status", "events"],
)
def test_a_difference_is_reported(outcome: Outcome) -> None:
    assert differences(case_by_id(SEND), outcome, NAMES)


def _described(case: ServiceCase, account: str) -> dict[str, Any]:
    output = copy.deepcopy(case.expected["output"])
    for key in ("ExecutionArn", "StateMachineArn"):
        output[key] = (
            output[key]
            .replace("<partition>", "aws")
            .replace("<region>", "us-east-1")
            .replace("<secondary_test_aws_account_id>", account)
            .replace("<ArnPart_0idx>", case.machine_names[0])
        )
    return output


def test_recorded_names_must_agree_not_match_anything() -> None:
    case = case_by_id(CROSS)
    right = Outcome("SUCCEEDED", _described(case, "222222222222"), events=case.expected_events)
    wrong = Outcome("SUCCEEDED", _described(case, "111111111111"), events=case.expected_events)
    assert differences(case, right, []) == []
    assert any("output" in d for d in differences(case, wrong, []))


def test_members_added_after_the_recording_are_allowed_only_for_older_recordings() -> None:
    case = case_by_id(SYNC2)
    output = _described(case, "111111111111")
    output.update(RedriveCount=0, RedriveStatus="NOT_REDRIVABLE")
    assert differences(case, Outcome("SUCCEEDED", output, events=case.expected_events), []) == []
    newer = case_by_id(CROSS)
    later = _described(newer, "222222222222") | {"Unrecorded": 1}
    assert differences(newer, Outcome("SUCCEEDED", later, events=newer.expected_events), [])


def test_the_recorded_random_queue_host_is_the_queue_the_input_names() -> None:
    case = case_by_id(NO_QUEUE)
    cause = "Unable to execute HTTP request: no-such-queue-u0000002: Name or service not known"
    events = case.expected_events
    assert (
        differences(case, Outcome("FAILED", None, case.expected["error"], cause, events), []) == []
    )
    other = cause.replace("u0000002", "u0000009")
    assert differences(case, Outcome("FAILED", None, case.expected["error"], other, events), [])
