"""The web console in a real headless Chromium (Debian's ``chromium``, driven by Playwright's
Python API) against an in-thread ``asl serve``.

``console_server`` starts one server per test module (``console_actions`` from the module's
``CONSOLE_ACTIONS``, default off); ``page`` is a fresh 1366x768 browser tab whose JavaScript
errors fail the test. ``shoot(page, name)`` saves a screenshot under tests/console/artifacts/;
with ``ASL_DOC_SCREENSHOTS=1``, ``shoot(page, name, doc="...")`` also writes
docs/images/console-<doc>.png.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serve.conftest import Live, client
from tests.support.browser import chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DOC_IMAGES = ROOT / "docs" / "images"
VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, for one test module: Playwright's sync API keeps an event
    loop running on this thread while it is open, so it must be closed before the next
    module's tests (which may run their own loops here)."""
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def console_server(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Live]:
    """One in-thread ``asl serve`` for the module, on a fresh SQLite store, answering the
    console; ``CONSOLE_ACTIONS = True`` in the module turns ``--console-actions`` on, and
    ``CREDENTIALS = {"test": "test"}`` (the key boto3's client signs with) makes it check
    SigV4."""
    from runtime.serve import Server, Service
    from runtime.stores import SqliteStore

    actions = bool(getattr(request.module, "CONSOLE_ACTIONS", False))
    folder = tmp_path_factory.mktemp("console")
    service = Service(
        SqliteStore(folder / "executions.sqlite3"),
        console_actions=actions,
        log=lambda message: None,
        activity_wait=2.0,
    )
    credentials = getattr(request.module, "CREDENTIALS", None)
    server = Server(service, port=0, credentials=credentials).start()
    try:
        yield Live(server.url, client(server.url), service)  # boto3 signs as test/test
    finally:
        server.close()


@pytest.fixture
def page(browser: Any, console_server: Live) -> Iterator[Any]:
    """A fresh tab (1366x768) on the console; uncaught JavaScript errors fail the test."""
    context = browser.new_context(viewport=VIEWPORT, base_url=console_server.url)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def shoot() -> Callable[..., Path]:
    """``shoot(page, name, doc=None)``: a screenshot as a test artifact (and a docs image)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(tab: Any, name: str, doc: str | None = None) -> Path:
        path = ARTIFACTS / f"{name}.png"
        tab.screenshot(path=str(path))
        if doc and os.environ.get("ASL_DOC_SCREENSHOTS") == "1":
            DOC_IMAGES.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOC_IMAGES / f"console-{doc}.png")
        return path

    return take
