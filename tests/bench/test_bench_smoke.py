"""Smoke test of the bench: its machines give their expected outputs through our engine.

No timing is asserted here, ever: figures come from ``python bench/run_machines.py``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_run_machines", ROOT / "bench" / "run_machines.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


bench = _bench_module()


def _require(kind: str) -> list[Any]:
    machines = bench.load_all(kind)
    if not machines:
        message = f"bench {kind} not found in {bench.bench_dir()}: set ASL_BENCH_DIR"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return machines


def _names(kind: str) -> list[str]:
    return [m.name for m in bench.load_all(kind)] or ["(none)"]


def _machine(kind: str, name: str) -> Any:
    return next(m for m in _require(kind) if m.name == name)


def _types(events: list[Any]) -> list[str]:
    return [e.type for e in events]


@pytest.mark.parametrize("name", _names("machines"))
def test_express_matches_expected(name: str) -> None:
    import runtime

    machine = _machine("machines", name)
    result = runtime.execute(machine.definition, machine.input, express=True)
    transitions = bench.state_entered(_types(result.events))
    assert bench.check(machine, result.status, result.output, transitions) == []
    assert result.status == machine.expected["status"]
    assert result.output == machine.expected["output"]


@pytest.mark.parametrize("name", _names("machines"))
def test_standard_sqlite_matches_expected(name: str, tmp_path: Path) -> None:
    from runtime.drivers import runner as _runner
    from runtime.stores.sqlite import SqliteStore

    machine = _machine("machines", name)
    store = SqliteStore(tmp_path / "bench.sqlite3")
    try:
        result = _runner.start(store, machine.definition, machine.input, machine_name=machine.key)
        stored = _types(store.events(result.execution_arn))
    finally:
        store.close()
    assert bench.check(machine, result.status, result.output, bench.state_entered(stored)) == []
    assert stored[-1] == "ExecutionSucceeded"


@pytest.mark.parametrize("name", _names("probes"))
def test_probe_time_skip_advances_history_not_wall_clock(name: str) -> None:
    machine = _machine("probes", name)
    outcome = bench.work_probe(machine, "express", time_skip=True)
    assert outcome["status"] == "SUCCEEDED"
    assert outcome["history_span"] >= 2.0  # wait_2s: 2 s; retry_backoff_1s_x2: 1 s + 2 s


def test_moto_harness_runs_a_one_state_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("moto")
    pytest.importorskip("boto3")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")  # restored afterwards: the harness sets fake ones
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    outcome = bench.work_one_state("moto")
    assert outcome["status"] == "SUCCEEDED"


def test_report_renders_from_results() -> None:
    seconds = [0.5, 0.4, 0.6]
    row = {
        "name": "a_demo",
        "key": "a",
        "transitions": 1000,
        "moto": {
            "seconds": [10.0],
            "problems": [],
            "moto_version": "5",
            "jsonpath_ng_version": "1",
        },
        "express": {"seconds": seconds, "engine_seconds": seconds, "problems": []},
        "standard": {"seconds": seconds, "strict_seconds": seconds, "problems": ["status X"]},
    }
    results = {
        "runs": 3,
        "moto_runs": 1,
        "cpus": 2,
        "python": "3.11",
        "machines": [bench.summarize(row)],
        "one_state": {"express": {"peak_rss_mib": 30.0}, "moto": {"peak_rss_mib": 200.0}},
        "asl_run": {"median_seconds": 0.2, "peak_rss_mib": 30.0, "exit_codes": [0]},
        "asl_run_express": {"median_seconds": 0.2},
        "probes": [],
    }
    results["targets"] = bench.evaluate_targets(results)
    text = bench.render(results)
    assert "a_demo" in text and "standard: status X" in text
    assert {t["verdict"] for t in results["targets"]} <= {"PASS", "MISS", "n/a"}
