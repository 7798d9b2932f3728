"""Prometheus metrics scraped over HTTP after a mix of executions.

An in-thread ``asl serve`` (virtual clock) runs executions that succeed, fail, time out, are
aborted and redriven, with a legacy Lambda, ``lambda:invoke``, a local Python task, an activity,
a Distributed Map and Express executions; ``GET /metrics`` is parsed with
``prometheus_client.parser`` and every counter compared with what ran, per state machine. Then a
real ``asl worker --metrics-port`` (prefork pool) on Redis decides fleet executions started
through a real ``asl serve``: the two processes' counts add up to the executions run. The Grafana
dashboard's queries use only the exporter's metric names.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serve.conftest import ROLE, client, definition, free_port, wait_done

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = "tests.serve.handlers"
ACCOUNT = "arn:aws:states:us-east-1:111111111111"
LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:Doubler"
INVOKE = "arn:aws:states:::lambda:invoke"
DOUBLE = f"python:{HANDLERS}:double"
FLAKY = f"python:{HANDLERS}:flaky"


def _task(resource: str, next_: str | None, **more: Any) -> dict[str, Any]:
    state = {"Type": "Task", "Resource": resource, **more}
    state.update({"Next": next_} if next_ else {"End": True})
    return state


MACHINES: dict[str, tuple[str, str]] = {  # name -> (definition, type)
    "ok": (definition({"P": {"Type": "Pass", "End": True}}), "STANDARD"),
    "fails": (definition({"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}), "STANDARD"),
    "slow": (
        definition({"W": {"Type": "Wait", "Seconds": 60, "End": True}}, TimeoutSeconds=1),
        "STANDARD",
    ),
    "tasks": (
        definition(
            {
                "Legacy": _task(LAMBDA, "Invoke", Parameters={"value": 1}),
                "Invoke": _task(
                    INVOKE,
                    "Local",
                    Parameters={"FunctionName": "Doubler", "Payload.$": "$"},
                    OutputPath="$.Payload",
                ),
                "Local": _task(DOUBLE, None),
            }
        ),
        "STANDARD",
    ),
    "fan": (
        json.dumps(
            {
                "StartAt": "M",
                "States": {
                    "M": {
                        "Type": "Map",
                        "Label": "items",
                        "ItemProcessor": {
                            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                            "StartAt": "P",
                            "States": {"P": {"Type": "Pass", "End": True}},
                        },
                        "End": True,
                    }
                },
            }
        ),
        "STANDARD",
    ),
    "quick": (definition({"P": {"Type": "Pass", "End": True}}), "EXPRESS"),
    "flaky": (definition({"T": _task(FLAKY, None)}), "STANDARD"),
}

# What ran (see test_serve_metrics_match_the_executions): {metric: {label value: count}}.
EXPECTED_COUNTS: dict[str, dict[str, float]] = {
    "ExecutionsStarted": {
        "ok": 3,
        "fails": 2,
        "slow": 1,
        "tasks": 2,
        "fan": 1,
        "fan/items": 3,
        "quick": 2,
        "waits": 2,
        "flaky": 1,
    },
    "ExecutionsSucceeded": {
        "ok": 3,
        "tasks": 2,
        "fan": 1,
        "fan/items": 3,
        "quick": 2,
        "waits": 1,
        "flaky": 1,
    },
    "ExecutionsFailed": {"fails": 2, "flaky": 1},
    "ExecutionsTimedOut": {"slow": 1},
    "ExecutionsAborted": {"waits": 1},
    "ExecutionsRedriven": {"flaky": 1},
    "RedrivenExecutionsSucceeded": {"flaky": 1},
    "LambdaFunctionsScheduled": {LAMBDA: 2},
    "LambdaFunctionsStarted": {LAMBDA: 2},
    "LambdaFunctionsSucceeded": {LAMBDA: 2},
    "ActivitiesScheduled": {"activity": 2},
    "ActivitiesStarted": {"activity": 1},
    "ActivitiesSucceeded": {"activity": 1},
    # A redrive reschedules the failed task: flaky is scheduled and started twice.
    "ServiceIntegrationsScheduled": {INVOKE: 2, DOUBLE: 2, FLAKY: 2},
    "ServiceIntegrationsStarted": {INVOKE: 2, DOUBLE: 2, FLAKY: 2},
    "ServiceIntegrationsSucceeded": {INVOKE: 2, DOUBLE: 2, FLAKY: 1},
    "ServiceIntegrationsFailed": {FLAKY: 1},
}
# Histograms: how many times each observed, {metric: {label value: count}}.
EXPECTED_TIMES: dict[str, dict[str, float]] = {
    "ExecutionTime": {
        "ok": 3,
        "fails": 2,
        "slow": 1,
        "tasks": 2,
        "fan": 1,
        "fan/items": 3,
        "quick": 2,
        "waits": 2,
        "flaky": 2,
    },
    "LambdaFunctionTime": {LAMBDA: 2},
    "LambdaFunctionRunTime": {LAMBDA: 2},
    "LambdaFunctionScheduleTime": {LAMBDA: 2},
    "ActivityScheduleTime": {"activity": 1},
    "ActivityRunTime": {"activity": 1},
    "ActivityTime": {"activity": 1},
    "ServiceIntegrationTime": {INVOKE: 2, DOUBLE: 2, FLAKY: 2},
    "ServiceIntegrationRunTime": {INVOKE: 2, DOUBLE: 2, FLAKY: 2},
}


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``GET url`` parsed by prometheus_client: {(sample name, sorted labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain")
        text = answer.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def by_label(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str
) -> dict[str, float]:
    """The samples of ``name`` by their one label's value (0s left out)."""
    found: dict[str, float] = {}
    for (sample, labels), value in samples.items():
        if sample == name and value:
            (_, label) = labels[0]
            found[label] = found.get(label, 0) + value
    return found


