"""``python:module:function`` resources: one argument in, the return value out."""

from __future__ import annotations

import json

import pytest

from runtime.tasks import ConfigurationError, build_dispatch
from tests.runtime.tasks.support import HANDLERS, fails, run

# function, input, result
RESULTS = [
    ("double", 21, 42),
    ("async_double", 21, 42),
    ("wrap", {"a": [1]}, {"wrapped": {"a": [1]}}),
    ("returns_tuple", None, {"pair": [1, 2], "amount": 2.5, "count": 3}),
]


@pytest.mark.parametrize(("function", "value", "expected"), RESULTS)
def test_results(function, value, expected):
    assert run(build_dispatch(), f"python:{HANDLERS}:{function}", value) == expected


# function, error, cause check
FAILURES = [
    ("reject", "OrderRejected", {"errorMessage": "order 7 rejected", "errorType": "OrderRejected"}),
    ("async_reject", "OrderRejected", {"errorMessage": "async no", "errorType": "OrderRejected"}),
    ("returns_set", "Runtime.MarshalError", {"errorType": "Runtime.MarshalError"}),
]


@pytest.mark.parametrize(("function", "error", "fields"), FAILURES)
def test_failures(function, error, fields):
    failure = fails(build_dispatch(), f"python:{HANDLERS}:{function}", {"id": 7})
    assert failure.error == error
    cause = json.loads(failure.cause)
    assert list(cause) == ["errorMessage", "errorType", "stackTrace"]
    assert fields.items() <= cause.items()
    assert failure.cause.startswith('{"errorMessage":"')  # compact, as Lambda writes it


def test_states_error_passes_through():
    failure = fails(build_dispatch(), f"python:{HANDLERS}:raise_states_error", {})
    assert (failure.error, failure.cause) == ("Orders.OutOfStock", "no more widgets")


@pytest.mark.parametrize(
    ("resource", "fragment"),
    [
        ("python:no_such_module_xyz:f", "cannot import module 'no_such_module_xyz'"),
        (f"python:{HANDLERS}:nope", "has no attribute 'nope'"),
    ],
)
def test_unloadable_function_fails_the_execution(resource, fragment):
    failure = fails(build_dispatch(), resource, {})
    assert failure.error == "States.Runtime"  # a configuration problem: not catchable
    assert fragment in failure.cause


def test_preflight_reports_unloadable_functions_before_running():
    dispatch = build_dispatch()
    with pytest.raises(ConfigurationError, match=r"state 'Charge': .*no_such_module_xyz"):
        dispatch.preflight([("Charge", "python:no_such_module_xyz:f")])
    warnings = dispatch.preflight(
        [
            ("Double", f"python:{HANDLERS}:double"),
            ("Send", "arn:aws:states:::sqs:sendMessage"),
            ("Legacy", "arn:aws:lambda:us-east-1:111111111111:function:orders"),
            ("Invoke", "arn:aws:states:::lambda:invoke"),
            ("Run", "program:run"),
        ]
    )
    assert len(warnings) == 2
    assert warnings[0].startswith("state 'Send': No local handler for resource")
    assert "no local handler for Lambda function 'orders'" in warnings[1]
    assert "--lambda orders=module:function" in warnings[1]
