"""The fleet's side of decision tasks (SWF's task lists): queues, outcomes, timers, markers.

Names in Redis, under the fleet's prefix (``ASL_FLEET_PREFIX``):

* ``asl:result:<attempt id>``: an attempt's outcome, the first one stored (see :mod:`._wire`);
  ``asl:heartbeat:<attempt id>``: the time of its start or latest heartbeat;
* ``asl:timers``: a sorted set, one member per execution scored with the epoch second its next
  timer is due, and ``asl:timers:v`` their versions. A worker sweeps it under a lease
  (``asl:timers:lease``) and asks for a decision of every execution whose timer is due; only then
  is the member set to a watchdog time (``ASL_DECIDER_WATCHDOG`` later), and only if it was not
  set again meanwhile (its version unchanged): a sweeper that dies mid-sweep loses nothing, a
  fast decision's new timer stays, and a decision message lost still gets its decision;
* ``asl:recorded:<scope>``: values a decision records once and later decisions read back (the
  deadline a Wait first computed, when an attempt was first scheduled);
* ``asl:sent:<scope>``: when each attempt was sent, so a decision replaying sends it once (again
  only if no worker started it within the watchdog time); ``asl:started:<attempt id>``: when a
  worker started it.

Nothing above the fleet is imported: executions are just strings (their ARNs) here.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

from runtime.fleet.wire import PUBLISH_OUTCOME, RESULT_TTL, Keys

DECISION_TASK = "asl.decide"
ATTEMPT_TASK = "asl.attempt"
DECISION_QUEUE = "asl.decisions"
ATTEMPT_QUEUE = "asl.attempts"
DECIDE_HEADER = "asl_decide"
"""Header of an attempt's message: the execution to ask a decision of once its outcome is in."""
LEASE_SECONDS = 5.0
DEFAULT_WATCHDOG_SECONDS = 60.0


def watchdog_seconds() -> float:
    """``$ASL_DECIDER_WATCHDOG`` seconds, else 60: how long a RUNNING execution may go without a
    decision, and an attempt sent stay unstarted, before the fleet looks again (a message lost
    with a worker killed as it took it from Redis: Kombu cannot restore that one)."""
    text = os.environ.get("ASL_DECIDER_WATCHDOG", "").strip()
    try:
        value = float(text) if text else DEFAULT_WATCHDOG_SECONDS
    except ValueError:
        value = DEFAULT_WATCHDOG_SECONDS
    return value if value > 0 else DEFAULT_WATCHDOG_SECONDS


# KEYS[1] the timers set, KEYS[2] their versions, KEYS[3] their kinds; ARGV[1] member, ARGV[2]
# due, ARGV[3] now, ARGV[4] kind ('t' a timer the execution needs, 'w' a watchdog). Keep the
# earlier of the two, unless the stored one has passed (it is being swept) or is a watchdog (any
# decision's own timer replaces it). A change bumps the member's version, so a sweep that read
# the old one does not touch the new one.
_SET_TIMER = """
local current = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]))
local due = tonumber(ARGV[2])
local kind = redis.call('HGET', KEYS[3], ARGV[1])
if (not current) or kind == 'w' or due < current or current <= tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], due, ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
end
return 1
"""
# KEYS[1] the timers set, KEYS[2] their versions; ARGV[1] now, ARGV[2] limit. The due members,
# each with its version: {member, version, member, version, ...}.
_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local out = {}
for _, member in ipairs(due) do
  table.insert(out, member)
  table.insert(out, redis.call('HGET', KEYS[2], member) or '0')
end
return out
"""
# KEYS[1] the timers set, KEYS[2] their versions, KEYS[3] their kinds; ARGV[1] member, ARGV[2]
# version, ARGV[3] the watchdog's due time. Set the swept member to the watchdog unless somebody
# set it again since the sweep read it (the decision asked for may be lost; its own timers
# replace the watchdog).
_REARM_SWEPT = """
if (redis.call('HGET', KEYS[2], ARGV[1]) or '0') == ARGV[2] then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], 'w')
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
  return 1
end
return 0
"""
# KEYS[1] the lease; ARGV[1] owner, ARGV[2] milliseconds. Take or renew it; 1 if held.
_LEASE = """
local holder = redis.call('GET', KEYS[1])
if (not holder) or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


