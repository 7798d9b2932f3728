"""Schedules fire on ``asl serve``: created through boto3's ``scheduler`` client, fired by the
server's scheduler on a virtual clock (ticked by hand: no test waits for a schedule), started
through StartExecution and seen through boto3's ``stepfunctions`` client."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from runtime.serve.schedules import SchedulerSettings
from runtime.stores import SqliteStore
from tests.serve.conftest import PASS, ROLE, Live, definition, wait_done
from tests.serve.test_scheduler_api import scheduler

WAIT = definition({"W": {"Type": "Wait", "Seconds": 3600, "End": True}})
INPUT = '{"at": "<aws.scheduler.scheduled-time>", "n": "<aws.scheduler.attempt-number>"}'


class VirtualClock:
    """The scheduler's now: the real time at the start, moved on by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Rig:
    def __init__(self, live: Live, clock: VirtualClock) -> None:
        self.live, self.clock = live, clock
        self.sch = scheduler(live.url)

    def tick(self, to: float) -> list[str]:
        """Move the virtual clock to ``to`` (epoch seconds) and fire what is due."""
        self.clock.now = max(self.clock.now, to)
        return self.live.service.scheduler.tick()

    def create(self, name: str, expression: str, machine: str, **more: Any) -> float:
        """Create a schedule; its creation date (a rate() counts from it)."""
        self.sch.create_schedule(
            Name=name,
            ScheduleExpression=expression,
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": machine, "RoleArn": ROLE, "Input": INPUT},
            **more,
        )
        group = more.get("GroupName", "default")
        return self.live.service.store.get_schedule(_arn(group, name)).creation_date

    def names(self, machine: str) -> list[str]:
        found = self.live.sfn.list_executions(stateMachineArn=machine)["executions"]
        return sorted(e["name"] for e in found)


def _arn(group: str, name: str) -> str:
    return f"arn:aws:scheduler:us-east-1:111111111111:schedule/{group}/{name}"


def stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%dT%H%M%SZ")


@pytest.fixture
def make_rig(make_server, tmp_path: Path):
    def make(path: Path | None = None, clock: VirtualClock | None = None) -> Rig:
        clock = clock or VirtualClock()
        store = SqliteStore(path or tmp_path / "store" / "executions.sqlite3")
        settings = SchedulerSettings(clock=clock, interval=3600)  # ticked by the test only
        return Rig(make_server(store, schedules=settings), clock)

    return make


def test_an_at_and_a_rate_schedule_start_their_executions(make_rig) -> None:
    rig = make_rig()
    machine = rig.live.machine(PASS)
    when = datetime.fromtimestamp(rig.clock.now + 120, UTC).replace(microsecond=0)
    rig.create("once", f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})", machine)
    created = rig.create("every", "rate(1 minute)", machine)
    rig.tick(created + 1)
    assert rig.names(machine) == [f"default@every@{stamp(created)}"]
    rig.tick(created + 150)
    expected = [f"default@every@{stamp(created + k * 60)}" for k in range(3)]
    assert rig.names(machine) == sorted([*expected, f"default@once@{stamp(when.timestamp())}"])
    rig.tick(created + 150)  # nothing twice
    assert len(rig.names(machine)) == 4
    arn = f"{machine.replace(':stateMachine:', ':execution:')}:{expected[1]}"
    done = wait_done(rig.live.sfn, arn)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["input"]) == {
        "at": datetime.fromtimestamp(created + 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "n": "1",
    }
    origin = rig.live.service.store.get(arn).options["schedule"]
    assert origin["scheduleArn"] == _arn("default", "every") and origin["attempt"] == 1


def test_disabled_schedules_start_nothing(make_rig) -> None:
    rig = make_rig()
    machine = rig.live.machine(PASS)
    created = rig.create("every", "rate(1 minute)", machine)
    rig.tick(created + 1)
    rig.sch.update_schedule(
        Name="every",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": machine, "RoleArn": ROLE},
        State="DISABLED",
    )
    for minutes in (1, 2, 3):
        rig.tick(created + minutes * 60 + 1)
    assert rig.names(machine) == [f"default@every@{stamp(created)}"]


def test_overlap_skip_skips_while_the_previous_run_still_runs(make_rig) -> None:
    rig = make_rig()
    machine = rig.live.machine(WAIT, name="slow")
    rig.sch.create_schedule_group(
        Name="careful", Tags=[{"Key": "asl:overlap-policy", "Value": "SKIP"}]
    )
    created = rig.create("every", "rate(1 minute)", machine, GroupName="careful")
    rig.tick(created + 1)
    rig.tick(created + 61)
    rig.tick(created + 121)
    (first,) = rig.live.sfn.list_executions(stateMachineArn=machine)["executions"]
    assert first["status"] == "RUNNING"
    rig.live.sfn.stop_execution(executionArn=first["executionArn"])
    rig.tick(created + 181)
    assert rig.names(machine) == [
        f"careful@every@{stamp(created)}",
        f"careful@every@{stamp(created + 180)}",
    ]
    for execution in rig.live.sfn.list_executions(stateMachineArn=machine)["executions"]:
        if execution["status"] == "RUNNING":
            rig.live.sfn.stop_execution(executionArn=execution["executionArn"])


def test_after_downtime_the_catch_up_window_decides_which_occurrences_run(
    make_rig, tmp_path: Path
) -> None:
    path = tmp_path / "shared" / "executions.sqlite3"
    first = make_rig(path)
    machine = first.live.machine(PASS)
    first.sch.create_schedule_group(Name="g", Tags=[{"Key": "asl:catchup-window", "Value": "900"}])
    created = first.create("every", "rate(10 minutes)", machine, GroupName="g")
    first.tick(created + 1)
    first.live.service.scheduler.stop()  # the server goes down ...
    clock = VirtualClock()
    clock.now = created + 36 * 60  # ... for three occurrences (10, 20 and 30 minutes)
    second = make_rig(path, clock)  # and comes back on the same store
    second.tick(clock.now)
    assert second.names(machine) == [
        f"g@every@{stamp(created)}",
        f"g@every@{stamp(created + 1800)}",  # 16 and 26 minutes late: skipped
    ]


@pytest.mark.parametrize(
    "command",
    [
        ["serve", "--port", "0"],
        ["worker", "--store", "redis://127.0.0.1:1/0"],
    ],
)
def test_a_malformed_scheduler_clock_is_a_usage_error(command: list[str], tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.serve.conftest import ROOT

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ASL_SCHEDULER_CLOCK": "soon",
        "ASL_STORE": str(tmp_path / "s.sqlite3"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "runtime", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "ASL_SCHEDULER_CLOCK='soon': expected ORIGIN:SPEED" in done.stderr
