"""State machines kept in the server's store (the contract itself: tests/runtime/stores)."""

from __future__ import annotations

import uuid

from runtime.stores import RedisStore, SqliteStore
from tests.serve.conftest import PASS, wait_done


def test_server_keeps_state_machines_in_its_sqlite_store(tmp_path, make_server):
    path = tmp_path / "executions.sqlite3"
    live = make_server(SqliteStore(path))
    arn = live.machine(PASS, name="kept")
    execution = live.sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert wait_done(live.sfn, execution)["status"] == "SUCCEEDED"
    again = SqliteStore(path)
    try:
        assert again.get_machine(arn).name == "kept"
        assert again.get(execution).status == "SUCCEEDED"
    finally:
        again.close()


def test_server_on_a_redis_store(redis_url, make_server):
    """State machines and executions of a server whose store is Redis."""
    prefix = f"asl-test-{uuid.uuid4().hex[:10]}:"
    url = f"{redis_url}{'&' if '?' in redis_url else '?'}prefix={prefix}"
    live = make_server(RedisStore(url))
    try:
        arn = live.machine(PASS, name="on-redis")
        execution = live.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        assert wait_done(live.sfn, execution)["status"] == "SUCCEEDED"
        other = RedisStore(url)
        try:
            assert other.get_machine(arn).name == "on-redis"
        finally:
            other.close()
    finally:
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)
