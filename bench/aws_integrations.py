"""What an AWS service integration costs against a bare boto3 call, and what --aws moto costs to
start, measured in one run.

a. Integration overhead: a machine of N Task states of one operation (``dynamodb:putItem``,
   ``sqs:sendMessage``, ``aws-sdk:dynamodb:getItem``), run through ``runtime.execute`` (Express, in
   memory, a dispatcher built once) with ``ASL_AWS=aws`` and ``AWS_ENDPOINT_URL`` at a moto server
   this script starts on 127.0.0.1, against N bare boto3 calls of the same operation to the same
   server. Per-call time of each, their ratio (target: at most 1.5x); the two are measured in
   turns, and each figure is the median of ``--runs`` runs after warm-up runs.
b. Start-up of the embedded AWS: ``asl run --aws moto`` of a one-task machine against ``asl run``
   of a one-state Pass machine (subprocesses, in turns, medians); and in one process,
   ``embedded.start()``, the first one-task execution and the next ones.

Run: ``python bench/aws_integrations.py [--runs N] [--calls N] [--quick]``. Results go to
``bench/results/aws_integrations.json``; the markdown tables go to stdout, progress to stderr.
Nothing fails on a slow run: targets are printed as PASS/MISS.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the working tree's asl/runtime, not an installed copy
    sys.path.insert(0, str(ROOT))

from bench.run_machines import asl_command  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "aws_integrations.json"
ACCOUNT, REGION = "111111111111", "us-east-1"
TABLE, QUEUE, KEY = "bench-table", "bench-queue", "bench-key"
RATIO_TARGET = 1.5
WARM_UP_RUNS = 2
PASS_MACHINE = {"StartAt": "Only", "States": {"Only": {"Type": "Pass", "End": True}}}
ONE_TASK_MACHINE = {
    "StartAt": "ListTables",
    "States": {
        "ListTables": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:dynamodb:listTables",
            "Parameters": {},
            "End": True,
        }
    },
}


# -- moto's server -------------------------------------------------------------------------------


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """``python -m moto.server`` on a free port of 127.0.0.1 for the block; yields its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MOTO_ACCOUNT_ID": ACCOUNT, "AWS_DEFAULT_REGION": REGION}
    env["MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR"] = "false"  # a purge before every run
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"moto server did not start on {url}") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def aws_environment(endpoint: str | None, mode: str, folder: str) -> dict[str, str]:
    """This process's environment with boto3 pointed at ``endpoint`` (fake credentials, no user
    configuration) and ``ASL_AWS=mode``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ASL_"))}
    missing = os.path.join(folder, "no-aws-config")
    env.update(
        {
            "ASL_AWS": mode,
            "ASL_CACHE_DIR": os.path.join(folder, "cache"),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": missing,
            "AWS_SHARED_CREDENTIALS_FILE": missing,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


# -- (a) the operations --------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One operation as a Task state and as the bare boto3 call that does the same."""

    key: str
    resource: str
    service: str
    method: str
    parameters: dict[str, Any]
    cleanup: tuple[str, dict[str, Any]] | None = None
    """A call (method, arguments) made, untimed, before each timed run: the queue is emptied, so
    that one grown over earlier runs (moto slows down as a queue fills) does not skew later ones."""

    def task(self, next_state: str | None) -> dict[str, Any]:
        """A Task state calling it (its result discarded, so the state's data stays small)."""
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": self.resource,
            "Parameters": self.parameters,
            "ResultPath": None,
        }
        state.update({"Next": next_state} if next_state else {"End": True})
        return state

    def machine(self, calls: int) -> dict[str, Any]:
        """``calls`` Task states of this operation in a row."""
        names = [f"Call{n}" for n in range(1, calls + 1)]
        states = {name: self.task(nxt) for name, nxt in zip(names, [*names[1:], None], strict=True)}
        return {"StartAt": names[0], "States": states}


