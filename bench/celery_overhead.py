"""What running Task states on a Celery fleet costs, against bare Celery, in one run.

Starts two ``asl worker`` processes (this module is their task module) on a Redis
(``--broker``, else ``$ASL_BROKER_URL``, else 127.0.0.1:6379, else a ``redis-server`` it starts)
under a key prefix of its own, then measures:

a. per-task latency: a Map with MaxConcurrency 1 over N items, each a Celery-backed Task
   state, against N sequential bare ``apply_async(...).get()`` round trips (target: <= 1.5x);
b. throughput: a 1,000-item Map over Celery against a bare Celery ``group`` of the same tasks
   (target: >= 0.8x).

Each figure is the best of ``--repeat`` runs. Run: ``python bench/celery_overhead.py``
(``--scale 10000`` also runs a 10,000-item Distributed Map and prints its rate).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import runtime  # noqa: E402

TASK = "bench.noop"
LATENCY_TARGET = 1.5
THROUGHPUT_TARGET = 0.8


@runtime.task(name=TASK)
def noop(event: Any) -> Any:
    """The benchmark's task: hands its input back."""
    return event


def machine(items_path: str, concurrency: int, mode: str = "INLINE") -> dict[str, Any]:
    processor: dict[str, Any] = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "celery:" + TASK, "End": True}},
    }
    if mode == "DISTRIBUTED":
        processor["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    return {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": items_path,
                "MaxConcurrency": concurrency,
                "ItemProcessor": processor,
                "End": True,
            }
        },
    }


# -- the fleet -----------------------------------------------------------------------------------


