"""Run the bench machines through our engine and through moto, in the same run, and compare.

For every machine in ``$ASL_BENCH_DIR/machines`` (default ``bench/``) it measures, each
measurement in a subprocess of its own so that its peak RSS can be read with ``os.wait4``:

- moto (``mock_aws`` with ``execute_state_machine``): StartExecution, then DescribeExecution
  polled until the status leaves RUNNING; transitions are the ``*StateEntered`` events of
  GetExecutionHistory. Machine f (JSONata) is ours only: moto cannot evaluate JSONata.
- ours, Express in memory: ``runtime.execute(..., express=True)`` per run ("incl. load") and
  ``run_execution`` on a machine loaded once, run as ``runtime.execute`` runs it (``run_sync``)
  ("engine only");
- ours, Standard through ``runtime.drivers.runner.start`` with a ``SqliteStore`` in a temporary
  folder:
  with group commit (the default: whole transitions, committed at once around tasks, waits and
  the end, every 2 ms otherwise) and with one commit per transition (``commit_interval=0``).

Each figure is the median of N runs (the fastest run is shown too). Outputs are checked
against ``expected.json`` for both engines. It also measures the peak memory of a one-state
machine (ours and moto), the wall time of ``asl run`` on it, and the probes (``wait_2s``,
``retry_backoff_1s_x2``) on a real clock and with ``time_skip``. Targets are reported as
PASS/MISS; nothing fails on a miss.

Run: ``python bench/run_machines.py [--runs N] [--quick] [--only a,b] [--no-moto] [--profile]``.
Results go to ``bench/results/latest.json``; the markdown table is printed last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the working tree's asl/runtime, not an installed copy
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "latest.json"
ONE_STATE = {"StartAt": "Only", "States": {"Only": {"Type": "Pass", "End": True}}}
ROLE_ARN = "arn:aws:iam::123456789012:role/bench"
MOTO_POLL_SECONDS = 0.02
WARM_UP_RUNS = 10
"""Runs of each machine through our engine before its measured runs: the first pays for imports
and loading, and the next few still run slower (on the 2-core reference machine a run's time
settles by about the eighth run of machine e, 5-10% below the fourth's)."""
WORKER_TIMEOUT = 3600.0

EXPRESS_RATIO, STANDARD_RATIO = 300.0, 50.0
JSONATA_TRS, ONE_STATE_MIB, ASL_RUN_SECONDS = 50_000.0, 60.0, 0.3
# moto 5.2.5 on the reference 2-core machine, from bench/machines/README.md (tr/s).
REFERENCE_MOTO = {"a": 112.0, "b": 360.0, "c": 321.0, "d": 154.0, "e": 496.0, "f": 995.0}


# -- machines ------------------------------------------------------------------------------------


def bench_dir() -> Path:
    """The folder holding ``machines/`` and ``probes/``: ``$ASL_BENCH_DIR``, else ``bench/``."""
    return Path(os.environ.get("ASL_BENCH_DIR") or ROOT / "bench")


@dataclass(frozen=True)
class Machine:
    """One bench machine (or probe): its folder, definition text, input and expectation."""

    path: Path
    definition: str
    input: Any
    expected: dict[str, Any] | None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def key(self) -> str:
        return self.path.name.split("_", 1)[0]

    @property
    def jsonata(self) -> bool:
        return json.loads(self.definition).get("QueryLanguage") == "JSONata"


def load_machine(path: Path) -> Machine:
    """The machine in folder ``path`` (``expected.json`` is optional, as for probes)."""
    expected = path / "expected.json"
    input_file = path / "input.json"
    return Machine(
        path=path,
        definition=(path / "definition.json").read_text(encoding="utf-8"),
        input=json.loads(input_file.read_text(encoding="utf-8")) if input_file.exists() else {},
        expected=json.loads(expected.read_text(encoding="utf-8")) if expected.exists() else None,
    )


def load_all(kind: str, root: Path | None = None) -> list[Machine]:
    """Every machine under ``<bench>/<kind>`` (``machines`` or ``probes``), sorted by name."""
    folder = (root or bench_dir()) / kind
    if not folder.is_dir():
        return []
    return [load_machine(p) for p in sorted(folder.iterdir()) if (p / "definition.json").exists()]


def check(machine: Machine, status: str, output: Any, transitions: int) -> list[str]:
    """What differs from ``expected.json`` (status, output, transitions); empty when all agree."""
    expected = machine.expected
    if expected is None:
        return []
    problems = []
    if status != expected.get("status"):
        problems.append(f"status {status} != {expected.get('status')}")
    elif "output" in expected and output != expected["output"]:
        problems.append(f"output {json.dumps(output)[:120]} != expected")
    want = expected.get("state_entered_events")
    if want is not None and transitions != want:
        problems.append(f"transitions {transitions} != {want}")
    return problems


def state_entered(types: list[str]) -> int:
    """Transitions: the number of ``*StateEntered`` events."""
    return sum(1 for t in types if t.endswith("StateEntered"))


# -- workers (each runs in a subprocess of its own) ----------------------------------------------


def _ours_summary(machine: Machine, result: Any, types: list[str]) -> dict[str, Any]:
    n = state_entered(types)
    return {
        "status": result.status,
        "output": result.output,
        "error": result.error,
        "cause": result.cause,
        "transitions": n,
        "problems": check(machine, result.status, result.output, n),
    }


def work_express(machine: Machine, runs: int) -> dict[str, Any]:
    """Express in memory: per run incl. load (``runtime.execute``) and engine only."""
    import asl
    import runtime
    from runtime.drivers.clock import RealClock
    from runtime.drivers.execution import run_execution
    from runtime.drivers.loop import run_sync
    from runtime.tasks import build_dispatch

    text = json.dumps(machine.input)
    for _ in range(WARM_UP_RUNS):
        result = runtime.execute(machine.definition, json.loads(text), express=True)
    incl = []
    for _ in range(runs):
        value = json.loads(text)
        # The previous run's result is freed before the clock starts, not while this run is
        # timed (as for Standard, whose runs are timed inside ``once``).
        result = None
        start = time.perf_counter()
        result = runtime.execute(machine.definition, value, express=True)
        incl.append(time.perf_counter() - start)
    summary = _ours_summary(machine, result, [e.type for e in result.events])

    model = asl.load(machine.definition, state_machine_type="EXPRESS")
    dispatch = build_dispatch()
    engine = []
    for _ in range(runs):
        value = json.loads(text)
        result = None
        start = time.perf_counter()
        result = run_sync(
            run_execution(model, value, dispatch=dispatch, express=True, clock=RealClock())
        )
        engine.append(time.perf_counter() - start)
    again = _ours_summary(machine, result, [e.type for e in result.events])
    summary["problems"] += [f"engine only: {p}" for p in again["problems"]]
    return {**summary, "seconds": incl, "engine_seconds": engine}


def work_standard(machine: Machine, runs: int, store_dir: str) -> dict[str, Any]:
    """Standard through the runner with a durable SQLite store: group commit (the default),
    and one commit per transition (``commit_interval=0``, as ``ASL_COMMIT_INTERVAL_MS=0``).

    Each run gets a new store file, opened before the clock starts: a store that has grown
    over earlier runs adds WAL checkpoints at random points and only widens the spread.
    """
    from runtime.drivers import runner as _runner
    from runtime.stores.sqlite import SqliteStore

    text = json.dumps(machine.input)
    counter = iter(range(1_000_000))

    def once(interval: float | None = None) -> tuple[float, Any, list[str]]:
        store = SqliteStore(Path(store_dir) / f"{machine.name}-{next(counter)}.sqlite3")
        try:
            value = json.loads(text)
            start = time.perf_counter()
            result = _runner.start(
                store, machine.definition, value, machine_name=machine.key, commit_interval=interval
            )
            seconds = time.perf_counter() - start
            return seconds, result, [e.type for e in store.events(result.execution_arn)]
        finally:
            store.close()

    for _ in range(WARM_UP_RUNS):
        once()
    incl: list[float] = []
    for _ in range(runs):
        seconds, result, stored = once()
        incl.append(seconds)
    summary = _ours_summary(machine, result, stored)
    summary["stored_events"] = len(stored)
    strict = []
    for _ in range(runs):
        seconds, result, stored = once(0)
        strict.append(seconds)
    again = _ours_summary(machine, result, stored)
    summary["problems"] += [f"a commit per transition: {p}" for p in again["problems"]]
    return {**summary, "seconds": incl, "strict_seconds": strict}


def _moto_env() -> None:
    # Fake credentials so that boto3 never looks for real ones; mock_aws intercepts every call.
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ["AWS_SESSION_TOKEN"] = "testing"
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"


def _moto_once(definition: str, input_text: str, poll: float) -> dict[str, Any]:
    """One execution in a fresh mock (moto deep-copies its whole backend on each start)."""
    import boto3
    from moto import mock_aws

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name="us-east-1")
        arn = client.create_state_machine(name="bench", definition=definition, roleArn=ROLE_ARN)[
            "stateMachineArn"
        ]
        start = time.perf_counter()
        execution = client.start_execution(stateMachineArn=arn, input=input_text)["executionArn"]
        while True:
            described = client.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                break
            time.sleep(poll)
        seconds = time.perf_counter() - start
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = client.get_execution_history(executionArn=execution, maxResults=1000, **kwargs)
            events += page["events"]
            if not page.get("nextToken"):
                break
            kwargs = {"nextToken": page["nextToken"]}
    output = described.get("output")
    stamps = [e["timestamp"] for e in events]
    return {
        "seconds": seconds,
        "status": described["status"],
        "output": _decode(output),
        "error": described.get("error"),
        "cause": described.get("cause"),
        "types": [e["type"] for e in events],
        "history_span": (max(stamps) - min(stamps)).total_seconds() if stamps else 0.0,
    }


