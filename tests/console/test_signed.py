"""The console against an ``asl serve`` that checks SigV4: it asks for an access key once, signs
every call with it (aws4fetch, service ``states``), and asks again when the key is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.serve.conftest import PASS, Live, wait_done

CREDENTIALS = {"test": "test"}


def sign_in(page: Any, key: str, secret: str) -> None:
    dialog = page.locator("dialog.modal")
    dialog.get_by_label("Access key ID").fill(key)
    dialog.get_by_label("Secret access key").fill(secret)
    dialog.get_by_role("button", name="Sign in").click()


def test_the_console_asks_for_a_key_and_signs_its_calls(
    console_server: Live, page: Any, shoot: Callable[..., Path]
) -> None:
    live = console_server
    machine = live.machine(PASS, name="signed")
    arn = live.sfn.start_execution(stateMachineArn=machine, name="signed-1")["executionArn"]
    wait_done(live.sfn, arn)

    page.goto("/")
    page.locator("dialog.modal").get_by_text("Sign in to asl serve").wait_for()
    shoot(page, "30-sign-in", doc="sign-in")
    sign_in(page, "test", "wrong")  # refused: asked again, saying why
    page.locator("dialog.modal").get_by_text("InvalidSignatureException").wait_for()
    sign_in(page, "test", "test")
    page.wait_for_selector(f'#executions tr[data-arn="{arn}"]')
    assert page.locator("nav").get_by_role("button", name="Sign out").count() == 1

    page.reload()  # kept for the tab: not asked again
    page.wait_for_selector(f'#executions tr[data-arn="{arn}"]')
    assert page.locator("dialog.modal").count() == 0