class FleetState:
    """The fleet's Redis names for decisions, over one client (see the module docstring)."""

    def __init__(self, client: Any, prefix: str = "") -> None:
        self.client = client
        self.keys = Keys(prefix)
        self.prefix = prefix
        self._timers = f"{prefix}asl:timers"
        self._versions = f"{prefix}asl:timers:v"
        self._kinds = f"{prefix}asl:timers:k"
        self._set_timer = client.register_script(_SET_TIMER)
        self._due = client.register_script(_DUE)
        self._rearm_swept = client.register_script(_REARM_SWEPT)
        self._lease = client.register_script(_LEASE)
        self._publish = client.register_script(PUBLISH_OUTCOME)

    # -- outcomes -------------------------------------------------------------------------------

    def outcome(self, attempt_id: str) -> dict[str, Any] | None:
        text = self.client.get(self.keys.result(attempt_id))
        return None if text is None else json.loads(text)

    def post_outcome(self, attempt_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Store ``fields`` as the attempt's outcome unless one is; return the stored one."""
        text = json.dumps({"id": attempt_id, "t": "done", **fields}, ensure_ascii=False)
        channel = self.keys.channel("decider")
        self._publish(keys=[self.keys.result(attempt_id)], args=[text, RESULT_TTL, channel])
        stored = self.outcome(attempt_id)
        return stored if stored is not None else json.loads(text)

    def last_beat(self, attempt_id: str) -> float | None:
        text = self.client.get(self.keys.heartbeat(attempt_id))
        return None if text is None else float(text)

    # -- values recorded once, attempts sent once ------------------------------------------------

    def recorded(self, scope: str, name: str, value: float) -> float:
        key = f"{self.prefix}asl:recorded:{scope}"
        pipe = self.client.pipeline()
        pipe.hsetnx(key, name, repr(value))
        pipe.hget(key, name)
        return float(pipe.execute()[1])

    def sent_at(self, scope: str, attempt_id: str) -> float | None:
        """When the attempt was (last) sent, if it was."""
        text = self.client.hget(f"{self.prefix}asl:sent:{scope}", attempt_id)
        return None if text is None else float(text)

    def mark_sent(self, scope: str, attempt_id: str, when: float) -> None:
        self.client.hset(f"{self.prefix}asl:sent:{scope}", attempt_id, repr(when))

    def started(self, attempt_id: str) -> bool:
        """Whether a worker started the attempt (a message it took is no longer at risk)."""
        return bool(self.client.exists(self.keys.started(attempt_id)))

    def mark_started(self, attempt_id: str) -> None:
        self.client.set(self.keys.started(attempt_id), repr(time.time()), ex=RESULT_TTL)

    def forget(self, scope: str) -> None:
        """Drop what was kept for ``scope`` (an execution that ended)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.delete(f"{self.prefix}asl:recorded:{scope}", f"{self.prefix}asl:sent:{scope}")
        pipe.zrem(self._timers, scope)
        pipe.hdel(self._versions, scope)
        pipe.hdel(self._kinds, scope)
        pipe.execute()

    # -- timers ----------------------------------------------------------------------------------

    def set_timer(
        self,
        member: str,
        due: float,
        *,
        watchdog: bool = False,
        sent: dict[str, float] | None = None,
    ) -> None:
        """Ask for a decision of ``member`` at ``due`` (kept if earlier than the one set, or
        the one set has passed or is a watchdog); a ``watchdog`` any later timer replaces.
        ``sent``: attempts just sent (id: when), marked in the same round trip."""
        keys = [self._timers, self._versions, self._kinds]
        kind = "w" if watchdog else "t"
        args = [member, repr(due), repr(time.time()), kind]
        if not sent:
            self._set_timer(keys=keys, args=args)
            return
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(f"{self.prefix}asl:sent:{member}", mapping={k: repr(v) for k, v in sent.items()})
        self._set_timer(keys=keys, args=args, client=pipe)
        pipe.execute()

    def due_timers(self, now: float, limit: int = 1000) -> list[tuple[str, str]]:
        """The members due by ``now``, each with the version a sweep removes it at."""
        found = self._due(keys=[self._timers, self._versions], args=[repr(now), limit])
        text = [m.decode() if isinstance(m, bytes) else str(m) for m in found]
        return list(zip(text[::2], text[1::2], strict=True))

    def rearm_swept(self, member: str, version: str, watchdog: float) -> bool:
        """A sweep asked a decision for ``member``: set its timer to ``watchdog`` (should that
        decision be lost), unless it was set again since the sweep read it."""
        keys = [self._timers, self._versions, self._kinds]
        return bool(self._rearm_swept(keys=keys, args=[member, version, repr(watchdog)]))

    def next_due(self) -> float | None:
        found = self.client.zrange(self._timers, 0, 0, withscores=True)
        return float(found[0][1]) if found else None

    def timer_count(self) -> int:
        return int(self.client.zcard(self._timers))

    def hold_lease(self, owner: str, seconds: float = LEASE_SECONDS) -> bool:
        """Take or renew the sweeper's lease for ``owner``; whether it holds it now."""
        key = f"{self._timers}:lease"
        return bool(self._lease(keys=[key], args=[owner, int(seconds * 1000)]))


_INLINE: list[Callable[[str], bool]] = []


def decide_here(decide: Callable[[str], bool] | None) -> None:
    """In a worker that also decides: ``decide(arn)`` makes the decision in this process at once
    (True) instead of a message to the decision queue. None: always send."""
    _INLINE[:] = [decide] if decide is not None else []


def ask_decision(app: Any, arn: str) -> None:
    """A completion of the execution ``arn`` came in: decide here if this worker decides (the
    task that finished ran here: no message, no queue), else send a decision task."""
    for decide in _INLINE:
        if decide(arn):
            return
    send_decision(app, arn)


def send_decision(app: Any, arn: str) -> None:
    """Ask the fleet for a decision of the execution ``arn``."""
    app.send_task(
        DECISION_TASK,
        args=[arn],
        queue=DECISION_QUEUE,
        ignore_result=True,
        retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
    )


__all__ = [
    "ATTEMPT_QUEUE",
    "ATTEMPT_TASK",
    "DECIDE_HEADER",
    "DECISION_QUEUE",
    "DECISION_TASK",
    "FleetState",
    "ask_decision",
    "decide_here",
    "send_decision",
]
