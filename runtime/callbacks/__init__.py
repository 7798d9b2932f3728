"""Callbacks and activities: the task-token half of Step Functions, without AWS.

:class:`CallbackHub` is the API behind ``SendTaskSuccess``, ``SendTaskFailure``,
``SendTaskHeartbeat``, ``GetActivityTask`` and the activity calls, for ``asl serve``, for
``asl task ...`` and for Python code::

    from runtime.callbacks import CallbackHub

    hub = CallbackHub.open()                          # the default store (as ``asl run``)
    hub.send_task_success(token, '{"approved": true}')

    arn = hub.create_activity("resize")               # an activity worker
    while True:
        task = asyncio.run(hub.get_activity_task(arn, "worker-1", wait_seconds=20))
        if task:
            token, input_json = task
            hub.send_task_success(token, json.dumps(work(json.loads(input_json))))

Pending tasks live in the execution's store (its :class:`~runtime.stores.TaskTokenStore` side), so
an answer can come from another process, and an execution resumed after its process died keeps
waiting for the same tokens. Errors are :mod:`runtime.callbacks.errors`, each with AWS's error
``code``.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from runtime.callbacks import tokens
from runtime.callbacks._local import SIGNALS, wait_for
from runtime.callbacks.errors import (
    ActivityDoesNotExist,
    ActivityWorkerLimitExceeded,
    CallbackError,
    InvalidArn,
    InvalidName,
    InvalidOutput,
    InvalidToken,
    TaskDoesNotExist,
    TaskTimedOut,
    ValidationException,
)
from runtime.callbacks.records import (
    ACTIVITY,
    CALLBACK,
    CLOSED,
    FAILED,
    NESTED,
    OPEN,
    STARTED,
    SUCCEEDED,
    TIMED_OUT,
    Activity,
    PendingTask,
)

if TYPE_CHECKING:
    from runtime.stores import Store

OUTPUT_LIMIT = 256 * 1024
ERROR_LIMIT = 256
CAUSE_LIMIT = 32_768
POLLERS_LIMIT = 1_000
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "111111111111"

_NAME = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$")
_ACTIVITY_ARN = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]*:\d*:activity:(?P<name>[^:]+)$")
_GONE = "Task Timed Out: 'Provided task does not exist anymore'"


class CallbackHub:
    """Activities and task tokens over one history store (see the module docstring).

    Every method is safe to call from any thread; ``get_activity_task`` is a coroutine (a long
    poll). Methods raise :class:`~runtime.callbacks.errors.CallbackError` subclasses named after
    AWS's errors, and ``StoreError`` when the store itself fails.
    """

    def __init__(self, store: Store, *, poll_interval: float = 0.5) -> None:
        """``store`` keeps the executions and their pending tasks (``runtime.stores``);
        ``poll_interval`` the longest pause between two looks at the store while waiting on
        another process."""
        self.store = store
        self.poll_interval = poll_interval
        self._owns_store = False

    @classmethod
    def open(cls, path: str | None = None, *, create: bool = True) -> CallbackHub:
        """A hub over ``open_store(path, create=create)`` (``--store``, else ``$ASL_STORE``,
        else the default SQLite file); :meth:`close` closes that store."""
        from runtime.stores import open_store

        hub = cls(open_store(path, create=create))
        hub._owns_store = True
        return hub

    def close(self) -> None:
        """Close the store if :meth:`open` opened it."""
        if self._owns_store:
            self.store.close()

    # -- activities ------------------------------------------------------------------------------

    def create_activity(self, name: str) -> str:
        """CreateActivity: the activity's ARN; idempotent by name. InvalidName if malformed."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidName(f"Invalid Name: '{name}'")
        return self.store.put_activity(Activity(name, activity_arn(name), time.time())).arn

    def describe_activity(self, activity_arn: str) -> dict[str, Any]:
        """DescribeActivity: ``{"activityArn", "name", "creationDate"}`` (a UTC datetime)."""
        return _activity_shape(self._activity(activity_arn))

    def list_activities(self) -> list[dict[str, Any]]:
        """ListActivities' items, oldest first (each as :meth:`describe_activity` returns)."""
        return [_activity_shape(a) for a in self.store.list_activities()]

    def delete_activity(self, activity_arn: str) -> None:
        """DeleteActivity; deleting an unknown activity is not an error (as on AWS)."""
        self.store.delete_activity(activity_name(activity_arn))

    async def get_activity_task(
        self, activity_arn: str, worker_name: str | None = None, wait_seconds: float = 60.0
    ) -> tuple[str, str] | None:
        """GetActivityTask: ``(task_token, input_json)``, or None when no task came within
        ``wait_seconds`` (AWS answers with an empty token then).

        Raises ActivityDoesNotExist, InvalidArn, ActivityWorkerLimitExceeded.
        """
        name = self._activity(activity_arn).name
        key = "a:" + name
        if SIGNALS.count(key) >= POLLERS_LIMIT:
            raise ActivityWorkerLimitExceeded(
                f"Activity Worker Limit Exceeded: more than {POLLERS_LIMIT} pollers on "
                f"'{activity_arn}'"
            )
        deadline = time.monotonic() + max(0.0, wait_seconds)
        interval = 0.05
        with SIGNALS.listen(key) as event:
            while True:
                event.clear()
                task = self.poll_activity_task(activity_arn, worker_name)
                if task is not None:
                    return task
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                await wait_for(event, min(remaining, interval))
                interval = min(interval * 2, self.poll_interval)

    def poll_activity_task(
        self, activity_arn: str, worker_name: str | None = None
    ) -> tuple[str, str] | None:
        """One look for a queued task of the activity, without waiting (see
        :meth:`get_activity_task`)."""
        name = activity_name(activity_arn)
        while True:
            task = self.store.claim_task(name, worker_name, time.time())
            if task is None:
                return None
            if self._execution_ended(task) is not None:
                continue  # closed now; look for the next one
            SIGNALS.notify("t:" + task.token)  # its execution records ActivityStarted
            return task.token, task.input or "{}"

    # -- task tokens -----------------------------------------------------------------------------

    def send_task_success(self, token: str, output: str) -> None:
        """SendTaskSuccess: ``output`` (JSON text, at most 256 KiB) becomes the task's result.

        Raises InvalidToken, TaskDoesNotExist, TaskTimedOut (the task already ended: answered,
        timed out, or its execution stopped), InvalidOutput.
        """
        tokens.check(token)
        if not isinstance(output, str):
            raise InvalidOutput("Invalid Output: the output must be a JSON string")
        if len(output) * 4 > OUTPUT_LIMIT and len(output.encode()) > OUTPUT_LIMIT:
            raise InvalidOutput(
                f"Invalid Output: the output is larger than {OUTPUT_LIMIT} bytes (256 KiB)"
            )
        try:
            json.loads(output)
        except ValueError as exc:
            raise InvalidOutput(f"Invalid Output: the output is not valid JSON ({exc})")
        self._close(token, SUCCEEDED, {"output": output})

    def send_task_failure(
        self, token: str, error: str | None = None, cause: str | None = None
    ) -> None:
        """SendTaskFailure: the task fails with ``error`` (at most 256 characters) and
        ``cause`` (at most 32,768). Raises as :meth:`send_task_success`, and
        ValidationException for an error or cause over its limit."""
        tokens.check(token)
        if error is not None and len(error) > ERROR_LIMIT:
            raise ValidationException(
                f"1 validation error detected: Value at 'error' failed to satisfy constraint: "
                f"Member must have length less than or equal to {ERROR_LIMIT}"
            )
        if cause is not None and len(cause) > CAUSE_LIMIT:
            raise ValidationException(
                f"1 validation error detected: Value at 'cause' failed to satisfy constraint: "
                f"Member must have length less than or equal to {CAUSE_LIMIT}"
            )
        self._close(token, FAILED, {"error": error, "cause": cause})

    def send_task_heartbeat(self, token: str) -> None:
        """SendTaskHeartbeat: restart the task's HeartbeatSeconds clock.

        Raises InvalidToken, TaskDoesNotExist, TaskTimedOut.
        """
        task = self._open_task(tokens.check(token))
        if self.store.update_task(task.token, OPEN, {"beat": time.time()}) is None:
            raise TaskTimedOut(_GONE)

    def describe_task(self, token: str) -> PendingTask:
        """The stored task for ``token``: InvalidToken, TaskDoesNotExist."""
        task = self.store.get_task(tokens.check(token))
        if task is None or task.kind == NESTED:
            raise TaskDoesNotExist("Task Does Not Exist: 'Provided task does not exist'")
        return task

    def list_tasks(
        self, execution_arn: str | None = None, *, open_only: bool = True
    ) -> list[PendingTask]:
        """Callback and activity tasks (of one execution), oldest first; open ones only unless
        ``open_only=False``."""
        found = self.store.list_tasks(execution_arn, open_only=open_only)
        return [t for t in found if t.kind != NESTED]

    # -- the engine's side (task routes) ---------------------------------------------------------

    def register(self, task: PendingTask) -> PendingTask:
        """Store a new pending task, or return the one a previous run of the attempt stored."""
        stored, created = self.store.add_task(task)
        if created and stored.activity is not None:
            SIGNALS.notify("a:" + stored.activity)
        return stored

    def ensure_activity(self, resource: str) -> Activity:
        """The activity an activity ARN names, registered if it is not (a local convenience)."""
        name = activity_name(resource)
        return self.store.get_activity(name) or self.store.put_activity(
            Activity(name, resource, time.time())
        )

    def mark_submitted(self, token: str, response: str) -> None:
        """Record the integration's response: the work was handed over (not to be redone)."""
        self.store.update_task(token, OPEN + CLOSED, {"submitted": response})

    def settle(self, token: str, status: str, changes: dict[str, Any]) -> PendingTask | None:
        """Close an open task (the engine's own outcome: a timeout, a failed submission)."""
        task = self.store.update_task(
            token, OPEN, {**changes, "status": status, "closed": time.time()}
        )
        if task is not None:
            SIGNALS.notify("t:" + token)
        return task

    async def wait(
        self, token: str, on_started: Callable[[PendingTask], None] | None = None
    ) -> PendingTask:
        """Wait until the task is closed, enforcing its deadline and heartbeat; the closed task.

        ``on_started`` is called once when a worker has taken it (before it closes).
        """
        interval = 0.02
        noted = False
        with SIGNALS.listen("t:" + token) as event:
            while True:
                event.clear()
                task = self.store.get_task(token)
                if task is None:
                    raise LookupError(f"the pending task {token} vanished from the store")
                if task.started is not None and not noted and on_started is not None:
                    noted = True
                    on_started(task)
                if task.status in CLOSED:
                    return task
                now = time.time()
                if self._expire(task, now) is not None:
                    continue
                due = _due(task)
                pause = min(interval, self.poll_interval)
                if due is not None:
                    pause = min(pause, max(0.0, due - now))
                await wait_for(event, pause)
                interval *= 1.5

    # -- internals -------------------------------------------------------------------------------

    def _activity(self, activity_arn: str) -> Activity:
        activity = self.store.get_activity(activity_name(activity_arn))
        if activity is None:
            raise ActivityDoesNotExist(f"Activity Does Not Exist: '{activity_arn}'")
        return activity

    def _open_task(self, token: str) -> PendingTask:
        task = self.store.get_task(token)
        if task is None or task.kind == NESTED:
            raise TaskDoesNotExist("Task Does Not Exist: 'Provided task does not exist'")
        if task.status in CLOSED:
            raise TaskTimedOut(_GONE)
        now = time.time()
        if self._expire(task, now) is not None or self._execution_ended(task) is not None:
            raise TaskTimedOut(_GONE)
        return task

    def _close(self, token: str, status: str, changes: dict[str, Any]) -> None:
        task = self._open_task(token)
        if self.settle(task.token, status, changes) is None:
            raise TaskTimedOut(_GONE)

    def _expire(self, task: PendingTask, now: float) -> PendingTask | None:
        """Close ``task`` TIMED_OUT if its deadline or heartbeat has passed (None if not)."""
        if task.deadline is not None and now >= task.deadline:
            return self.settle(task.token, TIMED_OUT, {"error": "States.Timeout"})
        beat_due = _beat_due(task)
        if beat_due is not None and now >= beat_due:
            cause = (
                f"The task sent no heartbeat for {task.heartbeat_seconds:g} seconds "
                "(HeartbeatSeconds)."
            )
            return self.settle(
                task.token, TIMED_OUT, {"error": "States.HeartbeatTimeout", "cause": cause}
            )
        return None

    def _execution_ended(self, task: PendingTask) -> PendingTask | None:
        """Close ``task`` when its execution is no longer running (None if it still is)."""
        from runtime.stores.base import RUNNING, ExecutionNotFound

        try:
            record = self.store.get(task.execution_arn)
        except ExecutionNotFound:
            return None  # an execution run without a stored record (runtime.execute)
        if record.status == RUNNING:
            return None
        cause = f"The execution ended ({record.status}) before the task was answered."
        return self.settle(task.token, TIMED_OUT, {"error": "States.Timeout", "cause": cause})


