"""The errors a TestState call is refused with: AWS's error codes, with AWS's wording."""

from __future__ import annotations

VALIDATION = "ValidationException"
INVALID_DEFINITION = "InvalidDefinition"
INVALID_INPUT = "InvalidExecutionInput"


class TestStateError(Exception):
    """A refused TestState call: ``code`` is AWS's error name (``ValidationException``,
    ``InvalidDefinition``, ``InvalidExecutionInput``), ``message`` its message."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def refused(message: str) -> TestStateError:
    """A ValidationException."""
    return TestStateError(VALIDATION, message)


def invalid_definition(text: str) -> TestStateError:
    """InvalidDefinition with AWS's frame around the problem."""
    return TestStateError(INVALID_DEFINITION, f"Invalid State Machine Definition: '{text}'")
