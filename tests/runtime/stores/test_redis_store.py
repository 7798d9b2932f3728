"""The Redis store beyond the contract: shared by hosts, atomic under contention, routed by URL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runtime.core.events import Event
from runtime.stores import (
    ConcurrentWriteError,
    LeaseHeld,
    Outcome,
    RedisStore,
    StoreCorrupt,
    StoreError,
    open_store,
    store_location,
)
from tests.runtime.stores.test_store_contract import ARN, record
from tests.support.redis_server import with_prefix

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


def event(id_: int, type_: str = "PassStateEntered") -> Event:
    return Event(id_, id_ - 1, T0 + timedelta(seconds=id_), type_, {"n": id_}, "")


# -- routing -------------------------------------------------------------------------------------


def test_open_store_routes_redis_urls(
    redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = with_prefix(redis_url, redis_prefix)
    monkeypatch.setenv("ASL_STORE", url)
    store = open_store(create=False)
    try:
        assert isinstance(store, RedisStore) and store.prefix == redis_prefix
        store.create(record())
    finally:
        store.close()
    other = open_store(url)  # as --store URL: the same executions
    try:
        assert other.get("run-1").execution_arn == ARN
    finally:
        other.close()
    assert store_location(url) == url


def test_bad_url() -> None:
    with pytest.raises(StoreError, match="bad Redis URL"):
        open_store("redis://127.0.0.1:notaport/0")


def test_password_is_hidden_in_messages() -> None:
    url = "redis://user:s3cret@127.0.0.1:1/0"
    assert store_location(url) == "redis://user:***@127.0.0.1:1/0"
    with pytest.raises(
        StoreError, match=r"cannot reach the Redis store redis://user:\*\*\*@"
    ) as info:
        RedisStore(url, timeout=0.2)
    assert "s3cret" not in str(info.value)


def test_foreign_keys_are_refused(redis_url: str, redis_prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.set(f"{redis_prefix}schema", "99")
        with pytest.raises(StoreCorrupt, match="newer than this asl supports"):
            RedisStore(with_prefix(redis_url, redis_prefix))
        client.set(f"{redis_prefix}schema", "1")
        client.set(f"{redis_prefix}x:{ARN}", "not a hash")
        store = RedisStore(with_prefix(redis_url, redis_prefix))
        with pytest.raises(StoreCorrupt, match="not an asl store"):
            store.get(ARN)
        store.close()
    finally:
        client.close()


# -- one store, several hosts --------------------------------------------------------------------


def test_hosts_share_executions(redis_stores: Callable[[], RedisStore]) -> None:
    host_a, host_b = redis_stores(), redis_stores()
    host_a.create(record())
    host_a.append(ARN, [event(1, "ExecutionStarted"), event(2)], expected_last_id=0)
    assert [r.name for r in host_b.list(status="RUNNING")] == ["run-1"]
    assert [e.id for e in host_b.events(ARN)] == [1, 2]
    with pytest.raises(ConcurrentWriteError):
        host_a.append(ARN, [event(3)], expected_last_id=1)
    host_b.append(ARN, [event(3)], expected_last_id=2, outcome=Outcome("SUCCEEDED", T0, "{}"))
    assert host_a.get("run-1").status == "SUCCEEDED"
    assert host_a.list(status="RUNNING") == [] and len(host_a.list(status="SUCCEEDED")) == 1
    host_a.close()
    host_b.close()


def test_concurrent_writers_never_interleave(redis_stores: Callable[[], RedisStore]) -> None:
    """Eight hosts race to extend one history: each id is written exactly once, in order."""
    first = redis_stores()
    first.create(record())
    wins: list[int] = []
    lock = threading.Lock()

    def writer(store: RedisStore) -> None:
        for _ in range(200):
            last = store.get(ARN).last_event_id
            if last >= 100:
                return
            try:
                store.append(ARN, [event(last + 1)], expected_last_id=last)
            except ConcurrentWriteError:
                continue
            with lock:
                wins.append(last + 1)

    stores = [redis_stores() for _ in range(8)]
    threads = [threading.Thread(target=writer, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == list(range(1, 101))
    assert [e.id for e in first.events(ARN)] == list(range(1, 101))
    for s in [first, *stores]:
        s.close()


def test_large_batch_append(redis_stores: Callable[[], RedisStore]) -> None:
    store = redis_stores()
    store.create(record())
    store.append(ARN, [event(i) for i in range(1, 2501)], expected_last_id=0)
    events = store.events(ARN)
    assert [e.id for e in events] == list(range(1, 2501)) and events[-1].details == {"n": 2500}
    store.close()


def test_heartbeats_use_the_server_clock(redis_stores: Callable[[], RedisStore]) -> None:
    store = redis_stores()
    store.create(record())
    store.acquire(ARN, "host-a:1")
    server_now = float("{}.{:06d}".format(*store._r.time()))
    assert abs(store.get(ARN).lease_heartbeat - server_now) < 2
    assert store.heartbeat(ARN, "host-a:1") and not store.heartbeat(ARN, "host-b:1")
    with pytest.raises(LeaseHeld):
        store.acquire(ARN, "host-b:1")  # another host, fresh heartbeat
    store.close()


# -- start on one host, resume on another --------------------------------------------------------

LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:"
A_WAIT_B = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Task", "Resource": LAMBDA + "A", "Next": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 3, "Next": "B"},
        "B": {"Type": "Task", "Resource": LAMBDA + "B", "End": True},
    },
}
HANDLERS = """
def _step(event, name):
    with open(event["log"], "a") as f:
        f.write(name + "\\n")
    return {**event, "steps": event.get("steps", []) + [name]}

