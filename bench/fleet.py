"""The fleet runs the workflows: what the Celery decider costs, and what waiting executions cost.

Starts real ``asl worker --store redis://...`` processes (``--concurrency 1``, tasks from
:mod:`bench.fleet_tasks`) on Redis database 7 (``$REDIS_URL``'s server, else 127.0.0.1:6379),
broker and store under a key prefix of this run, deleted at the end. Then, in one run:

a. throughput, with one worker process and then with two: ``--count`` executions of a workflow
   of three ``celery:`` Task states in a row, submitted in bulk
   (:func:`runtime.drivers.decider_celery.submit`) and timed from the first submit until the last
   is SUCCEEDED in the store, against the same number of bare Celery chains of the same three
   tasks (``chain(t1.s(x), t2.s(), t3.s())``) timed until every chain's result is in the result
   backend. The two are measured in turns (order swapped every round), the best of ``--rounds``
   each; the ratio decider/chain has a target of at least 0.5;
b. memory: ``--waiting`` executions of a machine whose one state is a one-hour Wait, submitted
   and decided into their Wait (each then holds a timer in the fleet's sorted set); the RSS of
   every worker process (main and pool child, from /proc) before submitting, after 1,000, 5,000
   and all waiting (target: no process grows with the number waiting), and the Redis memory of
   this run's keys per waiting execution (``MEMORY USAGE``, by key family);
c. if the decider runs below 0.5x the chain with one worker (or with ``--profile``), a cProfile
   of that worker's pool process over one more batch of each (where a decision's time goes:
   store reads, replay, appends, sends), and the Redis commands of 50 of each (``redis-cli
   monitor``).

Every throughput run also records the CPU time per execution of the workers' main and pool
processes, the Redis server and this process (from /proc and ``INFO cpu``): less noisy than the
rates on a machine shared with other work.

Run: ``python bench/fleet.py`` (about two and a half minutes; ``--quick``: under a minute).
Results go to ``bench/results/fleet.json``, the markdown report to stdout, progress to stderr.
Nothing fails on a slow run: targets are printed as PASS/MISS.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the working tree's asl/runtime, not an installed copy
    sys.path.insert(0, str(ROOT))

from bench.fleet_tasks import STEPS  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "fleet.json"
DATABASE = 7
RATIO_TARGET = 0.5
RSS_GROWTH_LIMIT_MIB = 4.0
"""A process "does not grow" when its RSS with every execution waiting is within this of its RSS
with 1,000 waiting (allocator noise; a cache of executions would grow by tens of MiB)."""
WAIT_SECONDS = 3600
WARM_UP = 20
MONITORED = 50  # executions (and chains) whose Redis commands are counted
SCRIPTED = " (in a script)"
POLL_SECONDS = 0.02
Progress = Callable[[str], None]

THREE_TASKS = {
    "Comment": "three celery: Task states in a row, each adding 1 to n",
    "StartAt": "One",
    "States": {
        "One": {"Type": "Task", "Resource": "celery:" + STEPS[0], "Next": "Two"},
        "Two": {"Type": "Task", "Resource": "celery:" + STEPS[1], "Next": "Three"},
        "Three": {"Type": "Task", "Resource": "celery:" + STEPS[2], "End": True},
    },
}
ONE_WAIT = {
    "StartAt": "Hold",
    "States": {"Hold": {"Type": "Wait", "Seconds": WAIT_SECONDS, "End": True}},
}


def redis_url() -> str:
    """``$REDIS_URL``'s server (else the local one), database 7."""
    parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return urlunsplit(parts._replace(path=f"/{DATABASE}", query=""))


# -- the fleet -----------------------------------------------------------------------------------


@dataclass
class Fleet:
    """This run's broker, store and workers: one key prefix on database 7."""

    url: str
    prefix: str
    logs: Path
    workers: list[subprocess.Popen[bytes]]

    @property
    def store_url(self) -> str:
        return f"{self.url}?prefix={self.store_prefix}"

    @property
    def store_prefix(self) -> str:
        return f"{self.prefix}store:"

    def start_worker(self) -> subprocess.Popen[bytes]:
        """One more ``asl worker --concurrency 1`` with the decider; returns once it is ready."""
        n = len(self.workers)
        log = self.logs / f"worker{n}.log"
        command = [sys.executable, "-m", "runtime", "worker", "--tasks", "bench.fleet_tasks"]
        command += ["--broker", self.url, "--prefix", self.prefix, "--store", self.store_url]
        command += ["--concurrency", "1", "--hostname", f"fleet{n}@%h"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.workers.append(process)
        deadline = time.monotonic() + 60
        while b"ready:" not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"worker {n} did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)
        return process

    def stop(self) -> None:
        for process in self.workers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)
            with contextlib.suppress(ProcessLookupError):  # pool children left behind
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)


