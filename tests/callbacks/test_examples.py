"""The two examples: the approval workflow and the SWF-style activity worker."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import asl
import runtime
from runtime.callbacks import current_hub
from tests.callbacks.conftest import pending

ROOT = Path(__file__).resolve().parents[2]
APPROVAL = ROOT / "state_machines" / "approval"
WORKER = ROOT / "state_machines" / "activity_worker"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)  # the definitions name their handlers by paths from the root
    monkeypatch.setenv("APPROVAL_OUTBOX", str(tmp_path / "outbox"))


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def in_background(fn: Any) -> dict[str, Any]:
    box: dict[str, Any] = {}
    box["thread"] = threading.Thread(target=lambda: box.setdefault("result", fn()))
    box["thread"].start()
    return box


@pytest.mark.parametrize("folder", [APPROVAL, WORKER])
def test_valid_for_standard_rejected_for_express(folder: Path) -> None:
    text = (folder / "definition.asl.json").read_text()
    assert asl.validate(text) == []
    assert [d.code for d in asl.validate(text, state_machine_type="EXPRESS")]
    readme = (folder / "README.md").read_text()
    assert "asl run" in readme and "docs/callbacks.md" in readme


def test_small_orders_are_approved_automatically() -> None:
    result = runtime.execute(APPROVAL / "definition.asl.json", load(APPROVAL / "small_order.json"))
    assert result.output == {
        "orderId": "o-12",
        "status": "SHIPPED",
        "total": 7.5,
        "approvedBy": "auto",
    }


def approval_run(**kwargs: Any) -> dict[str, Any]:
    order = load(APPROVAL / "order.json")
    return in_background(lambda: runtime.execute(APPROVAL / "definition.asl.json", order, **kwargs))


def test_a_human_approves(tmp_path: Path) -> None:
    run = approval_run()
    task = pending(current_hub(), "RequestApproval")
    message = load(tmp_path / "outbox" / "o-4711.json")
    assert message["taskToken"] == task.token and message["to"] == "alice@example.com"
    current_hub().send_task_success(task.token, '{"approved": true, "approver": "alice"}')
    run["thread"].join(10)
    assert run["result"].output == load(APPROVAL / "expected_output.json")


@pytest.mark.parametrize(
    "answer",
    [
        lambda hub, token: hub.send_task_success(token, '{"approved": false}'),
        lambda hub, token: hub.send_task_failure(token, "Approval.Rejected", "over budget"),
    ],
)
def test_a_human_rejects(answer: Any) -> None:
    run = approval_run()
    answer(current_hub(), pending(current_hub(), "RequestApproval").token)
    run["thread"].join(10)
    result = run["result"]
    assert (result.status, result.error) == ("FAILED", "OrderRejected")


def test_nobody_answers_in_time() -> None:
    definition = load(APPROVAL / "definition.asl.json")
    definition["States"]["RequestApproval"]["TimeoutSeconds"] = 1
    result = runtime.execute(definition, load(APPROVAL / "order.json"))
    assert (result.status, result.error) == ("FAILED", "ApprovalExpired")


def worker_module() -> Any:
    spec = importlib.util.spec_from_file_location("activity_worker", WORKER / "worker.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("order", "status"),
    [
        (None, "SUCCEEDED"),
        ({"orderId": "o-1", "lines": [{"sku": "unobtainium", "quantity": 1}]}, "FAILED"),
    ],
)
def test_the_activity_worker_in_process(order: Any, status: str) -> None:
    module = worker_module()
    client = module.HubClient(hub=current_hub())
    tasks = 2 if status == "SUCCEEDED" else 1
    worker = module.Worker(client, "inline", max_tasks=tasks, idle_exit=None)
    thread = threading.Thread(target=worker.run, args=(0.5,))
    thread.start()
    value = order or load(WORKER / "order.json")
    result = runtime.execute(WORKER / "definition.asl.json", value)
    thread.join(10)
    worker.stop.set()  # the execution is over: nothing is left for the worker
    thread.join(10)
    assert result.status == status
    if status == "SUCCEEDED":
        assert result.output == load(WORKER / "expected_output.json")
    else:
        assert result.error == "OutOfStock"
    assert not thread.is_alive()
    sys.modules.pop("activities", None)
