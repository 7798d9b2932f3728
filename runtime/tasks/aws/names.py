"""How Step Functions names AWS services and actions, mapped to boto3's names.

A Task resource is ``arn:PARTITION:states:::SERVICE:ACTION`` (an optimized integration) or
``arn:PARTITION:states:::aws-sdk:SERVICE:ACTION`` (any SDK action), either with an optional
``.sync``, ``.sync:2`` or ``.waitForTaskToken``. :func:`parse` splits one.

``aws-sdk`` service names are the AWS SDK for Java 2.x's (``sfn``, ``cloudwatchlogs``,
``eventbridge``, ``dynamodb``...): the service's ``serviceId`` in the Java SDK's PascalCase,
lower-cased. They are derived here from botocore's service models, not listed by hand, so every
service botocore knows is reachable. :func:`java_name` gives the same PascalCase name
(``DynamoDb``, ``Sfn``, ``SecretsManager``), which AWS uses in aws-sdk error names. Actions are
the API's operations in camelCase (``putItem`` for PutItem), found case-insensitively.
botocore is imported on first use.
"""

from __future__ import annotations

import difflib
import gzip
import os
import re
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

from runtime.handlers.loading import ConfigurationError

PATTERNS = ("", ".sync", ".sync:2", ".waitForTaskToken")
_RESOURCE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):states:::(?P<sdk>aws-sdk:)?(?P<service>[A-Za-z0-9-]+):"
    r"(?P<action>[A-Za-z0-9_]+)(?P<pattern>\.sync(?::2)?|\.waitForTaskToken)?$"
)
_SERVICE_ID = re.compile(rb'"serviceId"\s*:\s*"([^"]*)"')


@dataclass(frozen=True, slots=True)
class Resource:
    """A Task resource naming an AWS service integration."""

    arn: str
    partition: str
    sdk: bool  # aws-sdk:SERVICE:ACTION (else an optimized SERVICE:ACTION)
    service: str  # as written: "sqs", "elasticmapreduce"; for aws-sdk the SDK name: "sfn"
    action: str  # as written: "sendMessage"
    pattern: str  # "", ".sync", ".sync:2" or ".waitForTaskToken"

    @property
    def base(self) -> str:
        """The resource without its integration pattern."""
        return self.arn[: len(self.arn) - len(self.pattern)] if self.pattern else self.arn

    @property
    def resource_type(self) -> str:
        """``resourceType`` as the history names it: ``sqs``, ``aws-sdk:s3``."""
        return f"aws-sdk:{self.service}" if self.sdk else self.service


@cache  # a machine names few resources, and every attempt of every Task asks again
def parse(resource: str) -> Resource | None:
    """The integration ``resource`` names, or None when it is not an AWS service integration."""
    match = _RESOURCE.match(resource)
    if match is None:
        return None
    return Resource(
        resource,
        match["partition"],
        match["sdk"] is not None,
        match["service"],
        match["action"],
        match["pattern"] or "",
    )


# -- the Java SDK's names -----------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """``text`` split into words as the Java SDK's code generator splits a serviceId."""
    text = re.sub(r"[^A-Za-z0-9]+", " ", text)
    text = re.sub(r"([^a-z]{2,})v([0-9]+)", r"\1 v\2 ", text)  # SESv2 -> SES v2
    text = re.sub(r"([^A-Z]{2,})V([0-9]+)", r"\1 V\2 ", text)  # GatewayV2 -> Gateway V2
    text = " ".join(re.split(r"(?<=[a-z])(?=[A-Z][a-zA-Z0-9])", text))  # DynamoDB -> Dynamo DB
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)  # ACMPca -> ACM Pca
    text = re.sub(r"([0-9])([a-zA-Z])", r"\1 \2", text)  # S3Control -> S3 Control
    return text.split()


@cache
def java_name(service_id: str) -> str:
    """The service's name in the AWS SDK for Java 2.x: ``DynamoDB`` -> ``DynamoDb``, ``SFN`` ->
    ``Sfn``, ``Secrets Manager`` -> ``SecretsManager``, ``Config Service`` -> ``Config``."""
    name = "".join(word.lower().capitalize() for word in _words(service_id))
    for lead in ("Amazon", "Aws"):
        if name.startswith(lead) and len(name) > len(lead):
            name = name[len(lead) :]
    if name.endswith("Service") and len(name) > len("Service"):
        name = name[: -len("Service")]
    return name


def sdk_name(service_id: str) -> str:
    """The name an ``aws-sdk`` resource uses for the service: ``cloudwatchlogs``, ``sfn``."""
    return java_name(service_id).lower()


# -- botocore's models ----------------------------------------------------------------------------


