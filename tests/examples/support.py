"""Running the examples in ``state_machines/``: through ``runtime.execute`` and ``asl run``."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import runtime
from runtime import ExecutionResult

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "state_machines"


@dataclass(frozen=True)
class Example:
    """One folder of ``state_machines/``."""

    name: str

    @property
    def folder(self) -> Path:
        return EXAMPLES / self.name

    @property
    def definition(self) -> Path:
        for candidate in ("definition.asl.json", "definition.json"):
            if (self.folder / candidate).is_file():
                return self.folder / candidate
        raise FileNotFoundError(f"{self.folder} has no definition.asl.json")

    @property
    def input(self) -> Any:
        return json.loads((self.folder / "input.json").read_text())

    @property
    def expected_output(self) -> Any:
        return json.loads((self.folder / "expected_output.json").read_text())

    def quick_start(self) -> list[str]:
        """The README's first ``asl run`` command, as argv (without the leading ``asl``)."""
        for line in (self.folder / "README.md").read_text().splitlines():
            if line.startswith("asl run "):
                return shlex.split(line)[1:]
        raise AssertionError(f"{self.name}/README.md has no 'asl run' command")


def examples() -> list[str]:
    """Every example folder's name."""
    return sorted(p.name for p in EXAMPLES.iterdir() if (p / "input.json").is_file())


def execute(example: Example, input: Any = None, **options: Any) -> ExecutionResult:
    """``runtime.execute`` on the example (run from the repo root: use the ``at_root`` fixture)."""
    value = example.input if input is None else input
    return runtime.execute(example.definition, value, **options)


def asl_command() -> list[str]:
    """The installed ``asl`` command of this interpreter, else ``python -m runtime``."""
    script = Path(sys.executable).parent / "asl"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "runtime"]


def run_asl(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    """Run the real ``asl`` command from the repo root with its own store."""
    env = dict(os.environ)
    env["ASL_STORE"] = str(store)
    return subprocess.run(
        [*asl_command(), *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def event_types(result: ExecutionResult) -> list[str]:
    return [event["type"] for event in result.history]
