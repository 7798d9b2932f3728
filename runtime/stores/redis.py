"""The fleet store: executions and histories in Redis, shared by every host that runs them.

``ASL_STORE=redis://HOST:PORT/DB`` (or ``rediss://``; ``?prefix=NAME:`` puts the keys under
another prefix than ``asl:``). Per execution, under the prefix::

    x:{arn}       hash  the record (the SQLite store's columns; a missing field is None)
    h:{arn}       list  its events, one JSON array each, in id order
    n:{name}      set   the ARNs of the executions with that name
    all, s:{ST}   zset  every ARN, and the ARNs of each status, scored by start time
    c:{arn}       zset  a parent's Distributed Map children and Map Runs (never in all or s:)
    m:{arn}       zset  a Map Run's children (and the Map Run's own record)

Pending tasks and activities (task tokens)::

    cb:t:{token}  hash  a pending task (a missing field is None)
    cb:e:{arn}    zset  an execution's task tokens, by queue order
    cb:q:{name}   zset  an activity's SCHEDULED task tokens, by queue order
    cb:a:{name}   hash  an activity; cb:acts (zset) their names, by creation time
    cb:seq              the queue-order counter

State machines (``asl serve``)::

    sm:{arn}      string  the record as JSON
    sm            zset    every state machine ARN, by creation time

Schedules, their groups and cursors, and leases (the scheduler's)::

    sch:{arn}     string  a schedule as JSON; sch (zset) their ARNs, by creation time
    sg:{name}     string  a schedule group as JSON; sg (zset) their names, by creation time
    scc:{arn}     string  a schedule's cursor (the scheduler's progress, JSON)
    ls:{name}     hash    a lease: owner and fence, expiring with it (Redis's clock)
    lf:{name}             the lease's fence counter (never expires)
    meta:{key}    string  small settings (get_meta/put_meta: UpdateMapRun's values)

A top-level execution's keys (and its children's and tasks') expire ``ASL_RETENTION`` after it
closes; index members left behind go when listed (and by ``prune``).

Creating, appending (compare-and-swap on ``last_event_id``), redriving, heartbeats and releases,
adding, answering and claiming tasks, and adding state machines are Lua scripts, so each is
atomic on the server. Taking a lease is WATCH/MULTI, because whether the holder still lives is
decided here (by its pid, on this host). Heartbeats are stamped with the Redis server's clock, so
hosts with skewed clocks agree on when a lease has expired.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from runtime.core.events import Event, payload_text
from runtime.stores.base import (
    PAGE_SIZE,
    REDIS_SCHEMES,
    RUNNING,
    TERMINAL_STATUSES,
    ChildAppend,
    ConcurrentWriteError,
    ExecutionRecord,
    Outcome,
    StoreCorrupt,
    StoreError,
    ambiguous,
    check_start,
    child_exists,
    in_page,
    lease_error,
    lease_is_live,
    listed,
    not_found,
    page_cursor,
    page_token,
    prunable,
    retention_seconds,
)
from runtime.stores.contracts import (
    CHANGEABLE,
    COLUMNS,
    SCHEDULED,
    STARTED,
    Activity,
    MachineRecord,
    PendingTask,
)
from runtime.stores.schedules import ScheduleGroupRecord, ScheduleRecord

SCHEMES = REDIS_SCHEMES
DEFAULT_PREFIX = "asl:"
SCHEMA_VERSION = 1

_FINISH_FIELDS = ("stop_date", "output", "error", "cause")
_STATUSES = (RUNNING, *TERMINAL_STATUSES)

# Helpers: move an execution between the status sets (a child is in none); push
# ARGV[first..last] onto a list, a thousand at a time (Lua's unpack() takes about 8000 values).
_MOVE = """
local function move(record, prefix, arn, old, new)
  if old == new or redis.call('HEXISTS', record, 'parent_arn') == 1 then return end
  local score = redis.call('HGET', record, 'score')
  if old then redis.call('ZREM', prefix .. 's:' .. old, arn) end
  redis.call('ZADD', prefix .. 's:' .. new, score, arn)
end
local function push(key, first, last)
  for i = first, last, 1000 do
    redis.call('RPUSH', key, unpack(ARGV, i, math.min(i + 999, last)))
  end
end
-- fn(key) for every key of execution arn and of its children (each(arn, record) first, if given)
local function family(prefix, arn, fn, each)
  local kids = prefix .. 'c:' .. arn
  for _, child in ipairs(redis.call('ZRANGE', kids, 0, -1)) do family(prefix, child, fn, each) end
  local record = prefix .. 'x:' .. arn
  if each then each(arn, record) end
  local tasks = prefix .. 'cb:e:' .. arn
  for _, token in ipairs(redis.call('ZRANGE', tasks, 0, -1)) do fn(prefix .. 'cb:t:' .. token) end
  for _, key in ipairs({record, prefix .. 'h:' .. arn, prefix .. 'm:' .. arn, tasks, kids}) do
    fn(key)
  end
end
local TERMINAL = {SUCCEEDED = true, FAILED = true, TIMED_OUT = true, ABORTED = true}
-- a top-level execution that closed: its keys and its children's expire after ttl ms (if > 0)
local function retain(record, prefix, arn, status, ttl)
  if ttl > 0 and TERMINAL[status] and redis.call('HEXISTS', record, 'parent_arn') == 0 then
    family(prefix, arn, function(key) redis.call('PEXPIRE', key, ttl) end)
  end