def moto_versions() -> dict[str, str]:
    """The versions of moto and of jsonpath-ng (moto's JSONPath; it sets moto's speed)."""
    from importlib.metadata import version

    import jsonpath_ng
    import moto

    jsonpath_dir = Path(jsonpath_ng.__file__).parent
    dist = next(jsonpath_dir.parent.glob("jsonpath_ng-*.dist-info"), None)
    jsonpath = (
        dist.name.removesuffix(".dist-info").split("-")[1] if dist else version("jsonpath-ng")
    )
    return {"moto_version": moto.__version__, "jsonpath_ng_version": jsonpath}


def _decode(text: str | None) -> Any:
    """An execution's output; moto returns a string output as bare text, not JSON."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def work_moto(machine: Machine, runs: int, poll: float = MOTO_POLL_SECONDS) -> dict[str, Any]:
    """moto: median over ``runs`` executions, after a one-state warm-up (imports, parser)."""
    _moto_env()
    _moto_once(json.dumps(ONE_STATE), "{}", poll)
    times, last = [], {}
    for _ in range(runs):
        last = _moto_once(machine.definition, json.dumps(machine.input), poll)
        times.append(last["seconds"])
    n = state_entered(last["types"])
    return {
        "status": last["status"],
        "output": last["output"],
        "error": last["error"],
        "cause": last["cause"],
        "transitions": n,
        "problems": check(machine, last["status"], last["output"], n),
        "seconds": times,
        **moto_versions(),
    }


def work_one_state(engine: str) -> dict[str, Any]:
    """One run of a one-state machine, for its process's peak memory."""
    definition = json.dumps(ONE_STATE)
    if engine == "moto":
        _moto_env()
        result = _moto_once(definition, "{}", MOTO_POLL_SECONDS)
        return {"status": result["status"], "seconds": result["seconds"]}
    start = time.perf_counter()
    if engine == "express":
        import runtime

        status = runtime.execute(definition, {}, express=True).status
    else:
        from runtime.drivers import runner as _runner
        from runtime.stores.sqlite import SqliteStore

        with tempfile.TemporaryDirectory() as tmp:
            store = SqliteStore(Path(tmp) / "one.sqlite3")
            status = _runner.start(store, definition, {}).status
            store.close()
    return {"status": status, "seconds": time.perf_counter() - start}


