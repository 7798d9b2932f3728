"""OpenTelemetry traces (runtime.observe.tracing): the span tree of an execution, ids every
process agrees on, the traceparent a task's HTTP call and Celery message carry, and nothing at
all when tracing is off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import StatusCode

from runtime.drivers.decider import decide
from runtime.drivers.decider_local import LocalFleet, execute_decided
from runtime.observe import tracing
from runtime.stores import SqliteStore
from runtime.stores.base import ExecutionRecord
from tests.runtime.http_task.conftest import Endpoint

ROOT = Path(__file__).resolve().parents[2]


def fn_arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:111111111111:function:{name}"


MAP_RETRY = {
    "StartAt": "T",
    "States": {
        "T": {
            "Type": "Task",
            "Resource": fn_arn("flaky"),
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}],
            "Next": "M",
        },
        "M": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "StartAt": "D",
                "States": {"D": {"Type": "Task", "Resource": fn_arn("echo"), "End": True}},
            },
            "Next": "P",
        },
        "P": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}},
            ],
            "End": True,
        },
    },
}
INPUT = {"items": [1, 2]}


class Lambdas:
    """``flaky`` fails its first call; both note the span current in user code."""

    def __init__(self) -> None:
        self.calls = 0
        self.current: list[tuple[int, int]] = []

    def _note(self) -> None:
        context = otel_trace.get_current_span().get_span_context()
        self.current.append((context.trace_id, context.span_id))

    def flaky(self, event: Any, context: Any) -> Any:
        self._note()
        self.calls += 1
        if self.calls == 1:
            raise ValueError("not yet")
        return event

    def echo(self, event: Any, context: Any) -> Any:
        self._note()
        return event

    def mapping(self) -> dict[str, Any]:
        return {"flaky": self.flaky, "echo": self.echo}


def run(tmp_path: Path, definition: dict[str, Any], value: Any, lambdas: Any = None) -> Any:
    """Run in this process on an SQLite store (what the observers watch), as asl run does."""
    from runtime.drivers.run_path import Executions
    from runtime.drivers.runner import RunOptions
    from runtime.tasks import build_dispatch

    store = SqliteStore(tmp_path / f"run-{len(list(tmp_path.iterdir()))}.sqlite3")
    return Executions(store).start(
        json.dumps(definition),
        value,
        name="e",
        machine_name="m",
        options=RunOptions(time_skip=True),
        dispatch=build_dispatch(lambdas=lambdas.mapping() if lambdas else {}),
    )


@pytest.fixture
def spans() -> Iterator[Any]:
    """Start tracing into memory: call with the tracer's store (optional); gives the exporter."""
    undo: list[Any] = []

    def start(store: Any = None) -> InMemorySpanExporter:
        exporter = InMemorySpanExporter()
        provider = tracing.make_provider(SimpleSpanProcessor(exporter))
        undo.extend(tracing.install(tracing.ExecutionTracer(provider, store)))
        return exporter

    yield start
    for remove in undo:
        remove()


def children(all_spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    found = [s for s in all_spans if s.parent and s.parent.span_id == parent.context.span_id]
    return sorted(found, key=lambda s: (s.start_time, s.name))


def only(all_spans: list[ReadableSpan], name: str) -> ReadableSpan:
    (span,) = [s for s in all_spans if s.name == name]
    return span


def signature(all_spans: list[ReadableSpan]) -> set[tuple[Any, ...]]:
    """What every process must agree on: names, ids, parents, statuses."""
    return {
        (
            s.name,
            s.context.trace_id,
            s.context.span_id,
            s.parent.span_id if s.parent else None,
            s.status.status_code.name,
        )
        for s in all_spans
    }


def test_the_span_tree_of_an_execution_with_a_map_and_a_retry(spans, tmp_path: Path) -> None:
    exporter = spans()
    lambdas = Lambdas()
    result = run(tmp_path, MAP_RETRY, INPUT, lambdas)
    assert result.status == "SUCCEEDED", result.cause
    got = list(exporter.get_finished_spans())
    arn = result.execution_arn

    (root,) = [s for s in got if s.parent is None]
    assert root.name == "Execution m"
    assert root.attributes["asl.execution.arn"] == arn
    assert root.attributes["asl.state_machine.arn"].endswith(":stateMachine:m")
    assert root.attributes["asl.execution.status"] == "SUCCEEDED"
    assert {s.context.trace_id for s in got} == {tracing.trace_id(arn)}
    assert (root.start_time, root.end_time) == (
        result.events[0].millis * 1_000_000,
        result.events[-1].millis * 1_000_000,
    )
    assert [s.name for s in children(got, root)] == ["T", "M", "P"]

    state = only(got, "T")
    assert (state.attributes["asl.state.type"], state.status.status_code) == (
        "Task",
        StatusCode.UNSET,
    )
    first, second = children(got, state)
    assert (first.name, second.name) == ("T attempt", "T attempt")
    assert first.status.status_code is StatusCode.ERROR
    assert first.attributes["error.type"] == "ValueError"
    assert "not yet" in first.attributes["asl.cause"]
    assert second.status.status_code is StatusCode.UNSET
    assert [
        first.attributes["asl.task.retry_attempt"],
        second.attributes["asl.task.retry_attempt"],
    ] == [0, 1]
    assert first.attributes["asl.task.resource"] == fn_arn("flaky")
    assert second.start_time - first.end_time == 1_000_000_000  # the retry's interval

    iterations = children(got, only(got, "M"))
    assert [(s.name, s.attributes["asl.map.index"]) for s in iterations] == [
        ("M iteration", 0),
        ("M iteration", 1),
    ]
    for iteration in iterations:
        (inner,) = children(got, iteration)
        assert inner.name == "D"
        assert [s.name for s in children(got, inner)] == ["D attempt"]
    assert [s.name for s in children(got, only(got, "P"))] == ["A", "B"]

    # user code runs with its attempt's span current (so its own spans join the trace)
    attempts = [first, second, *[s for s in got if s.name == "D attempt"]]
    expected = {(s.context.trace_id, s.context.span_id) for s in attempts}
    assert set(lambdas.current) == expected


def test_a_failed_execution_marks_its_failing_spans(spans, tmp_path: Path) -> None:
    exporter = spans()
    definition = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": fn_arn("flaky"), "End": True}},
    }
    result = run(tmp_path, definition, {}, Lambdas())
    assert result.status == "FAILED"
    got = list(exporter.get_finished_spans())
    statuses = {s.name: (s.status.status_code, s.attributes.get("error.type")) for s in got}
    assert statuses == {
        "Execution m": (StatusCode.ERROR, "ValueError"),
        "T": (StatusCode.ERROR, "ValueError"),
        "T attempt": (StatusCode.ERROR, "ValueError"),
    }


