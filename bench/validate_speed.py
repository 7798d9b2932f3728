"""How fast ``asl validate`` is: one CLI call over every conformance definition, and in-process.

Writes each case's definition (``ASL_CONFORMANCE_DIR``, default ``tests/conformance``) to a
file of its own in a temporary folder, then prints:

- the wall time of one ``asl validate`` subprocess over all of them (goal: under 3 s), next to
  the time of ``asl --help`` (start-up) and of a bare ``python -c pass``;
- the median in-process time per definition of ``parse_source`` + ``validate_definition``.

Run: ``python bench/validate_speed.py [--repeat N]``. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 3.0


def conformance_dir() -> Path:
    default = ROOT / "tests" / "conformance"
    return Path(os.environ.get("ASL_CONFORMANCE_DIR", default))


def write_definitions(cases: Path, out: Path) -> list[Path]:
    """One file per case: the definition as its case holds it (raw text stays raw)."""
    paths = []
    for case in sorted(cases.glob("*/*.json")):
        record = json.loads(case.read_text(encoding="utf-8"))
        if "definition" not in record:
            continue
        definition = record["definition"]
        text = definition if isinstance(definition, str) else json.dumps(definition, indent=2)
        path = out / f"{case.parent.name}__{case.name}"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def asl_command() -> list[str]:
    script = shutil.which("asl")
    return [script] if script else [sys.executable, "-m", "runtime"]


def wall(command: list[str], repeat: int, cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    """Best wall time of ``repeat`` runs, and the last run's result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
        best = min(best, time.perf_counter() - start)
    return best, result


def in_process(paths: list[Path], repeat: int) -> tuple[list[float], str]:
    """Per definition, the best of ``repeat`` runs of parse + validate (seconds)."""
    from asl.source import SourceError, parse_source

    try:
        from asl.validation import validate_definition
    except ModuleNotFoundError:
        validate_definition = None
    texts = [path.read_bytes() for path in paths]
    times = []
    for text in texts:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            try:
                source = parse_source(text)
            except SourceError:
                pass
            else:
                if validate_definition is not None:
                    validate_definition(source.value)
            best = min(best, time.perf_counter() - start)
        times.append(best)
    what = "parse_source + validate_definition" if validate_definition else "parse_source only"
    return times, what


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    args = parser.parse_args()
    cases = conformance_dir()
    if not cases.is_dir():
        print(f"conformance cases not found at {cases}; set ASL_CONFORMANCE_DIR", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = write_definitions(cases, folder)
        size = sum(path.stat().st_size for path in paths)
        print(f"{len(paths)} definitions, {size / 1024:.0f} KiB, from {cases}")

        python, _ = wall([sys.executable, "-c", "pass"], args.repeat, folder)
        startup, _ = wall([*asl_command(), "--help"], args.repeat, folder)
        call, result = wall([*asl_command(), "validate", "*.json"], args.repeat, folder)
        summary = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "?"
        verdict = "within" if call < GOAL_SECONDS else "OVER"
        print(f"python -c pass        {python * 1000:8.0f} ms")
        print(f"asl --help            {startup * 1000:8.0f} ms")
        print(
            f"asl validate (all)    {call * 1000:8.0f} ms   exit {result.returncode}; {summary}; "
            f"{verdict} the {GOAL_SECONDS:.0f} s goal"
        )

        times, what = in_process(paths, args.repeat)
        print(
            f"in-process, {what}: median {statistics.median(times) * 1e6:.0f} µs, "
            f"p90 {statistics.quantiles(times, n=10)[-1] * 1e6:.0f} µs, "
            f"max {max(times) * 1000:.1f} ms, total {sum(times) * 1000:.0f} ms per definition set"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