class UnknownIntegration(ConfigurationError):
    """A resource names a service or action that does not exist (message for the user)."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One API operation of one service, as botocore models it."""

    service: str  # boto3's service name: "stepfunctions"
    name: str  # the operation: "StartExecution"
    method: str  # the client method: "start_execution"
    model: Any  # botocore's OperationModel
    java: str  # the service in the Java SDK's naming: "Sfn"
    errors: dict[str, str]  # error code -> the modeled error shape's name

    @property
    def input_shape(self) -> Any:
        return self.model.input_shape

    @property
    def output_shape(self) -> Any:
        return self.model.output_shape


_lock = threading.Lock()
_session: Any = None
_index: dict[str, str] | None = None  # aws-sdk name -> boto3 name
_operations: dict[tuple[str, str], Operation] = {}


def _botocore() -> Any:
    global _session
    if _session is None:
        import botocore.session

        _session = botocore.session.get_session()
    return _session


def service_model(boto_service: str) -> Any:
    """botocore's model of ``boto_service``; :class:`UnknownIntegration` when there is none."""
    from botocore.exceptions import UnknownServiceError

    try:
        return _botocore().get_service_model(boto_service)
    except UnknownServiceError:
        raise UnknownIntegration(f"botocore has no service named {boto_service!r}") from None


def boto_service(name: str) -> str:
    """boto3's name for the service an ``aws-sdk`` resource names (``sfn`` -> ``stepfunctions``).

    Raises :class:`UnknownIntegration`, suggesting the right name when ``name`` is boto3's own
    (``logs`` for ``cloudwatchlogs``) or close to one.
    """
    session = _botocore()
    available = session.get_available_services()
    if name in available and sdk_name(service_model(name).service_id) == name:
        return name
    index = _sdk_index(session, available)
    found = index.get(name)
    if found is not None:
        return found
    if name in available:
        right = sdk_name(service_model(name).service_id)
        hint = f"; Step Functions names it {right!r}: aws-sdk:{right}:ACTION"
    else:
        close = difflib.get_close_matches(name, list(index), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
    raise UnknownIntegration(f"{name!r} is not an AWS SDK service name{hint}")


def _sdk_index(session: Any, available: list[str]) -> dict[str, str]:
    """Every service's aws-sdk name -> its boto3 name, read from the models' metadata."""
    global _index
    with _lock:
        if _index is None:
            loader = session.get_component("data_loader")
            index: dict[str, str] = {}
            for service in sorted(available):
                service_id = _service_id(loader, service)
                if service_id:
                    index.setdefault(sdk_name(service_id), service)
            _index = index
        return _index


def _service_id(loader: Any, service: str) -> str | None:
    """A service's ``serviceId``, read from the head of its model file (loading all 400 models
    whole takes seconds); the whole model when the file is not where botocore keeps its own."""
    version = loader.determine_latest_version(service, "service-2")
    for root in loader.search_paths:
        for name in ("service-2.json", "service-2.json.gz"):
            path = os.path.join(root, service, version, name)
            if os.path.isfile(path):
                opener: Any = gzip.open if name.endswith(".gz") else open
                with opener(path, "rb") as handle:
                    found = _SERVICE_ID.search(handle.read(4096))
                if found:
                    return found.group(1).decode()
    return service_model(service).service_id or None


def operation(boto_name: str, action: str) -> Operation:
    """The operation ``action`` (camelCase, found case-insensitively) of a boto3 service."""
    key = (boto_name, action)
    found = _operations.get(key)
    if found is not None:
        return found
    model = service_model(boto_name)
    names = {name.lower(): name for name in model.operation_names}
    name = names.get(action.lower())
    if name is None:
        camel = [n[:1].lower() + n[1:] for n in model.operation_names]
        close = difflib.get_close_matches(action, camel, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UnknownIntegration(f"{model.service_id} has no action {action!r}{hint}")
    from botocore import xform_name

    errors: dict[str, str] = {}
    for shape in model.error_shapes:
        errors.setdefault(shape.error_code or shape.name, shape.name)
        errors.setdefault(shape.name, shape.name)
    found = Operation(
        boto_name,
        name,
        xform_name(name),
        model.operation_model(name),
        java_name(model.service_id),
        errors,
    )
    _operations[key] = found
    return found


OWN_ROUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("lambda", "invoke"): ("lambda", "Invoke"),
    ("states", "startExecution"): ("stepfunctions", "StartExecution"),
}
"""Optimized integrations that routes of their own answer (not :mod:`.optimized`'s table):
``(service, action)`` as the resource names them -> the (boto3 service, operation) called."""


def sdk_operation(resource: Resource) -> Operation:
    """The operation an ``aws-sdk:SERVICE:ACTION`` resource calls."""
    return operation(boto_service(resource.service), resource.action)


__all__ = [
    "OWN_ROUTES",
    "PATTERNS",
    "Operation",
    "Resource",
    "UnknownIntegration",
    "boto_service",
    "java_name",
    "operation",
    "parse",
    "sdk_name",
    "sdk_operation",
    "service_model",
]
