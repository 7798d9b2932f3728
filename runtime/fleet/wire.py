"""What the engine and the workers exchange besides Celery's own task messages.

The engine sends each task attempt as an ordinary Celery message with extra headers:
``asl_reply`` (the reply channel of the engine's listener), ``asl_prefix`` (the key prefix) and,
for a state with HeartbeatSeconds, ``asl_heartbeat``. A worker answers on that channel with JSON
messages carrying the task id:

* ``{"id", "t": "start", "worker"}`` when it starts the task, ``{"id", "t": "hb"}`` for each
  :func:`runtime.heartbeat` (both also refresh the key ``<prefix>asl:heartbeat:<id>``);
* ``{"id", "t": "done", "body"}`` (the marshalled return value), ``{"id", "t": "done",
  "error"}`` (the Lambda-style error object) or ``{"id", "t": "done", "raised": {"error",
  "cause"}}`` (a :class:`asl.StatesError` the task raised) when it ends.

An outcome is stored under ``<prefix>asl:result:<id>`` with ``SET NX``, and whatever is stored
there is what gets published, in one script: the first completion of an attempt is its only one,
and a later delivery (an engine that resumed and asks again) hears that first one.
Nothing here imports Celery or redis.
"""

from __future__ import annotations

from dataclasses import dataclass

REPLY_HEADER = "asl_reply"
PREFIX_HEADER = "asl_prefix"
HEARTBEAT_HEADER = "asl_heartbeat"  # the state's HeartbeatSeconds, when it has one
RESULT_TTL = 7 * 24 * 3600  # how long an outcome is kept for a resumed engine to find
HEARTBEAT_TTL = 3600

# KEYS[1] result key; ARGV[1] outcome JSON, ARGV[2] TTL, ARGV[3] channel. Stores the outcome
# unless one is stored already, and publishes the stored one: 1 when this one was stored.
PUBLISH_OUTCOME = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  redis.call('PUBLISH', ARGV[3], ARGV[1])
  return 1
end
local first = redis.call('GET', KEYS[1])
if first then
  redis.call('PUBLISH', ARGV[3], first)
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Keys:
    """The Redis names under one prefix (``ASL_FLEET_PREFIX``, empty by default)."""

    prefix: str = ""

    def result(self, task_id: str) -> str:
        return f"{self.prefix}asl:result:{task_id}"

    def started(self, task_id: str) -> str:
        """When a decider's attempt started on a worker (see runtime.fleet.decisions)."""
        return f"{self.prefix}asl:started:{task_id}"

    def heartbeat(self, task_id: str) -> str:
        return f"{self.prefix}asl:heartbeat:{task_id}"

    def channel(self, listener: str) -> str:
        return f"{self.prefix}asl:reply:{listener}"


__all__ = [
    "HEARTBEAT_HEADER",
    "HEARTBEAT_TTL",
    "PREFIX_HEADER",
    "PUBLISH_OUTCOME",
    "REPLY_HEADER",
    "RESULT_TTL",
    "Keys",
]
