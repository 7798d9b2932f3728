"""The console with ``--console-actions``: stop a running execution, start one with input
(invalid JSON is refused before sending) and answer a pending activity task, each from the
page and each seen through boto3."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.serve.conftest import Live, wait_done

CONSOLE_ACTIONS = True
WAITS = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 600, "End": True}}}
GREET = {
    "StartAt": "Greet",
    "States": {"Greet": {"Type": "Pass", "Parameters": {"hello.$": "$.who"}, "End": True}},
}


def test_stop_a_running_execution_from_the_page(
    console_server: Live, page: Any, shoot: Callable[..., Path]
) -> None:
    live = console_server
    machine = live.machine(json.dumps(WAITS), name="waits")
    arn = live.sfn.start_execution(stateMachineArn=machine, name="hold-1")["executionArn"]
    page.goto(f"/#/executions/{quote(arn, safe='')}")
    page.wait_for_selector('#graph [data-state-id="Hold"].state-running')
    assert page.locator("nav .mode").inner_text() == "actions enabled"

    page.click("#stop-execution")
    dialog = page.locator("dialog.modal")
    dialog.get_by_label("Error (optional)").fill("Operator.Stop")
    dialog.get_by_label("Cause (optional)").fill("Stopped from the console")
    shoot(page, "10-stop-dialog", doc="stop")
    dialog.get_by_role("button", name="Stop execution").click()

    page.wait_for_selector("main[data-status=ABORTED]")
    page.wait_for_selector('#graph [data-state-id="Hold"].state-aborted')
    assert "Stopped from the console" in page.locator("#execution-error").inner_text()
    described = live.sfn.describe_execution(executionArn=arn)
    assert described["status"] == "ABORTED"
    assert (described["error"], described["cause"]) == ("Operator.Stop", "Stopped from the console")
    assert page.locator("#stop-execution").count() == 0
    assert page.locator("#redrive-execution").count() == 1
    shoot(page, "11-stopped")


def test_start_an_execution_with_input(console_server: Live, page: Any) -> None:
    live = console_server
    machine = live.machine(json.dumps(GREET), name="greet")
    page.goto(f"/#/machines/{quote(machine, safe='')}")
    page.click("#start-execution")
    dialog = page.locator("dialog.modal")
    dialog.get_by_label("Name (optional)").fill("hello-1")
    dialog.get_by_label("Input (JSON)").fill('{"who": ')
    dialog.get_by_role("button", name="Start").click()
    dialog.get_by_text("Not valid JSON").wait_for()
    assert live.sfn.list_executions(stateMachineArn=machine)["executions"] == []

    dialog.get_by_label("Input (JSON)").fill('{"who": "console"}')
    dialog.get_by_role("button", name="Start").click()
    page.wait_for_url(lambda url: "hello-1" in url)
    page.wait_for_selector("main[data-status=SUCCEEDED]")
    (started,) = live.sfn.list_executions(stateMachineArn=machine)["executions"]
    done = wait_done(live.sfn, started["executionArn"])
    assert json.loads(done["output"]) == {"hello": "console"}


def test_send_success_for_a_pending_activity_task(
    console_server: Live, page: Any, shoot: Callable[..., Path]
) -> None:
    live = console_server
    activity = live.sfn.create_activity(name="approve")["activityArn"]
    task = {"Type": "Task", "Resource": activity, "End": True}
    body = {"StartAt": "Approve", "States": {"Approve": task}}
    machine = live.machine(json.dumps(body), "approval")
    arn = live.sfn.start_execution(stateMachineArn=machine, name="ask-1")["executionArn"]
    page.goto("/#/tasks")
    button = page.locator("button", has_text="Send success")
    button.first.wait_for()
    assert "ask-1" in page.locator("main table").inner_text()
    shoot(page, "12-pending-tasks", doc="tasks")
    button.first.click()
    dialog = page.locator("dialog.modal")
    dialog.get_by_label("Output (JSON)").fill('{"approved": true}')
    dialog.get_by_role("button", name="Send success").click()
    done = wait_done(live.sfn, arn)
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"approved": True})
    page.get_by_text("No task is waiting.").wait_for()
