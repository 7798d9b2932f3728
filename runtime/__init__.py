"""The asl runtime: interpreter core, drivers, stores, task dispatchers and the ``asl`` command.

Imports are lazy so that ``asl`` starts fast: ``runtime.execute`` loads the engine on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime.drivers.api import execute, load_definition
    from runtime.drivers.execution import ExecutionResult, NondeterminismError
    from runtime.teststate import TestStateError, test_state

__all__ = [
    "ExecutionResult",
    "NondeterminismError",
    "TestStateError",
    "execute",
    "load_definition",
    "test_state",
]

_LAZY = {
    "execute": "runtime.drivers.api",
    "load_definition": "runtime.drivers.api",
    "ExecutionResult": "runtime.drivers.execution",
    "NondeterminismError": "runtime.drivers.execution",
    "test_state": "runtime.teststate",
    "TestStateError": "runtime.teststate",
    "task": "runtime.fleet",
    "heartbeat": "runtime.fleet",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runtime' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
