"""Mocks in Step Functions Local's format: validation, test case choice, invocation ranges."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import asl
from asl import StatesError
from runtime.drivers.clock import VirtualClock
from runtime.drivers.execution import run_execution
from runtime.tasks import ConfigurationError, build_dispatch
from tests.runtime.tasks.support import HANDLERS, INVOKE, request

CONFIG = Path(__file__).with_name("mock_config.json")
RAW = json.loads(CONFIG.read_text())

TOO_MANY = ("Lambda.TooManyRequestsException", "slow down")
SERVICE = ("Lambda.ServiceException", "try again")
CHARGED = {"StatusCode": 200, "Payload": {"charged": True}}

# test case, state, outcome of invocations 0, 1, 2... (a tuple is a thrown error)
SEQUENCES = [
    ("HappyPath", "Charge", [CHARGED, CHARGED, CHARGED]),  # the last response repeats
    ("RetryPath", "Charge", [TOO_MANY, SERVICE, SERVICE, CHARGED, CHARGED]),
    ("RetryPath", "Notify", [{"MessageId": "m-1"}]),
]


def _outcome(dispatch, state: str, execution: str = "exec-1"):
    try:
        return asyncio.run(dispatch(request("anything", {}, state=state, execution=execution)))
    except StatesError as exc:
        return (exc.error, exc.cause)


@pytest.mark.parametrize(("case", "state", "outcomes"), SEQUENCES)
def test_invocation_sequences(case, state, outcomes):
    dispatch = build_dispatch(mock_config=CONFIG, test_case=case)
    assert [_outcome(dispatch, state) for _ in outcomes] == outcomes


def test_counts_are_per_execution_and_state():
    dispatch = build_dispatch(mock_config=RAW, test_case="RetryPath")
    assert _outcome(dispatch, "Charge", "exec-1") == TOO_MANY
    assert _outcome(dispatch, "Charge", "exec-2") == TOO_MANY
    assert _outcome(dispatch, "Notify", "exec-1") == {"MessageId": "m-1"}
    assert _outcome(dispatch, "Charge", "exec-1") == SERVICE


def test_unmocked_states_fall_through_to_the_other_routes():
    dispatch = build_dispatch(
        mock_config=RAW, test_case="HybridPath", bindings={"notify": f"python:{HANDLERS}:wrap"}
    )
    result = asyncio.run(
        dispatch(request(INVOKE, {"FunctionName": "notify", "Payload": 1}, state="Notify"))
    )
    assert result["Payload"] == {"wrapped": 1}


DEFINITION = {
    "StartAt": "Charge",
    "States": {
        "Charge": {
            "Type": "Task",
            "Resource": INVOKE,
            "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
            "ResultSelector": {"charged.$": "$.Payload.charged"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}],
            "Next": "Notify",
        },
        "Notify": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {"Message": "done"},
            "ResultPath": "$.notify",
            "End": True,
        },
    },
}


# test case, extra bindings, status, output, attempts at Charge
EXECUTIONS = [
    ("HappyPath", {}, "SUCCEEDED", {"charged": True, "notify": {"MessageId": "m-1"}}, 1),
    ("RetryPath", {}, "SUCCEEDED", {"charged": True, "notify": {"MessageId": "m-1"}}, 4),
    (
        "HybridPath",
        {"arn:aws:states:::sns:publish": f"python:{HANDLERS}:wrap"},
        "SUCCEEDED",
        {"charged": True, "notify": {"wrapped": {"Message": "done"}}},
        1,
    ),
    ("HybridPath", {}, "FAILED", None, 1),  # nothing answers Notify: States.Runtime
]


@pytest.mark.parametrize(("case", "bindings", "status", "output", "attempts"), EXECUTIONS)
def test_executions(case, bindings, status, output, attempts):
    dispatch = build_dispatch(mock_config=CONFIG, test_case=case, bindings=bindings)
    machine = asl.load(DEFINITION)
    result = asyncio.run(
        run_execution(machine, {}, dispatch=dispatch, machine_name="Orders", clock=VirtualClock())
    )
    assert result.status == status, (result.error, result.cause)
    assert result.output == output
    scheduled = [e for e in result.events if e.type == "TaskScheduled"]
    assert len(scheduled) == attempts + 1  # Charge's attempts, then Notify
    if status == "FAILED":
        assert result.error == "States.Runtime"
        assert "arn:aws:states:::sns:publish" in result.cause


# config, fragment of the ConfigurationError
INVALID = [
    ([], "top level must be an object"),
    ({"StateMachines": {}, "MockedResponses": {}, "Extra": 1}, "unknown top-level field(s): Extra"),
    ({"MockedResponses": {"R": {"a": {"Return": 1}}}}, "key 'a' is not a number"),
    ({"MockedResponses": {"R": {"2-1": {"Return": 1}}}}, "key '2-1' is not a number"),
    ({"MockedResponses": {"R": {}}}, "MockedResponses.R must be a non-empty object"),
    (
        {"MockedResponses": {"R": {"0": {"Return": 1, "Throw": {"Error": "E"}}}}},
        "MockedResponses.R.0 must hold exactly one of Return or Throw",
    ),
    ({"MockedResponses": {"R": {"0": {}}}}, "exactly one of Return or Throw"),
    ({"MockedResponses": {"R": {"0": {"Return": 1, "Delay": 2}}}}, "unknown field(s) Delay"),
    ({"MockedResponses": {"R": {"0": {"Throw": {"Cause": "c"}}}}}, "R.0.Throw must be"),
    ({"MockedResponses": {"R": {"0": {"Throw": {"Error": "E", "Cause": 3}}}}}, "Throw must be"),
    (
        {"MockedResponses": {"R": {"0": {"Return": 1}, "2": {"Return": 2}}}},
        "expected 1 next, found 2",
    ),
    (
        {"MockedResponses": {"R": {"0-1": {"Return": 1}, "1": {"Return": 2}}}},
        "without gaps or overlaps",
    ),
    ({"MockedResponses": {"R": {"1": {"Return": 1}}}}, "expected 0 next, found 1"),
    ({"StateMachines": {"M": {}}}, "StateMachines.M must be an object with a TestCases object"),
    (
        {"StateMachines": {"M": {"TestCases": {"T": {"S": 1}}}}},
        "StateMachines.M.TestCases.T must map state names to mocked response names",
    ),
    (
        {"StateMachines": {"M": {"TestCases": {"T": {"S": "Missing"}}}}, "MockedResponses": {}},
        "StateMachines.M.TestCases.T.S: no mocked response named 'Missing'",
    ),
]


@pytest.mark.parametrize(("config", "fragment"), INVALID)
def test_invalid_configs(config, fragment):
    with pytest.raises(ConfigurationError) as info:
        build_dispatch(mock_config=config)
    assert "is not a valid mock configuration" in str(info.value)
    assert fragment in str(info.value)


def test_unreadable_files(tmp_path: Path):
    with pytest.raises(ConfigurationError, match="cannot read it"):
        build_dispatch(mock_config=tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"StateMachines": ')
    with pytest.raises(ConfigurationError, match="is not valid JSON"):
        build_dispatch(mock_config=str(broken))


TWO_MACHINES = {
    "StateMachines": {
        "A": {"TestCases": {"T1": {}, "T2": {}}},
        "B": {"TestCases": {"Only": {}}},
    },
    "MockedResponses": {},
}

# machine, test case, fragment of the error (None: accepted)
SELECTION = [
    (None, None, "describes 2 state machines (A, B); name the one to run"),
    ("B", None, None),
    ("A", None, "has test cases T1, T2; pick one with --test-case"),
    ("A", "T2", None),
    ("A", "T3", "state machine 'A' has no test case 'T3'; it has: T1, T2"),
    ("C", "T1", "has no state machine 'C'; it has: A, B"),
]


@pytest.mark.parametrize(("machine", "case", "fragment"), SELECTION)
def test_test_case_selection(machine, case, fragment):
    def build():
        return build_dispatch(mock_config=TWO_MACHINES, state_machine_name=machine, test_case=case)

    if fragment is None:
        build()
        return
    with pytest.raises(ConfigurationError) as info:
        build()
    assert fragment in str(info.value)


@pytest.mark.parametrize("machine", [None, "Orders", "orders-file-name"])
def test_a_single_machine_is_the_default(machine):
    dispatch = build_dispatch(mock_config=CONFIG, test_case="HappyPath", state_machine_name=machine)
    assert _outcome(dispatch, "Notify") == {"MessageId": "m-1"}


def test_test_case_needs_a_config():
    with pytest.raises(ConfigurationError, match="without a mock config"):
        build_dispatch(test_case="HappyPath")