def machine_label(name: str) -> str:
    return f"{ACCOUNT}:stateMachine:{name}"


@pytest.fixture
def metrics_server(tmp_path: Path) -> Iterator[Any]:
    """An in-thread ``asl serve`` with its metrics at /metrics, as ``asl serve`` wires them."""
    from runtime.observe.exposition import serve_metrics
    from runtime.serve import Server, Service
    from runtime.serve.policy import CodePolicy
    from runtime.stores import SqliteStore

    store = SqliteStore(tmp_path / "executions.sqlite3")
    service = Service(
        store,
        lambdas={"Doubler": f"{HANDLERS}:double_lambda"},
        policy=CodePolicy.build(python=[HANDLERS]),
        time_skip=True,
        activity_wait=2.0,
        log=lambda message: None,
    )
    metrics, stop = serve_metrics(store, service.express)
    server = Server(service, port=0, metrics=metrics).start()
    try:
        yield server
    finally:
        server.close()
        stop()


def test_serve_metrics_match_the_executions(metrics_server: Any, tmp_path: Path) -> None:
    url = metrics_server.url
    sfn = client(url)
    arns = {
        name: sfn.create_state_machine(name=name, definition=body, roleArn=ROLE, type=kind)[
            "stateMachineArn"
        ]
        for name, (body, kind) in MACHINES.items()
    }
    activity = sfn.create_activity(name="resize")["activityArn"]
    waits = definition({"A": _task(activity, None)})
    arns["waits"] = sfn.create_state_machine(name="waits", definition=waits, roleArn=ROLE)[
        "stateMachineArn"
    ]

    def run(name: str, value: Any = None, status: str = "SUCCEEDED") -> str:
        arn = sfn.start_execution(stateMachineArn=arns[name], input=json.dumps(value or {}))
        assert wait_done(sfn, arn["executionArn"])["status"] == status
        return arn["executionArn"]

    for _ in range(3):
        run("ok")
    for _ in range(2):
        run("fails", status="FAILED")
        run("tasks", {"value": 1})
        assert sfn.start_sync_execution(stateMachineArn=arns["quick"])["status"] == "SUCCEEDED"
    run("slow", status="TIMED_OUT")
    run("fan", [1, 2, 3])
    flag = tmp_path / "flag"
    flaky = run("flaky", {"flag": str(flag)}, status="FAILED")
    flag.touch()
    sfn.redrive_execution(executionArn=flaky)
    assert wait_done(sfn, flaky)["status"] == "SUCCEEDED"

    answered, stopped = (
        sfn.start_execution(stateMachineArn=arns["waits"])["executionArn"] for _ in range(2)
    )
    open_now = by_label(scrape(url + "/metrics"), "stepfunctions_OpenExecutionCount")
    assert open_now == {machine_label("waits"): 2}
    token = sfn.get_activity_task(activityArn=activity)["taskToken"]
    sfn.send_task_success(taskToken=token, output="{}")
    sfn.stop_execution(executionArn=stopped)
    assert wait_done(sfn, answered)["status"] == "SUCCEEDED"
    assert wait_done(sfn, stopped)["status"] == "ABORTED"

    samples = scrape(url + "/metrics")
    resources = {"activity": activity}

    def label(key: str) -> str:
        return resources.get(key) or (key if ":" in key else machine_label(key))

    for name, expected in EXPECTED_COUNTS.items():
        got = by_label(samples, f"stepfunctions_{name}_total")
        assert got == {label(k): v for k, v in expected.items()}, name
    for name, expected in EXPECTED_TIMES.items():
        got = by_label(samples, f"stepfunctions_{name}_seconds_count")
        assert got == {label(k): v for k, v in expected.items()}, name
    assert by_label(samples, "stepfunctions_OpenExecutionCount") == {}
    # The Wait of "slow" ran 1 virtual second before its timeout: the time is the clock's.
    slow = by_label(samples, "stepfunctions_ExecutionTime_seconds_sum")[machine_label("slow")]
    assert slow == pytest.approx(1.0, abs=0.01)
    for name in ("ExecutionThrottled", "ExecutionsAborted", "RedrivenExecutionsFailed"):
        assert f"# TYPE stepfunctions_{name}_total counter" in _text(url + "/metrics")


