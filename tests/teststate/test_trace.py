"""TRACE shows the HTTP exchange a task's route reports (``TaskRequest.inspect``); DEBUG does not.

The route here is a plain function standing in for the HTTP Task's: it reports the exchange in
the API's InspectionDataRequest/Response shapes, as any route that makes an HTTP call does.
"""

from __future__ import annotations

import json
from typing import Any

from runtime.core.interpreter import TaskRequest
from runtime.teststate import Environment, answer, local_role

HTTP = {
    "Type": "Task",
    "Resource": "arn:aws:states:::http:invoke",
    "Parameters": {"ApiEndpoint": "https://example.com/ping", "Method": "GET"},
    "End": True,
}
EXCHANGE = {
    "request": {"protocol": "https", "method": "GET", "url": "https://example.com/ping"},
    "response": {"protocol": "https", "statusCode": "200", "statusMessage": "OK", "body": "{}"},
}


async def route(request: TaskRequest) -> Any:
    if request.inspect is not None:
        request.inspect.update(EXCHANGE)
    return {"StatusCode": 200, "ResponseBody": {}}


def call(level: str) -> dict[str, Any]:
    params = {"definition": json.dumps(HTTP), "inspectionLevel": level, "roleArn": local_role()}
    return answer(params, Environment(dispatch=route))


def test_trace_shows_the_http_exchange() -> None:
    data = call("TRACE")["inspectionData"]
    assert (data["request"], data["response"]) == (EXCHANGE["request"], EXCHANGE["response"])
    assert json.loads(data["result"]) == {"StatusCode": 200, "ResponseBody": {}}


def test_debug_does_not() -> None:
    data = call("DEBUG")["inspectionData"]
    assert "request" not in data and "response" not in data
    assert json.loads(data["result"]) == {"StatusCode": 200, "ResponseBody": {}}