def test_a_caught_failure_leaves_its_state_unmarked(spans, tmp_path: Path) -> None:
    exporter = spans()
    task = {"Type": "Task", "Resource": fn_arn("flaky"), "End": True}
    task["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "Done"}]
    definition = {"StartAt": "T", "States": {"T": task, "Done": {"Type": "Pass", "End": True}}}
    result = run(tmp_path, definition, {}, Lambdas())
    assert result.status == "SUCCEEDED"
    got = list(exporter.get_finished_spans())
    state, attempt = only(got, "T"), only(got, "T attempt")
    assert (state.status.status_code, state.attributes["asl.caught"]) == (
        StatusCode.UNSET,
        "ValueError",
    )
    assert attempt.status.status_code is StatusCode.ERROR


def test_ids_agree_in_process_on_the_deciders_and_in_another_process(spans, tmp_path: Path) -> None:
    exporter = spans()
    run(tmp_path, MAP_RETRY, INPUT, Lambdas())
    in_process = list(exporter.get_finished_spans())
    exporter.clear()

    # the same execution decided on a LocalFleet: decisions replay the history each time
    store = SqliteStore(tmp_path / "fleet.sqlite3")
    decided, fleet = execute_decided(
        MAP_RETRY,
        INPUT,
        lambdas=Lambdas().mapping(),
        name="e",
        state_machine_name="m",
        store=store,
    )
    assert decided.status == "SUCCEEDED" and fleet.decisions > 1
    on_fleet = list(exporter.get_finished_spans())
    assert signature(on_fleet) == signature(in_process)

    # another process sees only the last events: it reads the rest from the store and ends the
    # spans open then with the same ids, parents and times
    events = store.events(decided.execution_arn)
    script = tmp_path / "other.py"
    script.write_text(OTHER_PROCESS)
    shown = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "fleet.sqlite3"), decided.execution_arn],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    ).stdout
    theirs = {tuple(row) for row in json.loads(shown)}
    ours = {
        (
            s.name,
            s.context.span_id,
            s.parent.span_id if s.parent else None,
            s.start_time,
            s.end_time,
        )
        for s in on_fleet
    }
    assert theirs and theirs <= ours
    assert {row[0] for row in theirs} == {"Execution m", "P", "A", "B"}
    assert events[-1].type == "ExecutionSucceeded"


OTHER_PROCESS = """
import json, sys
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from runtime.observe import tracing
from runtime.stores import SqliteStore

store = SqliteStore(sys.argv[1])
arn = sys.argv[2]
exporter = InMemorySpanExporter()
tracer = tracing.ExecutionTracer(tracing.make_provider(SimpleSpanProcessor(exporter)), store)
events = store.events(arn)
start = next(e.id for e in events if e.type == "ParallelStateEntered") + 1
tracer(arn, [e for e in events if e.id >= start])
rows = [
    (s.name, s.context.span_id, s.parent.span_id if s.parent else None, s.start_time, s.end_time)
    for s in exporter.get_finished_spans()
]
print(json.dumps(rows))
"""


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    try:
        yield server
    finally:
        server.close()


def traceparent(span: ReadableSpan) -> str:
    return f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-01"


