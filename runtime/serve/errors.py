"""AWS-shaped service errors: ``{"__type": "...", "message": "..."}`` with an HTTP status.

boto3 turns the ``__type`` into its own exception class
(``client.exceptions.ExecutionDoesNotExist``).
"""

from __future__ import annotations


class ApiError(Exception):
    """An error answered to the client; ``code`` is the AWS error name."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, str]:
        return {"__type": self.code, "message": self.message}


def validation(message: str) -> ApiError:
    return ApiError("ValidationException", message)


def missing(field: str) -> ApiError:
    """A required member left out, worded as AWS words it."""
    return validation(
        f"1 validation error detected: Value null at '{field}' failed to satisfy constraint: "
        "Member must not be null"
    )


def too_long(field: str, limit: int) -> ApiError:
    return validation(
        f"1 validation error detected: Value at '{field}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}"
    )


def invalid_arn(arn: str, kind: str = "") -> ApiError:
    """A malformed ARN, or one of a kind the action does not take, worded as AWS words it."""
    if kind:
        return ApiError(
            "InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {kind}'"
        )
    return ApiError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")


def invalid_name(name: str) -> ApiError:
    return ApiError("InvalidName", f"Invalid Name: '{name}'")


def invalid_token(token: str) -> ApiError:
    return ApiError("InvalidToken", f"Invalid Token: '{token[:80]}'")


def machine_not_found(arn: str) -> ApiError:
    return ApiError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")


def execution_not_found(arn: str) -> ApiError:
    return ApiError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")


def internal() -> ApiError:
    return ApiError(
        "InternalFailure", "The request processing has failed (see the server log)", 500
    )
