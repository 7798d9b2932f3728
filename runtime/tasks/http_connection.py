"""The EventBridge connection of an HTTP Task: what it adds to each request.

A connection (``arn:aws:events:REGION:ACCOUNT:connection/NAME/ID``) holds an authorization
(``API_KEY``, ``BASIC`` or ``OAUTH_CLIENT_CREDENTIALS``) and invocation parameters (headers,
query string and body parameters). DescribeConnection gives its type and state; AWS keeps the
values, secret ones included, in a Secrets Manager secret the connection names (``SecretArn``,
snake_case JSON), while DescribeConnection leaves the secret values out. Both are read and the
secret wins; moto's DescribeConnection gives every value, so a secret that cannot be read does
not stop a run there. OAuth: a client-credentials token is requested from the connection's
authorization endpoint for each call, and sent as a bearer token.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from asl.errors import StatesError

ARN = re.compile(
    r"^arn:aws[a-z-]*:events:(?P<region>[a-z0-9-]+):\d{12}:connection/(?P<name>[^/]+)(/.*)?$"
)
ERROR = "Events.ConnectionResource."
TOKEN_TIMEOUT = 60.0


@dataclass(slots=True)
class Connection:
    """What a connection adds to a request (its values win over the task's)."""

    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)
    secret: set[str] = field(default_factory=set)  # the headers holding credentials (lower case)


def resolve(arn: str, clients: Any) -> Connection:
    """The connection ``arn`` names, read through ``clients`` (an ``AwsClients``); raises
    :class:`StatesError` as ``Events.ConnectionResource.*`` when it cannot be used."""
    match = ARN.match(arn) if isinstance(arn, str) else None
    if match is None:
        raise StatesError(
            ERROR + "ResourceNotFound",
            f"Authentication.ConnectionArn {arn!r} is not an EventBridge connection ARN "
            "(arn:aws:events:REGION:ACCOUNT:connection/NAME/ID).",
        )
    described = _describe(clients.client("events", match["region"]), match["name"], arn)
    state = described.get("ConnectionState")
    if state != "AUTHORIZED":
        raise StatesError(
            ERROR + "InvalidConnectionState",
            f"The connection {arn} is {state}; an HTTP Task needs it AUTHORIZED.",
        )
    secret = _secret(clients.client("secretsmanager", match["region"]), described)
    values = _merge(_flatten(described.get("AuthParameters") or {}), _flatten(secret))
    return _connection(str(described.get("AuthorizationType")), values, arn)


def _describe(events: Any, name: str, arn: str) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return dict(events.describe_connection(Name=name))
    except ClientError as exc:
        error = exc.response.get("Error") or {}
        kind = "ResourceNotFound" if "NotFound" in str(error.get("Code")) else "InternalError"
        raise StatesError(ERROR + kind, f"{arn}: {error.get('Message') or error.get('Code')}")
    except BotoCoreError as exc:
        raise StatesError(ERROR + "InternalError", f"{arn}: {exc}")


