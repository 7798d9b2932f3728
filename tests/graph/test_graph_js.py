"""The exported HTML page in a real headless Chromium (Debian's, through Playwright): graph.js
lays the machine out with ELK, draws a data-state-id element per state and marks the failed
state; keyboard selection reports a state."""

from __future__ import annotations

from pathlib import Path

import pytest

import runtime
from runtime.cli.graph import console_assets
from runtime.graph import build_graph, overlay
from runtime.graph.html import render_html
from runtime.graph.style import all_nodes
from tests.graph.examples import EVERYTHING
from tests.support.browser import chromium

FAILING = {
    "StartAt": "Work",
    "States": {
        "Work": {"Type": "Pass", "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Default": "Broken",
            "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Done"}],
        },
        "Done": {"Type": "Succeed"},
        "Broken": {"Type": "Fail", "Error": "NotOk", "Cause": "ok was not true"},
    },
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, Path]]:
    """The exported pages, made before the browser starts (Playwright's sync API runs an
    event loop, in which runtime.execute cannot)."""
    folder = tmp_path_factory.mktemp("graph_js")
    lambdas = {"flaky": lambda e, c: {"ok": 1}, "bad": lambda e, c: 1 / 0}
    out = {}
    for name, definition, data, options in [
        ("failed", FAILING, {"ok": False}, {}),
        ("everything", EVERYTHING, {"items": [1, 2, 3]}, {"lambdas": lambdas}),
    ]:
        graph = build_graph(definition)
        run = runtime.execute(definition, data, time_skip=True, **options)
        path = folder / f"{name}.html"
        path.write_text(
            render_html(graph, overlay(graph, run.events), console_assets(), title=name)
        )
        out[name] = (graph, path)
    return out


@pytest.fixture(scope="module")
def browser(pages):
    with chromium() as launched:
        yield launched


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    assert errors == []
    return page


def test_failed_state_is_marked(pages, browser, tmp_path: Path) -> None:
    graph, path = pages["failed"]
    page = _open(browser, path)
    states = {n["id"] for n in all_nodes(graph) if n["type"] not in ("Start", "End")}
    drawn = page.eval_on_selector_all(
        "svg [data-state-id]", "els => els.map(e => [e.dataset.stateId, e.getAttribute('class')])"
    )
    classes = dict(drawn)
    assert states <= set(classes)
    assert "state-failed" in classes["Broken"]
    assert "state-not_reached" in classes["Done"]
    assert "state-succeeded" in classes["Check"]
    assert page.locator(".graph-legend").is_visible()
    page.screenshot(path=str(tmp_path / "failed.png"))
    # Keyboard: focus the drawing, walk to a state, Enter selects it (the details pane shows it).
    page.focus("svg.asl-graph")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.locator("#details h2").count() == 1


def test_nested_groups_with_counts(pages, browser) -> None:
    page = _open(browser, pages["everything"][1])
    header = page.locator('[data-state-id="M"] .group-title').text_content()
    assert "3 items (3 succeeded)" in header
    assert "state-caught" in page.get_attribute('[data-state-id="M/items/Bad"]', "class")
    assert page.locator(".edge.kind-catch").count() == 1