@contextlib.contextmanager
def fleet(progress: Progress) -> Iterator[Fleet]:
    import redis

    url = redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        sys.exit(f"no Redis at {url}: {exc}")
    prefix = f"asl-bench-fleet-{uuid.uuid4().hex[:8]}:"
    with tempfile.TemporaryDirectory(prefix="asl-bench-fleet-") as logs:
        running = Fleet(url, prefix, Path(logs), [])
        try:
            yield running
        except BaseException:
            for log in sorted(running.logs.glob("*.log")):
                tail = log.read_text(errors="replace").splitlines()[-30:]
                progress(f"--- {log.name} (last lines)\n" + "\n".join(tail))
            raise
        finally:
            running.stop()
            deleted = clean(client, prefix)
            progress(f"deleted {deleted} keys under {prefix}")
            client.close()


def clean(client: Any, prefix: str) -> int:
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    return len(keys)


# -- (a) throughput ------------------------------------------------------------------------------


class Bench:
    """The client side: submits executions and chains, reads Redis."""

    def __init__(self, running: Fleet) -> None:
        import redis

        from runtime.fleet.app import make_app
        from runtime.stores import open_store

        self.fleet = running
        self.app = make_app(running.url, prefix=running.prefix)
        self.store = open_store(running.store_url)
        self.client = redis.Redis.from_url(running.url)
        self.batches = 0

    def ended(self) -> int:
        """How many executions of the store are no longer RUNNING (see runtime/stores/redis.py:
        every ARN is in ``all``, the running ones in ``s:RUNNING``)."""
        p = self.fleet.store_prefix
        pipe = self.client.pipeline()
        pipe.zcard(p + "all")
        pipe.zcard(p + "s:RUNNING")
        total, running = pipe.execute()
        return int(total) - int(running)

    def waiting(self) -> int:
        """Executions holding a timer (waiting in their Wait)."""
        return int(self.client.zcard(f"{self.fleet.prefix}asl:timers"))

    def submit(self, definition: dict[str, Any], count: int, tag: str) -> list[str]:
        from runtime.drivers.decider_celery import submit

        text = json.dumps(definition)
        return [
            submit(self.store, self.app, text, {"n": 0}, name=f"{tag}-{i}", machine_name=tag)[
                0
            ].execution_arn
            for i in range(count)
        ]

    def decider_seconds(self, count: int) -> tuple[float, float]:
        """Seconds from the first submit until all ``count`` are SUCCEEDED; and the submit time."""
        self.batches += 1
        ended = self.ended()
        started = time.perf_counter()
        arns = self.submit(THREE_TASKS, count, f"three{self.batches}")
        submitted = time.perf_counter() - started
        wait_until(lambda: self.ended() >= ended + count, f"{count} executions")
        elapsed = time.perf_counter() - started
        self.check_succeeded(arns)
        return elapsed, submitted

    def check_succeeded(self, arns: list[str]) -> None:
        for arn in arns:
            record = self.store.get(arn)
            if record.status != "SUCCEEDED" or json.loads(record.output or "null") != {"n": 3}:
                sys.exit(f"{arn} ended {record.status}: {record.output or record.cause}")

    def chain_seconds(self, count: int) -> tuple[float, float]:
        """Seconds from the first chain sent until every chain's result is stored; and the
        sending time."""
        from celery import chain

        backend = self.app.backend
        started = time.perf_counter()
        ids = [
            chain(
                self.app.signature(STEPS[0], args=[{"n": 0}]),
                self.app.signature(STEPS[1]),
                self.app.signature(STEPS[2]),
            )
            .apply_async()
            .id
            for _ in range(count)
        ]
        sent = time.perf_counter() - started
        pending = [backend.get_key_for_task(i) for i in ids]
        results: list[Any] = []

        def finished() -> bool:
            nonlocal pending
            values = self.client.mget(pending)
            results.extend(v for v in values if v is not None)
            pending = [k for k, v in zip(pending, values, strict=True) if v is None]
            return not pending

        wait_until(finished, f"{count} chains")
        elapsed = time.perf_counter() - started
        for value in results:
            meta = json.loads(value)
            if meta["status"] != "SUCCESS" or meta["result"] != {"n": 3}:
                sys.exit(f"a chain ended {meta['status']}: {meta['result']}")
        return elapsed, sent


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fleet_cpu(bench: Bench) -> dict[str, float]:
    """CPU seconds so far: the workers' main processes, their pool processes, the Redis server
    (every client's, other users' included) and this process (submitting, polling)."""
    main = pool = 0.0
    for process in bench.fleet.workers:
        main += cpu_seconds(process.pid)
        pool += sum(cpu_seconds(child) for child in children(process.pid))
    info = bench.client.info("cpu")
    redis = float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    return {"worker main": main, "worker pool": pool, "redis": redis, "client": time.process_time()}


