"""The HTTP Task (``arn:aws:states:::http:invoke``) against a server on 127.0.0.1: the request
it sends, the result it gives, and the errors it fails with."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from asl.errors import StatesError
from runtime.core.interpreter import TaskRequest
from runtime.tasks import http_invoke
from tests.runtime.http_task.conftest import Endpoint

RESOURCE = "arn:aws:states:::http:invoke"


def call(arguments: dict[str, Any], clients: Any = None, inspect: Any = None) -> Any:
    request = TaskRequest(RESOURCE, arguments, "Call", {}, inspect=inspect)
    return asyncio.run(http_invoke.run(request, clients))


def failure(arguments: dict[str, Any]) -> StatesError:
    with pytest.raises(StatesError) as raised:
        call(arguments)
    return raised.value


def test_a_get_sends_query_and_headers_and_gives_the_parsed_json(endpoint: Endpoint) -> None:
    endpoint.answer("/v1/customers", 200, {"data": [{"id": "cus_1"}]}, headers={"X-Page": "1"})
    out = call(
        {
            "ApiEndpoint": f"{endpoint.url}/v1/customers?limit=3",
            "Method": "GET",
            "Headers": {"Accept": "application/json", "X-Trace": 7},
            "QueryParameters": {"starting_after": "cus_0", "expand": ["data.source", "x"]},
        }
    )
    assert out["StatusCode"] == 200
    assert out["StatusText"] == "OK"
    assert out["ResponseBody"] == {"data": [{"id": "cus_1"}]}
    assert out["Headers"]["X-Page"] == ["1"]
    assert out["Headers"]["Content-Type"] == ["application/json"]
    seen = endpoint.requests[-1]
    assert (seen.method, seen.path) == ("GET", "/v1/customers")
    assert seen.query == [
        ("limit", "3"),
        ("starting_after", "cus_0"),
        ("expand[0]", "data.source"),
        ("expand[1]", "x"),
    ]
    assert seen.headers["accept"] == "application/json"
    assert seen.headers["x-trace"] == "7"
    assert seen.headers["user-agent"] == "Amazon|StepFunctions|HttpInvoke|us-east-1"
    assert seen.headers["range"] == "bytes=0-262144"
    assert seen.body == b""


def test_a_json_request_body(endpoint: Endpoint) -> None:
    endpoint.answer("/orders", 201, {"id": 9})
    out = call(
        {
            "ApiEndpoint": f"{endpoint.url}/orders",
            "Method": "POST",
            "RequestBody": {"item": "tea", "count": 2, "gift": True},
        }
    )
    assert (out["StatusCode"], out["StatusText"]) == (201, "Created")
    assert out["ResponseBody"] == {"id": 9}
    seen = endpoint.requests[-1]
    assert json.loads(seen.body) == {"item": "tea", "count": 2, "gift": True}
    assert seen.headers["content-type"] == "application/json; charset=UTF-8"


@pytest.mark.parametrize(
    ("array_format", "encoded"),
    [
        ("INDICES", "name=Ada&tags[0]=a&tags[1]=b&address[city]=Paris&n=1&ok=true"),
        ("REPEAT", "name=Ada&tags=a&tags=b&address[city]=Paris&n=1&ok=true"),
        ("COMMAS", "name=Ada&tags=a%2Cb&address[city]=Paris&n=1&ok=true"),
        ("BRACKETS", "name=Ada&tags[]=a&tags[]=b&address[city]=Paris&n=1&ok=true"),
    ],
)
def test_a_url_encoded_body_in_each_array_format(
    endpoint: Endpoint, array_format: str, encoded: str
) -> None:
    endpoint.answer("/form", 200, b"fine", headers={"Content-Type": "text/plain"})
    body = {"name": "Ada", "tags": ["a", "b"], "address": {"city": "Paris"}, "n": 1, "ok": True}
    out = call(
        {
            "ApiEndpoint": f"{endpoint.url}/form",
            "Method": "PUT",
            "RequestBody": body,
            "Transform": {
                "RequestBodyEncoding": "URL_ENCODED",
                "RequestEncodingOptions": {"ArrayFormat": array_format},
            },
        }
    )
    assert out["ResponseBody"] == "fine"  # not JSON: the text as it came
    seen = endpoint.requests[-1]
    assert seen.body.decode() == encoded
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"


def test_a_status_outside_2xx_fails_with_its_code_and_the_response_as_cause(
    endpoint: Endpoint,
) -> None:
    endpoint.answer("/missing", 404, {"message": "no such customer"})
    error = failure({"ApiEndpoint": f"{endpoint.url}/missing", "Method": "DELETE"})
    assert error.error == "States.Http.StatusCode.404"
    cause = json.loads(error.cause)
    assert cause["StatusCode"] == 404
    assert cause["StatusText"] == "Not Found"
    assert cause["ResponseBody"] == {"message": "no such customer"}


def test_no_server_listening_fails_with_socket(endpoint: Endpoint) -> None:
    url = endpoint.url
    endpoint.close()
    error = failure({"ApiEndpoint": f"{url}/gone", "Method": "GET"})
    assert error.error == "States.Http.Socket"
    assert f"{url}/gone" in error.cause


def test_no_answer_within_the_limit_fails_with_socket(
    endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_invoke, "TIMEOUT", 0.3)  # AWS's 60 s, shortened for the test
    endpoint.answer("/slow", 200, {"late": True}, delay=3.0)
    error = failure({"ApiEndpoint": f"{endpoint.url}/slow", "Method": "GET"})
    assert error.error == "States.Http.Socket"
    assert "no response within 0.3 seconds" in error.cause


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"Method": "GET"}, "ApiEndpoint must be an https:// URL"),
        ({"ApiEndpoint": "ftp://example.com", "Method": "GET"}, "ApiEndpoint must be"),
        ({"ApiEndpoint": "https://example.com", "Method": "FETCH"}, "Method must be one of"),
        (
            {"ApiEndpoint": "https://example.com", "Method": "GET", "Headers": {"Host": "x"}},
            "the header 'Host' cannot be set",
        ),
        (
            {
                "ApiEndpoint": "https://example.com",
                "Method": "GET",
                "Headers": {"X-Amz-Date": "x"},
            },
            "the header 'X-Amz-Date' cannot be set",
        ),
        (
            {
                "ApiEndpoint": "https://example.com",
                "Method": "POST",
                "RequestBody": [1, 2],
                "Transform": {"RequestBodyEncoding": "URL_ENCODED"},
            },
            "a URL_ENCODED RequestBody must be an object",
        ),
        (
            {
                "ApiEndpoint": "https://example.com",
                "Method": "GET",
                "Transform": {"RequestEncodingOptions": {"ArrayFormat": "PIPES"}},
            },
            "ArrayFormat must be one of",
        ),
    ],
)
def test_invalid_arguments_fail_with_states_runtime(arguments: dict, message: str) -> None:
    error = failure(arguments)
    assert error.error == "States.Runtime"
    assert message in error.cause


def test_a_connection_without_aws_names_the_switch() -> None:
    arn = "arn:aws:events:us-east-1:111111111111:connection/stripe/1234"
    error = failure(
        {
            "ApiEndpoint": "https://api.example.com/v1",
            "Method": "GET",
            "Authentication": {"ConnectionArn": arn},
        }
    )
    assert error.error == "States.Runtime"
    assert arn in error.cause and "--aws moto" in error.cause


def test_trace_inspection_reports_the_exchange(endpoint: Endpoint) -> None:
    endpoint.answer("/ping", 202, {"pong": 1})
    inspect: dict[str, Any] = {}
    call(
        {"ApiEndpoint": f"{endpoint.url}/ping", "Method": "POST", "RequestBody": {"n": 1}},
        inspect=inspect,
    )
    request, response = inspect["request"], inspect["response"]
    assert (request["protocol"], request["method"], request["url"]) == (
        "http",
        "POST",
        f"{endpoint.url}/ping",
    )
    assert request["body"] == '{"n":1}'
    assert request["headers"].startswith("[User-Agent: Amazon|StepFunctions|HttpInvoke|")
    assert "Range: bytes=0-262144" in request["headers"]
    assert (response["statusCode"], response["statusMessage"]) == ("202", "Accepted")
    assert json.loads(response["body"]) == {"pong": 1}
    assert "Content-Type: application/json" in response["headers"]


def test_trace_inspection_of_a_call_that_got_no_answer(endpoint: Endpoint) -> None:
    url = endpoint.url
    endpoint.close()
    inspect: dict[str, Any] = {}
    with pytest.raises(StatesError):
        call({"ApiEndpoint": f"{url}/gone", "Method": "GET"}, inspect=inspect)
    assert inspect["request"]["url"] == f"{url}/gone"
    assert "response" not in inspect
