"""``arn:aws:states:::apigateway:invoke``: call an API Gateway endpoint, as Step Functions does.

Parameters (or Arguments), as AWS takes them: ``ApiEndpoint`` (the API's host name,
``<api-id>.execute-api.<region>.amazonaws.com``; the call goes to ``https://`` it), ``Method``
(GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS), ``Stage`` and ``Path`` (joined after the host:
``/<Stage>/<Path>``), ``Headers`` and ``QueryParameters`` (each name with a list of values, or one
value), ``RequestBody`` (JSON, or text sent as it is), ``AllowNullValues`` (false, the default:
null members of the body are left out) and ``AuthType``: ``NO_AUTH`` (the default), ``IAM_ROLE``
or ``RESOURCE_POLICY`` (both signed with Signature Version 4 for ``execute-api``, with the
execution's credentials: the ``--aws`` mode's, or the role the Task's ``Credentials`` name).
Locally an ``ApiEndpoint`` may be a URL with its scheme and port (``http://127.0.0.1:8080``).

The result is ``{Headers, ResponseBody, StatusCode, StatusText}`` (the HTTP Task's, from
:mod:`runtime.tasks.http_invoke`, which sends the request). A status outside 2xx fails the task
with ``ApiGateway.<status>`` and the response body as the cause; no answer at all with
``ApiGateway.SdkClientException``. Headers AWS reserves fail with ``States.Runtime``.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from asl.errors import StatesError
from runtime.core.arns import REGION
from runtime.core.events import to_json
from runtime.core.interpreter import TaskRequest
from runtime.handlers import calls
from runtime.tasks import http_invoke
from runtime.tasks.aws.clients import AwsClients
from runtime.tasks.aws.errors import CLIENT_EXCEPTION, unsupported_field

_RESOURCE = re.compile(r"^arn:aws[a-z-]*:states:::apigateway:invoke$")
PREFIX = "ApiGateway"
TASK = "API Gateway Task"
FIELDS = frozenset(
    {
        "ApiEndpoint",
        "Method",
        "Headers",
        "Stage",
        "Path",
        "QueryParameters",
        "RequestBody",
        "AllowNullValues",
        "AuthType",
    }
)
AUTH_TYPES = ("NO_AUTH", "IAM_ROLE", "RESOURCE_POLICY")
_FORBIDDEN = frozenset(
    {
        "authorization",
        "connection",
        "content-md5",
        "expect",
        "host",
        "max-forwards",
        "proxy-authenticate",
        "server",
        "te",
        "transfer-encoding",
        "trailer",
        "upgrade",
        "via",
        "www-authenticate",
    }
)
_FORBIDDEN_PREFIXES = ("x-forwarded", "x-amz", "x-amzn")
_REGION_OF_HOST = re.compile(r"\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


def handles(resource: str) -> bool:
    """Whether ``resource`` is ``apigateway:invoke`` (without an integration pattern)."""
    return _RESOURCE.match(resource) is not None


async def run(request: TaskRequest, clients: AwsClients | None) -> Any:
    """Call the API; the task result. ``clients``: whose credentials sign (None: AWS calls are
    off, so only ``NO_AUTH`` works). For TestState at TRACE, the exchange goes to
    ``request.inspect``."""
    params = request.parameters if isinstance(request.parameters, dict) else {}
    call, signed = build(params, clients.region if clients is not None else REGION)
    if signed:
        if clients is None:
            raise _invalid(
                f"AuthType {params.get('AuthType')} signs the request with the execution's AWS "
                "credentials: run with --aws moto|aws (or set ASL_AWS), or use NO_AUTH"
            )
        await calls.in_thread(sign, call, clients, name="asl-apigateway")
    exchange = await calls.in_thread(http_invoke.send, call, name="asl-apigateway")
    if request.inspect is not None:
        request.inspect.update(http_invoke.inspection(exchange))
    if exchange.status is None:
        cause = exchange.error.cause if exchange.error is not None else "no response"
        raise StatesError(
            f"{PREFIX}.{CLIENT_EXCEPTION}", f"Unable to execute HTTP request: {cause}"
        )
    if not 200 <= exchange.status < 300:
        raise StatesError(f"{PREFIX}.{exchange.status}", exchange.body)
    return exchange.result


def build(params: dict[str, Any], region: str) -> tuple[http_invoke.Call, bool]:
    """The request the parameters describe, and whether it is to be signed."""
    for key in params:
        if key not in FIELDS:
            raise unsupported_field(params, key)
    method = params.get("Method")
    if method not in http_invoke.METHODS:
        raise _invalid(f"Method must be one of {', '.join(http_invoke.METHODS)}, not {method!r}")
    auth = params.get("AuthType") or "NO_AUTH"
    if auth not in AUTH_TYPES:
        raise _invalid(f"AuthType must be one of {', '.join(AUTH_TYPES)}, not {auth!r}")
    url = _url(params)
    headers: dict[str, str] = {}
    for name, value in _object(params, "Headers").items():
        if name.lower() in _FORBIDDEN or name.lower().startswith(_FORBIDDEN_PREFIXES):
            raise _invalid(f"the header {name!r} cannot be set by an API Gateway Task")
        headers[name] = ", ".join(_values(value))
    body = _body(params.get("RequestBody"), params.get("AllowNullValues") is True)
    if body is not None and not any(k.lower() == "content-type" for k in headers):
        text = isinstance(params.get("RequestBody"), str)
        headers["Content-Type"] = "text/plain; charset=UTF-8" if text else "application/json"
    return http_invoke.Call(method, url, headers, body), auth != "NO_AUTH"


def sign(call: http_invoke.Call, clients: AwsClients) -> None:
    """Sign ``call`` with Signature Version 4 for ``execute-api`` (in a worker thread)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = clients.credentials()
    if credentials is None:
        raise StatesError(
            f"{PREFIX}.{CLIENT_EXCEPTION}",
            "Unable to load AWS credentials from any provider in the chain: no credentials "
            "to sign the request with",
        )
    host = urllib.parse.urlsplit(call.url).hostname or ""
    found = _REGION_OF_HOST.search(host)
    region = found["region"] if found else clients.region
    signing = AWSRequest(call.method, call.url, data=call.body or b"", headers=dict(call.headers))
    SigV4Auth(credentials, "execute-api", region).add_auth(signing)
    call.headers = dict(signing.headers.items())
    call.secret = frozenset({"authorization", "x-amz-security-token"})


