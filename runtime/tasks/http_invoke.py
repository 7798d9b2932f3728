"""The HTTP Task: ``arn:aws:states:::http:invoke``.

Arguments (or Parameters), as AWS takes them: ``ApiEndpoint`` and ``Method`` (GET, POST, PUT,
DELETE, PATCH, OPTIONS, HEAD), ``Headers``, ``QueryParameters``, ``RequestBody`` (JSON, or text
sent as it is), ``Transform`` (``RequestBodyEncoding`` ``URL_ENCODED`` with
``RequestEncodingOptions.ArrayFormat`` INDICES (the default), REPEAT, COMMAS or BRACKETS) and
``Authentication.ConnectionArn`` (or ``InvocationConfig.ConnectionArn``): an EventBridge
connection, read through boto3 (:mod:`.http_connection`), whose authorization and parameters
are added to the request. Without ``--aws`` a connection cannot be read; a task without one
calls the endpoint without credentials (AWS requires one, and HTTPS: locally http:// works too).

The result is ``{Headers, ResponseBody, StatusCode, StatusText}``: headers as lists of values,
the body parsed when the response is JSON. A status outside 2xx fails the task with
``States.Http.StatusCode.<n>`` and that result as the cause; no connection, or no answer within
60 seconds, with ``States.Http.Socket``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import ssl
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from asl.errors import RUNTIME, StatesError
from runtime.core.arns import REGION
from runtime.core.events import to_json
from runtime.core.interpreter import TaskRequest
from runtime.handlers import calls
from runtime.tasks import http_connection, propagation
from runtime.tasks.aws.clients import AwsClients

RESOURCE = "arn:aws:states:::http:invoke"
_RESOURCE = re.compile(r"^arn:aws[a-z-]*:states:::http:invoke$")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")
ARRAY_FORMATS = ("INDICES", "REPEAT", "COMMAS", "BRACKETS")
TIMEOUT = 60.0  # AWS's limit on one call, whatever the task's TimeoutSeconds
SOCKET = "States.Http.Socket"
TASK = "HTTP Task"
STATUS = "States.Http.StatusCode."
_FORBIDDEN = frozenset(
    {
        "a-im",
        "accept-charset",
        "accept-datetime",
        "accept-encoding",
        "authorization",
        "cache-control",
        "connection",
        "content-encoding",
        "content-md5",
        "date",
        "expect",
        "forwarded",
        "from",
        "host",
        "http2-settings",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "max-forwards",
        "origin",
        "pragma",
        "proxy-authorization",
        "referer",
        "server",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        "warning",
    }
)
_FORBIDDEN_PREFIXES = ("x-forwarded", "x-amz", "x-amzn")


def handles(resource: str) -> bool:
    """Whether ``resource`` is the HTTP Task."""
    return _RESOURCE.match(resource) is not None


@dataclass(slots=True)
class Call:
    """One HTTP request, as the task asks it."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    secret: frozenset[str] = frozenset()  # (lower-cased) headers holding a connection's secret


@dataclass(slots=True)
class Exchange:
    """A call and what came of it: the task's ``result``, or its ``error`` (for TestState's
    inspection data, the request and response as sent and received)."""

    call: Call
    result: dict[str, Any] | None = None
    error: StatesError | None = None
    status: int | None = None
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""


async def run(request: TaskRequest, clients: AwsClients | None) -> Any:
    """Call the endpoint; the task result (``clients``: where connections are looked up).
    For TestState at TRACE (``request.inspect``), the exchange is reported there too."""
    exchange = await invoke(request, clients)
    if request.inspect is not None:
        request.inspect.update(inspection(exchange))
    if exchange.error is not None:
        raise exchange.error
    return exchange.result


def inspection(exchange: Exchange) -> dict[str, Any]:
    """The exchange as TestState's ``inspectionData`` gives it (``request`` and ``response``,
    the credentials a connection added left out)."""
    call = exchange.call
    protocol = urllib.parse.urlsplit(call.url).scheme
    headers = [
        f"{name}: {'<redacted>' if name.lower() in call.secret else value}"
        for name, value in call.headers.items()
    ]
    out: dict[str, Any] = {
        "request": {
            "protocol": protocol,
            "method": call.method,
            "url": call.url,
            "headers": f"[{', '.join(headers)}]",
            "body": (call.body or b"").decode("utf-8", "replace"),
        }
    }
    if exchange.status is not None:
        received = [f"{name}: {value}" for name, value in exchange.headers]
        out["response"] = {
            "protocol": protocol,
            "statusCode": str(exchange.status),
            "statusMessage": exchange.reason,
            "headers": f"[{', '.join(received)}]",
            "body": exchange.body,
        }
    return out