def measured(
    bench: Bench, measure: Callable[[int], tuple[float, float]], count: int
) -> dict[str, Any]:
    """One run of ``measure``: its seconds, submit seconds and CPU milliseconds per execution."""
    before = fleet_cpu(bench)
    seconds, submit = measure(count)
    after = fleet_cpu(bench)
    cpu = {k: 1000 * (after[k] - before[k]) / count for k in before}
    return {"seconds": seconds, "submit": submit, "cpu_ms": cpu}


def wait_until(done: Callable[[], bool], what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)


def throughput(bench: Bench, count: int, rounds: int, progress: Progress) -> dict[str, Any]:
    """Decider and chain in turns, ``rounds`` of each; the best rates, every run's, and the mean
    CPU milliseconds per execution."""
    bench.decider_seconds(WARM_UP)
    bench.chain_seconds(WARM_UP)
    runs: dict[str, list[dict[str, Any]]] = {"decider": [], "chain": []}
    order = [("decider", bench.decider_seconds), ("chain", bench.chain_seconds)]
    for n in range(rounds):
        for name, measure in order if n % 2 == 0 else order[::-1]:
            runs[name].append(measured(bench, measure, count))
            progress(f"  {name}: {count / runs[name][-1]['seconds']:.1f} executions/s")
    found: dict[str, Any] = {"count": count}
    for name, done in runs.items():
        found[f"{name}_per_s"] = count / min(r["seconds"] for r in done)
        found[f"{name}_runs_per_s"] = [count / r["seconds"] for r in done]
        found[f"{name}_submit_s"] = min(r["submit"] for r in done)
        found[f"{name}_cpu_ms"] = {
            k: sum(r["cpu_ms"][k] for r in done) / len(done) for k in done[0]["cpu_ms"]
        }
    found["ratio"] = found["decider_per_s"] / found["chain_per_s"]
    return found


# -- (b) memory ----------------------------------------------------------------------------------


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return sorted(found)


def worker_rss(running: Fleet) -> dict[str, float]:
    """RSS of every worker process: ``w0 main``, ``w0 pool``..."""
    sizes = {}
    for n, process in enumerate(running.workers):
        sizes[f"w{n} main"] = rss_mib(process.pid)
        for k, child in enumerate(children(process.pid)):
            sizes[f"w{n} pool{k or ''}"] = rss_mib(child)
    return sizes


def key_memory(client: Any, prefix: str) -> dict[str, int]:
    """Bytes of this run's keys (``MEMORY USAGE``, exact), by family (``store:x``, ...)."""
    keys = list(client.scan_iter(match=f"{prefix}*", count=2000))
    families: dict[str, int] = defaultdict(int)
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        pipe = client.pipeline(transaction=False)
        for key in batch:
            pipe.memory_usage(key, samples=0)
        for key, size in zip(batch, pipe.execute(), strict=True):
            name = key.decode()[len(prefix) :]
            families[":".join(name.split(":")[:2])] += int(size or 0)
    return dict(families)


def reached(bench: Bench, count: int) -> bool:
    return bench.waiting() >= count


