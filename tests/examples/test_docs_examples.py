"""Every ```python block in docs/python-api.md is a pytest module that passes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.examples.support import ROOT

DOC = ROOT / "docs" / "python-api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks() -> list[tuple[str, str]]:
    """``(heading, code)`` for every ```python block, in order."""
    text = DOC.read_text()
    found = []
    for match in BLOCK.finditer(text):
        headings = re.findall(r"^#+ (.+)$", text[: match.start()], re.MULTILINE)
        found.append((headings[-1] if headings else "top", match.group(1)))
    return found


BLOCKS = blocks()


def test_the_doc_has_examples() -> None:
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize(
    "code", [code for _, code in BLOCKS], ids=[f"{n}-{h}" for n, (h, _) in enumerate(BLOCKS)]
)
def test_block_passes(code: str, tmp_path: Path) -> None:
    assert re.search(r"^def test_", code, re.MULTILINE), "each block is a pytest module"
    module = tmp_path / "test_doc_block.py"
    module.write_text(code)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the repo's settings
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(module),
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            "-c",
            str(tmp_path / "pytest.ini"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and "skipped" not in done.stdout, done.stdout
