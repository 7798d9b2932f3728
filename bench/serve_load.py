"""Load on ``asl serve`` over loopback: StartExecution from concurrent boto3 clients.

Starts ``asl serve`` in a subprocess on a free port with a store in a temporary folder (or
uses ``--url``), creates a small Standard machine, then has ``--clients`` threads (each with its
own boto3 client) send ``--requests`` StartExecution calls in all, each with a unique name. It
reports requests per second and latency percentiles of those calls, waits until every execution
has ended, and checks that each ran exactly once: as many distinct ARNs as calls, all SUCCEEDED,
each history with one ExecutionStarted and one ExecutionSucceeded. The same checks run (without
any timing) in ``tests/serve/test_load.py``.

Run: ``python bench/serve_load.py`` (``--requests 1000 --clients 20`` by default;
``--machine task`` runs a ``python:`` Task per execution; ``--store redis://...``).
Figures only: nothing fails on a slow run; a lost or repeated execution exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROLE = "arn:aws:iam::111111111111:role/bench"
MACHINES = {
    "pass": {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Result": {"n": 1}, "ResultPath": "$.a", "Next": "B"},
            "B": {"Type": "Pass", "End": True},
        },
    },
    "task": {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "python:json:dumps",
                "ResultPath": "$.t",
                "End": True,
            }
        },
    },
}


@dataclass
class Report:
    """What one load run measured and found."""

    requests: int
    clients: int
    seconds: float
    requests_per_second: float
    latency_ms: dict[str, float]
    completed_seconds: float
    distinct_executions: int
    succeeded: int
    errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problems


def client(url: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(
            inject_host_prefix=False,
            retries={"max_attempts": 1, "mode": "standard"},
            max_pool_connections=4,
            read_timeout=60,
        ),
    )


def run_load(url: str, *, requests: int = 1000, clients: int = 20, machine: str = "pass") -> Report:
    """Send ``requests`` StartExecution calls from ``clients`` threads; check every execution."""
    sfn = client(url)
    name = f"load-{uuid.uuid4().hex[:8]}"
    arn = sfn.create_state_machine(
        name=name, definition=json.dumps(MACHINES[machine]), roleArn=ROLE
    )["stateMachineArn"]
    latencies: list[float] = []
    arns: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(requests))
    barrier = threading.Barrier(clients + 1)

    def worker() -> None:
        own = client(url)
        own.list_state_machines(maxResults=1)  # connect before the clock starts
        barrier.wait()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            began = time.perf_counter()
            try:
                out = own.start_execution(
                    stateMachineArn=arn, name=f"e{i:06d}", input=json.dumps({"i": i})
                )
            except Exception as exc:  # counted and reported, the run goes on
                with lock:
                    errors.append(f"e{i}: {exc}")
                continue
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                arns.append(out["executionArn"])

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    finished = _wait_all(sfn, arn, len(arns), timeout=120)
    completed = time.perf_counter() - started
    problems = _check(sfn, arn, arns, requests)
    ms = sorted(x * 1000 for x in latencies) or [0.0]
    return Report(
        requests=requests,
        clients=clients,
        seconds=round(seconds, 3),
        requests_per_second=round(len(latencies) / seconds, 1) if seconds else 0.0,
        latency_ms={
            "p50": round(_percentile(ms, 50), 2),
            "p90": round(_percentile(ms, 90), 2),
            "p99": round(_percentile(ms, 99), 2),
            "max": round(ms[-1], 2),
            "mean": round(statistics.fmean(ms), 2),
        },
        completed_seconds=round(completed, 3),
        distinct_executions=len(set(arns)),
        succeeded=finished,
        errors=errors[:20],
        problems=problems,
    )


def _wait_all(sfn: Any, machine: str, expected: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        done = _count(sfn, machine, "SUCCEEDED")
        if done >= expected or time.monotonic() > deadline:
            return done
        time.sleep(0.2)


def _count(sfn: Any, machine: str, status: str) -> int:
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=machine, statusFilter=status, PaginationConfig={"PageSize": 1000}
    )
    return sum(len(p["executions"]) for p in pages)


def _check(sfn: Any, machine: str, arns: list[str], requests: int) -> list[str]:
    """Each execution once, none lost: the problems found (none is success)."""
    problems = []
    if len(arns) != requests:
        problems.append(f"{requests - len(arns)} StartExecution calls failed")
    if len(set(arns)) != len(arns):
        problems.append(f"{len(arns) - len(set(arns))} duplicate execution ARNs")
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=machine, PaginationConfig={"PageSize": 1000}
    )
    listed = [e for p in pages for e in p["executions"]]
    if sorted(e["executionArn"] for e in listed) != sorted(set(arns)):
        problems.append(f"ListExecutions shows {len(listed)} executions, {len(set(arns))} started")
    not_done = [e["executionArn"] for e in listed if e["status"] != "SUCCEEDED"]
    if not_done:
        problems.append(f"{len(not_done)} executions did not succeed, e.g. {not_done[0]}")
    for arn in arns:
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        types = [e["type"] for e in events]
        if types.count("ExecutionStarted") != 1 or types.count("ExecutionSucceeded") != 1:
            problems.append(f"{arn} history: {types}")
            break
    return problems


def _percentile(sorted_values: list[float], pct: float) -> float:
    k = (len(sorted_values) - 1) * pct / 100
    low = int(k)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (k - low)


@contextlib.contextmanager
def serving(store: str | None) -> Iterator[str]:
    """``asl serve`` in a subprocess on a free port; its URL."""
    with tempfile.TemporaryDirectory() as folder:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        store = store or str(Path(folder) / "executions.sqlite3")
        process = subprocess.Popen(
            [sys.executable, "-m", "runtime", "serve", "--port", str(port), "--store", store],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(url + "/health", timeout=1).close()
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("asl serve did not start")
                time.sleep(0.05)
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--machine", choices=sorted(MACHINES), default="pass")
    parser.add_argument("--url", help="an already running server (default: start one)")
    parser.add_argument("--store", help="the started server's --store (default: a temp file)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.url:
        report = run_load(
            args.url, requests=args.requests, clients=args.clients, machine=args.machine
        )
    else:
        with serving(args.store) as url:
            report = run_load(
                url, requests=args.requests, clients=args.clients, machine=args.machine
            )
    if args.json:
        print(json.dumps({**asdict(report), "ok": report.ok}, indent=2))
    else:
        lat = report.latency_ms
        print(
            f"{report.requests} StartExecution from {report.clients} clients in "
            f"{report.seconds:.2f} s: {report.requests_per_second:.0f} requests/s\n"
            f"latency ms: p50 {lat['p50']:.1f}  p90 {lat['p90']:.1f}  p99 {lat['p99']:.1f}  "
            f"max {lat['max']:.1f}  mean {lat['mean']:.1f}\n"
            f"all {report.succeeded} executions SUCCEEDED {report.completed_seconds:.2f} s after "
            f"the first call; {report.distinct_executions} distinct"
        )
        for line in report.errors + report.problems:
            print(f"PROBLEM: {line}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
