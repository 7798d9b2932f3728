"""Text that is not a JSON payload, in a request body or in any JSON member, gets AWS's error
type with a 4xx (never a 500 or a dropped connection); page tokens belong to their request."""

from __future__ import annotations

import http.client
import json

import pytest

from tests.serve.conftest import PASS, ROLE, definition, wait_done

DEEP = "[" * 10_000 + "]" * 10_000
LONE = '"\\ud800"'  # JSON text of a lone surrogate
NOT_JSON = {"lone surrogate": LONE, "NaN": "NaN", "Infinity": "[Infinity]", "1e999": "1e999"}
NOT_JSON["10,000 levels"] = DEEP


def call(url: str, action: str, body: bytes) -> tuple[int, dict]:
    port = int(url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(
        "POST",
        "/",
        body=body,
        headers={
            "X-Amz-Target": f"AWSStepFunctions.{action}",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    response = conn.getresponse()
    payload = json.loads(response.read())
    conn.close()
    return response.status, payload


BODIES = {
    "lone surrogate escape": b'{"maxResults": 1, "nextToken": "\\udc00"}',
    "NaN": b'{"x": NaN}',
    "Infinity": b'{"x": [-Infinity]}',
    "1e999": b'{"x": 1e999}',
    "10,000 levels": ('{"tags": ' + DEEP + "}").encode(),
    "10,000 objects": ('{"a":' * 10_000 + "1" + "}" * 10_000).encode(),
}


@pytest.mark.parametrize("body", BODIES.values(), ids=list(BODIES))
def test_bodies_that_are_not_json_payloads(live, body):
    status, payload = call(live.url, "ListStateMachines", body)
    assert (status, payload["__type"]) == (400, "SerializationException")
    assert call(live.url, "ListStateMachines", b"{}")[0] == 200


@pytest.mark.parametrize("text", NOT_JSON.values(), ids=list(NOT_JSON))
def test_members_that_are_not_json_payloads(live, text):
    machine = live.machine(PASS)
    cases = [
        ("StartExecution", {"stateMachineArn": machine, "input": text}, "InvalidExecutionInput"),
        ("CreateStateMachine", {"name": "x", "roleArn": ROLE, "definition": text}, None),
        ("UpdateStateMachine", {"stateMachineArn": machine, "definition": text}, None),
        ("TestState", {"definition": text}, "InvalidDefinition"),
        ("TestState", {"definition": '{"Type": "Pass", "End": true}', "input": text}, None),
        ("SendTaskSuccess", {"taskToken": "t", "output": text}, "InvalidOutput"),
    ]
    expected_by_action = {
        "CreateStateMachine": "InvalidDefinition",
        "UpdateStateMachine": "InvalidDefinition",
        "TestState": "InvalidExecutionInput",
    }
    for action, params, expected in cases:
        status, payload = call(live.url, action, json.dumps(params).encode())
        assert status == 400, (action, payload)
        assert payload["__type"] == (expected or expected_by_action[action]), (action, payload)
        if payload["__type"] == "InvalidExecutionInput":  # AWS's wording, then what is wrong
            assert payload["message"].startswith("Invalid State Machine Execution Input: '")
    wrapped = (
        '{"Comment": ' + text + ', "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}'
    )
    status, payload = call(
        live.url,
        "CreateStateMachine",
        json.dumps({"name": "w", "roleArn": ROLE, "definition": wrapped}).encode(),
    )
    assert (status, payload["__type"]) == (400, "InvalidDefinition")
    # nothing half-made: no execution stored, no machine created
    assert live.sfn.list_executions(stateMachineArn=machine)["executions"] == []
    assert [m["name"] for m in live.sfn.list_state_machines()["stateMachines"]] == ["m"]


def test_mock_result_that_is_not_json(live):
    body = {"definition": '{"Type": "Task", "Resource": "arn:aws:states:::x", "End": true}'}
    body["mock"] = {"result": "NaN"}
    status, payload = call(live.url, "TestState", json.dumps(body).encode())
    assert (status, payload["__type"]) == (400, "ValidationException")


# -- page tokens ---------------------------------------------------------------------------------


def test_page_tokens_are_bound_to_their_request(live):
    sfn = live.sfn
    wait = definition({"W": {"Type": "Wait", "Seconds": 0, "End": True}})
    a, b = live.machine(wait, name="a"), live.machine(wait, name="b")
    runs = {
        m: [sfn.start_execution(stateMachineArn=m)["executionArn"] for _ in range(3)]
        for m in (a, b)
    }
    for arn in runs[a] + runs[b]:
        wait_done(sfn, arn)
    token = sfn.list_executions(stateMachineArn=a, maxResults=1)["nextToken"]
    assert (
        len(sfn.list_executions(stateMachineArn=a, maxResults=1, nextToken=token)["executions"])
        == 1
    )
    for other in (
        {"stateMachineArn": b},
        {"stateMachineArn": a, "statusFilter": "FAILED"},
        {"stateMachineArn": a, "redriveFilter": "REDRIVEN"},
    ):
        with pytest.raises(sfn.exceptions.InvalidToken, match="Invalid Token"):
            sfn.list_executions(maxResults=1, nextToken=token, **other)
    x, y = runs[a][0], runs[a][1]
    token = sfn.get_execution_history(executionArn=x, maxResults=1)["nextToken"]
    assert sfn.get_execution_history(executionArn=x, maxResults=1, nextToken=token)["events"]
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.get_execution_history(executionArn=y, maxResults=1, nextToken=token)
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.get_execution_history(executionArn=x, maxResults=1, nextToken=token, reverseOrder=True)
