"""Fuzz over real HTTP: arbitrary bodies, headers, targets and JSON members always get a
well-formed AWS JSON answer (never a 500, never a dropped connection) and the server keeps
answering. Bounded: derandomized, a fixed number of examples, no example database."""

from __future__ import annotations

import http.client
import json
import socket

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from runtime.core import jsontext
from tests.serve.conftest import ROLE

FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ACTIONS = [
    "CreateStateMachine",
    "UpdateStateMachine",
    "DescribeStateMachine",
    "ListStateMachines",
    "ValidateStateMachineDefinition",
    "StartExecution",
    "StartSyncExecution",
    "DescribeExecution",
    "ListExecutions",
    "GetExecutionHistory",
    "StopExecution",
    "TestState",
    "SendTaskSuccess",
    "SendTaskFailure",
    "CreateActivity",
    "ListActivities",
]
JSON_TEXT_EDGES = ["NaN", "-Infinity", "1e999", '"\\ud800"', "[" * 600 + "]" * 600, "{", ""]
READS = {  # the JSON text members each action takes
    "StartExecution": ("input",),
    "StartSyncExecution": ("input",),
    "CreateStateMachine": ("definition",),
    "UpdateStateMachine": ("definition",),
    "TestState": ("definition", "input", "variables", "context"),
}
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
json_texts = (
    st.sampled_from(JSON_TEXT_EDGES)
    | json_values.map(lambda v: json.dumps(v, allow_nan=True))
    | st.text(max_size=40)
)
header_names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz-ABCXYZ0123456789", min_size=1, max_size=20
)
header_values = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=60,
)


def exchange(port: int, raw: bytes) -> tuple[int, bytes]:
    """Send raw request bytes; the status and body of the answer (a dropped connection fails)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()


def request(target: str, body: bytes, headers: list[tuple[str, str]] = ()) -> bytes:
    lines = ["POST / HTTP/1.1", "Host: localhost", f"X-Amz-Target: {target}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def well_formed(status: int, body: bytes) -> None:
    assert status != 500 and status < 600, body
    payload = json.loads(body)
    assert isinstance(payload, dict)
    if status >= 400:
        assert isinstance(payload.get("__type"), str) and isinstance(payload.get("message"), str)


@pytest.fixture
def fuzzed(make_server):
    live = make_server(activity_wait=0.05)
    live.machine(PASS, name="m")
    return live


def test_arbitrary_bodies_headers_and_targets(fuzzed):
    port = int(fuzzed.url.rsplit(":", 1)[1])

    @FUZZ
    @given(
        target=st.sampled_from([f"AWSStepFunctions.{a}" for a in ACTIONS]) | header_values,
        body=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()),
        headers=st.lists(st.tuples(header_names, header_values), max_size=4),
    )
    @example("AWSStepFunctions.ListStateMachines", b"[" * 10_000 + b"]" * 10_000, [])
    @example("AWSStepFunctions.ListStateMachines", b'{"x": NaN}', [("Transfer-Encoding", "x")])
    def check(target: str, body: bytes, headers: list[tuple[str, str]]) -> None:
        headers = [(n, v) for n, v in headers if n.lower() not in ("content-length", "host")]
        well_formed(*exchange(port, request(target, body, headers)))

    check()
    assert exchange(port, b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")[0] == 200


def test_arbitrary_json_members(fuzzed):
    port = int(fuzzed.url.rsplit(":", 1)[1])
    machine = fuzzed.sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    known = {"stateMachineArn": machine, "roleArn": ROLE, "name": "f", "taskToken": "t"}

    @FUZZ
    @given(
        action=st.sampled_from(ACTIONS),
        members=st.dictionaries(
            st.sampled_from(
                ["input", "definition", "output", "variables", "context", "nextToken", "name"]
            ),
            json_texts,
            max_size=3,
        ),
        extra=st.dictionaries(
            st.sampled_from(["maxResults", "mock", "type"]), json_values, max_size=2
        ),
    )
    @example("StartExecution", {"input": '"\\ud800"'}, {})
    @example("TestState", {"input": "NaN"}, {})
    @example("CreateStateMachine", {"definition": '{"StartAt": 1e999}'}, {})
    def check(action: str, members: dict, extra: dict) -> None:
        body = json.dumps({**known, **extra, **members}, ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        )
        status, answer = exchange(port, request(f"AWSStepFunctions.{action}", body))
        well_formed(status, answer)
        if status == 200:  # what was taken is a JSON payload (else it would be stored, run...)
            for key in READS.get(action, ()):
                if key in members:
                    jsontext.loads(members[key])

    check()
    assert fuzzed.sfn.describe_state_machine(stateMachineArn=machine)["status"] == "ACTIVE"
