"""The conformance cases are part of the repository, and a missing folder fails the tests that
read it instead of skipping them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, conformance_dir

HERE = Path(__file__).resolve().parent


def test_default_folder_is_in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASL_CONFORMANCE_DIR", raising=False)
    assert conformance_dir() == ROOT / "tests" / "conformance" == HERE
    for folder in ("execution", "validation", "services", "teststate"):
        assert any((HERE / folder).glob("*.json")), folder
    assert "Sources and licence" in (HERE / "README.md").read_text()


@pytest.mark.parametrize(
    "module",
    [
        "tests/asl/choice/test_choice_conformance.py",  # reads the folder when collected
        "tests/runtime/conformance/test_execution_cases.py",  # reads it in the test
    ],
)
def test_missing_folder_fails(tmp_path: Path, module: str) -> None:
    env = {**os.environ, "ASL_CONFORMANCE_DIR": str(tmp_path / "absent")}
    env.pop("CI", None)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", module],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert out.returncode not in (0, 5), out.stdout
    assert "skipped" not in out.stdout
    assert f"conformance cases not found in {tmp_path / 'absent'}" in out.stdout, out.stdout