async def invoke(request: TaskRequest, clients: AwsClients | None) -> Exchange:
    """Build the request from the task's arguments, send it, and shape the response;
    raises :class:`StatesError` when the arguments or the connection are not usable."""
    params = request.parameters if isinstance(request.parameters, dict) else {}
    arn = _connection_arn(params)
    connection = http_connection.Connection()
    if arn is not None:
        if clients is None:
            raise StatesError(
                RUNTIME,
                f"The HTTP Task's connection {arn} is an EventBridge connection, and reading "
                "it needs AWS: run with --aws moto (a connection created in the embedded AWS) "
                "or --aws aws (AWS, or AWS_ENDPOINT_URL), or leave Authentication out to call "
                "the endpoint without credentials.",
            )
        connection = await calls.in_thread(http_connection.resolve, arn, clients, name="asl-http")
    call = build(params, connection, clients.region if clients is not None else REGION)
    propagation.inject(request, call.headers)  # traceparent, when traced
    return await calls.in_thread(send, call, name="asl-http")


def build(params: dict[str, Any], connection: http_connection.Connection, region: str) -> Call:
    """The request the arguments (and the connection) describe."""
    endpoint = params.get("ApiEndpoint")
    parts = urllib.parse.urlsplit(endpoint) if isinstance(endpoint, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid(f"ApiEndpoint must be an https:// URL, not {endpoint!r}")
    method = params.get("Method")
    if method not in METHODS:
        raise invalid(f"Method must be one of {', '.join(METHODS)}, not {method!r}")
    array_format, url_encoded = _transform(params.get("Transform"))
    headers = {"User-Agent": f"Amazon|StepFunctions|HttpInvoke|{region}", "Range": "bytes=0-262144"}
    for name, value in object_argument(params, "Headers").items():
        if name.lower() in _FORBIDDEN or name.lower().startswith(_FORBIDDEN_PREFIXES):
            raise invalid(f"the header {name!r} cannot be set by an HTTP Task")
        headers[name] = _scalar(value)
    headers.update(connection.headers)
    query = object_argument(params, "QueryParameters")
    query.update(connection.query)
    url = endpoint
    if query:
        encoded = form_encode(query, array_format)
        url = urllib.parse.urlunsplit(
            parts._replace(query=f"{parts.query}&{encoded}" if parts.query else encoded)
        )
    body = _body(params.get("RequestBody"), connection.body, url_encoded, array_format)
    if body is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = _content_type(params.get("RequestBody"), url_encoded)
    return Call(method, url, headers, body, frozenset(connection.secret))


def _content_type(value: Any, url_encoded: bool) -> str:
    if url_encoded:
        return "application/x-www-form-urlencoded"
    if isinstance(value, str):
        return "text/plain; charset=UTF-8"
    return "application/json; charset=UTF-8"


def send(call: Call) -> Exchange:
    """Send ``call`` and shape its answer (in a worker thread)."""
    parts = urllib.parse.urlsplit(call.url)
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.netloc, timeout=TIMEOUT, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.netloc, timeout=TIMEOUT)
    exchange = Exchange(call)
    try:
        connection.request(call.method, target, body=call.body, headers=call.headers)
        response = connection.getresponse()
        raw = response.read()
    except TimeoutError:
        exchange.error = StatesError(
            SOCKET, f"{call.method} {call.url}: no response within {TIMEOUT:g} seconds"
        )
        return exchange
    except (OSError, http.client.HTTPException) as exc:
        exchange.error = StatesError(SOCKET, f"{call.method} {call.url}: {exc}")
        return exchange
    finally:
        connection.close()
    exchange.status, exchange.reason = response.status, response.reason
    exchange.headers = list(response.getheaders())
    exchange.body = raw.decode("utf-8", "replace")
    exchange.result = _result(exchange, response.getheader("Content-Type") or "")
    if not 200 <= response.status < 300:
        exchange.error = StatesError(f"{STATUS}{response.status}", to_json(exchange.result))
    return exchange