def memory(bench: Bench, total: int, progress: Progress) -> dict[str, Any]:
    """RSS of the workers and Redis memory as ``total`` executions come to wait."""
    client = bench.client
    marks = sorted({m for m in (1000, 5000, total) if m <= total})
    time.sleep(1)  # the workers idle after the throughput runs
    snapshots: list[dict[str, Any]] = [{"waiting": 0, "rss_mib": worker_rss(bench.fleet)}]
    keys_before = key_memory(client, bench.fleet.prefix)
    used_before = int(client.info("memory")["used_memory"])
    started = time.perf_counter()
    submitted = 0
    for mark in marks:
        bench.submit(ONE_WAIT, mark - submitted, f"wait{mark}")
        submitted = mark
        wait_until(partial(reached, bench, mark), f"{mark} waiting", timeout=600)
        time.sleep(0.5)
        snapshots.append({"waiting": mark, "rss_mib": worker_rss(bench.fleet)})
        progress(f"  {mark} waiting after {time.perf_counter() - started:.1f} s")
    seconds = time.perf_counter() - started
    keys_after = key_memory(client, bench.fleet.prefix)
    used_after = int(client.info("memory")["used_memory"])
    families = {
        name: (keys_after.get(name, 0) - keys_before.get(name, 0)) / total
        for name in sorted(set(keys_after) | set(keys_before))
    }
    first, last = snapshots[1]["rss_mib"], snapshots[-1]["rss_mib"]
    growth = {name: last[name] - first.get(name, 0.0) for name in last}
    return {
        "waiting": total,
        "seconds": seconds,
        "snapshots": snapshots,
        "growth_mib": growth,
        "grows": any(g > RSS_GROWTH_LIMIT_MIB for g in growth.values()),
        "redis_bytes_per_execution": sum(families.values()),
        "redis_bytes_by_family": {k: v for k, v in families.items() if abs(v) >= 0.5},
        "used_memory_bytes_per_execution": (used_after - used_before) / total,
    }


# -- (c) profile ---------------------------------------------------------------------------------

SECTIONS = (
    # (label, file suffix, function): cumulative time inside the pool process; a label that
    # starts with spaces is part of the row above it
    ("decision tasks (asl.decide)", "drivers/decider.py", "decide"),
    ("  store.get (record)", "stores/redis.py", "get"),
    ("  store.events (history)", "stores/redis.py", "events"),
    ("  replay (run_execution until parked)", "drivers/decider.py", "replay"),
    ("    loading the definition (_load)", "drivers/runner.py", "_load"),
    ("  store.append (compare-and-swap)", "stores/redis.py", "append"),
    ("  sends (attempt messages, sent-once marks)", "drivers/decider_celery.py", "send"),
    ("  finished (forget)", "drivers/decider_celery.py", "finished"),
    ("  outcome reads", "fleet/decisions.py", "outcome"),
    ("  recorded values", "fleet/decisions.py", "recorded"),
    ("  timers set", "fleet/decisions.py", "set_timer"),
    ("task outcomes stored (task_success)", "fleet/_replies.py", "_on_success"),
    ("  asking for the next decision (send_decision)", "fleet/decisions.py", "send_decision"),
    ("tasks started (task_prerun)", "fleet/_replies.py", "_on_start"),
    ("the three tasks' bodies", "bench/fleet_tasks.py", "_add_one"),
)
REST = "the rest: Celery's own in the pool process (tracing, replies to the main process)"


def short(file: str) -> str:
    """A profiled function's file: relative to the repository, else its name."""
    return str(Path(file).relative_to(ROOT)) if file.startswith(str(ROOT)) else Path(file).name


IDLE = ("~", 0, "<built-in method posix.read>")
"""Where the pool process waits for its next job (the pipe from the worker's main process)."""


SOCKET_WRITES = ("~", 0, "<method 'sendall' of '_socket.socket' objects>")
"""A request to Redis (a command, or a pipeline of them) from the pool process."""


def profiled(
    bench: Bench, measure: Callable[[int], tuple[float, float]], count: int, path: Path
) -> tuple[float, pstats.Stats]:
    """Run ``measure`` with the one worker's pool process under cProfile."""
    control = bench.app.signature("bench.fleet.profile")
    control.clone(args=[{"action": "start"}]).apply_async().get(timeout=30)
    seconds, _ = measure(count)
    control.clone(args=[{"action": "stop", "path": str(path)}]).apply_async().get(timeout=30)
    return seconds, pstats.Stats(str(path))


