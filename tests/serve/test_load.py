"""Load on loopback: 1,000 StartExecution calls from 20 concurrent boto3 clients against a real
``asl serve`` process all complete, each execution exactly once, none lost.

No timing is asserted (figures come from ``python bench/serve_load.py``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_serve_load", ROOT / "bench" / "serve_load.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_thousand_starts_from_twenty_clients(serve_process, tmp_path):
    server = serve_process("--store", str(tmp_path / "load.sqlite3"))
    report = _bench().run_load(server.url, requests=1000, clients=20)
    assert report.errors == []
    assert report.problems == []
    assert report.distinct_executions == 1000
    assert report.succeeded == 1000
    assert "Traceback" not in server.text()