def _result(exchange: Exchange, content_type: str) -> dict[str, Any]:
    headers: dict[str, list[str]] = {}
    for name, value in exchange.headers:
        headers.setdefault(name, []).append(value)
    body: Any = exchange.body
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        with contextlib.suppress(ValueError):
            body = json.loads(exchange.body)
    return {
        "Headers": headers,
        "ResponseBody": body,
        "StatusCode": exchange.status,
        "StatusText": exchange.reason,
    }


def form_encode(values: dict[str, Any], array_format: str = "INDICES") -> str:
    """``values`` as ``application/x-www-form-urlencoded`` text: objects as ``key[member]``,
    arrays in ``array_format`` (INDICES ``a[0]=x``, REPEAT ``a=x&a=y``, COMMAS ``a=x,y``,
    BRACKETS ``a[]=x``)."""
    pairs: list[tuple[str, str]] = []

    def add(key: str, value: Any) -> None:
        if isinstance(value, dict):
            for member, item in value.items():
                add(f"{key}[{member}]", item)
        elif isinstance(value, list) and array_format == "COMMAS":
            pairs.append((key, ",".join(_scalar(item) for item in value)))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                name = {"INDICES": f"{key}[{index}]", "BRACKETS": f"{key}[]"}.get(array_format)
                add(name or key, item)
        else:
            pairs.append((key, _scalar(value)))

    for key, value in values.items():
        add(str(key), value)
    return "&".join(
        f"{urllib.parse.quote(k, safe='[]')}={urllib.parse.quote(v, safe='')}" for k, v in pairs
    )


def _body(value: Any, extra: dict[str, str], url_encoded: bool, array_format: str) -> bytes | None:
    if extra:
        if value is not None and not isinstance(value, dict):
            raise invalid("RequestBody must be an object to take the connection's body parameters")
        value = {**(value or {}), **extra}
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    if url_encoded:
        if not isinstance(value, dict):
            raise invalid("a URL_ENCODED RequestBody must be an object")
        return form_encode(value, array_format).encode("ascii")
    return to_json(value).encode("utf-8")


def _transform(value: Any) -> tuple[str, bool]:
    """``(ArrayFormat, URL-encode the body)``."""
    if value is None:
        return "INDICES", False
    if not isinstance(value, dict):
        raise invalid("Transform must be an object")
    encoding = value.get("RequestBodyEncoding", "NONE")
    if encoding not in ("NONE", "URL_ENCODED"):
        raise invalid(f"RequestBodyEncoding must be NONE or URL_ENCODED, not {encoding!r}")
    options = value.get("RequestEncodingOptions") or {}
    array_format = options.get("ArrayFormat", "INDICES") if isinstance(options, dict) else None
    if array_format not in ARRAY_FORMATS:
        raise invalid(f"ArrayFormat must be one of {', '.join(ARRAY_FORMATS)}")
    return array_format, encoding == "URL_ENCODED"


def _connection_arn(params: dict[str, Any]) -> str | None:
    for key in ("Authentication", "InvocationConfig"):
        group = params.get(key)
        if isinstance(group, dict) and group.get("ConnectionArn") is not None:
            return str(group["ConnectionArn"])
    return None


def object_argument(params: dict[str, Any], key: str, task: str = TASK) -> dict[str, Any]:
    """The object argument ``key`` (a copy; ``{}`` when absent); ``States.Runtime`` when it is
    not an object."""
    value = params.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"{key} must be an object", task)
    return dict(value)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return to_json(value)


def invalid(message: str, task: str = TASK) -> StatesError:
    """``States.Runtime`` for arguments ``task`` cannot take, saying why."""
    return StatesError(RUNTIME, f"The {task}'s arguments are invalid: {message}.")


__all__ = [
    "ARRAY_FORMATS",
    "METHODS",
    "RESOURCE",
    "Call",
    "Exchange",
    "build",
    "form_encode",
    "handles",
    "inspection",
    "invalid",
    "invoke",
    "object_argument",
    "run",
    "send",
]
