"""Malformed requests get AWS-shaped errors with the right status: never a traceback or a hang."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import pytest

from runtime.serve import ApiError

TARGET = "AWSStepFunctions."
TIMEOUT = 10  # every answer must come well within this


def post(url, body, target=TARGET + "ListStateMachines", headers=None):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
    sent = {"Content-Type": "application/x-amz-json-1.0", **(headers or {})}
    if target is not None:
        sent["X-Amz-Target"] = target
    conn.request("POST", "/", body=body, headers=sent)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data), response.headers


def check_error(answer, status, code):
    got_status, body, headers = answer
    assert got_status == status, body
    assert body["__type"] == code
    assert isinstance(body["message"], str) and "Traceback" not in body["message"]
    assert headers["Content-Type"] == "application/x-amz-json-1.0"


def test_well_formed_request(live):
    status, body, headers = post(live.url, b"{}")
    assert status == 200 and body == {"stateMachines": []}
    assert headers["x-amzn-RequestId"]


def test_bad_json(live):
    check_error(post(live.url, b"{not json"), 400, "SerializationException")
    check_error(post(live.url, b"[1, 2]"), 400, "SerializationException")
    check_error(post(live.url, b"\xff\xfe"), 400, "SerializationException")


def test_wrong_or_missing_target(live):
    check_error(
        post(live.url, b"{}", target="AWSStepFunctions.Nope"), 400, "UnknownOperationException"
    )
    check_error(
        post(live.url, b"{}", target="DynamoDB_20120810.ListTables"),
        400,
        "UnknownOperationException",
    )
    check_error(post(live.url, b"{}", target=None), 400, "UnknownOperationException")


def test_missing_field(live):
    status, body, _ = post(live.url, b"{}", target=TARGET + "DescribeExecution")
    check_error(
        (status, body, {"Content-Type": "application/x-amz-json-1.0"}), 400, "ValidationException"
    )
    assert "executionArn" in body["message"]
    check_error(
        post(live.url, json.dumps({"name": "x"}).encode(), target=TARGET + "CreateStateMachine"),
        400,
        "ValidationException",
    )
    check_error(
        post(
            live.url, json.dumps({"executionArn": 5}).encode(), target=TARGET + "DescribeExecution"
        ),
        400,
        "SerializationException",
    )


def test_oversized_payload(make_server):
    live = make_server()
    big = json.dumps({"definition": "x" * (3 * 1024 * 1024)}).encode()
    check_error(
        post(live.url, big, target=TARGET + "ValidateStateMachineDefinition"),
        413,
        "RequestEntityTooLargeException",
    )
    # the server still answers afterwards
    assert post(live.url, b"{}")[0] == 200


def test_unknown_arns(live):
    execution = "arn:aws:states:us-east-1:111111111111:execution:m:none"
    check_error(
        post(
            live.url,
            json.dumps({"executionArn": execution}).encode(),
            target=TARGET + "DescribeExecution",
        ),
        400,
        "ExecutionDoesNotExist",
    )
    machine = "arn:aws:states:us-east-1:111111111111:stateMachine:none"
    check_error(
        post(
            live.url,
            json.dumps({"stateMachineArn": machine}).encode(),
            target=TARGET + "DescribeStateMachine",
        ),
        400,
        "StateMachineDoesNotExist",
    )
    check_error(
        post(
            live.url,
            json.dumps({"executionArn": "nonsense"}).encode(),
            target=TARGET + "DescribeExecution",
        ),
        400,
        "InvalidArn",
    )


def test_missing_length_and_chunked(live):
    parts = urlsplit(live.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"X-Amz-Target: AWSStepFunctions.ListStateMachines\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
        )
        head = sock.recv(65536).decode()
    assert head.startswith("HTTP/1.1 411")
    assert "MissingContentLength" in head


def test_stalled_client_does_not_block_others(live):
    parts = urlsplit(live.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        assert post(live.url, b"{}")[0] == 200  # another client is answered meanwhile


def test_get_health_and_unknown_path(live):
    parts = urlsplit(live.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
    conn.request("GET", "/health")
    response = conn.getresponse()
    assert response.status == 200 and json.loads(response.read())["status"] == "ok"
    conn.request("GET", "/other")
    response = conn.getresponse()
    assert response.status == 404 and json.loads(response.read())["__type"]
    conn.request("PUT", "/")
    response = conn.getresponse()
    assert response.status == 501 and "__type" in json.loads(response.read())
    conn.close()


def test_internal_error_is_a_500_without_traceback(live, monkeypatch):
    def boom(service, params):
        raise RuntimeError("secret detail")

    monkeypatch.setitem(live.service._actions, "ListStateMachines", boom)
    status, body, _ = post(live.url, b"{}")
    assert status == 500 and body["__type"] == "InternalFailure"
    assert "secret detail" not in body["message"] and "Traceback" not in body["message"]


def test_boto3_raises_its_own_exception_classes(live):
    sfn = live.sfn
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist) as info:
        sfn.describe_execution(executionArn="arn:aws:states:us-east-1:111111111111:execution:a:b")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert isinstance(ApiError("X", "y").body(), dict)