def _secret(secrets: Any, described: dict[str, Any]) -> dict[str, Any]:
    """The connection's secret values; {} when they cannot be read."""
    from botocore.exceptions import BotoCoreError, ClientError

    arn = described.get("SecretArn")
    if not arn:
        return {}
    try:
        text = secrets.get_secret_value(SecretId=arn).get("SecretString") or "{}"
        value = json.loads(text)
    except (ClientError, BotoCoreError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _key(name: str) -> str:
    """A key as both spellings agree on it: ``ClientID``, ``client_id`` -> ``clientid``."""
    return name.replace("_", "").lower()


def _flatten(values: dict[str, Any]) -> dict[str, Any]:
    """Keys normalised (:func:`_key`); the per-type parameter groups lifted to the top."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        key = _key(name)
        if key in ("apikeyauthparameters", "basicauthparameters", "oauthparameters"):
            out.update(_flatten(value if isinstance(value, dict) else {}))
        elif isinstance(value, dict):
            out[key] = _merge(out.get(key) or {}, _flatten(value))
        else:
            out[key] = value
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``over``'s values, nested objects merged too."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _parameters(group: Any) -> dict[str, dict[str, str]]:
    """``{headers, query, body}`` from an HttpParameters group (normalised keys)."""
    group = group if isinstance(group, dict) else {}
    out: dict[str, dict[str, str]] = {}
    for kind, key in (
        ("headers", "headerparameters"),
        ("query", "querystringparameters"),
        ("body", "bodyparameters"),
    ):
        pairs = group.get(key) or []
        out[kind] = {
            str(_get(p, "key")): str(_get(p, "value"))
            for p in pairs
            if isinstance(p, dict) and _get(p, "key") is not None
        }
    return out


def _get(values: dict[str, Any], key: str) -> Any:
    return next((v for k, v in values.items() if _key(k) == key), None)


def _connection(kind: str, values: dict[str, Any], arn: str) -> Connection:
    group = values.get("invocationhttpparameters")
    invocation = _parameters(group)
    connection = Connection(invocation["headers"], invocation["query"], invocation["body"])
    for parameter in (group or {}).get("headerparameters") or []:
        if isinstance(parameter, dict) and _get(parameter, "isvaluesecret") is True:
            connection.secret.add(str(_get(parameter, "key")).lower())
    if kind == "API_KEY":
        name, value = values.get("apikeyname"), values.get("apikeyvalue")
        _require(arn, ("ApiKeyName", name), ("ApiKeyValue", value))
        connection.headers[str(name)] = str(value)
        connection.secret.add(str(name).lower())
    elif kind == "BASIC":
        user, password = values.get("username"), values.get("password")
        _require(arn, ("Username", user), ("Password", password))
        pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        connection.headers["Authorization"] = f"Basic {pair}"
    elif kind == "OAUTH_CLIENT_CREDENTIALS":
        connection.headers["Authorization"] = f"Bearer {_token(values, arn)}"
    else:
        raise StatesError(
            ERROR + "InvalidConnectionState", f"{arn}: unknown authorization type {kind!r}"
        )
    if "Authorization" in connection.headers:
        connection.secret.add("authorization")
    return connection


def _require(arn: str, *fields: tuple[str, Any]) -> None:
    missing = [name for name, value in fields if value is None]
    if missing:
        raise StatesError(
            ERROR + "InvalidConnectionState",
            f"{arn}: its {' and '.join(missing)} could not be read (DescribeConnection leaves "
            "secret values out; grant secretsmanager:GetSecretValue on the connection's secret).",
        )


def _token(values: dict[str, Any], arn: str) -> str:
    """A client-credentials access token from the connection's authorization endpoint."""
    client = values.get("clientparameters") or {}
    client_id = client.get("clientid", values.get("clientid"))
    secret = client.get("clientsecret", values.get("clientsecret"))
    endpoint = values.get("authorizationendpoint")
    _require(
        arn, ("ClientID", client_id), ("ClientSecret", secret), ("AuthorizationEndpoint", endpoint)
    )
    extra = _parameters(values.get("oauthhttpparameters"))
    form = {"grant_type": "client_credentials", **extra["body"]}
    url = str(endpoint)
    if extra["query"]:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(extra["query"])
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": f"Basic {pair}",
        **extra["headers"],
    }
    method = str(values.get("httpmethod") or "POST").upper()
    request = urllib.request.Request(
        url, urllib.parse.urlencode(form).encode(), headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=TOKEN_TIMEOUT) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise StatesError(
            ERROR + "InvalidConnectionState",
            f"{arn}: the OAuth token request to {url} answered {exc.code} {exc.reason}",
        )
    except (OSError, ValueError) as exc:
        raise StatesError(
            ERROR + "InvalidConnectionState", f"{arn}: the OAuth token request to {url}: {exc}"
        )
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise StatesError(
            ERROR + "InvalidConnectionState",
            f"{arn}: the OAuth token endpoint {url} answered without an access_token",
        )
    return token


__all__ = ["ARN", "Connection", "resolve"]