end
"""

# KEYS: record, names, all, seq. ARGV: prefix, arn, score, field, value, ...
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HGETALL', KEYS[1]) end
local seq = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], 'seq', seq, 'score', ARGV[3], unpack(ARGV, 4))
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
redis.call('ZADD', ARGV[1] .. 's:' .. redis.call('HGET', KEYS[1], 'status'), ARGV[3], ARGV[2])
return false
"""

# KEYS: record, events. ARGV: prefix, arn, expected, new last id, status ('' = unchanged),
# n events, events..., n fields, field, value, ..., n deleted, field, ..., retention ms
_APPEND = (
    _MOVE
    + """
local last = redis.call('HGET', KEYS[1], 'last_event_id')
if not last then return {'missing'} end
if last ~= ARGV[3] then return {'conflict', last} end
local old = redis.call('HGET', KEYS[1], 'status')
local i = 7
local n = tonumber(ARGV[6])
push(KEYS[2], i, i + n - 1)
i = i + n
redis.call('HSET', KEYS[1], 'last_event_id', ARGV[4])
n = tonumber(ARGV[i])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, i + 1, i + 2 * n)) end
i = i + 2 * n + 1
n = tonumber(ARGV[i])
if n > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, i + 1, i + n)) end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'status', ARGV[5])
  move(KEYS[1], ARGV[1], ARGV[2], old, ARGV[5])
  retain(KEYS[1], ARGV[1], ARGV[2], ARGV[5], tonumber(ARGV[#ARGV]))
end
return {'ok'}
"""
)

# An execution's events with its Distributed Map children's (see HistoryStore.append). KEYS:
# the parent's record and events, the counter 'seq', then per child its record, events, name
# set, parent's children index and Map Run index. ARGV: prefix, retention ms, then per
# execution (the parent
# first): arn, expected, new last id, status ('' = unchanged), score ('' = the execution exists,
# else it is created with the fields that follow), then four lists, each its length and its
# values: the new record's fields (field, value, ...), events, fields set, fields deleted.
_APPEND_FAMILY = (
    _MOVE
    + """
local sections = {}
local i = 3
while i <= #ARGV do
  local s = {arn = ARGV[i], expected = ARGV[i + 1], last = ARGV[i + 2], status = ARGV[i + 3],
             score = ARGV[i + 4]}
  i = i + 5
  for _, part in ipairs({'fields', 'events', 'sets', 'dels'}) do
    local n = tonumber(ARGV[i])
    s[part] = {i + 1, i + n}
    i = i + n + 1
  end
  sections[#sections + 1] = s
end
local function keys(k)
  if k == 1 then return KEYS[1], KEYS[2] end
  local b = 4 + (k - 2) * 5
  return KEYS[b], KEYS[b + 1], KEYS[b + 2], KEYS[b + 3], KEYS[b + 4]
end
for k, s in ipairs(sections) do
  local last = redis.call('HGET', keys(k), 'last_event_id')
  if s.score ~= '' then
    if last then return {'exists', s.arn} end
  elseif not last then return {'missing', s.arn}
  elseif last ~= s.expected then return {'conflict', s.arn, last} end
end
for k, s in ipairs(sections) do
  local record, events, names, parents, runs = keys(k)
  if s.score ~= '' then
    redis.call('HSET', record, 'seq', redis.call('INCR', KEYS[3]), 'score', s.score,
               unpack(ARGV, s.fields[1], s.fields[2]))
    redis.call('SADD', names, s.arn)
    redis.call('ZADD', parents, s.score, s.arn)
    redis.call('ZADD', runs, s.score, s.arn)
  end
  local old = redis.call('HGET', record, 'status')
  push(events, s.events[1], s.events[2])
  redis.call('HSET', record, 'last_event_id', s.last)
  if s.sets[2] >= s.sets[1] then redis.call('HSET', record, unpack(ARGV, s.sets[1], s.sets[2])) end
  if s.dels[2] >= s.dels[1] then redis.call('HDEL', record, unpack(ARGV, s.dels[1], s.dels[2])) end
  if s.status ~= '' then
    redis.call('HSET', record, 'status', s.status)
    move(record, ARGV[1], s.arn, old, s.status)
  end
end
retain(KEYS[1], ARGV[1], sections[1].arn, sections[1].status, tonumber(ARGV[2]))
return {'ok'}
"""
)

# KEYS: record, events. ARGV: prefix, arn, expected, new last id, event, redrive date.
_REDRIVE = (
    _MOVE
    + """
local last = redis.call('HGET', KEYS[1], 'last_event_id')
if not last then return {'missing'} end
if last ~= ARGV[3] then return {'conflict', last} end
local old = redis.call('HGET', KEYS[1], 'status')
redis.call('RPUSH', KEYS[2], ARGV[5])
redis.call('HSET', KEYS[1], 'last_event_id', ARGV[4], 'status', 'RUNNING',
           'redrive_date', ARGV[6])
redis.call('HINCRBY', KEYS[1], 'redrive_count', 1)
redis.call('HDEL', KEYS[1], 'stop_date', 'output', 'error', 'cause')
move(KEYS[1], ARGV[1], ARGV[2], old, 'RUNNING')
family(ARGV[1], ARGV[2], function(key) redis.call('PERSIST', key) end)
return {'ok'}
"""
)

