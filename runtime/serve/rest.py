"""A generic front for AWS's rest-json protocol, routed from botocore's service model.

Each operation's ``http`` (method and ``requestUri`` template) becomes a route; a request's
members are gathered by location as the model places them (``uri``, ``querystring``,
``header``, else the JSON body), typed as the model types them, and checked against the input
shape's constraints before the operation runs. Answers are JSON with dates as epoch seconds;
errors carry the model's status code, an ``x-amzn-ErrorType`` header and ``{"Message": ...}``,
so botocore raises the modeled exception (``client.exceptions.ConflictException``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from runtime.core import jsontext
from runtime.schedules.model import ModelUnavailable, service_model, validation_message, violations
from runtime.serve.errors import ApiError

CONTENT_TYPE = "application/json"
SCHEDULER_PATHS = ("/schedules", "/schedule-groups", "/tags/")  # where its routes begin
_LABEL = re.compile(r"\{([^}+]+)(\+?)\}")


@dataclass(frozen=True, slots=True)
class Route:
    """One operation's route: ``pattern`` matches the raw (still percent-encoded) path."""

    name: str
    method: str
    pattern: re.Pattern[str]
    model: Any  # botocore OperationModel


@dataclass(frozen=True, slots=True)
class Call:
    """A routed request: the operation and its members."""

    operation: str
    params: dict[str, Any]


class RestApi:
    """The routes of one rest-json service, from its model (``RestApi(scheduler_model)``)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.signing_name: str = self.model.signing_name
        routes = [self._route(name) for name in self.model.operation_names]
        # Literal paths before templated ones of the same shape (/schedules before {Name}).
        routes.sort(key=lambda r: (r.pattern.pattern.count("(?P<"), -len(r.pattern.pattern)))
        self.routes = routes

    def _route(self, name: str) -> Route:
        operation = self.model.operation_model(name)
        path = operation.http["requestUri"].split("?", 1)[0]
        parts, last = [], 0
        for label in _LABEL.finditer(path):
            parts.append(re.escape(path[last : label.start()]))
            parts.append(f"(?P<{label[1]}>{'.+' if label[2] else '[^/]+'})")
            last = label.end()
        parts.append(re.escape(path[last:]))
        pattern = re.compile("^" + "".join(parts) + "/?$")
        return Route(name, operation.http["method"], pattern, operation)

    def route(self, method: str, target: str) -> tuple[Route, dict[str, str]] | None:
        """The route answering ``method target`` and its URI labels, or None."""
        path = target.split("?", 1)[0]
        for route in self.routes:
            if route.method != method:
                continue
            match = route.pattern.match(path)
            if match:
                return route, {k: unquote(v) for k, v in match.groupdict().items()}
        return None

    def handles(self, target: str) -> bool:
        """Whether some route (of any method) takes this path."""
        path = target.split("?", 1)[0]
        return any(route.pattern.match(path) for route in self.routes)

    def call(
        self,
        route: Route,
        labels: dict[str, str],
        target: str,
        headers: dict[str, str],
        body: bytes,
    ) -> Call:
        """The request's members, typed and checked (:class:`ApiError` when they are not)."""
        shape = route.model.input_shape
        params: dict[str, Any] = {}
        if shape is None:
            return Call(route.name, params)
        query = parse_qs(target.partition("?")[2], keep_blank_values=True)
        body_members = {}
        for name, member in shape.members.items():
            where = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if where == "uri":
                if wire in labels:
                    params[name] = labels[wire]
            elif where == "querystring":
                if wire in query:
                    values = query[wire]
                    raw = values if member.type_name == "list" else values[-1]
                    params[name] = _typed(member, raw, name)
            elif where == "header":
                if wire.lower() in headers:
                    params[name] = _typed(member, headers[wire.lower()], name)
            else:
                body_members[name] = member
        if body_members and body.strip():
            try:
                document = jsontext.loads(body)
            except jsontext.JsonTextError as exc:
                raise ApiError("SerializationException", f"Malformed JSON body: {exc}")
            if not isinstance(document, dict):
                raise ApiError("SerializationException", "The body must be a JSON object")
            for name, value in document.items():
                if name in body_members or name not in shape.members:
                    params[name] = value  # unmodeled members (our extensions) pass through
        problems = violations(shape, params)
        if problems:
            raise ApiError("ValidationException", validation_message(problems), 400)
        return Call(route.name, params)

    def answer(self, route: Route, result: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The response status and JSON body (dates as epoch seconds)."""
        status = int(route.model.http.get("responseCode", 200))
        return status, _plain(result)


def error_body(message: str) -> dict[str, str]:
    return {"Message": message}


def _typed(member: Any, raw: Any, name: str) -> Any:
    kind = member.type_name
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind == "boolean":
            if raw not in ("true", "false"):
                raise ValueError(raw)
            return raw == "true"
        if kind == "timestamp":
            return float(raw)
        if kind == "list":
            return [_typed(member.member, item, name) for item in raw]
    except ValueError:
        raise ApiError(
            "ValidationException",
            f"1 validation error detected: Value '{raw}' at '{name}' failed to satisfy "
            f"constraint: Member must be of type {kind}",
        )
    return raw


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


__all__ = ["CONTENT_TYPE", "Call", "RestApi", "Route", "error_body"]


@functools.cache
def scheduler_api() -> RestApi:
    """EventBridge Scheduler's routes (built once, on its first request);
    :class:`~runtime.schedules.model.ModelUnavailable` without botocore."""
    return RestApi(service_model())


def scheduler_route(method: str, target: str) -> tuple[Route, dict[str, str]] | None:
    """The Scheduler route a request takes, or None when it is not one of its paths (the Step
    Functions API never loads the Scheduler's model); :class:`ApiError` 501 for one of its
    paths when botocore is not installed."""
    if not target.startswith(SCHEDULER_PATHS):
        return None
    try:
        return scheduler_api().route(method, target)
    except ModelUnavailable as exc:
        raise ApiError("NotImplementedException", f"asl serve cannot answer it: {exc}", 501)
