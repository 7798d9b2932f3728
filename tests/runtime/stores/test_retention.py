"""Retention and listing pages, against every backend: ``page`` (filters, newest first, tokens),
``prune`` (closed executions with their children and tasks, never a RUNNING one), the SQLite
store's daily automatic prune, and Redis's key expiry when an execution closes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from runtime.stores import ExecutionNotFound, HistoryStore, Outcome, RedisStore, SqliteStore
from runtime.stores.base import DAY, MAP_RUN, StoreError, retention_seconds

from .test_children_contract import child, started
from .test_store_contract import T0, event, record
from .test_token_contract import task


def closed(store: HistoryStore, rec, status: str = "SUCCEEDED", *, stop=None, kids=()) -> str:
    """Store ``rec`` with its children (``kids``) and close it at ``stop`` (default: a minute
    after its start)."""
    store.create(rec)
    arn = rec.execution_arn
    stop = stop or rec.start_date + timedelta(minutes=1)
    store.append(
        arn,
        [event(1, "ExecutionStarted")],
        expected_last_id=0,
        children={k.execution_arn: started(k) for k in kids},
    )
    if status != "RUNNING":
        end = event(2, "ExecutionSucceeded")
        store.append(arn, [end], expected_last_id=1, outcome=Outcome(status, stop))
    return arn


def family(parent: str, *names: str):
    """Children of ``parent``: a Map Run record and child executions ``names``."""
    kids = [child(n, parent_arn=parent, execution_arn=f"{parent}/{n}") for n in names]
    run = child("run", type=MAP_RUN, execution_arn=f"{parent}/run", parent_arn=parent)
    return [run, *kids]


# -- page ----------------------------------------------------------------------------------------


@pytest.fixture
def listed(store: HistoryStore) -> HistoryStore:
    """Six executions a minute apart (e0 oldest), of two machines and three statuses, and one
    with a Distributed Map child (never listed)."""
    for i, (machine, status) in enumerate(
        [
            ("a", "SUCCEEDED"),
            ("b", "FAILED"),
            ("a", "RUNNING"),
            ("a", "SUCCEEDED"),
            ("b", "SUCCEEDED"),
            ("a", "FAILED"),
        ]
    ):
        rec = record(f"e{i}", machine, start_date=T0 + timedelta(minutes=i))
        kids = [child(f"k{i}", parent_arn=rec.execution_arn)] if i == 0 else ()
        closed(store, rec, status, kids=kids)
    return store


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        ({}, ["e5", "e4", "e3", "e2", "e1", "e0"]),
        ({"status": "SUCCEEDED"}, ["e4", "e3", "e0"]),
        ({"machine_name": "a"}, ["e5", "e3", "e2", "e0"]),
        ({"machine_name": "a", "status": "FAILED"}, ["e5"]),
        ({"since": T0 + timedelta(minutes=3)}, ["e5", "e4", "e3"]),
        ({"since": T0 + timedelta(minutes=3), "status": "SUCCEEDED"}, ["e4", "e3"]),
        ({"machine_name": "nope"}, []),
    ],
)
def test_page_filters(listed: HistoryStore, filters: dict, names: list[str]) -> None:
    records, token = listed.page(**filters)
    assert ([r.name for r in records], token) == (names, None)


@pytest.mark.parametrize(
    ("limit", "filters"), [(1, {}), (2, {}), (4, {}), (1, {"machine_name": "a"})]
)
def test_pages_follow_one_another(listed: HistoryStore, limit: int, filters: dict) -> None:
    everything, _ = listed.page(**filters)
    seen, token = [], None
    while True:
        records, token = listed.page(limit=limit, token=token, **filters)
        assert len(records) <= limit
        seen += records
        if token is None:
            break
    assert [r.name for r in seen] == [r.name for r in everything]


def test_a_bad_page_token_is_a_store_error(listed: HistoryStore) -> None:
    with pytest.raises(StoreError, match="page token"):
        listed.page(token="not a token!")


# -- prune ---------------------------------------------------------------------------------------


def test_prune_removes_closed_executions_with_their_children_and_tasks(store: HistoryStore) -> None:
    old = record("old", start_date=T0)
    old_arn = closed(store, old, "FAILED", kids=family(old.execution_arn, "c1", "c2"))
    store.add_task(task("tok-old", old_arn, status="SUCCEEDED"))
    young = closed(store, record("young", start_date=T0 + timedelta(days=5)))
    running = closed(store, record("running", start_date=T0 - timedelta(days=9)), "RUNNING")
    store.add_task(task("tok-run", running))
    cutoff = T0 + timedelta(days=1)

    planned = store.prune(before=cutoff, dry_run=True)
    assert [r.name for r in planned] == ["old"]
    assert store.get(old_arn).status == "FAILED"  # a dry run removes nothing

    removed = store.prune(before=cutoff)
    assert [r.execution_arn for r in removed] == [old_arn]
    for arn in (old_arn, f"{old_arn}/c1", f"{old_arn}/c2", f"{old_arn}/run"):
        with pytest.raises(ExecutionNotFound):
            store.get(arn)
    with pytest.raises(ExecutionNotFound):
        store.get("c1")  # by name too
    assert store.get_task("tok-old") is None
    assert store.get_task("tok-run") is not None
    assert [r.execution_arn for r in store.list()] == [young, running]
    assert store.page()[0] == store.list()
    assert store.prune(before=cutoff) == []  # nothing left to remove


def test_prune_never_removes_a_running_execution(store: HistoryStore) -> None:
    arn = closed(store, record("forever", start_date=T0 - timedelta(days=400)), "RUNNING")
    assert store.prune(before=T0 + timedelta(days=400)) == []
    assert store.get(arn).status == "RUNNING"


def test_prune_limit_takes_the_oldest_stops_first(store: HistoryStore) -> None:
    for i in range(3):
        closed(store, record(f"p{i}", start_date=T0 + timedelta(hours=3 - i)))
    removed = store.prune(before=T0 + timedelta(days=1), limit=2)
    assert [r.name for r in removed] == ["p2", "p1"]
    assert [r.name for r in store.list()] == ["p0"]


# -- ASL_RETENTION -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("", 90 * DAY),
        ("90", 90 * DAY),
        ("0.5", DAY / 2),
        ("7", 7 * DAY),
        ("0", None),
        ("off", None),
    ],
)
def test_retention_setting(text: str, seconds: float | None) -> None:
    assert retention_seconds(text) == seconds


@pytest.mark.parametrize("text", ["-1", "ninety", "inf", "nan"])
def test_a_bad_retention_setting_says_what_it_wants(text: str) -> None:
    with pytest.raises(StoreError, match="ASL_RETENTION must be a number of days"):
        retention_seconds(text)


def test_sqlite_prunes_itself_at_most_once_a_day(tmp_path) -> None:
    path = tmp_path / "s.sqlite3"
    store = SqliteStore(path, retention=DAY)  # opening it made the day's prune (nothing)
    closed(store, record("old", start_date=T0))  # closed in 2024: long past the retention
    now = time.time()
    assert store.prune_due(now + 1000) == []  # claimed when it opened: not due again yet
    store.close()
    assert SqliteStore(path, retention=DAY).list()  # opening it again: still not due

    store = SqliteStore(path, retention=DAY, auto_prune=False)
    assert [r.name for r in store.prune_due(now + 2 * DAY)] == ["old"]
    assert store.list() == []
    assert store.prune_due(now + 2.5 * DAY) == []  # a day has not passed since
    store.close()


def test_sqlite_keeps_everything_when_retention_is_off(tmp_path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3", retention=None)
    closed(store, record("old", start_date=T0))
    assert store.prune_due((T0 + timedelta(days=9999)).timestamp()) == []
    assert [r.name for r in store.list()] == ["old"]


# -- Redis key expiry ----------------------------------------------------------------------------


@pytest.fixture
def redis_retained(redis_url: str, redis_prefix: str):
    """(a RedisStore keeping closed executions ``retention`` seconds, a raw client, the prefix)."""
    import redis

    from tests.support.redis_server import with_prefix

    made = []

    def make(retention: float | None) -> tuple[RedisStore, object]:
        store = RedisStore(with_prefix(redis_url, redis_prefix), retention=retention)
        made.append(store)
        return store, redis.Redis.from_url(redis_url, decode_responses=True)

    yield make, redis_prefix
    for store in made:
        store.close()


def test_redis_keys_expire_when_an_execution_closes(redis_retained) -> None:
    make, prefix = redis_retained
    store, client = make(3 * DAY)
    rec = record("closing")
    arn = rec.execution_arn
    store.create(rec)
    kids = family(arn, "c1")
    store.append(
        arn,
        [event(1, "ExecutionStarted")],
        expected_last_id=0,
        children={k.execution_arn: started(k) for k in kids},
    )
    store.add_task(task("tok", arn))
    keys = [f"{prefix}{k}" for k in (f"x:{arn}", f"h:{arn}", f"c:{arn}", "cb:t:tok", f"cb:e:{arn}")]
    keys += [f"{prefix}x:{k.execution_arn}" for k in kids] + [f"{prefix}h:{arn}/c1"]
    assert all(client.exists(k) for k in keys)
    assert {client.ttl(k) for k in keys} == {-1}  # RUNNING: kept

    store.append(
        arn, [event(2, "ExecutionFailed")], expected_last_id=1, outcome=Outcome("FAILED", T0)
    )
    ttls = {client.ttl(k) for k in keys}
    assert all(3 * DAY - 60 < t <= 3 * DAY for t in ttls), ttls
    assert client.ttl(f"{prefix}all") == -1  # indexes never expire

    store.redrive(arn, event(3, "ExecutionRedriven"), expected_last_id=2)
    assert {client.ttl(k) for k in keys} == {-1}  # RUNNING again: kept again


def test_redis_expired_executions_leave_the_listings(redis_retained) -> None:
    make, prefix = redis_retained
    store, client = make(0.05)  # 50 ms
    closed(store, record("brief"))
    arn = closed(store, record("kept", start_date=T0 + timedelta(minutes=5)), "RUNNING")
    brief = record("brief").execution_arn
    deadline = time.monotonic() + 10
    while client.exists(f"{prefix}x:{brief}"):  # Redis expires it after 50 ms
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert client.zscore(f"{prefix}all", brief) is not None  # until listed
    assert [r.execution_arn for r in store.page()[0]] == [arn]
    assert client.zscore(f"{prefix}all", brief) is None
    assert client.zscore(f"{prefix}s:SUCCEEDED", brief) is None
    with pytest.raises(ExecutionNotFound):
        store.get("brief")
    assert not client.exists(f"{prefix}n:brief")


def test_redis_prune_sweeps_what_expired(redis_retained) -> None:
    make, prefix = redis_retained
    store, client = make(None)
    closed(store, record("gone"))
    gone = record("gone").execution_arn
    client.delete(f"{prefix}x:{gone}", f"{prefix}h:{gone}")  # as an expiry would
    assert store.prune(before=T0 - timedelta(days=1)) == []
    assert client.zcard(f"{prefix}all") == 0
    assert not client.exists(f"{prefix}n:gone")
