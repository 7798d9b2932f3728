"""The Amazon States Language: load, validate and compile state machine definitions.

Pure: no I/O beyond the text it is given, no clock, no threads.
"""

from asl.diagnostics import Diagnostic, Severity
from asl.errors import ExpressionError, PathNotFound, StatesError, error_matches
from asl.loading import DefinitionError, load, validate
from asl.model import StateMachine

__all__ = [
    "DefinitionError",
    "Diagnostic",
    "ExpressionError",
    "PathNotFound",
    "Severity",
    "StateMachine",
    "StatesError",
    "error_matches",
    "load",
    "validate",
]
