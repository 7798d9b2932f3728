"""The one runtime error type, error-name constants, ErrorEquals matching and syntax errors."""

from __future__ import annotations

from collections.abc import Iterable

ALL = "States.ALL"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
PERMISSIONS = "States.Permissions"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
BRANCH_FAILED = "States.BranchFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
ITEM_READER_FAILED = "States.ItemReaderFailed"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
RUNTIME = "States.Runtime"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"

PREDEFINED_ERRORS = frozenset(
    {
        ALL,
        TASK_FAILED,
        TIMEOUT,
        HEARTBEAT_TIMEOUT,
        PERMISSIONS,
        RESULT_PATH_MATCH_FAILURE,
        PARAMETER_PATH_FAILURE,
        INTRINSIC_FAILURE,
        BRANCH_FAILED,
        NO_CHOICE_MATCHED,
        EXCEED_TOLERATED_FAILURE_THRESHOLD,
        ITEM_READER_FAILED,
        RESULT_WRITER_FAILED,
        DATA_LIMIT_EXCEEDED,
        RUNTIME,
        QUERY_EVALUATION_ERROR,
        "States.Http.Socket",
    }
)

# Errors no catcher or retrier can handle, not even States.ALL. (AWS's recordings show a task's
# States.DataLimitExceeded caught by States.ALL, so only States.Runtime is here.)
UNCATCHABLE = frozenset({RUNTIME})


class StatesError(Exception):
    """A failure in an execution: an error name (``States.Timeout``, ``MyError``) and a cause."""

    __slots__ = ("cause", "error")

    def __init__(self, error: str, cause: str | None = None) -> None:
        self.args = (error, cause)  # (cheaper than calling Exception.__init__)
        self.error = error
        self.cause = cause

    def __str__(self) -> str:
        return f"{self.error}: {self.cause}" if self.cause else self.error

    def __repr__(self) -> str:
        return f"StatesError({self.error!r}, {self.cause!r})"


class ExpressionError(ValueError):
    """An expression (JSONPath, intrinsic, JSONata, timestamp) is not well formed.

    Raised at compile time; the validator turns it into a diagnostic. ``message`` says what is
    wrong in a sentence fit for a user.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _is_task_failure(error: str) -> bool:
    """Whether ``States.TaskFailed`` in ErrorEquals covers ``error``: any non-``States.`` name."""
    return not error.startswith("States.")


def error_matches(error_equals: Iterable[str], error: str) -> bool:
    """Whether a Retrier or Catcher whose ErrorEquals is ``error_equals`` handles ``error``."""
    for name in error_equals:
        if name == error:
            return True
        if name == ALL:
            if error not in UNCATCHABLE:
                return True
        elif name == TASK_FAILED and _is_task_failure(error):
            return True
    return False


class PathNotFound(LookupError):
    """A JSONPath or reference path selected nothing in the value it was applied to.

    Raised by compiled getters; the caller knows which field the path came from and turns this into
    a :class:`StatesError` worded as AWS words it.
    """

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path