def work_probe(machine: Machine, engine: str, time_skip: bool) -> dict[str, Any]:
    """A probe once: wall time, and the span of its history's timestamps."""
    if engine == "moto":
        _moto_env()
        result = _moto_once(machine.definition, json.dumps(machine.input), MOTO_POLL_SECONDS)
        return {k: result[k] for k in ("status", "output", "error", "seconds", "history_span")}
    start = time.perf_counter()
    if engine == "express":
        import runtime

        result = runtime.execute(
            machine.definition, machine.input, express=True, time_skip=time_skip
        )
        events = result.events
    else:
        from runtime.drivers import runner as _runner
        from runtime.stores.sqlite import SqliteStore

        with tempfile.TemporaryDirectory() as tmp:
            store = SqliteStore(Path(tmp) / "probe.sqlite3")
            options = _runner.RunOptions(time_skip=time_skip)
            result = _runner.start(store, machine.definition, machine.input, options=options)
            events = store.events(result.execution_arn)
            store.close()
    seconds = time.perf_counter() - start
    stamps = [e.timestamp for e in events]
    return {
        "status": result.status,
        "output": result.output,
        "error": result.error,
        "seconds": seconds,
        "history_span": (max(stamps) - min(stamps)).total_seconds() if stamps else 0.0,
    }


