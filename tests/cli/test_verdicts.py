"""``asl run`` remembers that an unchanged definition is valid, and validates anything else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import asl
from asl import validation as _validate
from runtime.cli import main
from runtime.drivers import verdicts as _verdicts

VALID = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}}
INVALID = {"StartAt": "Nowhere", "States": {"P": {"Type": "Pass", "End": True}}}


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ASL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ASL_STORE", str(tmp_path / "store.sqlite3"))
    return tmp_path


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The state machine types validated, in order, from here on."""
    seen: list[str] = []
    real = _validate.validate_definition

    def counting(value: Any, *, state_machine_type: str = "STANDARD") -> Any:
        seen.append(state_machine_type)
        return real(value, state_machine_type=state_machine_type)

    monkeypatch.setattr(_validate, "validate_definition", counting)
    return seen


def _write(folder: Path, value: Any, name: str = "machine.json") -> str:
    path = folder / name
    path.write_text(json.dumps(value))
    return str(path)


def test_an_unchanged_valid_definition_is_validated_once(
    workspace: Path, validations: list[str]
) -> None:
    file = _write(workspace, VALID)
    assert main(["run", file, "--input", "{}"]) == 0
    assert main(["run", file, "--input", "{}"]) == 0
    assert main(["run", file, "--express", "--input", "{}"]) == 0  # another type: validated as such
    assert main(["run", file, "--express", "--input", "{}"]) == 0
    assert validations == ["STANDARD", "EXPRESS"]
    assert len(list((workspace / "cache" / "valid").iterdir())) == 2


def test_an_invalid_definition_is_reported_every_time(
    workspace: Path, validations: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    file = _write(workspace, INVALID)
    for _ in range(2):
        assert main(["run", file, "--input", "{}"]) == 2
        assert "Nowhere" in capsys.readouterr().err
    assert validations == ["STANDARD", "STANDARD"]
    assert not (workspace / "cache" / "valid").exists()


def test_a_changed_definition_is_validated_again(workspace: Path, validations: list[str]) -> None:
    file = _write(workspace, VALID)
    assert main(["run", file, "--input", "{}"]) == 0
    _write(workspace, INVALID)
    assert main(["run", file, "--input", "{}"]) == 2
    assert validations == ["STANDARD", "STANDARD"]


@pytest.mark.parametrize("setting", ["off", "0", ""])
def test_remembering_can_be_turned_off(
    workspace: Path, validations: list[str], monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    monkeypatch.setenv("ASL_CACHE_DIR", setting)
    file = _write(workspace, VALID)
    assert main(["run", file, "--input", "{}"]) == 0
    assert main(["run", file, "--input", "{}"]) == 0
    assert validations == ["STANDARD", "STANDARD"]


def test_a_cache_folder_that_cannot_be_written_only_means_validating(
    workspace: Path, validations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = workspace / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("ASL_CACHE_DIR", str(blocker))
    file = _write(workspace, VALID)
    assert main(["run", file, "--input", "{}"]) == 0
    assert main(["run", file, "--input", "{}"]) == 0
    assert validations == ["STANDARD", "STANDARD"]


def test_another_engine_does_not_trust_the_verdict(
    workspace: Path, validations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    file = _write(workspace, VALID)
    assert main(["run", file, "--input", "{}"]) == 0
    monkeypatch.setattr(_verdicts, "_engine_fingerprint", lambda: "an edited engine")
    assert main(["run", file, "--input", "{}"]) == 0
    assert validations == ["STANDARD", "STANDARD"]


def test_the_python_api_writes_no_verdicts(workspace: Path) -> None:
    import runtime

    file = _write(workspace, VALID)
    assert runtime.execute(file).status == "SUCCEEDED"
    assert not (workspace / "cache").exists()
    assert _verdicts.enabled is False


def test_trusted_load_still_reports_text_that_does_not_parse() -> None:
    with pytest.raises(asl.DefinitionError, match="ASL"):
        asl.load("{ not json", trusted=True)
    machine = asl.load(json.dumps(VALID), trusted=True)
    assert machine.states["P"].result == 1