def result_of(task: PendingTask) -> Any:
    """The task result a closed task gives its state: the output, or a raised StatesError (a
    SendTaskFailure's error and cause as sent: either may be missing)."""
    from asl.errors import StatesError
    from runtime.core.interpreter import SentFailure

    if task.status == SUCCEEDED:
        return json.loads(task.output or "null")
    if task.status == FAILED:
        raise SentFailure(task.error, task.cause)
    raise StatesError(task.error or "", task.cause)


def _due(task: PendingTask) -> float | None:
    moments = [m for m in (task.deadline, _beat_due(task)) if m is not None]
    return min(moments) if moments else None


def _beat_due(task: PendingTask) -> float | None:
    if task.heartbeat_seconds is None or task.beat is None:
        return None
    if task.kind == ACTIVITY and task.status != STARTED:
        return None  # an activity's heartbeat clock runs once a worker has it
    return task.beat + task.heartbeat_seconds


def _activity_shape(activity: Activity) -> dict[str, Any]:
    return {
        "activityArn": activity.arn,
        "name": activity.name,
        "creationDate": datetime.fromtimestamp(activity.created, UTC),
    }


def activity_arn(name: str) -> str:
    """The ARN CreateActivity gives the activity ``name``."""
    return f"arn:aws:states:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:activity:{name}"