def _worker_main(spec: dict[str, Any]) -> dict[str, Any]:
    kind = spec["kind"]
    if kind == "one_state":
        return work_one_state(spec["engine"])
    machine = load_machine(Path(spec["machine"]))
    if kind == "express":
        return work_express(machine, spec["runs"])
    if kind == "standard":
        return work_standard(machine, spec["runs"], spec["store_dir"])
    if kind == "moto":
        return work_moto(machine, spec["runs"])
    if kind == "probe":
        return work_probe(machine, spec["engine"], spec["time_skip"])
    raise ValueError(f"unknown worker kind {kind!r}")


# -- the parent: subprocesses, peak memory -------------------------------------------------------


def spawn(spec: dict[str, Any], timeout: float = WORKER_TIMEOUT) -> dict[str, Any]:
    """Run one worker in a subprocess; its JSON result plus ``peak_rss_mib`` (from ``wait4``)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    env = dict(os.environ)
    if spec.get("moto_path"):  # a moto (and jsonpath-ng) of its own, ahead of site-packages
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [spec["moto_path"], env.get("PYTHONPATH")])
        )
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT, env=env)
        rusage = _wait(process, timeout)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    peak = rusage.ru_maxrss / 1024 if rusage is not None else None  # KiB on Linux
    if process.returncode != 0:
        tail = stderr.strip().splitlines()[-1:] or ["(no message)"]
        return {"crashed": f"exit {process.returncode}: {tail[0]}", "peak_rss_mib": peak}
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_rss_mib"] = peak
    return result


def _wait(process: subprocess.Popen[bytes], timeout: float) -> Any:
    """Wait for ``process`` and return its own rusage (not the sum over all children)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return rusage
        if time.monotonic() > deadline:
            process.kill()
            _, status, rusage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            return rusage
        time.sleep(0.01)


def asl_command() -> list[str]:
    """How to call ``asl``: the console script beside this Python, else on PATH, else ``-m``.

    The script beside ``sys.executable`` comes first: a version manager's shim on PATH (pyenv's
    is a bash script) adds its own start-up time, about 80 ms, which is not ``asl``'s.
    """
    beside = Path(sys.executable).parent / "asl"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    script = shutil.which("asl")
    return [script] if script else [sys.executable, "-m", "runtime"]