def operations(queue_url: str) -> list[Operation]:
    """The measured operations (the queue's URL comes from the server)."""
    item = {"pk": {"S": KEY}, "payload": {"S": "x" * 64}}
    return [
        Operation(
            "dynamodb:putItem",
            "arn:aws:states:::dynamodb:putItem",
            "dynamodb",
            "put_item",
            {"TableName": TABLE, "Item": item},
        ),
        Operation(
            "sqs:sendMessage",
            "arn:aws:states:::sqs:sendMessage",
            "sqs",
            "send_message",
            {"QueueUrl": queue_url, "MessageBody": "x" * 64},
            cleanup=("purge_queue", {"QueueUrl": queue_url}),
        ),
        Operation(
            "aws-sdk:dynamodb:getItem",
            "arn:aws:states:::aws-sdk:dynamodb:getItem",
            "dynamodb",
            "get_item",
            {"TableName": TABLE, "Key": {"pk": {"S": KEY}}},
        ),
    ]


def prepare(client: Callable[[str], Any]) -> str:
    """The table (with the item getItem reads) and the queue; the queue's URL."""
    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": KEY}, "payload": {"S": "x" * 64}})
    return str(client("sqs").create_queue(QueueName=QUEUE)["QueueUrl"])


def work_overhead(calls: int, runs: int) -> dict[str, Any]:
    """Worker (``ASL_AWS=aws``, ``AWS_ENDPOINT_URL`` set): per operation, ``runs`` interleaved
    runs of the machine and of the bare calls; seconds per run of each, and what they returned."""
    import boto3

    import runtime
    from runtime.tasks import build_dispatch

    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = boto3.client(service, region_name=REGION)
        return clients[service]

    queue_url = prepare(client)
    dispatch = build_dispatch()
    rows = []
    for op in operations(queue_url):
        machine = op.machine(calls)
        bare_call = getattr(client(op.service), op.method)
        last: dict[str, Any] = {}

        def clean(op: Operation = op) -> None:
            if op.cleanup:
                method, arguments = op.cleanup
                getattr(client(op.service), method)(**arguments)

        def ours(machine: dict[str, Any] = machine, last: dict[str, Any] = last) -> float:
            clean()
            start = time.perf_counter()
            result = runtime.execute(machine, {}, express=True, dispatch=dispatch)
            seconds = time.perf_counter() - start
            last.update(status=result.status, error=result.error, cause=result.cause)
            return seconds

        def bare(bare_call: Callable[..., Any] = bare_call, op: Operation = op) -> float:
            clean()
            start = time.perf_counter()
            for _ in range(calls):
                bare_call(**op.parameters)
            return time.perf_counter() - start

        for _ in range(WARM_UP_RUNS):
            ours()
            bare()
        ours_seconds, bare_seconds = [], []
        for n in range(runs):  # in turns, the order swapped every run
            pair = (ours, bare) if n % 2 == 0 else (bare, ours)
            first, second = pair[0](), pair[1]()
            ours_seconds.append(first if n % 2 == 0 else second)
            bare_seconds.append(second if n % 2 == 0 else first)
        rows.append(
            {
                "operation": op.key,
                "calls": calls,
                "ours_seconds": ours_seconds,
                "bare_seconds": bare_seconds,
                "status": last.get("status"),
                "error": last.get("error"),
                "cause": last.get("cause"),
            }
        )
    return {"operations": rows}


# -- (b) start-up --------------------------------------------------------------------------------


def work_first_call(runs: int) -> dict[str, Any]:
    """Worker (``ASL_AWS=moto``): ``embedded.start()``, then the first one-task execution and
    ``runs`` more, each with a dispatcher of its own as ``asl run`` builds one."""
    import runtime
    from runtime.tasks.aws import embedded

    start = time.perf_counter()
    embedded.start()
    started = time.perf_counter() - start
    seconds, statuses = [], set()
    for _ in range(runs + 1):
        start = time.perf_counter()
        result = runtime.execute(ONE_TASK_MACHINE, {}, express=True)
        seconds.append(time.perf_counter() - start)
        statuses.add(result.status)
    return {
        "embedded_start_seconds": started,
        "first_execution_seconds": seconds[0],
        "later_execution_seconds": seconds[1:],
        "statuses": sorted(statuses),
        "error": result.error,
        "cause": result.cause,
    }