def test_an_http_task_sends_its_attempts_traceparent(
    spans, endpoint: Endpoint, tmp_path: Path
) -> None:
    exporter = spans()
    endpoint.answer("/orders/7", 200, {"id": 7})
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::http:invoke",
                "Arguments": {"ApiEndpoint": f"{endpoint.url}/orders/7", "Method": "GET"},
                "End": True,
            }
        },
    }
    result = run(tmp_path, definition, {})
    assert result.status == "SUCCEEDED", result.cause
    attempt = only(list(exporter.get_finished_spans()), "Call attempt")
    (request,) = endpoint.requests
    assert request.headers["traceparent"] == traceparent(attempt)


CELERY = {
    "StartAt": "C",
    "States": {"C": {"Type": "Task", "Resource": "celery:jobs.resize@images", "End": True}},
}


class Task:
    """What a Celery signal hands over: the task, with its request's headers."""

    def __init__(self, request: Any) -> None:
        self.request = request


def test_a_celery_attempt_message_carries_its_traceparent(
    spans, redis_url: str, redis_prefix: str
) -> None:
    import redis

    from runtime.drivers.decider_celery import CeleryServices
    from runtime.fleet import app as fleet_app
    from runtime.fleet.decisions import FleetState
    from runtime.stores.memory import MemoryStore
    from runtime.tasks import build_dispatch

    exporter = spans()
    store = MemoryStore()
    fleet = LocalFleet(store, build_dispatch())
    record = ExecutionRecord(
        execution_arn="arn:aws:states:us-east-1:111111111111:execution:m:e",
        name="e",
        machine_name="m",
        type="STANDARD",
        definition=json.dumps(CELERY),
        input="{}",
        seed=0,
        start_date=fleet.clock.now(),
    )
    arn = store.create(record)[0].execution_arn
    decide(store, arn, fleet)
    (attempt,) = fleet.take_attempts()

    # the decider sends it to the broker as a real fleet does; the message is read back raw
    client = redis.Redis.from_url(redis_url)
    app = fleet_app.make_app(redis_url, prefix=redis_prefix)
    services = CeleryServices(app, FleetState(client, redis_prefix))
    services.send(arn, attempt.attempt_id, attempt.request, fresh=True)
    raw = client.lpop(f"{redis_prefix}images")
    headers = json.loads(raw)["headers"]
    assert headers["id"] == attempt.attempt_id

    fleet.post_outcome(attempt.attempt_id, {"value": json.dumps({"done": True})})
    decide(store, arn, fleet)
    assert store.get(arn).status == "SUCCEEDED"
    span = only(list(exporter.get_finished_spans()), "C attempt")
    assert headers["traceparent"] == traceparent(span)

    # a worker runs the task under that context
    remove = tracing.instrument_celery()
    try:
        from celery import signals

        task = Task(SimpleNamespace(traceparent=headers["traceparent"]))
        signals.task_prerun.send(sender=task, task_id="t1", task=task, args=(), kwargs={})
        current = otel_trace.get_current_span().get_span_context()
        signals.task_postrun.send(sender=task, task_id="t1", task=task)
        assert (current.trace_id, current.span_id) == (
            span.context.trace_id,
            span.context.span_id,
        )
        assert not otel_trace.get_current_span().get_span_context().is_valid
    finally:
        remove()


def test_tracing_off_imports_nothing_of_it(tmp_path: Path) -> None:
    machine = tmp_path / "m.json"
    machine.write_text(json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    code = (
        "import json, sys, runtime.cli; "
        f"code = runtime.cli.main(['run', {str(machine)!r}, '--input', '{{}}', "
        f"'--store', {str(tmp_path / 's.db')!r}]); "
        "print(json.dumps([code, sorted(m for m in sys.modules "
        "if m.startswith('opentelemetry') or m == 'runtime.observe.tracing')]))"
    )
    for value in (None, "none"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        if value is not None:
            env["OTEL_TRACES_EXPORTER"] = value
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**env, "PYTHONPATH": str(ROOT)},
            check=True,
        ).stdout
        assert json.loads(out.splitlines()[-1]) == [0, []]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER names 'zipkin'"),
        ({"OTEL_TRACES_EXPORTER": "console,jaeger"}, "asl knows console and otlp"),
    ],
)
def test_a_bad_configuration_is_a_usage_error(
    tmp_path: Path, env, message, capsys, monkeypatch
) -> None:
    from runtime.cli import main

    machine = tmp_path / "m.json"
    machine.write_text(json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = main(["run", str(machine), "--input", "{}", "--store", str(tmp_path / "s.db")])
    assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("env", "service"),
    [
        ({}, "asl"),
        ({"OTEL_SERVICE_NAME": "orders"}, "orders"),
        ({"OTEL_RESOURCE_ATTRIBUTES": "service.name=billing,team=ops"}, "billing"),
    ],
)
def test_service_name(monkeypatch, env: dict[str, str], service: str) -> None:
    for key in ("OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    provider = tracing.provider_from_env({"OTEL_TRACES_EXPORTER": "console", **env})
    try:
        assert provider.resource.attributes["service.name"] == service
    finally:
        provider.shutdown()
