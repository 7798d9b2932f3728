"""An install without the ``aws`` extra (no botocore): ``asl serve`` still answers Step
Functions and says what to install for the Scheduler's API; ``asl schedule`` says it too."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from runtime.schedules import model
from runtime.serve import rest

ROOT = Path(__file__).resolve().parents[2]
HINT = "pip install 'asl-engine[aws]'"
BLOCK = "import sys; sys.modules.update(dict.fromkeys(['boto3', 'botocore', 'botocore.session']))"


@pytest.fixture
def without_botocore(monkeypatch: pytest.MonkeyPatch):
    """Call it to make botocore unimportable (and forget the models already loaded)."""

    def block() -> None:
        for name in ("boto3", "botocore", "botocore.session"):
            monkeypatch.setitem(sys.modules, name, None)
        model.service_model.cache_clear()
        rest.scheduler_api.cache_clear()

    yield block
    model.service_model.cache_clear()
    rest.scheduler_api.cache_clear()


def call(url: str, method: str, path: str, body: bytes | None = None, **headers: str):
    request = urllib.request.Request(url + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"{}")


def test_serve_answers_step_functions_and_explains_the_scheduler(make_server, without_botocore):
    live = make_server()
    without_botocore()
    status, _, body = call(
        live.url,
        "POST",
        "/",
        b"{}",
        **{"X-Amz-Target": "AWSStepFunctions.ListStateMachines"},
        **{"Content-Type": "application/x-amz-json-1.0"},
    )
    assert (status, body) == (200, {"stateMachines": []})
    status, headers, body = call(live.url, "GET", "/schedules")
    assert status == 501
    assert headers["x-amzn-ErrorType"].startswith("NotImplementedException")
    assert HINT in body["Message"]


def test_asl_schedule_says_what_to_install(tmp_path: Path) -> None:
    machine = tmp_path / "job.asl.json"
    machine.write_text('{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}')
    argv = ["schedule", "create", "nightly", "--rate", "5 minutes", "--machine", str(machine)]
    argv += ["--store", str(tmp_path / "s.sqlite3")]
    code = f"{BLOCK}; from runtime.cli import main; sys.exit(main({argv!r}))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert HINT in done.stderr and "Traceback" not in done.stderr
