"""Pending tasks and activities in the Redis store, under its key prefix.

Keys (after the store's prefix)::

    cb:t:{token}   hash  a pending task (a missing field is None)
    cb:e:{arn}     zset  an execution's task tokens, by queue order
    cb:q:{name}    zset  an activity's SCHEDULED task tokens, by queue order
    cb:a:{name}    hash  an activity; cb:acts (zset) their names, by creation time
    cb:seq         the queue-order counter

Adding, answering and claiming are Lua scripts, so each is atomic on the server.
"""

from __future__ import annotations

from typing import Any

from runtime.callbacks.records import COLUMNS, SCHEDULED, STARTED, Activity, PendingTask
from runtime.stores.base import StoreError

_FLOATS = {"created", "started", "beat", "deadline", "heartbeat_seconds", "closed"}

# KEYS: task, execution index, seq. ARGV: prefix, token, field, value, ...
_ADD = """
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

# KEYS: task. ARGV: prefix, token, n expected, status..., n set, field, value, ..., deleted...
_UPDATE = """
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

# KEYS: queue. ARGV: prefix, now, worker ('' = none).
_CLAIM = """
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


class RedisTaskStore:
    """A :class:`~runtime.callbacks.records.TaskStore` beside a ``RedisStore``'s keys."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self._r = store._r
        self.prefix = store.prefix + "cb:"
        with self._guard():
            self._add = self._r.register_script(_ADD)
            self._update = self._r.register_script(_UPDATE)
            self._claim = self._r.register_script(_CLAIM)

    def _key(self, kind: str, name: str = "") -> str:
        return f"{self.prefix}{kind}:{name}" if name else f"{self.prefix}{kind}"

    def _guard(self) -> Any:
        return self._store._guard()

    # -- activities ------------------------------------------------------------------------------

    def put_activity(self, activity: Activity) -> Activity:
        key = self._key("a", activity.name)
        with self._guard():
            mapping = {"arn": activity.arn, "created": repr(activity.created)}
            if self._r.hsetnx(key, "arn", activity.arn):
                self._r.hset(key, mapping=mapping)
                self._r.zadd(self._key("acts"), {activity.name: activity.created})
        found = self.get_activity(activity.name)
        if found is None:
            raise StoreError(f"activity {activity.name!r} vanished while being created")
        return found

    def get_activity(self, name: str) -> Activity | None:
        with self._guard():
            fields = self._r.hgetall(self._key("a", name))
        if not fields or "created" not in fields:
            return None
        return Activity(name, fields["arn"], float(fields["created"]))

    def list_activities(self) -> list[Activity]:
        with self._guard():
            names = self._r.zrange(self._key("acts"), 0, -1)
        found = (self.get_activity(n) for n in names)
        return [a for a in found if a is not None]

    def delete_activity(self, name: str) -> bool:
        with self._guard():
            self._r.zrem(self._key("acts"), name)
            return bool(self._r.delete(self._key("a", name)))

    # -- tasks -----------------------------------------------------------------------------------

    def add(self, task: PendingTask) -> tuple[PendingTask, bool]:
        fields = _fields(task)
        fields.pop("seq", None)
        keys = [self._key("t", task.token), self._key("e", task.execution_arn), self._key("seq")]
        args = [self.prefix, task.token, *(x for pair in fields.items() for x in pair)]
        with self._guard():
            existing = self._add(keys=keys, args=args)
        if existing:
            return _task(existing), False
        stored = self.get(task.token)
        assert stored is not None
        return stored, True

    def get(self, token: str) -> PendingTask | None:
        with self._guard():
            fields = self._r.hgetall(self._key("t", token))
        return _task_from(fields) if fields else None

    def update(
        self, token: str, expect: tuple[str, ...], changes: dict[str, Any]
    ) -> PendingTask | None:
        sets: list[str] = []
        deletes: list[str] = []
        for name, value in changes.items():
            if name not in COLUMNS or name in ("token", "seq"):
                continue
            if value is None:
                deletes.append(name)
            else:
                sets += [name, _text(value)]
        args = [self.prefix, token, len(expect), *expect, len(sets) // 2, *sets, *deletes]
        with self._guard():
            answer = self._update(keys=[self._key("t", token)], args=args)
        return _task(answer) if answer else None

    def claim(self, activity: str, worker: str | None, now: float) -> PendingTask | None:
        with self._guard():
            answer = self._claim(
                keys=[self._key("q", activity)], args=[self.prefix, repr(now), worker or ""]
            )
        return _task(answer) if answer else None

    def list(
        self, execution_arn: str | None = None, *, open_only: bool = False
    ) -> list[PendingTask]:
        with self._guard():
            if execution_arn is not None:
                tokens = self._r.zrange(self._key("e", execution_arn), 0, -1)
            else:
                start = len(self.prefix + "t:")
                tokens = [
                    key[start:] for key in self._r.scan_iter(match=self._key("t", "*"), count=500)
                ]
            pipe = self._r.pipeline(transaction=False)
            for token in tokens:
                pipe.hgetall(self._key("t", token))
            rows = [row for row in pipe.execute() if row]
        tasks = [_task_from(row) for row in rows]
        if open_only:
            tasks = [t for t in tasks if t.status in (SCHEDULED, STARTED)]
        return sorted(tasks, key=lambda t: t.seq)


def _text(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _fields(task: PendingTask) -> dict[str, str]:
    return {c: _text(getattr(task, c)) for c in COLUMNS if getattr(task, c) is not None}


def _task(flat: list[str]) -> PendingTask:
    return _task_from(dict(zip(flat[::2], flat[1::2], strict=True)))


def _task_from(fields: dict[str, str]) -> PendingTask:
    values: dict[str, Any] = {}
    for name in COLUMNS:
        raw = fields.get(name)
        if raw is None:
            values[name] = None
        elif name in _FLOATS:
            values[name] = float(raw)
        elif name == "seq":
            values[name] = int(raw)
        else:
            values[name] = raw
    values["seq"] = values["seq"] or 0
    return PendingTask(**values)