def busy_seconds(stats: pstats.Stats) -> tuple[float, float]:
    """The profiled process's time minus its waits for the next job; and those waits."""
    table = stats.stats  # type: ignore[attr-defined]
    idle = table.get(IDLE, (0, 0, 0.0, 0.0, {}))[2]
    return stats.total_tt - idle, idle  # type: ignore[attr-defined]


def profile(bench: Bench, count: int, path: Path) -> dict[str, Any]:
    """Where the one worker's pool process spends its time: ``count`` executions, then as many
    chains for comparison."""
    seconds, stats = profiled(bench, bench.decider_seconds, count, path)
    _, chain_stats = profiled(bench, bench.chain_seconds, count, path.with_suffix(".chain"))
    table = stats.stats  # type: ignore[attr-defined]
    busy, idle = busy_seconds(stats)
    chain_busy, _ = busy_seconds(chain_stats)

    def section(suffix: str, function: str) -> tuple[int, float]:
        found = [v for (f, _, n), v in table.items() if n == function and f.endswith(suffix)]
        return sum(v[1] for v in found), sum(v[3] for v in found)

    rows: list[dict[str, Any]] = []
    for label, suffix, function in SECTIONS:
        calls, cumulative = section(suffix, function)
        rows.append({"section": label, "calls": calls, "seconds": cumulative})
    counted = sum(row["seconds"] for row in rows if not row["section"].startswith(" "))
    rows.append({"section": REST, "calls": "", "seconds": busy - counted})
    ours = [
        (k, v)
        for k, v in table.items()
        if k[0].startswith(str(ROOT)) and not k[0].startswith(str(ROOT / "bench"))
    ]
    by_cum = sorted(ours, key=lambda item: item[1][3], reverse=True)[:25]
    by_own = sorted(
        (kv for kv in table.items() if kv[0] != IDLE), key=lambda kv: kv[1][2], reverse=True
    )[:15]

    def rows_of(items: list[Any]) -> list[dict[str, Any]]:
        return [
            {"function": f"{short(f)}:{line}({name})", "calls": nc, "tottime": tt, "cum": ct}
            for (f, line, name), (_, nc, tt, ct, _) in items
        ]

    def writes(of: pstats.Stats) -> float:
        return of.stats.get(SOCKET_WRITES, (0, 0))[1] / count  # type: ignore[attr-defined]

    return {
        "count": count,
        "wall_seconds": seconds,
        "busy_seconds": busy,
        "idle_seconds": idle,
        "chain_busy_seconds": chain_busy,
        "redis_requests_per_execution": writes(stats),
        "chain_redis_requests_per_execution": writes(chain_stats),
        "sections": rows,
        "top_cumulative_ours": rows_of(by_cum),
        "top_tottime": rows_of(by_own),
    }


def redis_commands(
    bench: Bench, measure: Callable[[int], tuple[float, float]], count: int, path: Path
) -> dict[str, float]:
    """Commands database 7 receives per execution while ``measure`` runs (``redis-cli
    monitor``; every client's: the workers' main and pool processes and this one), those that Lua
    scripts run marked."""
    parts = urlsplit(bench.fleet.url)
    command = ["redis-cli", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379)]
    with path.open("wb") as out:
        monitor = subprocess.Popen([*command, "monitor"], stdout=out)
        time.sleep(0.3)
        measure(count)
        time.sleep(0.3)
        monitor.terminate()
        monitor.wait(10)
    counts: dict[str, float] = defaultdict(float)
    marker = f"[{DATABASE} "
    for line in path.read_text(errors="replace").splitlines():
        if marker in line:
            name = line.split("] ", 1)[1].split(" ", 1)[0].strip('"').upper()
            counts[name + (SCRIPTED if f"[{DATABASE} lua]" in line else "")] += 1 / count
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


# -- the run -------------------------------------------------------------------------------------


