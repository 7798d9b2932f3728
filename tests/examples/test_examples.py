"""Every example in ``state_machines/``: complete, valid, and gives its expected output both
through ``runtime.execute`` and through the README's ``asl run`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import asl
from tests.examples.support import ROOT, Example, examples, execute, run_asl

NAMES = examples()


def test_the_examples_are_all_here() -> None:
    assert set(NAMES) >= {"two_step_job", "nightly_batch", "error_handling", "jsonata_orders"}


@pytest.mark.parametrize("name", NAMES)
def test_layout(name: str) -> None:
    example = Example(name)
    for required in ("README.md", "input.json", "expected_output.json"):
        assert (example.folder / required).is_file(), f"{name} has no {required}"
    assert example.definition.is_file()
    assert (ROOT / "tests" / "examples" / f"test_{name}.py").is_file(), f"{name} has no test"


@pytest.mark.parametrize("name", NAMES)
def test_definition_is_valid(name: str) -> None:
    example = Example(name)
    diagnostics = asl.validate(example.definition.read_text(), filename=str(example.definition))
    assert [d.to_dict() for d in diagnostics] == []


@pytest.mark.parametrize("name", NAMES)
def test_execute_gives_the_expected_output(name: str, at_root: Path) -> None:
    example = Example(name)
    result = execute(example, time_skip=True)
    assert (result.status, result.error, result.cause) == ("SUCCEEDED", None, None)
    assert result.output == example.expected_output


@pytest.mark.parametrize("name", NAMES)
def test_readme_quick_start_gives_the_expected_output(name: str, tmp_path: Path) -> None:
    example = Example(name)
    args = example.quick_start()
    assert args[:2] == ["run", str(example.definition.relative_to(ROOT))]
    done = run_asl(*args, "--name", f"example-{name}", store=tmp_path / "store")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == example.expected_output
    history = run_asl("history", f"example-{name}", "--format", "json", store=tmp_path / "store")
    assert history.returncode == 0, history.stderr
    assert json.loads(history.stdout)["events"][-1]["type"] == "ExecutionSucceeded"