def _text(url: str, host: str | None = None) -> str:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read().decode()


def test_metrics_behind_the_host_check_unsigned_or_off(metrics_server: Any, tmp_path: Path) -> None:
    from runtime.serve import Server, Service
    from runtime.stores import SqliteStore

    assert "stepfunctions_ExecutionsStarted" in _text(metrics_server.url + "/metrics")
    with pytest.raises(urllib.error.HTTPError) as refused:
        _text(metrics_server.url + "/metrics", host="metrics.example.com")
    assert refused.value.code == 403
    store = SqliteStore(tmp_path / "other.sqlite3")
    server = Server(Service(store, log=lambda message: None), port=0).start()  # --no-metrics
    try:
        with pytest.raises(urllib.error.HTTPError) as missing:
            _text(server.url + "/metrics")
        assert missing.value.code == 404
    finally:
        server.close()


@pytest.fixture
def fleet(decider_fleet: Any) -> Any:
    return decider_fleet


def test_worker_metrics_on_the_fleet(fleet: Any) -> None:
    from tests.fleet.decider_support import STEP, three_tasks, wait_all_ended

    port = free_port()
    fleet.start_worker("w1", concurrency=2, extra=("--metrics-port", str(port)))
    serve = fleet.start_serve()
    sfn = client(serve.url)
    machine = sfn.create_state_machine(
        name="three", definition=json.dumps(three_tasks(wait_seconds=0)), roleArn=ROLE
    )["stateMachineArn"]
    runs = 6
    arns = [
        sfn.start_execution(stateMachineArn=machine, input='{"n": 0}')["executionArn"]
        for _ in range(runs)
    ]
    statuses = wait_all_ended(fleet.store(), arns, timeout=60)
    assert set(statuses.values()) == {"SUCCEEDED"}

    worker = scrape(f"http://127.0.0.1:{port}/metrics")
    server = scrape(serve.url + "/metrics")

    def total(name: str, label: str) -> float:
        return by_label(worker, name).get(label, 0) + by_label(server, name).get(label, 0)

    three, step = machine_label("three"), STEP
    assert total("stepfunctions_ExecutionsStarted_total", three) == runs
    assert total("stepfunctions_ExecutionsSucceeded_total", three) == runs
    assert total("stepfunctions_ExecutionTime_seconds_count", three) == runs
    assert by_label(worker, "stepfunctions_ExecutionsSucceeded_total") == {three: runs}
    assert total("stepfunctions_ServiceIntegrationsScheduled_total", step) == 3 * runs
    assert total("stepfunctions_ServiceIntegrationsSucceeded_total", step) == 3 * runs
    assert total("stepfunctions_ServiceIntegrationTime_seconds_count", step) == 3 * runs
    assert by_label(server, "stepfunctions_OpenExecutionCount") == {}


def test_dashboard_queries_use_only_the_exporters_metrics() -> None:
    from runtime.observe.metrics import metric_names

    dashboard = json.loads((ROOT / "docs" / "grafana" / "asl-dashboard.json").read_text())
    names = metric_names()
    exposed = set(names)
    for name, kind in names.items():
        if kind == "histogram":
            exposed |= {name + "_bucket", name + "_count", name + "_sum"}
    assert {"title", "panels", "templating", "schemaVersion"} <= set(dashboard)
    datasource = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
    assert datasource and datasource[0]["query"] == "prometheus"
    exprs = [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]
    assert len(exprs) >= 6
    for expr in exprs:
        used = set(re.findall(r"\bstepfunctions_\w+", expr))
        assert used, expr
        assert used <= exposed, (expr, used - exposed)
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
