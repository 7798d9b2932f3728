"""The state machine store's contract, against every backend (Redis: a real server)."""

from __future__ import annotations

import uuid

import pytest

from runtime.serve.machines import (
    MachineRecord,
    MemoryMachines,
    RedisMachines,
    SqliteMachines,
    open_machines,
)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def machines(request, tmp_path):
    if request.param == "memory":
        store = MemoryMachines()
    elif request.param == "sqlite":
        from runtime.stores import SqliteStore

        history = SqliteStore(tmp_path / "executions.sqlite3")
        store = open_machines(history)
        assert isinstance(store, SqliteMachines)
    else:
        url = request.getfixturevalue("redis_url")
        store = RedisMachines(url, prefix=f"asl-test-{uuid.uuid4().hex[:10]}:")
    yield store
    if isinstance(store, RedisMachines):
        for key in store._r.scan_iter(store.prefix + "*"):
            store._r.delete(key)
    store.close()


def record(name: str, created: float = 1.0, **more) -> MachineRecord:
    return MachineRecord(
        arn=f"arn:aws:states:us-east-1:111111111111:stateMachine:{name}",
        name=name,
        definition='{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}',
        type="STANDARD",
        role_arn="arn:aws:iam::111111111111:role/r",
        creation_date=created,
        revision_id="r1",
        **more,
    )


def test_add_get_and_clash(machines):
    first = record("a", tags={"k": "v"})
    stored, created = machines.add(first)
    assert created and stored == first
    again, created = machines.add(record("a", created=5.0))
    assert not created and again == first
    assert machines.get(first.arn) == first
    assert machines.get(first.arn + "x") is None


def test_list_oldest_first_put_and_delete(machines):
    for i, name in enumerate(["c", "a", "b"]):
        machines.add(record(name, created=10.0 + i))
    assert [r.name for r in machines.list()] == ["c", "a", "b"]
    changed = record("a", created=11.0, description="new")
    changed.revision_id = "r2"
    machines.put(changed)
    assert machines.get(changed.arn).revision_id == "r2"
    assert machines.delete(changed.arn) is True
    assert machines.delete(changed.arn) is False
    assert [r.name for r in machines.list()] == ["c", "b"]


def test_records_are_copies(machines):
    machines.add(record("a"))
    got = machines.get(record("a").arn)
    got.tags["x"] = "y"
    assert machines.get(record("a").arn).tags == {}


def test_sqlite_machines_survive_reopening(tmp_path):
    from runtime.stores import SqliteStore

    path = tmp_path / "executions.sqlite3"
    history = SqliteStore(path)
    open_machines(history).add(record("kept"))
    history.close()
    again = SqliteStore(path)  # the history store still opens the file with the extra table
    assert [r.name for r in open_machines(again).list()] == ["kept"]
    assert again.list() == []


def test_server_on_a_redis_store(redis_url, make_server):
    """State machines and executions of a server whose store is Redis."""
    from runtime.stores import RedisStore
    from tests.serve.conftest import PASS, wait_done

    prefix = f"asl-test-{uuid.uuid4().hex[:10]}:"
    url = f"{redis_url}{'&' if '?' in redis_url else '?'}prefix={prefix}"
    store = RedisStore(url)
    live = make_server(store, location=url)
    try:
        arn = live.machine(PASS, name="on-redis")
        execution = live.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        assert wait_done(live.sfn, execution)["status"] == "SUCCEEDED"
        assert RedisMachines(url).get(arn).name == "on-redis"
    finally:
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)
