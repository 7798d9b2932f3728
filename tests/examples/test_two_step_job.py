"""The two-step job: two existing scripts run as ``program:run`` Tasks."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
from pathlib import Path

import pytest

import runtime
from tests.examples.support import Example, event_types, execute

EXAMPLE = Example("two_step_job")


def test_the_seeded_letter_is_the_scripts_own_choice(at_root: Path) -> None:
    result = execute(EXAMPLE, {"seed": 7})
    assert result.output["letter"] == random.Random(7).choice(string.ascii_uppercase)
    assert result.output == EXAMPLE.expected_output


@pytest.mark.parametrize("run", range(5))
def test_an_unseeded_run_picks_a_fruit_starting_with_its_random_letter(
    run: int, at_root: Path
) -> None:
    result = execute(EXAMPLE, {})
    assert result.status == "SUCCEEDED", result.cause
    letter, fruit = result.output["letter"], result.output["fruit"]
    assert letter in string.ascii_uppercase
    assert fruit.startswith(letter)


def test_both_scripts_ran_as_programs(at_root: Path) -> None:
    result = execute(EXAMPLE)
    assert event_types(result) == [
        "ExecutionStarted",
        *["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited"]
        * 2,
        "ExecutionSucceeded",
    ]
    scheduled = [
        e["taskScheduledEventDetails"] for e in result.history if e["type"] == "TaskScheduled"
    ]
    assert [(d["resourceType"], d["resource"]) for d in scheduled] == [("program", "run")] * 2
    commands = [json.loads(d["parameters"])["Command"][1] for d in scheduled]
    assert commands == [
        "state_machines/two_step_job/task_a.py",
        "state_machines/two_step_job/task_b.py",
    ]


def test_the_scripts_run_on_their_own_as_cron_would(at_root: Path) -> None:
    for script in ("task_a.py", "task_b.py"):
        path = EXAMPLE.folder / script
        assert path.read_text().startswith("#!/usr/bin/env python3\n")
        assert os.access(path, os.X_OK), f"{script} is not executable"
    letter = subprocess.run(
        [EXAMPLE.folder / "task_a.py"], input='{"seed": 7}', capture_output=True, text=True
    )
    assert json.loads(letter.stdout) == {"letter": "K"}
    fruit = subprocess.run(
        [EXAMPLE.folder / "task_b.py"], input=letter.stdout, capture_output=True, text=True
    )
    assert json.loads(fruit.stdout)["fruit"][0] == "K"


def test_a_script_exiting_non_zero_fails_its_task(at_root: Path) -> None:
    definition = json.loads(EXAMPLE.definition.read_text())
    del definition["States"]["WriteLetter"]  # task B alone, given a letter it has no fruit for
    definition["StartAt"] = "PickFruit"
    result = runtime.execute(definition, {"taskA": {"letter": "?"}})
    assert (result.status, result.error) == ("FAILED", "Program.ExitCode.3")
    cause = json.loads(result.cause)
    assert cause["exitCode"] == 3
    assert cause["stderr"] == "no fruit starts with '?'\n"