def _url(params: dict[str, Any]) -> str:
    endpoint = params.get("ApiEndpoint")
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise _invalid(
            f"ApiEndpoint must be the API's host name (<api-id>.execute-api.<region>."
            f"amazonaws.com), not {endpoint!r}"
        )
    base = endpoint if "://" in endpoint else f"https://{endpoint}"
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _invalid(f"ApiEndpoint must be a host name, not {endpoint!r}")
    segments = [parts.path.strip("/")]
    for key in ("Stage", "Path"):
        value = params.get(key)
        if value is not None and not isinstance(value, str):
            raise _invalid(f"{key} must be a string, not {to_json(value)}")
        segments.append((value or "").strip("/"))
    path = "/" + "/".join(segment for segment in segments if segment)
    query = {name: _values(value) for name, value in _object(params, "QueryParameters").items()}
    encoded = http_invoke.form_encode(query, "REPEAT") if query else ""
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, encoded, ""))


def _values(value: Any) -> list[str]:
    """A header's or query parameter's values (a list, or one value)."""
    items = value if isinstance(value, list) else [value]
    return [
        item if isinstance(item, str) else "" if item is None else to_json(item) for item in items
    ]


def _body(value: Any, allow_nulls: bool) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    return to_json(value if allow_nulls else _without_nulls(value)).encode("utf-8")


def _without_nulls(value: Any) -> Any:
    """``value`` without its objects' null members (AllowNullValues false)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _object(params: dict[str, Any], key: str) -> dict[str, Any]:
    return http_invoke.object_argument(params, key, TASK)


def _invalid(message: str) -> StatesError:
    return http_invoke.invalid(message, TASK)


__all__ = ["AUTH_TYPES", "FIELDS", "PREFIX", "build", "handles", "run", "sign"]
