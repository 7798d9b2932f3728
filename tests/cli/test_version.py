"""``asl --version`` and ``python -m runtime --version`` print the installed package's version;
the LICENSE file is the licence the package declares."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from runtime.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = f"asl-engine {metadata.version('asl-engine')}\n"


@pytest.mark.parametrize(
    "command",
    [
        [shutil.which("asl") or "asl", "--version"],
        [sys.executable, "-m", "runtime", "--version"],
        [sys.executable, "-m", "runtime", "--version", "validate", "x.json"],
    ],
    ids=["asl", "python-m-runtime", "before-a-command"],
)
def test_version_command(command: list[str]) -> None:
    out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert (out.returncode, out.stdout, out.stderr) == (0, EXPECTED, "")


def test_version_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--version"])
    assert raised.value.code == 0
    assert capsys.readouterr().out == EXPECTED


def test_licence_file_is_the_package_licence() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text and "APPENDIX" in text
    meta = metadata.distribution("asl-engine").metadata
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
