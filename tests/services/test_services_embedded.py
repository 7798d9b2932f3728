"""Run B: every AWS-recorded service execution with ``--aws moto``, the embedded AWS.

The embedded AWS patches botocore for its whole process, so each case runs in a subprocess of
its own (``python -m tests.services.embedded``) that builds the world, plays the consumer as a
thread and runs the execution with ``aws="moto"``. Cases about the Step Functions API itself are
played through a real ``asl serve --aws moto``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.serve.conftest import Process
from tests.services import serve_api
from tests.services.cases import ServiceCase, case_params
from tests.services.compare import assert_conforms
from tests.services.embedded import read_result
from tests.services.worlds import SKIPS, api_of
from tests.support.moto_server import AWS_VARIABLES

ROOT = Path(__file__).resolve().parents[2]
CASE_TIMEOUT = 300.0


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in AWS_VARIABLES}
    env.update({"ASL_AWS": "moto", "PYTHONPATH": str(ROOT)})
    return env


@pytest.mark.parametrize("case", case_params(SKIPS))
def test_service_case_embedded(
    case: ServiceCase,
    serve_process: Callable[..., Process],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = api_of(case)
    if api:  # asl serve --aws moto: the embedded AWS lives in the server
        for name in AWS_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        outcome, names = serve_api.play_served(case, api, serve_process, tmp_path, "moto"), []
    else:
        result = tmp_path / "result.json"
        run = subprocess.run(
            [sys.executable, "-m", "tests.services.embedded", case.id, str(result)],
            cwd=ROOT,
            env=_environment(),
            capture_output=True,
            timeout=CASE_TIMEOUT,
        )
        assert run.returncode == 0, run.stderr.decode()[-4000:]
        outcome, names = read_result(result)
    assert_conforms(case, outcome, names)
