"""The core imports nothing of the layers above it: no store, dispatcher, callback registry,
fleet, driver, boto3, sqlite3 or redis (all I/O and time come through the Host)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

FORBIDDEN = (
    "runtime.callbacks",
    "runtime.stores",
    "runtime.tasks",
    "runtime.fleet",
    "runtime.drivers",
    "runtime.serve",
    "runtime.cli",
    "boto3",
    "botocore",
    "sqlite3",
    "redis",
    "celery",
)

CORE_MODULES = (
    "runtime.core.interpreter",
    "runtime.core.events",
    "runtime.core.size",
    "runtime.core.jsontext",
    "runtime.core.tokens",
    "runtime.core.host",
)


def _imported_by(module: str) -> list[str]:
    """The modules a fresh interpreter has loaded after importing ``module``."""
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_no_outer_layer(module: str) -> None:
    loaded = _imported_by(module)
    outer = [
        name
        for name in loaded
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    ]
    assert outer == [], f"importing {module} loaded {outer}"
