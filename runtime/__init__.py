"""The asl runtime: interpreter core, drivers, stores, task dispatchers and the ``asl`` command."""

from runtime._api import execute, load_definition
from runtime._driver import ExecutionResult, NondeterminismError

__all__ = ["ExecutionResult", "NondeterminismError", "execute", "load_definition"]