def time_asl_run(runs: int, express: bool = False, remember: bool = True) -> dict[str, Any]:
    """Median wall time (and the largest peak RSS) of ``asl run`` on a one-state machine.

    ``remember``: as users run it, with a verdict cache of its own (empty at first: the first run
    validates, the later ones find the definition unchanged); else validating every run
    (``ASL_CACHE_DIR=off``).
    """
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "one.json").write_text(json.dumps(ONE_STATE), encoding="utf-8")
        cache = str(folder / "cache") if remember else "off"
        env = {**os.environ, "ASL_STORE": str(folder / "store.sqlite3"), "ASL_CACHE_DIR": cache}
        command = [*asl_command(), "run", "one.json", *(["--express"] if express else [])]
        times, peaks, codes = [], [], set()
        for _ in range(runs):
            start = time.perf_counter()
            process = subprocess.Popen(
                command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            _, status, rusage = os.wait4(process.pid, 0)
            times.append(time.perf_counter() - start)
            process.returncode = os.waitstatus_to_exitcode(status)
            codes.add(process.returncode)
            peaks.append(rusage.ru_maxrss / 1024)
    return {
        "command": " ".join(command),
        "median_seconds": statistics.median(times),
        "seconds": times,
        "peak_rss_mib": max(peaks),
        "exit_codes": sorted(codes),
    }


# -- the report ----------------------------------------------------------------------------------


def rate(transitions: int, seconds: list[float] | None, best: bool = False) -> float | None:
    """Transitions per second at the median of ``seconds`` (with ``best``, at the fastest)."""
    if not seconds:
        return None
    typical = min(seconds) if best else statistics.median(seconds)
    return transitions / typical if typical > 0 else None


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """How many times ``theirs`` ours is (None when either is missing)."""
    return ours / theirs if ours and theirs else None


def _fmt(value: float | None, spec: str = ",.0f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def summarize(row: dict[str, Any]) -> dict[str, Any]:
    """Rates and ratios of one machine's measurements (added to ``row``)."""
    n = row["transitions"]
    moto, express, standard = row.get("moto"), row["express"], row["standard"]
    figures: dict[str, float | None] = {"reference_moto_trs": REFERENCE_MOTO.get(row["key"])}
    for suffix, best in (("", False), ("_best", True)):
        moto_rate = rate(n, moto.get("seconds"), best) if moto else None
        figures[f"moto_trs{suffix}"] = moto_rate
        for name, engine, key in (
            ("express", express, "seconds"),
            ("express_engine", express, "engine_seconds"),
            ("standard", standard, "seconds"),
            ("standard_strict", standard, "strict_seconds"),
        ):
            ours = rate(n, engine.get(key), best)
            figures[f"{name}_trs{suffix}"] = ours
            figures[f"{name}_ratio{suffix}"] = ratio(ours, moto_rate)
            if not suffix:
                figures[f"{name}_ratio_ref"] = ratio(ours, figures["reference_moto_trs"])
    row.update(figures)
    return row


def markdown_table(rows: list[dict[str, Any]], suffix: str = "") -> str:
    """The per-machine table, in markdown (``suffix="_best"``: fastest run instead of median)."""
    full = not suffix
    columns = [
        "machine",
        "transitions",
        "moto tr/s",
        "ours Express tr/s (×moto)",
        "Express engine-only tr/s (×moto)",
        "ours Standard tr/s (×moto)",
        "Standard, a commit per transition (×moto)",
        *(["peak MiB moto / Express / Standard", "outputs"] if full else []),
    ]
    aligns = ["---", *["--:"] * (len(columns) - 1 - full), *(["---"] if full else [])]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(aligns) + "|"]
    for r in rows:
        cells = [r["name"], f"{r['transitions']:,}", _fmt(r[f"moto_trs{suffix}"])]
        for name in ("express", "express_engine", "standard", "standard_strict"):
            trs, times = r[f"{name}_trs{suffix}"], r[f"{name}_ratio{suffix}"]
            cells.append(f"{_fmt(trs)} ({_fmt(times, ',.0f', '×')})")
        if full:
            engines = ("moto", "express", "standard")
            cells.append(
                " / ".join(_fmt((r.get(k) or {}).get("peak_rss_mib"), ".0f") for k in engines)
            )
            problems = [
                f"{engine}: {p}"
                for engine in engines
                for p in (r.get(engine) or {}).get("problems", [])
                + ([r[engine]["crashed"]] if (r.get(engine) or {}).get("crashed") else [])
            ]
            cells.append("; ".join(problems) or "ok")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its figure and PASS/MISS (``None`` when it could not be measured)."""
    targets = []
    rows = [r for r in results["machines"] if r["key"] in "abcde"]

    def add(name: str, figure: str, ok: bool | None, note: str = "", **where: str) -> None:
        verdict = "n/a" if ok is None else "PASS" if ok else "MISS"
        targets.append(
            {"target": name, "figure": figure, "verdict": verdict, "note": note, **where}
        )

    for label, field, goal in (
        ("Express incl. load", "express", EXPRESS_RATIO),
        ("Express engine only", "express_engine", EXPRESS_RATIO),
        ("Standard (SQLite) incl. load", "standard", STANDARD_RATIO),
    ):
        for r in rows:
            measured = r.get(f"{field}_ratio")
            ref = r.get(f"{field}_ratio_ref")
            note = f"vs README reference moto: {_fmt(ref, ',.0f', '×')}" + (
                " (PASS)" if ref and ref >= goal else " (MISS)" if ref else ""
            )
            add(
                f"{label} ≥ {goal:.0f}× moto on {r['key']}",
                _fmt(measured, ",.0f", "×"),
                None if measured is None else measured >= goal,
                note,
                machine=r["key"],
                mode=field.split("_")[0],
            )
    for r in results["machines"]:
        if r["key"] == "f":
            for label, field in (
                ("incl. load", "express_trs"),
                ("engine only", "express_engine_trs"),
            ):
                value = r.get(field)
                add(
                    f"f (JSONata) Express {label} ≥ {JSONATA_TRS:,.0f} tr/s",
                    _fmt(value, ",.0f", " tr/s"),
                    None if value is None else value >= JSONATA_TRS,
                    machine="f",
                    mode="express",
                )
    one = results.get("one_state", {})
    for engine in ("express", "standard"):
        peak = (one.get(engine) or {}).get("peak_rss_mib")
        moto_peak = (one.get("moto") or {}).get("peak_rss_mib")
        add(
            f"one-state {engine} peak < {ONE_STATE_MIB:.0f} MiB",
            _fmt(peak, ".1f", " MiB"),
            None if peak is None else peak < ONE_STATE_MIB,
            f"moto: {_fmt(moto_peak, '.1f', ' MiB')}",
        )
    for key, label in (
        ("asl_run", "(median)"),
        ("asl_run_validating", "validating every run (ASL_CACHE_DIR=off)"),
    ):
        run = results.get(key) or {}
        if run:
            first = (run.get("seconds") or [None])[0]
            add(
                f"`asl run` one-state < {ASL_RUN_SECONDS} s {label}",
                _fmt(run.get("median_seconds"), ".3f", " s"),
                None if run.get("exit_codes") != [0] else run["median_seconds"] < ASL_RUN_SECONDS,
                f"first run {_fmt(first, '.3f', ' s')}; peak "
                f"{_fmt(run.get('peak_rss_mib'), '.1f', ' MiB')}; exit {run.get('exit_codes')}",
            )
    return targets


def markdown_targets(targets: list[dict[str, Any]]) -> str:
    """The targets, in markdown."""
    lines = ["| target | figure | verdict | note |", "|---|--:|---|---|"]
    lines += [f"| {t['target']} | {t['figure']} | {t['verdict']} | {t['note']} |" for t in targets]
    return "\n".join(lines)


def markdown_probes(probes: list[dict[str, Any]]) -> str:
    """The probes, in markdown."""
    lines = [
        "| probe | engine | clock | wall s | history span s | status | output |",
        "|---|---|---|--:|--:|---|---|",
    ]
    for p in probes:
        if "crashed" in p:
            lines.append(f"| {p['probe']} | {p['engine']} | {p['clock']} | | | {p['crashed']} | |")
            continue
        lines.append(
            f"| {p['probe']} | {p['engine']} | {p['clock']} | {p['seconds']:.2f} | "
            f"{p['history_span']:.2f} | {p['status']} | `{json.dumps(p.get('output'))[:60]}` |"
        )
    return "\n".join(lines)


# -- profiling -----------------------------------------------------------------------------------


def profile_machines(
    machines: list[Machine], mode: str, runs: int = 3, top: int = 15
) -> list[dict[str, Any]]:
    """The ``top`` functions by own time, per run summed over ``machines`` (cProfile).

    ``mode`` is ``express`` (``runtime.execute``, incl. load) or ``standard`` (the runner with a
    SQLite store in a temporary folder, incl. load).
    """
    import cProfile
    import pstats

    import runtime
    from runtime.drivers import runner as _runner
    from runtime.stores.sqlite import SqliteStore

    with tempfile.TemporaryDirectory(prefix="asl-profile-") as tmp:
        store = SqliteStore(Path(tmp) / "profile.sqlite3")

        def once(machine: Machine) -> None:
            value = json.loads(json.dumps(machine.input))
            if mode == "express":
                runtime.execute(machine.definition, value, express=True)
            else:
                _runner.start(store, machine.definition, value, machine_name=machine.key)

        for machine in machines:
            once(machine)  # warm-up
        profiler = cProfile.Profile()
        profiler.enable()
        for machine in machines:
            for _ in range(runs):
                once(machine)
        profiler.disable()
        store.close()
    raw = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values()) or 1.0
    rows = []
    for (file, line, func), (_, calls, tottime, cumtime, _) in raw.items():
        path = Path(file)
        where = str(path.relative_to(ROOT)) if ROOT in path.parents else file
        rows.append(
            {
                "where": f"{where}:{line}",
                "function": func,
                "calls": calls // runs,
                "own_s": tottime / runs,
                "cum_s": cumtime / runs,
                "own_pct": 100 * tottime / total,
            }
        )
    rows.sort(key=lambda r: r["own_s"], reverse=True)
    return rows[:top]


# -- main ----------------------------------------------------------------------------------------


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_bench(args: argparse.Namespace, say: Callable[[str], None] = _progress) -> dict[str, Any]:
    """Every measurement; the results as a JSON-ready dict."""
    machines = load_all("machines")
    if args.only:
        wanted = set(args.only.split(","))
        machines = [m for m in machines if m.key in wanted or m.name in wanted]
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": {"before": round(os.getloadavg()[0], 2)},
        "bench_dir": str(bench_dir()),
        "runs": args.runs,
        "moto_runs": args.moto_runs,
        "machines": [],
    }
    with tempfile.TemporaryDirectory(prefix="asl-bench-") as store_dir:
        for machine in machines:
            row: dict[str, Any] = {"name": machine.name, "key": machine.key}
            say(f"{machine.name}: ours Express ×{args.runs}")
            row["express"] = spawn(
                {"kind": "express", "machine": str(machine.path), "runs": args.runs}
            )
            say(f"{machine.name}: ours Standard (SQLite) ×{args.runs}")
            row["standard"] = spawn(
                {
                    "kind": "standard",
                    "machine": str(machine.path),
                    "runs": args.runs,
                    "store_dir": store_dir,
                }
            )
            if machine.jsonata:
                row["moto"] = {"skipped": "moto cannot evaluate JSONata"}
            elif not args.no_moto:
                say(f"{machine.name}: moto ×{args.moto_runs} (slow)")
                row["moto"] = spawn(
                    {
                        "kind": "moto",
                        "machine": str(machine.path),
                        "runs": args.moto_runs,
                        "moto_path": args.moto_path,
                    }
                )
            expected = (machine.expected or {}).get("state_entered_events")
            row["transitions"] = row["express"].get("transitions") or expected or 0
            results["machines"].append(summarize(row))

    say("one-state machine: peak memory")
    results["one_state"] = {
        engine: spawn(
            {
                "kind": "one_state",
                "engine": engine,
                "moto_path": args.moto_path if engine == "moto" else None,
            }
        )
        for engine in ("express", "standard", *(() if args.no_moto else ("moto",)))
    }
    say(f"asl run one-state ×{args.asl_runs}")
    results["asl_run"] = time_asl_run(args.asl_runs)
    results["asl_run_express"] = time_asl_run(args.asl_runs, express=True)
    results["asl_run_validating"] = time_asl_run(args.asl_runs, remember=False)

    probes = []
    if not args.no_probes:
        for probe in load_all("probes"):
            plan = [("express", False), ("express", True), ("standard", False), ("standard", True)]
            if not args.no_moto:
                plan.append(("moto", False))
            for engine, skip in plan:
                say(f"probe {probe.name}: {engine} {'time-skip' if skip else 'real clock'}")
                outcome = spawn(
                    {
                        "kind": "probe",
                        "machine": str(probe.path),
                        "engine": engine,
                        "time_skip": skip,
                        "moto_path": args.moto_path if engine == "moto" else None,
                    }
                )
                probes.append(
                    {
                        "probe": probe.name,
                        "engine": engine,
                        "clock": "time-skip" if skip else "real",
                        **outcome,
                    }
                )
    results["probes"] = probes
    results["targets"] = evaluate_targets(results)
    results["load_average"]["after"] = round(os.getloadavg()[0], 2)

    if args.profile:
        results["profiles"] = {}
        for mode in ("express", "standard"):
            keys = {
                t["machine"]
                for t in results["targets"]
                if t["verdict"] == "MISS" and t.get("mode") == mode
            }
            chosen = machines if args.profile_all else [m for m in machines if m.key in keys]
            if chosen:
                names = ",".join(m.key for m in chosen)
                say(f"profiling {mode} on {names}")
                results["profiles"][f"{mode} on {names}"] = profile_machines(chosen, mode)
    return results


def render(results: dict[str, Any]) -> str:
    """The whole report in markdown."""
    validating = _fmt((results.get("asl_run_validating") or {}).get("median_seconds"), ".3f", " s")
    moto = next(
        (r["moto"] for r in results["machines"] if (r.get("moto") or {}).get("moto_version")),
        None,
    )
    versus = (
        f"moto {moto['moto_version']} (jsonpath-ng {moto['jsonpath_ng_version']})"
        if moto
        else "moto (not run)"
    )
    load = results.get("load_average", {})
    parts = [
        f"### Bench: ours vs {versus}, median of {results['runs']} runs ours, "
        f"{results['moto_runs']} moto; {results['cpus']} CPUs, Python {results['python']}, "
        f"load average {load.get('before', '?')} before, {load.get('after', '?')} after",
        "",
        markdown_table(results["machines"]),
        "",
        f"Fastest of the {results['runs']} runs (least disturbed by other load on the machine):",
        "",
        markdown_table(results["machines"], "_best"),
        "",
        "One-state machine, peak RSS: "
        + ", ".join(
            f"{engine} {_fmt(v.get('peak_rss_mib'), '.1f', ' MiB')}"
            for engine, v in results["one_state"].items()
        )
        + f"; `asl run` {_fmt(results['asl_run']['median_seconds'], '.3f', ' s')} "
        f"(Standard, SQLite), {_fmt(results['asl_run_express']['median_seconds'], '.3f', ' s')} "
        f"(--express), {validating} validating every run, peak "
        f"{_fmt(results['asl_run']['peak_rss_mib'], '.1f', ' MiB')}.",
        "",
        markdown_targets(results["targets"]),
    ]
    if results.get("probes"):
        parts += ["", markdown_probes(results["probes"])]
    for name, rows in (results.get("profiles") or {}).items():
        parts += ["", f"Hotspots, {name} (incl. load; own time per run, cProfile):", ""]
        parts += [
            f"- {r['where']} `{r['function']}`: {r['own_s'] * 1000:.1f} ms own "
            f"({r['own_pct']:.0f}%), {r['cum_s'] * 1000:.1f} ms cum, {r['calls']} calls"
            for r in rows
        ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--moto-runs", type=int, help="runs per moto measurement (default --runs)")
    parser.add_argument("--asl-runs", type=int, default=10, help="`asl run` repetitions")
    parser.add_argument("--quick", action="store_true", help="3 runs ours, 1 moto, 5 `asl run`")
    parser.add_argument("--only", help="machines to run, by letter or name: a,b,f")
    parser.add_argument("--no-moto", action="store_true", help="ours only (no ratios)")
    parser.add_argument(
        "--moto-path",
        default=os.environ.get("ASL_BENCH_MOTO_PATH"),
        help="a folder holding the moto (and jsonpath-ng) to measure, put first on PYTHONPATH "
        "for moto's subprocesses only (default $ASL_BENCH_MOTO_PATH, else the installed moto)",
    )
    parser.add_argument("--no-probes", action="store_true", help="skip the probes")
    parser.add_argument("--profile", action="store_true", help="cProfile the machines that MISS")
    parser.add_argument("--profile-all", action="store_true", help="with --profile: all machines")
    parser.add_argument("--output", type=Path, default=RESULTS, help="the JSON results file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker_main(json.loads(args.worker)), default=str))
        return 0
    if args.quick:
        args.runs, args.moto_runs, args.asl_runs = 3, 1, 5
    args.moto_runs = args.moto_runs or args.runs
    if min(args.runs, args.moto_runs, args.asl_runs) < 1:
        parser.error("--runs, --moto-runs and --asl-runs must be at least 1")
    if not (bench_dir() / "machines").is_dir():
        print(f"bench machines not found in {bench_dir()}; set ASL_BENCH_DIR", file=sys.stderr)
        return 2
    results = run_bench(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    print(render(results))
    print(f"\n(results written to {args.output})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