def time_startup(runs: int, folder: Path) -> dict[str, Any]:
    """``asl run`` of a Pass machine and ``asl run --aws moto`` of a one-task machine, in turns:
    wall times and exit codes (``--express``: no store to open)."""
    (folder / "pass.json").write_text(json.dumps(PASS_MACHINE), encoding="utf-8")
    (folder / "task.json").write_text(json.dumps(ONE_TASK_MACHINE), encoding="utf-8")
    env = aws_environment(None, "off", str(folder))
    commands = {
        "pass": [*asl_command(), "run", "pass.json", "--express"],
        "moto": [*asl_command(), "run", "task.json", "--express", "--aws", "moto"],
    }
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    codes: dict[str, set[int]] = {name: set() for name in commands}
    last_error: dict[str, str] = {}
    for _ in range(runs + 1):  # the first round validates and fills the cache: not counted
        for name, command in commands.items():
            start = time.perf_counter()
            done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
            seconds[name].append(time.perf_counter() - start)
            codes[name].add(done.returncode)
            if done.returncode:
                last_error[name] = (done.stderr.strip().splitlines() or ["?"])[-1]
    return {
        name: {
            "command": " ".join(command),
            "seconds": seconds[name][1:],
            "exit_codes": sorted(codes[name]),
            "error": last_error.get(name),
        }
        for name, command in commands.items()
    }


# -- workers and the report ----------------------------------------------------------------------


