"""Turning ``module:function`` specs into callables, with errors that say how to fix them."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any


class ConfigurationError(ValueError):
    """A task route is misconfigured (bad handler spec, invalid mock config, unknown test case).

    Raised while the dispatcher is built, before anything runs.
    """


def load_callable(spec: str, *, purpose: str) -> Callable[..., Any]:
    """The callable named by ``module:function`` (or ``path/to/file.py:function``).

    ``function`` may be a dotted attribute path (``Class.method``). ``purpose`` names the option
    the spec came from and starts every error message.
    """
    module_part, sep, attr_path = spec.rpartition(":")
    if not sep or not module_part or not attr_path:
        raise ConfigurationError(
            f"{purpose}: {spec!r} is not of the form module:function "
            "(for example handlers.orders:handle or ./handlers/orders.py:handle)."
        )
    module = load_module(module_part, purpose=purpose)
    target: Any = module
    for part in attr_path.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ConfigurationError(
                f"{purpose}: module {module_part!r} ({_where(module)}) has no attribute "
                f"{attr_path!r}.{_available(module)}"
            )
    if not callable(target):
        raise ConfigurationError(
            f"{purpose}: {module_part}:{attr_path} is a {type(target).__name__}, not a function."
        )
    return target


def load_module(name: str, *, purpose: str) -> ModuleType:
    """The module named ``name`` (dotted, or a ``.py`` file path); ``purpose`` as for
    :func:`load_callable`."""
    if name.endswith(".py") or "/" in name or os.sep in name:
        return _import_file(Path(name), purpose)
    try:
        return _import_module(name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if name == missing or name.startswith(missing + "."):
            raise ConfigurationError(
                f"{purpose}: cannot import module {name!r}: {exc}. Check the spelling, run from "
                "the directory that contains it, or add that directory to PYTHONPATH."
            )
        raise _missing_dependency(name, exc, purpose)
    except Exception as exc:
        raise ConfigurationError(
            f"{purpose}: importing module {name!r} raised {type(exc).__name__}: {exc}"
        )


def _import_module(name: str) -> ModuleType:
    """Import by name; the working directory counts, as it does for ``python -m``."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        cwd = os.getcwd()
        top = name.partition(".")[0]
        if exc.name != top or cwd in sys.path or "" in sys.path:
            raise
        sys.path.append(cwd)
        return importlib.import_module(name)


def _import_file(path: Path, purpose: str) -> ModuleType:
    """Import a source file by path; its directory goes on ``sys.path`` for sibling imports."""
    resolved = path.expanduser().resolve()
    if not resolved.is_file():
        raise ConfigurationError(f"{purpose}: file {str(path)!r} does not exist.")
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:10]
    module_name = f"_asl_task_{resolved.stem}_{digest}"
    cached = sys.modules.get(module_name)
    if cached is not None:
        return cached
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise ConfigurationError(f"{purpose}: {str(path)!r} is not an importable Python file.")
    module = importlib.util.module_from_spec(spec)
    folder = str(resolved.parent)
    if folder not in sys.path:
        sys.path.append(folder)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as exc:
        del sys.modules[module_name]
        raise _missing_dependency(str(path), exc, purpose)
    except Exception as exc:
        del sys.modules[module_name]
        raise ConfigurationError(
            f"{purpose}: importing {str(path)!r} raised {type(exc).__name__}: {exc}"
        )
    return module


def _missing_dependency(name: str, exc: ModuleNotFoundError, purpose: str) -> ConfigurationError:
    return ConfigurationError(
        f"{purpose}: importing {name!r} failed: {exc}. Install {exc.name!r} in this Python "
        "environment (or put it on PYTHONPATH)."
    )


def _where(module: ModuleType) -> str:
    return getattr(module, "__file__", None) or "built-in"


def _available(module: ModuleType) -> str:
    names = sorted(
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and callable(v)
        and getattr(v, "__module__", None) == module.__name__
    )
    if not names:
        return ""
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return f" It defines: {shown}."


__all__ = ["ConfigurationError", "load_callable", "load_module"]
