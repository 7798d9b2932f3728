"""Errors of the callback API, named and worded as Step Functions' API errors.

Each carries ``code``, the AWS error code a server puts in ``__type`` (so boto3 raises its own
exception class), and ``status``, the HTTP status AWS answers with.
"""

from __future__ import annotations


class CallbackError(Exception):
    """A callback or activity call AWS would refuse; ``code`` is AWS's error code."""

    code = "ServiceException"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TaskDoesNotExist(CallbackError):
    """No task has that (well-formed) token."""

    code = "TaskDoesNotExist"


class TaskTimedOut(CallbackError):
    """The token's task already ended: answered, timed out, or its execution stopped."""

    code = "TaskTimedOut"


class InvalidToken(CallbackError):
    """The token is not one this engine issues."""

    code = "InvalidToken"


class InvalidOutput(CallbackError):
    """SendTaskSuccess output that is not JSON, or over 256 KiB."""

    code = "InvalidOutput"


class InvalidArn(CallbackError):
    """A malformed activity ARN."""

    code = "InvalidArn"


class InvalidName(CallbackError):
    """An activity name AWS would not accept."""

    code = "InvalidName"


class ActivityDoesNotExist(CallbackError):
    """No activity has that ARN."""

    code = "ActivityDoesNotExist"


class ValidationException(CallbackError):
    """A parameter outside AWS's limits (an error over 256 characters, a cause over 32,768)."""

    code = "ValidationException"


class ActivityWorkerLimitExceeded(CallbackError):
    """More than 1,000 pollers wait on one activity."""

    code = "ActivityWorkerLimitExceeded"


__all__ = [
    "ActivityDoesNotExist",
    "ActivityWorkerLimitExceeded",
    "CallbackError",
    "InvalidArn",
    "InvalidName",
    "InvalidOutput",
    "InvalidToken",
    "TaskDoesNotExist",
    "TaskTimedOut",
    "ValidationException",
]
