"""The read-only console (``asl serve`` without ``--console-actions``) in headless Chromium:
the executions page updating live, a failed execution's graph and cause, a Distributed Map
followed into its child executions, a state machine's page, and no action buttons."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.serve.conftest import Live, wait_done

ORDERS = {
    "Comment": "Check an order's items, then ship it or decline it",
    "StartAt": "Validate",
    "States": {
        "Validate": {"Type": "Pass", "Next": "CheckItems"},
        "CheckItems": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ResultPath": "$.checked",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Reserve",
                "States": {"Reserve": {"Type": "Pass", "End": True}},
            },
            "Next": "Approved?",
        },
        "Approved?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.approved", "BooleanEquals": True, "Next": "Ship"}],
            "Default": "Decline",
        },
        "Ship": {"Type": "Pass", "End": True},
        "Decline": {
            "Type": "Fail",
            "Error": "PaymentDeclined",
            "Cause": "The card ending 4242 was declined by the issuer",
        },
    },
}
FAN = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Work",
                "States": {"Work": {"Type": "Pass", "End": True}},
            },
            "End": True,
        }
    },
}
WAITS = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 600, "End": True}}}
ORDER = {"orderId": 42, "approved": False, "items": [{"sku": "A-1"}, {"sku": "B-7"}]}


def execution_url(arn: str) -> str:
    return f"/#/executions/{quote(arn, safe='')}"


def start(live: Live, machine: str, name: str, value: Any) -> str:
    return live.sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(value))[
        "executionArn"
    ]


def test_a_new_execution_appears_without_reloading(
    console_server: Live, page: Any, shoot: Callable[..., Path]
) -> None:
    live = console_server
    machine = live.machine(json.dumps(ORDERS), name="orders")
    shipped = start(live, machine, "order-41", {**ORDER, "orderId": 41, "approved": True})
    wait_done(live.sfn, shipped)
    page.goto("/")
    page.wait_for_selector(f'#executions tr[data-arn="{shipped}"]')
    page.evaluate("window.notReloaded = true")

    arn = start(live, machine, "order-42", ORDER)
    wait_done(live.sfn, arn)
    row = page.wait_for_selector(f'#executions tr[data-arn="{arn}"]')  # by polling, no reload
    assert page.evaluate("window.notReloaded") is True
    assert "FAILED" in row.inner_text() and "orders" in row.inner_text()
    shoot(page, "01-executions", doc="executions")

    page.select_option("select[name=status]", "FAILED")
    page.wait_for_url(lambda url: "status=FAILED" in url)
    page.wait_for_selector(f'#executions tr[data-arn="{arn}"]')
    assert page.locator(f'#executions tr[data-arn="{shipped}"]').count() == 0


def test_a_failed_execution_shows_its_failed_state_and_cause(
    console_server: Live, page: Any, shoot: Callable[..., Path]
) -> None:
    live = console_server
    machine = live.machine(json.dumps(ORDERS), name="orders-2")
    arn = start(live, machine, "order-43", ORDER)
    assert wait_done(live.sfn, arn)["status"] == "FAILED"

    page.goto("/")
    page.click(f'#executions tr[data-arn="{arn}"] a >> nth=0')
    page.wait_for_url(lambda url: "#/executions/arn" in url)
    failed = page.wait_for_selector('#graph svg [data-state-id="Decline"].state-failed')
    error = page.locator("#execution-error")
    assert "PaymentDeclined" in error.inner_text()
    assert "card ending 4242 was declined" in error.inner_text()
    for state in ("Validate", "CheckItems", "Approved?"):
        assert "state-succeeded" in page.get_attribute(f'#graph [data-state-id="{state}"]', "class")
    assert "state-not_reached" in page.get_attribute('#graph [data-state-id="Ship"]', "class")

    failed.click()
    details = page.locator("#state-details")
    details.get_by_text("card ending 4242").wait_for()
    assert "PaymentDeclined" in details.inner_text()
    page.get_by_role("button", name="CheckItems").first.click()  # from the Map counts
    details.get_by_text("2 items").wait_for()
    events = page.locator("#events tbody tr")
    assert events.first.inner_text().startswith("1")
    assert page.locator("#events").get_by_text("ExecutionFailed").count() == 1
    shoot(page, "02-failed-execution", doc="execution")
    page.locator("#timeline").scroll_into_view_if_needed()
    shoot(page, "03-timeline-and-events", doc="timeline")


def test_a_distributed_map_is_followed_into_its_items(
    console_server: Live, page: Any, shoot: Callable[..., Path]
) -> None:
    live = console_server
    machine = live.machine(json.dumps(FAN), name="fan")
    arn = start(live, machine, "fan-1", [1, 2, 3])
    assert wait_done(live.sfn, arn)["status"] == "SUCCEEDED"

    page.goto(execution_url(arn))
    items = page.locator(".map-run .map-run-items tbody tr")
    items.nth(2).wait_for()
    assert items.count() == 3
    assert page.locator('#graph [data-state-id="Fan"].state-succeeded').count() == 1
    page.locator(".map-run").scroll_into_view_if_needed()
    shoot(page, "04-map-run", doc="map-run")

    child = items.first.locator("a")
    child_name = child.inner_text()
    child.click()
    page.wait_for_url(lambda url: quote(child_name) in url)
    page.wait_for_selector("main[data-status=SUCCEEDED]")
    page.locator("#events").get_by_text("PassStateEntered").wait_for()
    assert "Work" in page.locator("#events").inner_text()
    # the child's graph is its item processor, coloured by its own history
    page.wait_for_selector('#graph [data-state-id="Work"].state-succeeded')
    shoot(page, "05-map-item")
    parent = page.locator("#parent-link a")
    parent.wait_for()
    parent.click()  # and back up to the parent
    page.wait_for_selector(".map-run .map-run-items tbody tr")


def test_read_only_shows_no_action_buttons(
    console_server: Live, page: Any, shoot: Callable[..., Path]
) -> None:
    live = console_server
    machine = live.machine(json.dumps(WAITS), name="waits")
    arn = start(live, machine, "hold-1", {})
    page.goto(execution_url(arn))
    page.wait_for_selector('#graph [data-state-id="Hold"].state-running')
    assert page.locator("nav .mode").inner_text() == "read-only"
    assert page.locator("#stop-execution").count() == 0
    page.goto(f"/#/machines/{quote(machine, safe='')}")
    page.locator("pre.definition .line").first.wait_for()
    assert page.locator("#start-execution").count() == 0
    live.sfn.stop_execution(executionArn=arn)


def test_a_state_machine_page_shows_its_definition_and_graph(
    console_server: Live, page: Any, shoot: Callable[..., Path]
) -> None:
    live = console_server
    machine = live.machine(json.dumps(ORDERS), name="orders-3")
    page.goto("/#/machines")
    page.get_by_role("link", name="orders-3").click()
    page.wait_for_selector('#graph [data-state-id="Approved?"]')
    lines = page.locator("pre.definition .line")
    assert lines.count() == len(json.dumps(ORDERS, indent=2).splitlines())
    assert page.locator("#graph [data-state-id]").count() >= len(ORDERS["States"])
    assert machine in page.locator("main header").inner_text()
    shoot(page, "06-state-machine", doc="machine")


def test_the_tables_pages(console_server: Live, page: Any, shoot: Callable[..., Path]) -> None:
    live = console_server
    live.sfn.create_activity(name="review")
    page.goto("/#/activities")
    page.locator("main table").get_by_role("cell", name="review", exact=True).wait_for()
    page.goto("/#/tasks")
    page.get_by_text("No task is waiting.").wait_for()
    page.goto("/#/schedules")
    page.get_by_text("No schedules.").wait_for()
    assert page.locator("nav a[data-page=fleet]").count() == 0  # no fleet behind this server
    assert page.locator("main .error-box").count() == 0


def test_keyboard_use(console_server: Live, page: Any) -> None:
    live = console_server
    machine = live.machine(json.dumps(ORDERS), name="orders-4")
    arn = start(live, machine, "order-44", ORDER)
    wait_done(live.sfn, arn)
    page.goto("/#/executions?machine=orders-4")
    page.wait_for_selector(f'#executions tr[data-arn="{arn}"]')
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.focus("select[name=status]")
    page.keyboard.press("ArrowDown")  # "any" -> RUNNING: the page filters, the focus stays
    page.wait_for_url(lambda url: "status=RUNNING" in url)
    page.get_by_text("No executions match these filters.").wait_for()
    assert page.evaluate("document.activeElement.name") == "status"
    page.select_option("select[name=status]", "FAILED")
    link = page.locator(f'#executions tr[data-arn="{arn}"] a').first
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector('#graph [data-state-id="Decline"].state-failed')
    assert page.evaluate("document.activeElement.tagName") == "H1"