def task_a(event, context):
    return _step(event, "A")

def task_b(event, context):
    return _step(event, "B")
"""
# Runs the asl CLI as if on another machine: argv = host, lease TTL in seconds, asl arguments.
AS_HOST = (
    "import socket, sys\n"
    "socket.gethostname = lambda: sys.argv[1]\n"
    "import runtime.stores.base as base\n"
    "base.LEASE_TTL = float(sys.argv[2])\n"
    "from runtime.cli import main\n"
    "sys.exit(main(sys.argv[3:]))\n"
)


def _asl(tmp_path: Path, store_url: str, host: str, ttl: float, *args: str) -> subprocess.Popen:
    env = dict(os.environ, ASL_STORE=store_url)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(tmp_path), env.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, "-c", AS_HOST, host, str(ttl), *args],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def test_started_on_one_host_resumed_on_another(
    tmp_path: Path, redis_url: str, redis_prefix: str, redis_stores: Callable[[], RedisStore]
) -> None:
    url = with_prefix(redis_url, redis_prefix)
    (tmp_path / "fleet_handlers.py").write_text(HANDLERS)
    (tmp_path / "job.json").write_text(json.dumps(A_WAIT_B))
    log = tmp_path / "calls.log"
    lambdas = ["--lambda", "A=fleet_handlers:task_a", "--lambda", "B=fleet_handlers:task_b"]
    first = _asl(
        tmp_path, url, "host-a", 60, "run", "job.json", "--name", "nightly",
        "--input", json.dumps({"log": str(log)}), *lambdas,
    )  # fmt: skip
    watcher = redis_stores()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                arn = watcher.get("nightly").execution_arn
                if any(e.type == "WaitStateEntered" for e in watcher.events(arn)):
                    break
            except StoreError:
                pass
            time.sleep(0.05)
        else:
            raise AssertionError("the first host never reached the Wait state")
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    assert log.read_text().split() == ["A"]

    # host-b lists and describes what host-a started
    code, out, err = _finish(_asl(tmp_path, url, "host-b", 60, "executions", "--format", "json"))
    assert code == 0, err
    listed = json.loads(out)["executions"]
    assert [(e["name"], e["status"]) for e in listed] == [("nightly", "RUNNING")]
    code, out, err = _finish(_asl(tmp_path, url, "host-b", 60, "describe", "nightly"))
    assert code == 0 and json.loads(out)["status"] == "RUNNING", err

    # host-a's lease is fresh: host-b must not take over yet
    code, out, err = _finish(_asl(tmp_path, url, "host-b", 60, "resume", "nightly"))
    assert code == 2 and "being run by another process (host-a:" in err

    time.sleep(1.2)  # with a 1 s lease TTL host-a's last heartbeat is now stale
    code, out, err = _finish(
        _asl(tmp_path, url, "host-b", 1, "resume", "nightly", "--format", "json")
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["status"] == "SUCCEEDED"
    assert summary["output"] == {"log": str(log), "steps": ["A", "B"]}
    assert log.read_text().split() == ["A", "B"]  # each task ran once across both hosts

    events = watcher.events(watcher.get("nightly").execution_arn)
    types = [e.type for e in events]
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    assert types.count("LambdaFunctionSucceeded") == 2 and types[-1] == "ExecutionSucceeded"
    assert watcher.get("nightly").status == "SUCCEEDED"
    watcher.close()