# KEYS: record. ARGV: prefix, arn, cutoff (ISO date). Removes a top-level execution that closed
# before the cutoff, with its children, tasks and index entries; 1 if it did.
_PRUNE = (
    _MOVE
    + """
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'RUNNING' or redis.call('HEXISTS', KEYS[1], 'parent_arn') == 1 then
  return 0
end
local stop = redis.call('HGET', KEYS[1], 'stop_date')
if not stop or stop >= ARGV[3] then return 0 end
local function unindex(arn, record)
  local name = redis.call('HGET', record, 'name')
  if name then redis.call('SREM', ARGV[1] .. 'n:' .. name, arn) end
  redis.call('ZREM', ARGV[1] .. 'all', arn)
  redis.call('ZREM', ARGV[1] .. 's:' .. status, arn)
end
family(ARGV[1], ARGV[2], function(key) redis.call('DEL', key) end, unindex)
return 1
"""
)

_NOW = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = t[1] .. '.' .. string.format('%06d', tonumber(t[2]))
"""

# KEYS: record. ARGV: owner.
_HEARTBEAT = (
    _NOW
    + """
if redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'lease_heartbeat', now)
return 1
"""
)

# KEYS: record. ARGV: owner.
_RELEASE = """
if redis.call('HGET', KEYS[1], 'lease_owner') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'lease_owner', 'lease_heartbeat')
end
return 1
"""

# Tasks. KEYS: task, execution index, seq. ARGV: tasks prefix, token, field, value, ...
_ADD_TASK = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HGETALL', KEYS[1]) end
local seq = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], 'seq', seq, unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], seq, ARGV[2])
if redis.call('HGET', KEYS[1], 'status') == 'SCHEDULED' then
  local activity = redis.call('HGET', KEYS[1], 'activity')
  if activity then redis.call('ZADD', ARGV[1] .. 'q:' .. activity, seq, ARGV[2]) end
end
return false
"""

# KEYS: task. ARGV: tasks prefix, token, n expected, status..., n set, field, value, ...,
# deleted field...
_UPDATE_TASK = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
local n = tonumber(ARGV[3])
local ok = false
for i = 4, 3 + n do if ARGV[i] == status then ok = true end end
if not ok then return false end
local i = 4 + n
local m = tonumber(ARGV[i])
if m > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, i + 1, i + 2 * m)) end
i = i + 2 * m + 1
if i <= #ARGV then redis.call('HDEL', KEYS[1], unpack(ARGV, i)) end
if redis.call('HGET', KEYS[1], 'status') ~= 'SCHEDULED' then
  local activity = redis.call('HGET', KEYS[1], 'activity')
  if activity then redis.call('ZREM', ARGV[1] .. 'q:' .. activity, ARGV[2]) end
end
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: queue. ARGV: tasks prefix, now, worker ('' = none).
_CLAIM_TASK = """
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #head == 0 then return false end
  local token = head[1]
  redis.call('ZREM', KEYS[1], token)
  local key = ARGV[1] .. 't:' .. token
  if redis.call('HGET', key, 'status') == 'SCHEDULED' then
    local deadline = redis.call('HGET', key, 'deadline')
    if deadline and tonumber(deadline) <= tonumber(ARGV[2]) then
      redis.call('HSET', key, 'status', 'TIMED_OUT', 'error', 'States.Timeout',
                 'closed', ARGV[2])
    else
      redis.call('HSET', key, 'status', 'STARTED', 'started', ARGV[2], 'beat', ARGV[2])
      if ARGV[3] ~= '' then redis.call('HSET', key, 'worker', ARGV[3]) end
      return redis.call('HGETALL', key)
    end
  end
end
"""

# State machines (and other JSON documents: schedules, groups). KEYS: record, index.
# ARGV: JSON, creation date, index member.
_ADD_MACHINE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  return false
end
return redis.call('GET', KEYS[1])
"""

# Leases. KEYS: lease, fence counter. ARGV: owner, ttl in ms. The fence, or false.
_ACQUIRE_LEASE = """
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(redis.call('HGET', KEYS[1], 'fence'))
end
if owner then return false end
local fence = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'fence', fence)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return fence
"""

# KEYS: lease. ARGV: owner.
_RELEASE_LEASE = """
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: lease, cursor. ARGV: fence, cursor JSON. 1 if written.
_PUT_CURSOR = """
if redis.call('HGET', KEYS[1], 'fence') == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2])
  return 1
end
return 0
"""

_TASK_FLOATS = {"created", "started", "beat", "deadline", "heartbeat_seconds", "closed"}


def is_redis_url(text: str | None) -> bool:
    """Whether a ``--store`` / ``ASL_STORE`` value names a Redis store."""
    return bool(text) and str(text).startswith(SCHEMES)


