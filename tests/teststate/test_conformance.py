"""The 76 recorded TestState calls, made through boto3 against a real ``asl serve``.

Every case's response must match what AWS answered: status, output, error and cause, nextState
and inspectionData, after the normalisation :mod:`tests.teststate.recorded` describes. The
TestState calls AWS refused (``validation/`` cases with ``"api": "TestState"``) must be refused
with the same error code and message, word for word.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import conformance_dir
from tests.teststate import recorded

CASES = sorted((conformance_dir() / "teststate").glob("*.json"))
REFUSED = sorted(
    p
    for p in (conformance_dir() / "validation").glob("*.json")
    if json.loads(p.read_text()).get("api") == "TestState"
)
# What the refused calls sent besides their definition (from the tests in source.node_id).
REFUSED_CALLS = {
    "test_state_type_requires_mock": {"inspectionLevel": "TRACE"},
    "test_state_name_invalid_state_definition": {
        "stateName": "ExistingButInvalidState",
        "input": json.dumps({"Value": "HelloWorld"}),
        "inspectionLevel": "INFO",
    },
}


def test_the_recorded_calls_are_all_here() -> None:
    assert len(CASES) == 76
    assert len(REFUSED) == 2


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem[len("test_state_test_") :][:90])
def test_recorded_call(sfn: Any, path: Path) -> None:
    case = recorded.load(path)
    response = sfn.test_state(**recorded.request(case))
    ours = recorded.normalise(recorded.response_members(response), case)
    problems = recorded.differences(case["expected"], ours)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", REFUSED, ids=lambda p: p.stem[len("test_state_test_") :][:90])
def test_refused_call(sfn: Any, path: Path) -> None:
    case = recorded.load(path)
    test = case["source"]["node_id"].split("::")[-1].split("[")[0]
    with pytest.raises(ClientError) as refused:
        sfn.test_state(definition=json.dumps(case["definition"]), **REFUSED_CALLS[test])
    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == (case["expected_error"], case["expected_message"])
