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


LIST_HEAD = (
    b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\n"
)
CHUNKED = LIST_HEAD + b"Transfer-Encoding: chunked\r\n"
# raw request bytes -> (status, __type or None for 200, whether the server closes the connection)
WIRE = {
    "chunked body": (CHUNKED + b"\r\n2\r\n{}\r\n0\r\n\r\n", 200, None, False),
    "chunked in pieces, extension, trailer": (
        CHUNKED + b"\r\n1;x=y\r\n{\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n",
        200,
        None,
        False,
    ),
    "chunked over the size limit": (
        CHUNKED + b"\r\n" + b"400\r\n" + b" " * 1024 + b"\r\n" + b"1\r\n \r\n0\r\n\r\n",
        413,
        "RequestEntityTooLargeException",
        True,
    ),
    "Content-Length over the size limit": (
        LIST_HEAD + b"Content-Length: 1025\r\n\r\n" + b" " * 1025,
        413,
        "RequestEntityTooLargeException",
        True,
    ),
    "smuggling: Content-Length and Transfer-Encoding": (
        CHUNKED + b"Content-Length: 5\r\n\r\n0\r\n\r\n",
        400,
        "BadRequest",
        True,
    ),
    "smuggling: obs-fold header": (
        LIST_HEAD + b"X-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n{}",
        400,
        "BadRequest",
        True,
    ),
    "smuggling: two different Content-Length": (
        LIST_HEAD + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{} ",
        400,
        "BadRequest",
        True,
    ),
    "unsupported transfer coding": (
        LIST_HEAD + b"Transfer-Encoding: gzip\r\n\r\n",
        501,
        "NotImplemented",
        True,
    ),
    "bad Content-Length": (LIST_HEAD + b"Content-Length: 2x\r\n\r\n{}", 400, "BadRequest", True),
    "malformed request line": (b"POST /\r\nHost: localhost\r\n\r\n", 400, "BadRequest", True),
    "malformed header line": (LIST_HEAD + b"No colon\r\n\r\n", 400, "BadRequest", True),
    "space before the colon": (LIST_HEAD + b"X-A : b\r\n\r\n", 400, "BadRequest", True),
    "no Host (HTTP/1.1)": (
        b"GET /health HTTP/1.1\r\nX-A: b\r\n\r\n",
        400,
        "BadRequest",
        True,
    ),
    "two Host headers": (LIST_HEAD + b"Host: localhost\r\n\r\n", 400, "BadRequest", True),
    "more than 100 headers": (
        LIST_HEAD + b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"\r\n",
        431,
        "BadRequest",
        True,
    ),
    "head over 64 KiB": (
        LIST_HEAD + b"X-Big: " + b"v" * 70_000 + b"\r\n\r\n",
        431,
        "BadRequest",
        True,
    ),
    "HTTP/1.0": (b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n", 200, None, True),
    "Connection: close": (
        b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        200,
        None,
        True,
    ),
}


@pytest.fixture
def small(make_server):
    """A server whose request body limit is 1 KiB."""
    from runtime.serve import Server, Service
    from runtime.stores import MemoryStore

    server = Server(Service(MemoryStore(), log=lambda m: None), port=0, max_request_bytes=1024)
    yield server.start()
    server.close()


def answer(sock):
    """Status, JSON body and headers of the next answer on ``sock``."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, json.loads(response.read()), response.headers


class Stream:
    """One read-ahead buffer for several answers on a socket (each ``HTTPResponse`` would
    otherwise buffer, and lose, the bytes of the answers after its own)."""

    def __init__(self, sock):
        self._file = sock.makefile("rb")

    def makefile(self, mode):
        return self

    def close(self):
        pass

    def __getattr__(self, name):
        return getattr(self._file, name)


def closed(sock) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


@pytest.mark.parametrize("case", list(WIRE))
def test_wire(small, case):
    data, status, code, closes = WIRE[case]
    with socket.create_connection(("127.0.0.1", small.port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        got, body, headers = answer(sock)
        assert got == status, body
        assert headers["Content-Type"] == "application/x-amz-json-1.0"
        assert headers["x-amzn-RequestId"]
        if code is None:
            assert "__type" not in body
        else:
            assert body["__type"] == code and headers["x-amzn-ErrorType"] == code
            assert body["message"] and "Traceback" not in body["message"]
        if closes:
            assert headers["Connection"] == "close" and closed(sock)
        else:  # the connection still answers
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert answer(sock)[0] == 200


def test_pipelined_requests_are_answered_in_order(small):
    one = LIST_HEAD + b"Content-Length: 2\r\n\r\n{}"
    health = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
    with socket.create_connection(("127.0.0.1", small.port), timeout=TIMEOUT) as sock:
        sock.sendall(one + health + CHUNKED + b"\r\n2\r\n{}\r\n0\r\n\r\n" + health)
        stream = Stream(sock)
        answers = [answer(stream)[:2] for _ in range(4)]
    assert [a[0] for a in answers] == [200] * 4
    assert answers[0][1] == answers[2][1] == {"stateMachines": []}
    assert answers[1][1]["status"] == answers[3][1]["status"] == "ok"


@pytest.mark.parametrize(("length", "status"), [(2, 200), (4096, 413)])
def test_expect_100_continue(small, length, status):
    """A client that waits for 100 Continue gets it, or the final 413 without sending a body."""
    with socket.create_connection(("127.0.0.1", small.port), timeout=TIMEOUT) as sock:
        sock.sendall(LIST_HEAD + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % length)
        if status == 413:
            assert answer(sock)[0] == 413 and closed(sock)
            return
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += sock.recv(1)
        assert head.startswith(b"HTTP/1.1 100 ")
        sock.sendall(b"{}")
        assert answer(sock)[:2] == (200, {"stateMachines": []})


def test_client_closing_mid_request_gets_400(small):
    with socket.create_connection(("127.0.0.1", small.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: local")
        sock.shutdown(socket.SHUT_WR)
        status, body, _ = answer(sock)
    assert (status, body["__type"]) == (400, "BadRequest")


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
