"""``asl executions`` filters (--machine, --status, --since) and pages (--limit, --next-token),
on an SQLite store and a Redis one; the table and JSON shapes stay as they were."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runtime.cli import main
from runtime.stores import HistoryStore, Outcome, RedisStore, SqliteStore
from tests.runtime.stores.test_store_contract import event, record
from tests.support.redis_server import with_prefix

NOW = datetime.now(UTC).replace(microsecond=0)
# name, machine, status, hours ago
EXECUTIONS = [
    ("e0", "a", "SUCCEEDED", 240),
    ("e1", "b", "FAILED", 50),
    ("e2", "a", "RUNNING", 30),
    ("e3", "a", "SUCCEEDED", 5),
    ("e4", "b", "SUCCEEDED", 3),
    ("e5", "a", "FAILED", 1),
]


def fill(store: HistoryStore) -> None:
    for name, machine, status, hours in EXECUTIONS:
        rec = record(name, machine, start_date=NOW - timedelta(hours=hours))
        store.create(rec)
        store.append(rec.execution_arn, [event(1, "ExecutionStarted")], expected_last_id=0)
        if status != "RUNNING":
            outcome = Outcome(status, rec.start_date + timedelta(minutes=1))
            store.append(rec.execution_arn, [event(2)], expected_last_id=1, outcome=outcome)


@pytest.fixture(params=["sqlite", "redis"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store holding EXECUTIONS: its --store value."""
    if request.param == "sqlite":
        where = str(tmp_path / "executions.sqlite3")
        store: HistoryStore = SqliteStore(where)
    else:
        where = with_prefix(
            request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
        )
        store = RedisStore(where)
    fill(store)
    store.close()
    yield where


@pytest.fixture
def asl(location: str, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(["executions", "--store", location, *args])
        except SystemExit as exc:  # a usage error argparse reports
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def names(out: str) -> list[str]:
    return [e["name"] for e in json.loads(out)["executions"]]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), ["e5", "e4", "e3", "e2", "e1", "e0"]),
        (("--machine", "a"), ["e5", "e3", "e2", "e0"]),
        (("--status", "succeeded"), ["e4", "e3", "e0"]),
        (("--machine", "b", "--status", "SUCCEEDED"), ["e4"]),
        (("--since", "6h"), ["e5", "e4", "e3"]),
        (("--since", "2d"), ["e5", "e4", "e3", "e2"]),
        (("--since", "90m", "--machine", "a"), ["e5"]),
        (("--since", (NOW - timedelta(hours=31)).isoformat()), ["e5", "e4", "e3", "e2"]),
        (("--since", (NOW - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%S")), ["e5", "e4"]),
        (("--limit", "2"), ["e5", "e4"]),
        (("--machine", "nothing"), []),
    ],
)
def test_filters(asl, args: tuple[str, ...], expected: list[str]) -> None:
    code, out, err = asl(*args, "--format", "json")
    assert (code, err) == (0, "")
    assert names(out) == expected


def test_pages_in_json(asl) -> None:
    seen: list[str] = []
    token: list[str] = []
    while True:
        code, out, _ = asl("--format", "json", "--limit", "4", "--machine", "a", *token)
        assert code == 0
        page = json.loads(out)
        seen += [e["name"] for e in page["executions"]]
        if "nextToken" not in page:
            break
        token = ["--next-token", page["nextToken"]]
    assert seen == ["e5", "e3", "e2", "e0"]
    code, out, _ = asl("--format", "json", "--limit", "2")
    assert names(out) == ["e5", "e4"] and json.loads(out)["nextToken"]


def test_pages_in_the_table(asl) -> None:
    code, out, err = asl("--limit", "5")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "MACHINE", "STATUS", "START", "STOP"]  # as before
    assert [line.split()[0] for line in lines[1:]] == ["e5", "e4", "e3", "e2", "e1"]
    assert err.startswith("more executions: add --next-token ")
    token = err.split()[-1]
    code, out, err = asl("--limit", "5", "--next-token", token)
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["e0"]
    assert (code, err) == (0, "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "yesterday"), "neither an ISO date"),
        (("--limit", "0"), "not a positive whole number"),
        (("--status", "DONE"), "invalid choice"),
        (("--next-token", "garbage!"), "invalid page token"),
    ],
)
def test_bad_filters_exit_2(asl, args: tuple[str, ...], message: str) -> None:
    code, out, err = asl(*args)
    assert (code, out) == (2, "")
    assert message in err and "Traceback" not in err
