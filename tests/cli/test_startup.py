"""What ``asl run`` loads: a JSONPath machine on the default store needs no JSONata engine and no
Redis or JSON Lines store, and an unchanged valid definition no JSON Schema library; never the
web console, graphs, metrics or traces (``asl serve``'s and ``asl graph``'s)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from runtime.cli import main
code = main(["run", sys.argv[1], "--input", "{}"])
heavy = ["jsonatapy", "jsonschema", "runtime.stores.redis", "runtime.stores.jsonl"]
never = ["runtime.serve", "runtime.graph", "prometheus_client", "opentelemetry", "grandalf"]
loaded = [n for n in never for m in sys.modules if m == n or m.startswith(n + ".")]
print(code, [name for name in heavy if name in sys.modules] + sorted(set(loaded)))
"""


def _run(definition: Path, tmp_path: Path) -> str:
    env = {
        "ASL_CACHE_DIR": str(tmp_path / "cache"),
        "ASL_STORE": str(tmp_path / "store.sqlite3"),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(definition)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_what_asl_run_imports(tmp_path: Path) -> None:
    definition = tmp_path / "machine.json"
    definition.write_text(
        json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    )
    assert _run(definition, tmp_path) == "0 ['jsonschema']"  # validated the first time
    assert _run(definition, tmp_path) == "0 []"  # remembered: nothing heavy loaded
