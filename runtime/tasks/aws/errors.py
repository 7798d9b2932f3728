"""AWS service failures as Step Functions names them, with its causes.

Two naming schemes, as AWS records them:

* ``aws-sdk`` integrations (the AWS SDK for Java 2.x): ``<Service>.<Exception>``, the service
  in the Java SDK's naming (``S3``, ``DynamoDb``, ``SecretsManager``) and the exception the
  modeled error shape's name with ``Exception`` appended when it lacks it
  (``S3.NoSuchKeyException``); an error the API does not model is the service's base
  exception (``DynamoDb.DynamoDbException``). Cause: ``<message> (Service: S3, Status Code:
  404, Request ID: <id>, Extended Request ID: <x>)``.
* optimized integrations (the AWS SDK for Java 1.x): ``<Prefix>.<Exception>`` with the
  integration's own prefix (``DynamoDB``, ``SNS``, ``SQS``), unmodeled errors the SDK's base
  exception (``DynamoDB.AmazonDynamoDBException``). Cause: ``<message> (Service:
  AmazonDynamoDBv2; Status Code: 400; Error Code: <code>; Request ID: <id>; Proxy: null)``.

A failure before any response (no route to the host, no credentials) is
``<Prefix>.SdkClientException``, ``Unable to execute HTTP request: ...``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from asl.errors import RUNTIME, StatesError

CLIENT_EXCEPTION = "SdkClientException"


@dataclass(frozen=True, slots=True)
class V1Naming:
    """How an optimized integration names its service's errors (the Java SDK 1.x's names)."""

    prefix: str  # the error name's prefix: "DynamoDB"
    service: str  # "Service:" in causes: "AmazonDynamoDBv2"
    base: str  # the exception of errors the API does not model: "AmazonDynamoDBException"


class ServiceFailure(Exception):
    """An error response of an AWS service (or the validation it would answer with)."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int,
        request_id: str | None = None,
        *,
        host_id: str | None = None,
        query_code: str | None = None,
    ) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.status = status
        self.request_id = request_id or str(uuid.uuid4())
        self.host_id = host_id
        self.query_code = query_code  # the error shape's name behind a query-compatible code

    @classmethod
    def of(cls, exc: Any) -> ServiceFailure:
        """The failure a botocore ``ClientError`` reports."""
        response = exc.response or {}
        error = response.get("Error") or {}
        meta = response.get("ResponseMetadata") or {}
        status = int(meta.get("HTTPStatusCode") or 0)
        return cls(
            str(error.get("Code") or status),
            str(error.get("Message") or error.get("message") or ""),
            status,
            meta.get("RequestId"),
            host_id=meta.get("HostId") or None,
            query_code=error.get("QueryErrorCode"),
        )

    def exception(self, modeled: dict[str, str]) -> str | None:
        """The Java SDK's exception name for this error, when the API models it."""
        shape = modeled.get(self.code) or modeled.get(self.query_code or "")
        if shape is None:
            return None
        return shape if shape.endswith("Exception") else shape + "Exception"


def sdk_error(failure: ServiceFailure, service: str, modeled: dict[str, str]) -> StatesError:
    """An ``aws-sdk`` integration's failure: ``<Service>.<Exception>`` (Java SDK 2.x)."""
    exception = failure.exception(modeled) or f"{service}Exception"
    details = [
        f"Service: {service}",
        f"Status Code: {failure.status}",
        f"Request ID: {failure.request_id}",
    ]
    if failure.host_id:
        details.append(f"Extended Request ID: {failure.host_id}")
    return StatesError(
        f"{service}.{exception}", f"{failure.message or 'null'} ({', '.join(details)})"
    )


def optimized_error(
    failure: ServiceFailure, naming: V1Naming, modeled: dict[str, str]
) -> StatesError:
    """An optimized integration's failure: ``<Prefix>.<Exception>`` (Java SDK 1.x)."""
    exception = failure.exception(modeled) or naming.base
    return StatesError(
        f"{naming.prefix}.{exception}",
        f"{failure.message or 'null'} (Service: {naming.service}; Status Code: "
        f"{failure.status}; Error Code: {failure.code}; Request ID: {failure.request_id}; "
        "Proxy: null)",
    )


def client_failure(prefix: str, exc: BaseException) -> StatesError:
    """A failure before the service answered (connection, DNS, credentials, a timeout)."""
    from botocore import exceptions as e

    if isinstance(exc, e.NoCredentialsError | e.PartialCredentialsError):
        message = f"Unable to load AWS credentials from any provider in the chain: {exc}"
    elif isinstance(exc, e.HTTPClientError | e.ConnectionError | OSError):
        message = f"Unable to execute HTTP request: {exc}"
    else:
        message = str(exc)
    return StatesError(f"{prefix}.{CLIENT_EXCEPTION}", message)


def unresolvable_host(prefix: str, host: str, reason: str) -> StatesError:
    """The failure of a request to a host name that does not resolve (Java's wording)."""
    return StatesError(
        f"{prefix}.{CLIENT_EXCEPTION}", f"Unable to execute HTTP request: {host}: {reason}"
    )


def unusable_parameters(parameters: Any, problem: str) -> StatesError:
    """``States.Runtime``: Step Functions could not turn the Parameters into the API request."""
    text = json.dumps(parameters, separators=(",", ":"), ensure_ascii=False, default=str)
    return StatesError(
        RUNTIME, f"The Parameters '{text}' could not be used to start the Task: [{problem}]"
    )


def unsupported_field(parameters: Any, field: str) -> StatesError:
    """``States.Runtime`` for a field the integration does not accept."""
    problem = f'The field "{field}" is not supported by Step Functions'
    return unusable_parameters(parameters, problem)


__all__ = [
    "CLIENT_EXCEPTION",
    "ServiceFailure",
    "V1Naming",
    "client_failure",
    "optimized_error",
    "sdk_error",
    "unresolvable_host",
    "unsupported_field",
    "unusable_parameters",
]
