"""The house's arrows hold: ``lint-imports`` keeps every contract in pyproject.toml (layers, the
pure core, the language on its own, dispatchers that drive and store nothing, a fleet that
imports no dispatcher, private modules that stay in their package)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _lint_imports() -> list[str]:
    found = Path(sys.executable).with_name("lint-imports")
    command = str(found) if found.exists() else shutil.which("lint-imports")
    if command is None:
        pytest.fail("lint-imports is not installed (pip install -e '.[dev]' brings it)")
    return [command, "--no-cache", "--no-logo"]


def test_every_import_contract_is_kept() -> None:
    done = subprocess.run(_lint_imports(), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout, done.stdout


def test_a_dispatch_with_every_route_loads_no_driver() -> None:
    """What the contracts say, seen at run time: building a dispatch (every route imported,
    nested executions among them) loads nothing of the drivers: nested executions ask the
    driver that runs their parent, through the interface it installs."""
    code = (
        "import json, sys; from runtime.tasks import build_dispatch; build_dispatch(); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('runtime.'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout)
    assert "runtime.tasks.nested" in loaded
    assert [m for m in loaded if m.startswith("runtime.drivers")] == []
