"""Every ```python block in docs/distributed-map.md is a pytest module that passes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
BLOCKS = BLOCK.findall((ROOT / "docs" / "distributed-map.md").read_text())


def test_the_doc_has_an_example() -> None:
    assert BLOCKS


@pytest.mark.parametrize("code", BLOCKS)
def test_block_passes(code: str, tmp_path: Path) -> None:
    module = tmp_path / "test_doc_block.py"
    module.write_text(code)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
