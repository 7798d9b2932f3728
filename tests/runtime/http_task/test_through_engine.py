"""The HTTP Task in an execution: ``runtime.execute`` routes ``http:invoke`` to it, with or
without ``--aws``; its errors are caught like any task's."""

from __future__ import annotations

import json
from typing import Any

import runtime
from tests.runtime.http_task.conftest import Endpoint
from tests.support.moto_server import MotoServer


def machine(arguments: dict[str, Any], **fields: Any) -> dict[str, Any]:
    call = {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": True}
    return {"StartAt": "Call", "States": {"Call": {**call, "Arguments": arguments, **fields}}}


def test_an_http_task_in_a_jsonata_machine(endpoint: Endpoint) -> None:
    endpoint.answer("/orders/7", 200, {"id": 7, "state": "shipped"})
    definition = machine(
        {"ApiEndpoint": "{% $states.input.url %}", "Method": "GET"},
        Output="{% $states.result.ResponseBody.state %}",
    )
    definition["QueryLanguage"] = "JSONata"
    result = runtime.execute(definition, {"url": f"{endpoint.url}/orders/7"})
    assert (result.status, result.output) == ("SUCCEEDED", "shipped")


def test_a_failed_call_is_caught_by_its_status_code(endpoint: Endpoint) -> None:
    endpoint.answer("/orders/8", 503, {"retry": True})
    definition = machine(
        {"ApiEndpoint": f"{endpoint.url}/orders/8", "Method": "GET"},
        Catch=[{"ErrorEquals": ["States.Http.StatusCode.503"], "Next": "Later"}],
    )
    definition["QueryLanguage"] = "JSONata"
    definition["States"]["Later"] = {"Type": "Pass", "End": True}
    result = runtime.execute(definition, {})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["Error"] == "States.Http.StatusCode.503"
    assert json.loads(result.output["Cause"])["ResponseBody"] == {"retry": True}


def test_a_connection_read_with_aws(moto_env: MotoServer, endpoint: Endpoint) -> None:
    endpoint.answer("/api", 200, {"ok": True})
    arn = moto_env.client("events").create_connection(
        Name="partner",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "v"}},
    )["ConnectionArn"]
    definition = machine(
        {
            "ApiEndpoint": f"{endpoint.url}/api",
            "Method": "POST",
            "Authentication": {"ConnectionArn": arn},
            "RequestBody": {"n": 1},
        }
    )
    definition["QueryLanguage"] = "JSONata"
    result = runtime.execute(definition, {}, aws="aws")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["ResponseBody"] == {"ok": True}
    assert endpoint.requests[-1].headers["x-key"] == "v"
    off = runtime.execute(definition, {}, aws="off")
    assert (off.status, off.error) == ("FAILED", "States.Runtime")
    assert "--aws moto" in str(off.cause)
