"""The Amazon States Language: load, validate and compile state machine definitions.

Pure: no I/O beyond the text it is given, no clock, no threads.
"""

from asl._diagnostics import Diagnostic, Severity
from asl._errors import ExpressionError, PathNotFound, StatesError, error_matches
from asl._load import DefinitionError, load, validate
from asl._model import StateMachine

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