def redacted(url: str) -> str:
    """``url`` with its password hidden, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisStore:
    """A :class:`~runtime.stores.contracts.Store` in Redis, for executions shared by a fleet."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        prefix: str | None = None,
        retention: float | str | None = "env",
    ) -> None:
        """``retention``: seconds a closed execution's keys live (None: for ever; default
        ``ASL_RETENTION``)."""
        self.retention = retention_seconds() if retention == "env" else retention
        self._ttl = 0 if self.retention is None else max(1, round(self.retention * 1000))
        try:
            import redis
        except ImportError:
            raise StoreError(
                f"the store {redacted(url)} needs the redis package: pip install redis"
            )
        self._errors = redis.exceptions
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        self.prefix = prefix or dict(query).get("prefix") or DEFAULT_PREFIX
        client_url = urlunsplit(
            parts._replace(query=urlencode([q for q in query if q[0] != "prefix"]))
        )
        self.url = redacted(url)
        try:
            self._r = redis.Redis.from_url(
                client_url,
                decode_responses=True,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                health_check_interval=30,
            )
        except ValueError as exc:
            raise StoreError(f"bad Redis URL {self.url}: {exc}")
        with self._guard():
            self._check_schema()
            self._create = self._r.register_script(_CREATE)
            self._append = self._r.register_script(_APPEND)
            self._append_family = self._r.register_script(_APPEND_FAMILY)
            self._redrive = self._r.register_script(_REDRIVE)
            self._prune = self._r.register_script(_PRUNE)
            self._heartbeat = self._r.register_script(_HEARTBEAT)
            self._release = self._r.register_script(_RELEASE)
            self._add_task = self._r.register_script(_ADD_TASK)
            self._update_task = self._r.register_script(_UPDATE_TASK)
            self._claim_task = self._r.register_script(_CLAIM_TASK)
            self._add_machine = self._r.register_script(_ADD_MACHINE)
            self._acquire_lease = self._r.register_script(_ACQUIRE_LEASE)
            self._release_lease = self._r.register_script(_RELEASE_LEASE)
            self._put_cursor = self._r.register_script(_PUT_CURSOR)

    # -- HistoryStore ----------------------------------------------------------------------------

    def create(self, record: ExecutionRecord) -> tuple[ExecutionRecord, bool]:
        stored = record.copy()
        stored.status, stored.last_event_id = RUNNING, 0
        arn = stored.execution_arn
        fields = [x for pair in _fields(stored).items() for x in pair]
        keys = [
            self._key("x", arn),
            self._key("n", stored.name),
            self._key("all"),
            self._key("seq"),
        ]
        with self._guard():
            existing = self._create(keys=keys, args=[self.prefix, arn, _score(stored), *fields])
        if existing:
            return check_start(_record(_pairs(existing)), record), False
        return stored, True

    def get(self, execution_id: str) -> ExecutionRecord:
        with self._guard():
            fields = self._r.hgetall(self._key("x", execution_id))
            if fields:
                return _record(fields)
            names = self._key("n", execution_id)
            arns = sorted(self._r.smembers(names))
            pipe = self._r.pipeline(transaction=False)
            for arn in arns:
                pipe.hgetall(self._key("x", arn))
            rows = pipe.execute()
            gone = [arn for arn, row in zip(arns, rows, strict=True) if not row]
            if gone:  # expired (ASL_RETENTION): they leave the name's set
                self._r.srem(names, *gone)
        found = [(arn, row) for arn, row in zip(arns, rows, strict=True) if row]
        if len(found) > 1:
            raise ambiguous(execution_id, [arn for arn, _ in found])
        if not found:
            raise not_found(execution_id)
        return _record(found[0][1])

    def list(
        self, *, status: str | None = None, map_run_arn: str | None = None
    ) -> list[ExecutionRecord]:
        if map_run_arn is not None:
            index = self._key("m", map_run_arn)
        else:
            index = self._key("all") if status is None else self._key("s", status)
        with self._guard():
            arns = self._r.zrevrange(index, 0, -1)
            rows = self._rows(arns, index)
        records = [(_record(row), int(row.get("seq") or 0)) for row in rows]
        records.sort(key=lambda pair: (pair[0].start_date, pair[1]), reverse=True)
        return [
            r
            for r, _ in records
            if (status is None or r.status == status) and listed(r, map_run_arn)
        ]

    def page(
        self,
        *,
        status: str | None = None,
        machine_name: str | None = None,
        since: datetime | None = None,
        limit: int = PAGE_SIZE,
        token: str | None = None,
    ) -> tuple[list[ExecutionRecord], str | None]:
        # The index's order (score = start time, then ARN) is the page order: read it in
        # chunks from the cursor down to ``since`` until the page is full.
        index = self._key("all") if status is None else self._key("s", status)
        cursor = None if token is None else page_cursor(token)
        top: Any = "+inf" if cursor is None else cursor[0].timestamp()
        bottom: Any = "-inf" if since is None else since.timestamp()
        found: list[ExecutionRecord] = []
        offset, chunk = 0, max(limit + 1, 100)
        with self._guard():
            while len(found) <= limit:
                arns = self._r.zrevrangebyscore(index, top, bottom, start=offset, num=chunk)
                offset += len(arns)
                rows = self._rows(arns, index)
                found += [
                    r
                    for r in map(_record, rows)
                    if in_page(
                        r, status=status, machine_name=machine_name, since=since, cursor=cursor
                    )
                ]
                if len(arns) < chunk:
                    break
        found.sort(key=lambda r: (r.start_date, r.execution_arn), reverse=True)
        more = len(found) > limit
        found = found[:limit]
        return found, page_token(found[-1]) if more else None

    def prune(
        self, *, before: datetime, dry_run: bool = False, limit: int | None = None
    ) -> list[ExecutionRecord]:
        # Only an execution started before the cutoff can have closed before it.
        found: list[ExecutionRecord] = []
        with self._guard():
            for status in TERMINAL_STATUSES:
                index = self._key("s", status)
                arns = self._r.zrangebyscore(index, "-inf", f"({before.timestamp()!r}")
                found += [r for r in map(_record, self._rows(arns, index)) if prunable(r, before)]
        found.sort(key=lambda r: (r.stop_date, r.execution_arn))
        found = found[:limit] if limit is not None else found
        if dry_run:
            return found
        cutoff = before.astimezone(UTC).isoformat()
        removed = []
        with self._guard():
            for record in found:
                arn = record.execution_arn
                if self._prune(keys=[self._key("x", arn)], args=[self.prefix, arn, cutoff]):
                    removed.append(record)
            self._sweep()
        return removed

    def get_meta(self, key: str) -> str | None:
        with self._guard():
            return self._r.get(self._key("meta", key))

    def put_meta(self, key: str, value: str) -> None:
        with self._guard():
            self._r.set(self._key("meta", key), value)

    def _rows(self, arns: Sequence[str], index: str) -> list[dict[str, str]]:
        """The records of ``arns`` (from ``index``); those that expired leave the index."""
        pipe = self._r.pipeline(transaction=False)
        for arn in arns:
            pipe.hgetall(self._key("x", arn))
        rows = pipe.execute()
        gone = [arn for arn, row in zip(arns, rows, strict=True) if not row]
        if gone:
            self._unindex(gone, index)
        return [row for row in rows if row]

    def _unindex(self, arns: Sequence[str], *indexes: str) -> None:
        """Remove expired executions from the listing indexes (``all`` and ``s:``)."""
        pipe = self._r.pipeline(transaction=False)
        for index in {*indexes, self._key("all"), *(self._key("s", s) for s in _STATUSES)}:
            pipe.zrem(index, *arns)
        pipe.execute()

    def _sweep(self) -> None:
        """Drop index members whose execution expired: the listing indexes and the name sets."""
        arns = self._r.zrange(self._key("all"), 0, -1)
        for start in range(0, len(arns), 1000):
            self._rows(arns[start : start + 1000], self._key("all"))
        for key in self._r.scan_iter(match=self._key("n", "*"), count=500):
            members = sorted(self._r.smembers(key))
            pipe = self._r.pipeline(transaction=False)
            for arn in members:
                pipe.exists(self._key("x", arn))
            gone = [a for a, alive in zip(members, pipe.execute(), strict=True) if not alive]
            if gone:
                self._r.srem(key, *gone)

    def children(self, parent_arn: str) -> list[ExecutionRecord]:
        with self._guard():
            arns = self._r.zrange(self._key("c", parent_arn), 0, -1)
            pipe = self._r.pipeline(transaction=False)
            for arn in arns:
                pipe.hgetall(self._key("x", arn))
            rows = [row for row in pipe.execute() if row]
        records = [(_record(row), int(row.get("seq") or 0)) for row in rows]
        records.sort(key=lambda pair: (pair[0].start_date, pair[1]))
        return [r for r, _ in records]

    def snapshot(self, execution_arn: str) -> tuple[ExecutionRecord, list[Event]]:
        with self._guard():
            pipe = self._r.pipeline(transaction=True)
            pipe.hgetall(self._key("x", execution_arn))
            pipe.lrange(self._key("h", execution_arn), 0, -1)
            fields, rows = pipe.execute()
        if not fields:
            raise not_found(execution_arn)
        return _record(fields), [_event(row) for row in rows]

    def events(self, execution_arn: str) -> list[Event]:
        with self._guard():
            pipe = self._r.pipeline(transaction=True)
            pipe.exists(self._key("x", execution_arn))
            pipe.lrange(self._key("h", execution_arn), 0, -1)
            exists, rows = pipe.execute()
        if not exists:
            raise not_found(execution_arn)
        return [_event(row) for row in rows]

    def append(
        self,
        execution_arn: str,
        events: Sequence[Event],
        *,
        expected_last_id: int,
        outcome: Outcome | None = None,
        children: Mapping[str, ChildAppend] | None = None,
    ) -> None:
        if children:
            self._append_children(execution_arn, events, expected_last_id, outcome, children)
            return
        last = events[-1].id if events else expected_last_id
        status, sets, deletes = _finish(outcome)
        args: list[Any] = [self.prefix, execution_arn, expected_last_id, last, status]
        args += [len(events), *(_event_text(e) for e in events)]
        args += [len(sets) // 2, *sets, len(deletes), *deletes, self._ttl]
        self._swap(self._append, execution_arn, expected_last_id, args)

    def _append_children(
        self,
        arn: str,
        events: Sequence[Event],
        expected: int,
        outcome: Outcome | None,
        children: Mapping[str, ChildAppend],
    ) -> None:
        keys = [self._key("x", arn), self._key("h", arn), self._key("seq")]
        args = [self.prefix, self._ttl, *_section(arn, events, expected, outcome)]
        for child_arn, child in children.items():
            created = child.record
            keys += [self._key("x", child_arn), self._key("h", child_arn)]
            if created is None:
                keys += [self._key("n"), self._key("c"), self._key("m")]  # (not written)
            else:
                keys += [
                    self._key("n", created.name),
                    self._key("c", created.parent_arn or ""),
                    self._key("m", created.map_run_arn or ""),
                ]
            args += _section(
                child_arn, child.events, child.expected_last_id, child.outcome, created
            )
        with self._guard():
            answer = self._append_family(keys=keys, args=args)
        if answer[0] == "missing":
            raise not_found(answer[1])
        if answer[0] == "exists":
            raise child_exists(answer[1])
        if answer[0] == "conflict":
            raise ConcurrentWriteError(
                f"history of {answer[1]} ends at event {answer[2]}, expected "
                f"{expected if answer[1] == arn else children[answer[1]].expected_last_id}: "
                "another process is writing it"
            )

    def redrive(self, execution_arn: str, event: Event, *, expected_last_id: int) -> None:
        args = [
            self.prefix,
            execution_arn,
            expected_last_id,
            event.id,
            _event_text(event),
            event.timestamp.isoformat(),
        ]
        self._swap(self._redrive, execution_arn, expected_last_id, args)

    def acquire(self, execution_arn: str, owner: str) -> None:
        key = self._key("x", execution_arn)
        with self._guard(), self._r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    held_by, beat = pipe.hmget(key, "lease_owner", "lease_heartbeat")
                    if not pipe.exists(key):
                        raise not_found(execution_arn)
                    seconds, micros = pipe.time()
                    now = seconds + micros / 1e6
                    # lease_is_live compares with time.time(): shift the server-clock heartbeat.
                    local_beat = None if beat is None else float(beat) + (time.time() - now)
                    if lease_is_live(held_by, local_beat, owner):
                        raise lease_error(_record(pipe.hgetall(key)))
                    pipe.multi()
                    pipe.hset(key, mapping={"lease_owner": owner, "lease_heartbeat": repr(now)})
                    pipe.execute()
                    return
                except self._errors.WatchError:
                    continue

    def heartbeat(self, execution_arn: str, owner: str) -> bool:
        with self._guard():
            return bool(self._heartbeat(keys=[self._key("x", execution_arn)], args=[owner]))

    def release(self, execution_arn: str, owner: str) -> None:
        with self._guard():
            self._release(keys=[self._key("x", execution_arn)], args=[owner])

    def close(self) -> None:
        self._r.close()

    # -- TaskTokenStore --------------------------------------------------------------------------

    def put_activity(self, activity: Activity) -> Activity:
        key = self._key("cb:a", activity.name)
        with self._guard():
            mapping = {"arn": activity.arn, "created": repr(activity.created)}
            if self._r.hsetnx(key, "arn", activity.arn):
                self._r.hset(key, mapping=mapping)
                self._r.zadd(self._key("cb:acts"), {activity.name: activity.created})
        found = self.get_activity(activity.name)
        if found is None:
            raise StoreError(f"activity {activity.name!r} vanished while being created")
        return found

    def get_activity(self, name: str) -> Activity | None:
        with self._guard():
            fields = self._r.hgetall(self._key("cb:a", name))
        if not fields or "created" not in fields:
            return None
        return Activity(name, fields["arn"], float(fields["created"]))

    def list_activities(self) -> list[Activity]:
        with self._guard():
            names = self._r.zrange(self._key("cb:acts"), 0, -1)
        found = (self.get_activity(n) for n in names)
        return [a for a in found if a is not None]

    def delete_activity(self, name: str) -> bool:
        with self._guard():
            self._r.zrem(self._key("cb:acts"), name)
            return bool(self._r.delete(self._key("cb:a", name)))

    def add_task(self, task: PendingTask) -> tuple[PendingTask, bool]:
        fields = _task_fields(task)
        fields.pop("seq", None)
        keys = [
            self._key("cb:t", task.token),
            self._key("cb:e", task.execution_arn),
            self._key("cb:seq"),
        ]
        args = [self._key("cb:"), task.token, *(x for pair in fields.items() for x in pair)]
        with self._guard():
            existing = self._add_task(keys=keys, args=args)
        if existing:
            return _task(_pairs(existing)), False
        stored = self.get_task(task.token)
        if stored is None:
            raise StoreError(f"pending task {task.token} vanished while being added")
        return stored, True

    def get_task(self, token: str) -> PendingTask | None:
        with self._guard():
            fields = self._r.hgetall(self._key("cb:t", token))
        return _task(fields) if fields else None

    def update_task(
        self, token: str, expect: tuple[str, ...], changes: dict[str, Any]
    ) -> PendingTask | None:
        sets: list[str] = []
        deletes: list[str] = []
        for name, value in changes.items():
            if name not in CHANGEABLE:
                continue
            if value is None:
                deletes.append(name)
            else:
                sets += [name, _task_text(value)]
        args = [self._key("cb:"), token, len(expect), *expect, len(sets) // 2, *sets, *deletes]
        with self._guard():
            answer = self._update_task(keys=[self._key("cb:t", token)], args=args)
        return _task(_pairs(answer)) if answer else None

    def claim_task(self, activity: str, worker: str | None, now: float) -> PendingTask | None:
        with self._guard():
            answer = self._claim_task(
                keys=[self._key("cb:q", activity)],
                args=[self._key("cb:"), repr(now), worker or ""],
            )
        return _task(_pairs(answer)) if answer else None

    def list_tasks(
        self, execution_arn: str | None = None, *, open_only: bool = False
    ) -> list[PendingTask]:
        with self._guard():
            if execution_arn is not None:
                tokens = self._r.zrange(self._key("cb:e", execution_arn), 0, -1)
            else:
                start = len(self._key("cb:t", "x")) - 1
                pattern = self._key("cb:t", "*")
                tokens = [key[start:] for key in self._r.scan_iter(match=pattern, count=500)]
            pipe = self._r.pipeline(transaction=False)
            for token in tokens:
                pipe.hgetall(self._key("cb:t", token))
            rows = [row for row in pipe.execute() if row]
        tasks = [_task(row) for row in rows]
        if open_only:
            tasks = [t for t in tasks if t.status in (SCHEDULED, STARTED)]
        return sorted(tasks, key=lambda t: t.seq)

    # -- MachineStore ----------------------------------------------------------------------------

    def add_machine(self, record: MachineRecord) -> tuple[MachineRecord, bool]:
        existing = self._add_document("sm", record.arn, record.to_json(), record.creation_date)
        if existing:
            return MachineRecord.from_json(existing), False
        return record.copy(), True

    def get_machine(self, arn: str) -> MachineRecord | None:
        with self._guard():
            text = self._r.get(self._key("sm", arn))
        return None if text is None else MachineRecord.from_json(text)

    def list_machines(self) -> list[MachineRecord]:
        return [MachineRecord.from_json(t) for t in self._documents("sm")]

    def put_machine(self, record: MachineRecord) -> None:
        self._put_document("sm", record.arn, record.to_json(), record.creation_date)

    def delete_machine(self, arn: str) -> bool:
        with self._guard(), self._r.pipeline(transaction=True) as pipe:
            pipe.delete(self._key("sm", arn))
            pipe.zrem(self._key("sm"), arn)
            removed, _ = pipe.execute()
        return bool(removed)

    # -- ScheduleStore ---------------------------------------------------------------------------

    def add_schedule(self, record: ScheduleRecord) -> tuple[ScheduleRecord, bool]:
        existing = self._add_document("sch", record.arn, record.to_json(), record.creation_date)
        if existing:
            return ScheduleRecord.from_json(existing), False
        return record.copy(), True

    def get_schedule(self, arn: str) -> ScheduleRecord | None:
        with self._guard():
            text = self._r.get(self._key("sch", arn))
        return None if text is None else ScheduleRecord.from_json(text)

    def list_schedules(self) -> list[ScheduleRecord]:
        return [ScheduleRecord.from_json(t) for t in self._documents("sch")]

    def put_schedule(self, record: ScheduleRecord) -> None:
        self._put_document("sch", record.arn, record.to_json(), record.creation_date)

    def delete_schedule(self, arn: str) -> bool:
        with self._guard(), self._r.pipeline(transaction=True) as pipe:
            pipe.delete(self._key("sch", arn))
            pipe.zrem(self._key("sch"), arn)
            pipe.delete(self._key("scc", arn))
            removed, _, _ = pipe.execute()
        return bool(removed)

    def add_schedule_group(self, record: ScheduleGroupRecord) -> tuple[ScheduleGroupRecord, bool]:
        existing = self._add_document("sg", record.name, record.to_json(), record.creation_date)
        if existing:
            return ScheduleGroupRecord.from_json(existing), False
        return record.copy(), True

    def get_schedule_group(self, name: str) -> ScheduleGroupRecord | None:
        with self._guard():
            text = self._r.get(self._key("sg", name))
        return None if text is None else ScheduleGroupRecord.from_json(text)

    def list_schedule_groups(self) -> list[ScheduleGroupRecord]:
        return [ScheduleGroupRecord.from_json(t) for t in self._documents("sg")]

    def put_schedule_group(self, record: ScheduleGroupRecord) -> None:
        self._put_document("sg", record.name, record.to_json(), record.creation_date)

    def delete_schedule_group(self, name: str) -> bool:
        with self._guard(), self._r.pipeline(transaction=True) as pipe:
            pipe.delete(self._key("sg", name))
            pipe.zrem(self._key("sg"), name)
            removed, _ = pipe.execute()
        return bool(removed)

    def get_schedule_cursor(self, arn: str) -> str | None:
        with self._guard():
            text = self._r.get(self._key("scc", arn))
        return None if text is None else str(text)

    def put_schedule_cursor(self, arn: str, text: str, *, lease: str, fence: int) -> bool:
        keys = [self._key("ls", lease), self._key("scc", arn)]
        with self._guard():
            return bool(self._put_cursor(keys=keys, args=[str(fence), text]))

    def acquire_lease(self, name: str, owner: str, ttl: float) -> int | None:
        keys = [self._key("ls", name), self._key("lf", name)]
        with self._guard():
            fence = self._acquire_lease(keys=keys, args=[owner, max(1, int(ttl * 1000))])
        return None if fence is None else int(fence)

    def release_lease(self, name: str, owner: str) -> None:
        with self._guard():
            self._release_lease(keys=[self._key("ls", name)], args=[owner])

    def _add_document(self, kind: str, key: str, text: str, created: float) -> str | None:
        """Store a JSON document under ``kind:key`` unless one is there (the stored one then)."""
        with self._guard():
            existing = self._add_machine(
                keys=[self._key(kind, key), self._key(kind)], args=[text, repr(created), key]
            )
        return existing or None

    def _put_document(self, kind: str, key: str, text: str, created: float) -> None:
        with self._guard(), self._r.pipeline(transaction=True) as pipe:
            pipe.set(self._key(kind, key), text)
            pipe.zadd(self._key(kind), {key: created})
            pipe.execute()

    def _documents(self, kind: str) -> list[str]:
        """Every document of ``kind``, by creation time."""
        with self._guard():
            keys = self._r.zrange(self._key(kind), 0, -1)
            texts = self._r.mget([self._key(kind, k) for k in keys]) if keys else []
        return [t for t in texts if t is not None]

    # -- internals -------------------------------------------------------------------------------

    def _key(self, kind: str, name: str = "") -> str:
        return f"{self.prefix}{kind}:{name}" if name else f"{self.prefix}{kind}"

    def _swap(self, script: Any, arn: str, expected: int, args: list[Any]) -> None:
        keys = [self._key("x", arn), self._key("h", arn)]
        with self._guard():
            answer = script(keys=keys, args=args)
        if answer[0] == "missing":
            raise not_found(arn)
        if answer[0] == "conflict":
            raise ConcurrentWriteError(
                f"history of {arn} ends at event {answer[1]}, expected {expected}: "
                "another process is writing it"
            )

    def _check_schema(self) -> None:
        key = self._key("schema")
        self._r.set(key, SCHEMA_VERSION, nx=True)
        found = self._r.get(key)
        if not str(found).isdigit():
            raise StoreCorrupt(f"{self.url}: key {key!r} is not an asl store's ({found!r})")
        if int(found) > SCHEMA_VERSION:
            raise StoreCorrupt(
                f"store {self.url} has schema version {found}, newer than this asl supports "
                f"({SCHEMA_VERSION}); upgrade asl-engine"
            )

    @contextmanager
    def _guard(self) -> Iterator[None]:
        errors = self._errors
        try:
            yield
        except errors.AuthenticationError as exc:
            raise StoreError(f"the Redis store {self.url} refused the credentials: {exc}")
        except (errors.ConnectionError, errors.TimeoutError) as exc:
            raise StoreError(f"cannot reach the Redis store {self.url}: {exc}")
        except errors.ResponseError as exc:
            if "WRONGTYPE" in str(exc):
                raise StoreCorrupt(f"{self.url}: keys under {self.prefix!r} are not an asl store's")
            raise StoreError(f"the Redis store {self.url}: {exc}")
        except errors.RedisError as exc:
            raise StoreError(f"the Redis store {self.url}: {exc}")


# -- encoding ------------------------------------------------------------------------------------


def _score(record: ExecutionRecord) -> str:
    return repr(record.start_date.timestamp())


def _fields(r: ExecutionRecord) -> dict[str, str]:
    values: dict[str, Any] = {
        "arn": r.execution_arn,
        "name": r.name,
        "machine_name": r.machine_name,
        "type": r.type,
        "definition": r.definition,
        "filename": r.filename,
        "input": r.input,
        "seed": r.seed,
        "options": json.dumps(r.options),
        "status": r.status,
        "start_date": r.start_date.isoformat(),
        "stop_date": None if r.stop_date is None else r.stop_date.isoformat(),
        "output": r.output,
        "error": r.error,
        "cause": r.cause,
        "redrive_count": r.redrive_count,
        "redrive_date": None if r.redrive_date is None else r.redrive_date.isoformat(),
        "last_event_id": r.last_event_id,
        "lease_owner": r.lease_owner,
        "lease_heartbeat": None if r.lease_heartbeat is None else repr(r.lease_heartbeat),
        "parent_arn": r.parent_arn,
        "map_run_arn": r.map_run_arn,
    }
    return {k: str(v) for k, v in values.items() if v is not None}


def _finish(outcome: Outcome | None) -> tuple[str, list[str], list[str]]:
    """(new status or '', [field, value, ...] to set, fields to delete) for an outcome."""
    sets: list[str] = []
    deletes: list[str] = []
    if outcome is None:
        return "", sets, deletes
    values = {
        "stop_date": outcome.stop_date.isoformat(),
        "output": outcome.output,
        "error": outcome.error,
        "cause": outcome.cause,
    }
    for name in _FINISH_FIELDS:
        if values[name] is None:
            deletes.append(name)
        else:
            sets += [name, values[name]]
    return outcome.status, sets, deletes


def _section(
    arn: str,
    events: Sequence[Event],
    expected: int,
    outcome: Outcome | None,
    created: ExecutionRecord | None = None,
) -> list[Any]:
    """One execution's part of ``_APPEND_FAMILY``'s arguments."""
    status, sets, deletes = _finish(outcome)
    fields: list[str] = []
    score = ""
    if created is not None:
        stored = created.copy()
        stored.status, stored.last_event_id = RUNNING, 0
        fields = [x for pair in _fields(stored).items() for x in pair]
        score = _score(stored)
    last = events[-1].id if events else expected
    return [
        arn,
        expected,
        last,
        status,
        score,
        len(fields),
        *fields,
        len(events),
        *(_event_text(e) for e in events),
        len(sets),
        *sets,
        len(deletes),
        *deletes,
    ]


def _pairs(flat: Sequence[str]) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


def _date(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _record(f: dict[str, str]) -> ExecutionRecord:
    beat = f.get("lease_heartbeat")
    return ExecutionRecord(
        execution_arn=f["arn"],
        name=f["name"],
        machine_name=f["machine_name"],
        type=f["type"],
        definition=f["definition"],
        input=f["input"],
        seed=int(f["seed"]),
        start_date=datetime.fromisoformat(f["start_date"]),
        filename=f["filename"],
        options=json.loads(f["options"]),
        status=f["status"],
        stop_date=_date(f.get("stop_date")),
        output=f.get("output"),
        error=f.get("error"),
        cause=f.get("cause"),
        redrive_count=int(f.get("redrive_count") or 0),
        redrive_date=_date(f.get("redrive_date")),
        last_event_id=int(f.get("last_event_id") or 0),
        lease_owner=f.get("lease_owner"),
        lease_heartbeat=None if beat is None else float(beat),
        parent_arn=f.get("parent_arn"),
        map_run_arn=f.get("map_run_arn"),
    )


def _task_text(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _task_fields(task: PendingTask) -> dict[str, str]:
    return {c: _task_text(getattr(task, c)) for c in COLUMNS if getattr(task, c) is not None}


def _task(fields: dict[str, str]) -> PendingTask:
    values: dict[str, Any] = {}
    for name in COLUMNS:
        raw = fields.get(name)
        if raw is None:
            values[name] = None
        elif name in _TASK_FLOATS:
            values[name] = float(raw)
        elif name == "seq":
            values[name] = int(raw)
        else:
            values[name] = raw
    values["seq"] = values["seq"] or 0
    return PendingTask(**values)


def _event_text(e: Event) -> str:
    row = [e.id, e.previous_event_id, e.timestamp.isoformat(), e.type, e.details, e.frame]
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False, default=payload_text)


def _event(text: str) -> Event:
    id_, previous, timestamp, type_, details, frame = json.loads(text)
    return Event(id_, previous, datetime.fromisoformat(timestamp), type_, details, frame)


__all__ = ["DEFAULT_PREFIX", "RedisStore", "is_redis_url", "redacted"]
