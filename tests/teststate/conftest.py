"""One real ``asl serve`` process for the recorded TestState calls, reached through boto3.

Its Lambda functions are the cases' ``lambda_functions``, run as local handlers from
``tests/conformance/lambdas.py`` (``--lambda NAME=FILE:FUNCTION``), as the services cases need.
TestState keeps nothing between calls, so one server answers the whole session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import conformance_dir
from tests.serve.conftest import ROOT, Process, _healthy, client, free_port


def lambda_options(root: Path) -> list[str]:
    """``--lambda`` options for every function a TestState case calls."""
    options: list[str] = []
    for path in sorted((root / "teststate").glob("*.json")):
        for fn in json.loads(path.read_text()).get("lambda_functions") or []:
            handler = fn["handler"].split(":", 1)[1]
            options += ["--lambda", f"{fn['function_name']}={root / 'lambdas.py'}:{handler}"]
    return list(dict.fromkeys(options))  # each once, in order


@pytest.fixture(scope="session")
def teststate_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """``python -m runtime serve`` on a free port, with the cases' Lambda handlers."""
    folder = tmp_path_factory.mktemp("teststate-serve")
    port = free_port()
    log = folder / "serve.log"
    args = ["--port", str(port), "--store", str(folder / "executions.sqlite3")]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "runtime", "serve", *args, *lambda_options(conformance_dir())],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    live = Process(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 30
    while not _healthy(live.url):
        if process.poll() is not None or time.monotonic() > deadline:
            live.kill()
            raise AssertionError(f"asl serve did not come up:\n{live.text()}")
        time.sleep(0.05)
    yield live
    live.stop()


@pytest.fixture(scope="session")
def sfn(teststate_server: Process) -> Any:
    """A boto3 ``stepfunctions`` client of the session's server."""
    return client(teststate_server.url)