def run_bench(args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg(),
    }
    started = time.perf_counter()
    with fleet(progress) as running:
        results["redis"] = running.url
        running.start_worker()
        bench = Bench(running)
        progress(f"one worker: {args.count} executions, {args.rounds} rounds")
        results["one_worker"] = throughput(bench, args.count, args.rounds, progress)
        if args.profile or results["one_worker"]["ratio"] < RATIO_TARGET:
            progress(f"profiling the worker over {args.count} executions")
            path = running.logs / "worker.prof"
            results["profile"] = profile(bench, args.count, path)
            if shutil.which("redis-cli"):
                log = running.logs / "monitor.log"
                results["redis_commands"] = {
                    name: redis_commands(bench, measure, MONITORED, log)
                    for name, measure in (
                        ("decider", bench.decider_seconds),
                        ("chain", bench.chain_seconds),
                    )
                }
            if args.keep_profile:
                args.keep_profile.write_bytes(path.read_bytes())
        running.start_worker()
        progress(f"two workers: {args.count} executions, {args.rounds} rounds")
        results["two_workers"] = throughput(bench, args.count, args.rounds, progress)
        progress(f"memory: {args.waiting} executions into a {WAIT_SECONDS} s Wait")
        results["memory"] = memory(bench, args.waiting, progress)
        bench.store.close()
    results["seconds"] = time.perf_counter() - started
    results["load_after"] = os.getloadavg()
    return results


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def render(r: dict[str, Any]) -> str:
    load = " / ".join(f"{a:.2f}" for a in r["load_before"][:1] + r["load_after"][:1])
    lines = [
        f"# Fleet bench ({r['started']}, Python {r['python']}, {r['cpus']} CPUs, "
        f"load {load}, {r['seconds']:.0f} s)",
        "",
        f"## Throughput: {r['one_worker']['count']} executions of three celery: Tasks",
        "",
        "| workers | decider exec/s | bare chain exec/s | ratio | target ≥ 0.5 "
        "| runs (decider; chain) |",
        "|---|--:|--:|--:|---|---|",
    ]
    for label, key in (("1 × concurrency 1", "one_worker"), ("2 × concurrency 1", "two_workers")):
        t = r[key]
        runs = (
            ", ".join(f"{x:.0f}" for x in t["decider_runs_per_s"])
            + "; "
            + ", ".join(f"{x:.0f}" for x in t["chain_runs_per_s"])
        )
        lines.append(
            f"| {label} | {t['decider_per_s']:.1f} | {t['chain_per_s']:.1f} | "
            f"{t['ratio']:.2f}× | {verdict(t['ratio'] >= RATIO_TARGET)} | {runs} |"
        )
    t = r["one_worker"]
    lines += [
        "",
        f"Submitting {t['count']} executions took {t['decider_submit_s']:.2f} s of the "
        f"decider's clock, sending the chains {t['chain_submit_s']:.2f} s of theirs.",
        "",
        "CPU per execution (ms, mean of the runs; Redis counts every client of the server):",
        "",
        "| workers | what | worker main | worker pool | Redis server | this process |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for label, key in (("1", "one_worker"), ("2", "two_workers")):
        for name in ("decider", "chain"):
            cpu = r[key][f"{name}_cpu_ms"]
            lines.append(
                f"| {label} | {name} | {cpu['worker main']:.2f} | {cpu['worker pool']:.2f} | "
                f"{cpu['redis']:.2f} | {cpu['client']:.2f} |"
            )
    shares = ", ".join(
        f"{label} {worker_cpu(r[key], 'chain') / worker_cpu(r[key], 'decider'):.2f}×"
        for label, key in (("one worker", "one_worker"), ("two workers", "two_workers"))
    )
    lines += [
        "",
        f"Workers' CPU per execution, chain / decider (the ratio the rates tend to when the "
        f"workers are CPU-bound): {shares}.",
    ]
    m = r["memory"]
    names = list(m["snapshots"][-1]["rss_mib"])
    lines += [
        "",
        f"## Memory: {m['waiting']} executions in a {WAIT_SECONDS} s Wait "
        f"(decided in {m['seconds']:.0f} s)",
        "",
        "| waiting | " + " | ".join(f"{n} MiB" for n in names) + " |",
        "|--:|" + "--:|" * len(names),
    ]
    for snap in m["snapshots"]:
        sizes = " | ".join(f"{snap['rss_mib'].get(n, 0):.1f}" for n in names)
        lines.append(f"| {snap['waiting']:,} | {sizes} |")
    growth = ", ".join(f"{n} {g:+.1f}" for n, g in m["growth_mib"].items())
    lines += [
        "",
        f"Growth from 1,000 to {m['waiting']:,} waiting (MiB): {growth}: "
        f"{verdict(not m['grows'])} (target: none grows, ≤ {RSS_GROWTH_LIMIT_MIB} MiB)",
        "",
        f"Redis per waiting execution: {m['redis_bytes_per_execution']:.0f} bytes of this run's "
        f"keys (used_memory: {m['used_memory_bytes_per_execution']:.0f} bytes): "
        + ", ".join(f"{k} {v:.0f}" for k, v in m["redis_bytes_by_family"].items()),
    ]
    if "profile" in r:
        lines += render_profile(r["profile"])
    if "redis_commands" in r:
        lines += render_commands(r["redis_commands"])
    return "\n".join(lines)


def worker_cpu(found: dict[str, Any], name: str) -> float:
    cpu = found[f"{name}_cpu_ms"]
    return float(cpu["worker main"] + cpu["worker pool"])


def render_profile(p: dict[str, Any]) -> list[str]:
    busy, count = p["busy_seconds"], p["count"]
    lines = [
        "",
        f"## Profile: the one worker's pool process, {count} executions",
        "",
        f"{p['wall_seconds']:.1f} s wall under cProfile; the pool process busy {busy:.2f} s "
        f"({1000 * busy / count:.1f} ms an execution; {1000 * p['chain_busy_seconds'] / count:.1f}"
        f" ms a bare chain), waiting for jobs {p['idle_seconds']:.2f} s. Requests to Redis from "
        f"the pool process: {p['redis_requests_per_execution']:.1f} an execution, "
        f"{p['chain_redis_requests_per_execution']:.1f} a chain.",
        "",
        "| where (cumulative) | calls | s | % of busy | ms per execution |",
        "|---|--:|--:|--:|--:|",
    ]
    for row in p["sections"]:
        lines.append(
            f"| {row['section']} | {row['calls']} | {row['seconds']:.2f} | "
            f"{100 * row['seconds'] / busy:.0f}% | {1000 * row['seconds'] / p['count']:.2f} |"
        )
    for title, key in (
        ("asl/runtime functions by cumulative time", "top_cumulative_ours"),
        ("every function by own time (waiting for jobs left out)", "top_tottime"),
    ):
        lines += ["", f"| {title} | calls | own s | cumulative s |", "|---|--:|--:|--:|"]
        for row in p[key]:
            lines.append(
                f"| {row['function']} | {row['calls']} | {row['tottime']:.2f} | {row['cum']:.2f} |"
            )
    return lines


def render_commands(counts: dict[str, dict[str, float]]) -> list[str]:
    names = sorted(
        set(counts["decider"]) | set(counts["chain"]), key=lambda n: -counts["decider"].get(n, 0)
    )
    lines = [
        "",
        f"## Redis commands per execution ({MONITORED} of each, every client, `redis-cli monitor`)",
        "",
        "| command | decider | chain |",
        "|---|--:|--:|",
    ]
    for label, scripted in (("all sent", False), ("all run by scripts", True)):
        decider, chain = (
            sum(v for k, v in counts[name].items() if k.endswith(SCRIPTED) == scripted)
            for name in ("decider", "chain")
        )
        lines.append(f"| {label} | {decider:.1f} | {chain:.1f} |")
    for name in names:
        decider, chain = counts["decider"].get(name, 0), counts["chain"].get(name, 0)
        lines.append(f"| {name} | {decider:.1f} | {chain:.1f} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300, help="executions (and chains) a run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each, in turns")
    parser.add_argument("--waiting", type=int, default=10_000, help="executions left waiting")
    parser.add_argument("--quick", action="store_true", help="100 a run, 1 round, 2,000 waiting")
    parser.add_argument("--profile", action="store_true", help="profile the worker in any case")
    parser.add_argument("--keep-profile", type=Path, help="copy the worker's .prof file here")
    parser.add_argument("--output", type=Path, default=RESULTS, help="the JSON results file")
    args = parser.parse_args()
    if args.quick:
        args.count, args.rounds, args.waiting = 100, 1, 2000
    results = run_bench(args, lambda message: print(message, file=sys.stderr, flush=True))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    print(render(results))
    print(f"\n(results written to {args.output})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
