"""Lambda handlers the service worlds bind: the conformance folder's, and a releasable wait.

LocalStack's ``wait_60_seconds.py`` sleeps a minute so that the Task's ``TimeoutSeconds`` fires
first. Ours waits the same minute, but :func:`release` ends the wait once the execution is over,
so the handler's thread does not hold the process for the rest of that minute.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from tests.conftest import conformance_dir

_RELEASE = threading.Event()
WAIT_SECONDS = 60.0


def wait_60_seconds(event: Any, context: Any) -> Any:
    """Wait a minute (or until :func:`release`), then return the event."""
    _RELEASE.wait(WAIT_SECONDS)
    return event


def hold() -> None:
    """Make :func:`wait_60_seconds` wait its minute again (before an execution)."""
    _RELEASE.clear()


def release() -> None:
    """End every running :func:`wait_60_seconds` now (after the execution)."""
    _RELEASE.set()


def conformance_handler(spec: str) -> Callable[..., Any]:
    """The handler ``lambdas:NAME`` of the conformance folder's ``lambdas.py``."""
    module_name, _, function = spec.partition(":")
    if module_name != "lambdas":
        raise ValueError(f"{spec!r}: conformance handlers are named 'lambdas:<function>'")
    return getattr(_conformance_module(), function)


def _conformance_module() -> ModuleType:
    name = "asl_conformance_lambdas"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, conformance_dir() / "lambdas.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module


__all__ = ["WAIT_SECONDS", "conformance_handler", "hold", "release", "wait_60_seconds"]