def answers(url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        with contextlib.closing(client):
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


@contextlib.contextmanager
def redis_server(url: str | None) -> Iterator[str]:
    url = url or os.environ.get("ASL_BROKER_URL")
    if url or answers("redis://127.0.0.1:6379/0"):
        yield url or "redis://127.0.0.1:6379/0"
        return
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("no Redis: pass --broker, set ASL_BROKER_URL or install redis-server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}/0"
        while not answers(url):
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def workers(url: str, prefix: str, count: int, concurrency: int) -> Iterator[None]:
    """``count`` real ``asl worker`` processes, killed (process group and all) on exit."""
    processes = []
    logs = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        for n in range(count):
            log = open(f"/tmp/asl-bench-{prefix.strip(':')}-w{n}.log", "w+b")  # noqa: SIM115
            logs.append(log)
            command = [
                sys.executable,
                "-m",
                "runtime",
                "worker",
                "--tasks",
                "bench.celery_overhead",
            ]
            command += ["--broker", url, "--prefix", prefix, "--concurrency", str(concurrency)]
            command += ["--hostname", f"bench{n}@%h"]
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 60
        for process, log in zip(processes, logs, strict=True):
            while b"ready:" not in Path(log.name).read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit("worker did not start:\n" + Path(log.name).read_text())
                time.sleep(0.05)
        yield
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        for log in logs:
            log.close()
            os.unlink(log.name)


def clean(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    with contextlib.closing(client):
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])


# -- measurements --------------------------------------------------------------------------------


def best_pair(
    repeat: int, first: Callable[[], float], second: Callable[[], float]
) -> tuple[float, float]:
    """The best time of each, the two measured in turns so that load changes hit both."""
    times = [(first(), second()) for _ in range(repeat)]
    return min(t[0] for t in times), min(t[1] for t in times)


def engine_seconds(dispatch: Any, definition: dict[str, Any], items: list[Any]) -> float:
    started = time.perf_counter()
    result = runtime.execute(definition, {"items": items}, dispatch=dispatch)
    elapsed = time.perf_counter() - started
    if result.status != "SUCCEEDED" or result.output != items:
        sys.exit(f"engine run failed: {result.status} {result.error} {result.cause}")
    return elapsed


def bare_round_trips(app: Any, items: list[Any]) -> float:
    started = time.perf_counter()
    for item in items:
        if app.signature(TASK, args=[item]).apply_async().get(timeout=30) != item:
            sys.exit("bare round trip returned the wrong value")
    return time.perf_counter() - started


def bare_group(app: Any, items: list[Any]) -> float:
    from celery import group

    started = time.perf_counter()
    result = group(app.signature(TASK, args=[item]) for item in items).apply_async()
    if result.get(timeout=120) != items:
        sys.exit("bare group returned the wrong values")
    return time.perf_counter() - started


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broker", help="Redis URL (default: $ASL_BROKER_URL or local)")
    parser.add_argument("--tasks", type=int, default=200, help="sequential tasks for (a)")
    parser.add_argument("--items", type=int, default=1000, help="Map items for (b)")
    parser.add_argument("--map-concurrency", type=int, default=100, help="MaxConcurrency for (b)")
    parser.add_argument("--concurrency", type=int, default=2, help="processes per worker")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=int, default=0, help="also a Distributed Map this big")
    args = parser.parse_args()

    from runtime.fleet.app import make_app
    from runtime.tasks import build_dispatch
    from runtime.tasks.celery import CeleryDispatch

    prefix = f"asl-bench-{uuid.uuid4().hex[:8]}:"
    with redis_server(args.broker) as url:
        try:
            with workers(url, prefix, 2, args.concurrency):
                app = make_app(url, prefix=prefix)
                dispatch = build_dispatch()
                dispatch.fleet = CeleryDispatch(url, prefix=prefix)
                sequential = list(range(args.tasks))
                parallel = list(range(args.items))
                # warm up both paths (connections, worker pools, imports)
                engine_seconds(dispatch, machine("$.items", 1), list(range(20)))
                bare_round_trips(app, list(range(20)))
                bare_group(app, list(range(50)))

                one = machine("$.items", 1)
                engine_a, bare_a = best_pair(
                    args.repeat,
                    lambda: engine_seconds(dispatch, one, sequential),
                    lambda: bare_round_trips(app, sequential),
                )
                many = machine("$.items", args.map_concurrency)
                engine_b, bare_b = best_pair(
                    args.repeat,
                    lambda: engine_seconds(dispatch, many, parallel),
                    lambda: bare_group(app, parallel),
                )

                ms_engine = 1000 * engine_a / len(sequential)
                ms_bare = 1000 * bare_a / len(sequential)
                ratio_a = ms_engine / ms_bare
                rate_engine = len(parallel) / engine_b
                rate_bare = len(parallel) / bare_b
                ratio_b = rate_engine / rate_bare
                print(f"two workers x {args.concurrency} processes, Redis {url}")
                print(
                    f"(a) per task: Task state {ms_engine:.2f} ms, bare apply_async().get() "
                    f"{ms_bare:.2f} ms: {ratio_a:.2f}x (target <= {LATENCY_TARGET}x) "
                    f"{verdict(ratio_a <= LATENCY_TARGET)}"
                )
                print(
                    f"(b) {len(parallel)}-item Map (MaxConcurrency {args.map_concurrency}) "
                    f"{rate_engine:.0f} tasks/s, bare group {rate_bare:.0f} tasks/s: "
                    f"{ratio_b:.2f}x (target >= {THROUGHPUT_TARGET}x) "
                    f"{verdict(ratio_b >= THROUGHPUT_TARGET)}"
                )
                if args.scale:
                    big = machine("$.items", 1000, mode="DISTRIBUTED")
                    items = list(range(args.scale))
                    seconds = engine_seconds(dispatch, big, items)
                    print(
                        f"scale: {args.scale}-item Distributed Map over Celery in {seconds:.1f} s "
                        f"({args.scale / seconds:.0f} tasks/s)"
                    )
                ok = ratio_a <= LATENCY_TARGET and ratio_b >= THROUGHPUT_TARGET
        finally:
            clean(url, prefix)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