def activity_name(arn: str) -> str:
    """The name in an activity ARN (activities are matched by name); InvalidArn otherwise."""
    match = _ACTIVITY_ARN.match(arn) if isinstance(arn, str) else None
    if match is None:
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    return match["name"]


# -- the hub of the running execution ------------------------------------------------------------

_STORE: contextvars.ContextVar[Any] = contextvars.ContextVar("asl_callback_store", default=None)
_HUBS: weakref.WeakKeyDictionary[Any, CallbackHub] = weakref.WeakKeyDictionary()
_HUBS_LOCK = threading.Lock()
_DEFAULT: list[CallbackHub] = []


@contextlib.contextmanager
def using_store(store: Any) -> Iterator[None]:
    """Executions run inside the block keep their pending tasks in ``store``.

    The runner (``runtime.drivers.runner``) wraps every execution in this; code that calls
    ``run_execution`` itself does the same to make its callbacks durable.
    """
    token = _STORE.set(store)
    try:
        yield
    finally:
        _STORE.reset(token)


def hub_for(store: Any) -> CallbackHub:
    """The (shared) hub over ``store``."""
    with _HUBS_LOCK:
        hub = _HUBS.get(store)
        if hub is None:
            hub = _HUBS[store] = CallbackHub(store)
        return hub


def current_hub() -> CallbackHub:
    """The hub of the execution running in this context; outside :func:`using_store`, a
    process-wide in-memory hub (``runtime.execute``)."""
    store = _STORE.get()
    if store is not None:
        return hub_for(store)
    with _HUBS_LOCK:
        if not _DEFAULT:
            from runtime.stores import MemoryStore

            _DEFAULT.append(CallbackHub(MemoryStore()))
        return _DEFAULT[0]


__all__ = [
    "CALLBACK",
    "ActivityDoesNotExist",
    "ActivityWorkerLimitExceeded",
    "CallbackError",
    "CallbackHub",
    "InvalidArn",
    "InvalidName",
    "InvalidOutput",
    "InvalidToken",
    "PendingTask",
    "TaskDoesNotExist",
    "TaskTimedOut",
    "ValidationException",
    "activity_arn",
    "activity_name",
    "current_hub",
    "hub_for",
    "result_of",
    "using_store",
]
