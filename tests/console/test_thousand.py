"""A page of 1,000 executions on the front page: the time the browser takes to build and lay
out the rows (performance.now() around the render, as the page records it) is printed and kept
in tests/console/artifacts/render-1000.json; it is a figure to watch, not an assertion."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.console.conftest import ARTIFACTS
from tests.serve.conftest import PASS, Live, client

ROWS = 1000


def test_a_page_of_1000_executions(
    console_server: Live, page: Any, shoot: Callable[..., Path]
) -> None:
    live = console_server
    machine = live.machine(PASS, name="many")

    def start(first: int) -> None:
        sfn = client(live.url)  # a client per thread
        for n in range(first, ROWS, 8):
            sfn.start_execution(stateMachineArn=machine, name=f"run-{n:04d}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(start, range(8)))

    page.goto("/#/executions?size=1000")
    page.wait_for_selector(f'#executions[data-rows="{ROWS}"]')
    figures = page.evaluate("window.aslRender")
    assert figures["rows"] == ROWS
    names = page.eval_on_selector_all(
        "#executions tbody td:first-child a", "a => a.map(x => x.text)"
    )
    assert sorted(names) == [f"run-{n:04d}" for n in range(ROWS)]
    shoot(page, "20-thousand-executions")

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "render-1000.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(
        f"\n{ROWS} executions: rendered in {figures['renderMs']:.1f} ms, "
        f"{figures['totalMs']:.1f} ms with the request"
    )
