"""HTTP Task connections: EventBridge connections created in moto's server (over HTTP), read
through boto3 as on AWS, and the authorization and parameters they add to the request."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest

from asl.errors import StatesError
from runtime.core.interpreter import TaskRequest
from runtime.tasks import http_invoke
from runtime.tasks.aws import AwsMode
from runtime.tasks.aws.clients import AwsClients
from tests.runtime.http_task.conftest import Endpoint
from tests.support.moto_server import MotoServer

INVOCATION = {
    "HeaderParameters": [{"Key": "X-Tenant", "Value": "acme", "IsValueSecret": False}],
    "QueryStringParameters": [{"Key": "region", "Value": "eu", "IsValueSecret": False}],
    "BodyParameters": [{"Key": "source", "Value": "sfn", "IsValueSecret": True}],
}


def connection(server: MotoServer, kind: str, auth: dict[str, Any]) -> str:
    created = server.client("events").create_connection(
        Name=f"conn-{kind.lower()}", AuthorizationType=kind, AuthParameters=auth
    )
    return str(created["ConnectionArn"])


def invoke(endpoint: Endpoint, arn: str, body: Any = None, inspect: Any = None) -> Any:
    arguments: dict[str, Any] = {
        "ApiEndpoint": f"{endpoint.url}/api",
        "Method": "POST",
        "Authentication": {"ConnectionArn": arn},
    }
    if body is not None:
        arguments["RequestBody"] = body
    request = TaskRequest(http_invoke.RESOURCE, arguments, "Call", {}, inspect=inspect)
    return asyncio.run(http_invoke.run(request, AwsClients(AwsMode.AWS)))


def test_an_api_key_connection_adds_its_key_and_parameters(
    moto_env: MotoServer, endpoint: Endpoint
) -> None:
    endpoint.answer("/api", 200, {"ok": True})
    arn = connection(
        moto_env,
        "API_KEY",
        {
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k-1"},
            "InvocationHttpParameters": INVOCATION,
        },
    )
    inspect: dict[str, Any] = {}
    assert invoke(endpoint, arn, {"order": 1}, inspect)["ResponseBody"] == {"ok": True}
    seen = endpoint.requests[-1]
    assert seen.headers["x-api-key"] == "k-1"
    assert seen.headers["x-tenant"] == "acme"
    assert seen.query == [("region", "eu")]
    assert json.loads(seen.body) == {"order": 1, "source": "sfn"}
    assert "x-api-key: <redacted>" in inspect["request"]["headers"]  # TRACE hides the key
    assert "k-1" not in json.dumps(inspect)


def test_the_secret_s_values_win_over_describe_connection(
    moto_env: MotoServer, endpoint: Endpoint
) -> None:
    endpoint.answer("/api", 200, {})
    auth = {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "old"}}
    arn = connection(moto_env, "API_KEY", auth)
    secret = moto_env.client("events").describe_connection(Name="conn-api_key")["SecretArn"]
    rotated = {"api_key_name": "x-api-key", "api_key_value": "rotated"}
    moto_env.client("secretsmanager").put_secret_value(
        SecretId=secret, SecretString=json.dumps(rotated)
    )
    invoke(endpoint, arn)
    assert endpoint.requests[-1].headers["x-api-key"] == "rotated"


def test_a_basic_connection_sends_basic_authorization(
    moto_env: MotoServer, endpoint: Endpoint
) -> None:
    endpoint.answer("/api", 204)
    auth = {"BasicAuthParameters": {"Username": "ada", "Password": "s3cret"}}
    out = invoke(endpoint, connection(moto_env, "BASIC", auth))
    assert (out["StatusCode"], out["ResponseBody"]) == (204, "")
    pair = base64.b64encode(b"ada:s3cret").decode()
    assert endpoint.requests[-1].headers["authorization"] == f"Basic {pair}"


def test_an_oauth_connection_gets_a_token_and_sends_it_as_bearer(
    moto_env: MotoServer, endpoint: Endpoint
) -> None:
    endpoint.answer("/oauth/token", 200, {"access_token": "tok-123", "token_type": "Bearer"})
    endpoint.answer("/api", 200, {"ok": True})
    auth = {
        "OAuthParameters": {
            "ClientParameters": {"ClientID": "client-1", "ClientSecret": "shh"},
            "AuthorizationEndpoint": f"{endpoint.url}/oauth/token",
            "HttpMethod": "POST",
            "OAuthHttpParameters": {
                "BodyParameters": [{"Key": "scope", "Value": "orders", "IsValueSecret": False}]
            },
        }
    }
    invoke(endpoint, connection(moto_env, "OAUTH_CLIENT_CREDENTIALS", auth))
    token, api = endpoint.requests[-2:]
    assert (token.method, token.path) == ("POST", "/oauth/token")
    assert token.body.decode() == "grant_type=client_credentials&scope=orders"
    assert token.headers["authorization"] == "Basic " + base64.b64encode(b"client-1:shh").decode()
    assert api.headers["authorization"] == "Bearer tok-123"


def test_an_oauth_endpoint_that_refuses_fails_the_task(
    moto_env: MotoServer, endpoint: Endpoint
) -> None:
    endpoint.answer("/oauth/token", 401, {"error": "invalid_client"})
    auth = {
        "OAuthParameters": {
            "ClientParameters": {"ClientID": "client-1", "ClientSecret": "wrong"},
            "AuthorizationEndpoint": f"{endpoint.url}/oauth/token",
            "HttpMethod": "POST",
        }
    }
    with pytest.raises(StatesError) as raised:
        invoke(endpoint, connection(moto_env, "OAUTH_CLIENT_CREDENTIALS", auth))
    assert raised.value.error == "Events.ConnectionResource.InvalidConnectionState"
    assert "answered 401" in raised.value.cause
    assert [r.path for r in endpoint.requests] == ["/oauth/token"]


def test_a_connection_that_does_not_exist(moto_env: MotoServer, endpoint: Endpoint) -> None:
    arn = "arn:aws:events:us-east-1:111111111111:connection/nowhere/0000"
    with pytest.raises(StatesError) as raised:
        invoke(endpoint, arn)
    assert raised.value.error == "Events.ConnectionResource.ResourceNotFound"
    assert arn in raised.value.cause
    assert endpoint.requests == []
