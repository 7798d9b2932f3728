"""A mocked task result checked against the service's API shape (``mock.fieldValidationMode``).

The shape is the output of the operation the Task's resource names, from botocore's service
models: ``arn:aws:states:::lambda:invoke`` is Lambda's Invoke, ``...:dynamodb:putItem``
DynamoDB's PutItem, ``...:aws-sdk:s3:getObject`` S3's GetObject. Member names are compared as
Step Functions writes them (first letter upper case: ``ExecutionArn`` for ``executionArn``).

* ``STRICT`` (the default): every field of the shape the mock gives has the shape's type (and
  enum values, lengths and ranges), and the shape's required fields are all there;
* ``PRESENT``: only the fields the mock gives are checked;
* ``NONE``: nothing is checked.

Fields the shape does not know are accepted in every mode, as AWS accepts them. Results of
``.sync`` and ``.waitForTaskToken`` tasks, of Lambda functions called by ARN, of
``apigateway:invoke`` and the HTTP Task have no SDK output shape and are not checked; without
botocore installed (``pip install asl-engine[aws]``) nothing is.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from runtime.teststate._errors import TestStateError, refused


def check(resource: str, result: Any, mode: str) -> None:
    """Raise TestStateError (ValidationException) when ``result`` does not fit the output of
    the operation ``resource`` names, under ``mode``."""
    if mode == "NONE":
        return
    shape = output_shape(resource)
    if shape is None:
        return
    _value(result, shape, None, strict=mode == "STRICT")


def output_shape(resource: str) -> Any:
    """botocore's output shape of the operation ``resource`` calls, as the engine's AWS route
    resolves it (:func:`runtime.tasks.aws.route.operation_of`); None when it has none."""
    if importlib.util.find_spec("botocore") is None:
        return None
    from runtime.tasks.aws.route import operation_of

    operation = operation_of(resource)
    return None if operation is None else operation.output_shape


def _value(value: Any, shape: Any, field: str | None, *, strict: bool) -> None:
    kind = shape.type_name
    if kind == "document":
        return
    if kind == "structure":
        _structure(value, shape, field, strict=strict)
    elif kind == "list":
        if not isinstance(value, list):
            raise _wrong(field, "must be an array")
        for item in value:
            _value(item, shape.member, field, strict=strict)
    elif kind == "map":
        if not isinstance(value, dict):
            raise _wrong(field, "must be an object")
        for item in value.values():
            _value(item, shape.value, field, strict=strict)
    elif kind in ("string", "timestamp", "blob"):
        if not isinstance(value, str):
            raise _wrong(field, "must be a string")
        if kind == "string" and shape.enum and value not in shape.enum:
            raise _wrong(field, "is not an expected value")
        _bounds(len(value), shape.metadata, field, "length")
    elif kind in ("integer", "long", "float", "double"):
        number = (int,) if kind in ("integer", "long") else (int, float)
        if isinstance(value, bool) or not isinstance(value, number):
            raise _wrong(field, "must be a number")
        _bounds(value, shape.metadata, field, "value")
    elif kind == "boolean" and not isinstance(value, bool):
        raise _wrong(field, "must be a boolean")


def _structure(value: Any, shape: Any, field: str | None, *, strict: bool) -> None:
    if not isinstance(value, dict):
        if field is None:
            raise refused("Mock result schema validation error: the result must be an object")
        raise _wrong(field, "must be an object")
    members = {_sfn_case(name): member for name, member in shape.members.items()}
    if strict:
        for name in shape.required_members:
            if _sfn_case(name) not in value:
                raise refused(
                    "Mock result schema validation error: Required field "
                    f"'{_sfn_case(name)}' is missing"
                )
    for name, item in value.items():
        member = members.get(name)
        if member is not None:
            _value(item, member, name, strict=strict)


def _bounds(size: float, metadata: dict[str, Any], field: str | None, what: str) -> None:
    low, high = metadata.get("min"), metadata.get("max")
    if low is not None and size < low:
        if what == "length":
            raise _wrong(field, "is smaller than the minimum length")
        raise _wrong(field, "is less than the minimum value")
    if high is not None and size > high:
        raise _wrong(field, f"exceeds the maximum {what}")


def _sfn_case(name: str) -> str:
    return name[:1].upper() + name[1:]


def _wrong(field: str | None, problem: str) -> TestStateError:
    return refused(f"Mock result schema validation error: Field '{field}' {problem}")