def spawn(spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """Run one worker in a subprocess with ``env``; its JSON result (or why it crashed)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["(no message)"]
        return {"crashed": f"exit {done.returncode}: {tail[0]}"}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _worker_main(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["kind"] == "overhead":
        return work_overhead(spec["calls"], spec["runs"])
    if spec["kind"] == "first_call":
        return work_first_call(spec["runs"])
    raise ValueError(f"unknown worker kind {spec['kind']!r}")


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.2f} ms"


def _median(values: list[float] | None) -> float | None:
    return statistics.median(values) if values else None


def summarize_overhead(row: dict[str, Any]) -> dict[str, Any]:
    """Per-call medians (and fastest runs), the ratio and its verdict (added to ``row``)."""
    calls = row["calls"]
    for side in ("ours", "bare"):
        times = row[f"{side}_seconds"]
        row[f"{side}_per_call"] = statistics.median(times) / calls
        row[f"{side}_per_call_best"] = min(times) / calls
    row["ratio"] = row["ours_per_call"] / row["bare_per_call"]
    row["ratio_best"] = row["ours_per_call_best"] / row["bare_per_call_best"]
    row["check"] = "ok" if row["status"] == "SUCCEEDED" else f"{row['status']}: {row['error']}"
    row["verdict"] = "PASS" if row["check"] == "ok" and row["ratio"] <= RATIO_TARGET else "MISS"
    return row


def overhead_table(results: dict[str, Any]) -> str:
    """Table (a), in markdown."""
    lines = [
        "| operation | Task state per call | bare boto3 per call | ratio (fastest runs) "
        f"| target ≤ {RATIO_TARGET}x | execution |",
        "|---|--:|--:|--:|---|---|",
    ]
    overhead = results["overhead"]
    if "crashed" in overhead:
        return "\n".join([*lines, f"| (worker) | | | | MISS | {overhead['crashed']} |"])
    for r in overhead["operations"]:
        lines.append(
            f"| {r['operation']} | {_ms(r['ours_per_call'])} | {_ms(r['bare_per_call'])} "
            f"| {r['ratio']:.2f}x ({r['ratio_best']:.2f}x) | {r['verdict']} | {r['check']} |"
        )
    return "\n".join(lines)


def startup_table(results: dict[str, Any]) -> str:
    """Table (b), in markdown."""
    startup, first = results["startup"], results["first_call"]
    passing = _median(startup["pass"]["seconds"])
    moto = _median(startup["moto"]["seconds"])
    extra = moto - passing if moto is not None and passing is not None else None

    def ok(run: dict[str, Any]) -> str:
        return "ok" if run["exit_codes"] == [0] else f"exit {run['exit_codes']}: {run['error']}"

    first_ok = first.get("crashed") or (
        "ok"
        if first.get("statuses") == ["SUCCEEDED"]
        else f"{first['statuses']}: {first['error']}: {(first['cause'] or '')[:120]}"
    )
    later = _median(first.get("later_execution_seconds"))
    lines = [
        "| start-up | median | check |",
        "|---|--:|---|",
        f"| `asl run` of a Pass machine | {_ms(passing)} | {ok(startup['pass'])} |",
        f"| `asl run --aws moto` of a one-task machine | {_ms(moto)} | {ok(startup['moto'])} |",
        f"| difference: the embedded AWS's start-up and first call | {_ms(extra)} | |",
        f"| in process: `embedded.start()` | {_ms(first.get('embedded_start_seconds'))} "
        f"| {first_ok} |",
        f"| in process: first one-task execution after it "
        f"| {_ms(first.get('first_execution_seconds'))} | {first_ok} |",
        f"| in process: later one-task executions | {_ms(later)} | {first_ok} |",
    ]
    return "\n".join(lines)


def render(results: dict[str, Any]) -> str:
    """The whole report in markdown."""
    load = results["load_average"]
    return "\n".join(
        [
            f"### AWS integrations against moto {results['moto_version']} over HTTP: "
            f"{results['calls']} calls a run, median of {results['runs']} runs; "
            f"{results['cpus']} CPUs, Python {results['python']}, load average "
            f"{load['before']} before, {load['after']} after",
            "",
            overhead_table(results),
            "",
            f"Start-up, median of {results['startup_runs']} runs:",
            "",
            startup_table(results),
        ]
    )


def run_bench(args: argparse.Namespace, say: Callable[[str], None]) -> dict[str, Any]:
    """Every measurement; the results as a JSON-ready dict."""
    from importlib.metadata import version

    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "moto_version": version("moto"),
        "load_average": {"before": round(os.getloadavg()[0], 2)},
        "calls": args.calls,
        "runs": args.runs,
        "startup_runs": args.startup_runs,
    }
    with tempfile.TemporaryDirectory(prefix="asl-bench-aws-") as tmp:
        with moto_server() as endpoint:
            say(f"(a) {args.calls} calls × {args.runs} runs per operation, against {endpoint}")
            spec = {"kind": "overhead", "calls": args.calls, "runs": args.runs}
            overhead = spawn(spec, aws_environment(endpoint, "aws", tmp))
        for row in overhead.get("operations", []):
            summarize_overhead(row)
        results["overhead"] = overhead
        say(f"(b) asl run, Pass and --aws moto, × {args.startup_runs} each")
        results["startup"] = time_startup(args.startup_runs, Path(tmp))
        say("(b) in process: embedded start and first call")
        spec = {"kind": "first_call", "runs": args.startup_runs}
        results["first_call"] = spawn(spec, aws_environment(None, "moto", tmp))
    results["load_average"]["after"] = round(os.getloadavg()[0], 2)
    return results


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50, help="Task states (and bare calls) a run")
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (median)")
    parser.add_argument("--startup-runs", type=int, default=10, help="`asl run` repetitions")
    parser.add_argument("--quick", action="store_true", help="10 calls, 3 runs, 3 `asl run`s")
    parser.add_argument("--output", type=Path, default=RESULTS, help="the JSON results file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker_main(json.loads(args.worker)), default=str))
        return 0
    if args.quick:
        args.calls, args.runs, args.startup_runs = 10, 3, 3
    if min(args.calls, args.runs, args.startup_runs) < 1:
        parser.error("--calls, --runs and --startup-runs must be at least 1")
    results = run_bench(args, lambda message: print(message, file=sys.stderr, flush=True))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    print(render(results))
    print(f"\n(results written to {args.output})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
