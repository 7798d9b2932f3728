"""The core imports nothing of the layers above it: of ``runtime`` only ``runtime.core`` itself
(no store, dispatcher, callback registry, fleet or driver), and no boto3, sqlite3, redis or
Celery. All I/O and time come through the Host."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import runtime.core

ROOT = Path(__file__).resolve().parents[3]

FORBIDDEN_LIBRARIES = ("boto3", "botocore", "sqlite3", "_sqlite3", "redis", "celery", "kombu")

CORE_MODULES = sorted(
    f"runtime.core.{info.name}" for info in pkgutil.iter_modules(runtime.core.__path__)
)


def _imported_by(module: str) -> list[str]:
    """The modules a fresh interpreter has loaded after importing ``module``."""
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def _outer(name: str) -> bool:
    """Whether module ``name`` is one the core must not import."""
    if name == "runtime" or name == "runtime.core" or name.startswith("runtime.core."):
        return False
    return name.startswith("runtime.") or name.split(".")[0] in FORBIDDEN_LIBRARIES


def test_every_core_module_is_checked() -> None:
    assert "runtime.core.interpreter" in CORE_MODULES
    assert "runtime.core.map" in CORE_MODULES


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_no_outer_layer(module: str) -> None:
    outer = [name for name in _imported_by(module) if _outer(name)]
    assert outer == [], f"importing {module} loaded {outer}"
