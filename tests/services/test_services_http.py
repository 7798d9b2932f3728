"""Run A: every AWS-recorded service execution against moto's server over real HTTP.

The world is built through boto3 on the server; the engine's boto3 reaches it through
``AWS_ENDPOINT_URL`` with ``ASL_AWS=aws`` (the ``moto_env`` fixture). The execution runs through
``runtime.execute`` with its pending callbacks in a SQLite store that the consumer the original
test ran (an SQS reader answering the task token, an activity worker) shares from a process of
its own. Cases about the Step Functions API itself are played through a real ``asl serve``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.callbacks import hub_for, using_store
from runtime.stores import SqliteStore
from tests.serve.conftest import Process
from tests.services import serve_api
from tests.services.cases import ServiceCase, case_params
from tests.services.compare import Outcome, assert_conforms
from tests.services.consumers import ConsumerSpec
from tests.services.runner import execute_case
from tests.services.sandboxes import HttpSandbox
from tests.services.worlds import SKIPS, World, api_of, build
from tests.support.moto_server import MotoServer

ROOT = Path(__file__).resolve().parents[2]
CONSUMER_GRACE = 30.0  # seconds a consumer may take to finish once the execution has ended


@contextlib.contextmanager
def consumer_process(spec: ConsumerSpec | None, store: Path, notes: list[str]) -> Iterator[None]:
    """The consumer as ``python -m tests.services.consumers`` while the block runs."""
    if spec is None:
        yield
        return
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.services.consumers",
            spec.kind,
            spec.target,
            "--store",
            str(store),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield
    finally:
        try:
            _, err = process.communicate(timeout=CONSUMER_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
            notes.append(f"consumer {spec.kind} still waiting {CONSUMER_GRACE:.0f} s after the end")
        if process.returncode:
            notes.append(
                f"consumer {spec.kind} exited {process.returncode}: {err.decode()[-2000:]}"
            )


def run_over_http(
    case: ServiceCase, server: MotoServer, folder: Path, machines: Path, driver: str = "in-process"
) -> tuple[Outcome, World]:
    """Build the case's world on ``server`` (child machines in ``machines``, the folder
    ``ASL_STATE_MACHINES`` names) and run it; how it ended."""
    store_path = folder / "executions.sqlite3"
    store = SqliteStore(store_path)
    world = build(HttpSandbox(server, hub_for(store), machines), case)
    notes: list[str] = []
    with consumer_process(world.consumer, store_path, notes), using_store(store):
        outcome = execute_case(case, world, aws="aws", driver=driver)
    outcome.note = "; ".join(notes)
    return outcome, world


def _with_drivers(params: list[Any]) -> list[Any]:
    """Each case in process, and those run by the engine itself (not through ``asl serve``'s
    API) through the decider as well."""
    out = []
    for param in params:
        case = param.values[0]
        out.append(pytest.param(case, "in-process", id=f"{param.id}-in-process", marks=param.marks))
        if not api_of(case):
            out.append(pytest.param(case, "decider", id=f"{param.id}-decider", marks=param.marks))
    return out


@pytest.mark.parametrize(("case", "driver"), _with_drivers(case_params(SKIPS)))
def test_service_case_over_http(
    case: ServiceCase,
    driver: str,
    moto_env: MotoServer,
    serve_process: Callable[..., Process],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = api_of(case)
    if api:
        outcome, names = serve_api.play_served(case, api, serve_process, tmp_path, "aws"), []
    else:
        machines = tmp_path / "machines"
        machines.mkdir()
        monkeypatch.setenv("ASL_STATE_MACHINES", str(machines))
        outcome, world = run_over_http(case, moto_env, tmp_path, machines, driver)
        names = world.names
    assert_conforms(case, outcome, names)
