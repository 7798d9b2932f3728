"""Prometheus metrics for executions, named after AWS Step Functions' CloudWatch metrics.

:class:`Metrics` is an observer (:func:`runtime.drivers.observers.add_observer`): it turns the
events a process stores into counters and histograms on a registry of its own. Each family is
``stepfunctions_<AWS metric name>`` (``_total`` for counters; times in seconds, where AWS counts
milliseconds), labelled by AWS's dimension in snake case: ``state_machine_arn`` (a Distributed
Map child counts for its labelled machine, ``...:stateMachine:<name>/<label>``, as on AWS),
``lambda_function_arn``, ``activity_arn``, ``service_integration_resource_arn``. See
docs/metrics.md.

Times pair an event with an earlier one of the same execution (the start, a task's scheduling).
A process that did not see the earlier one (a fleet worker deciding after another, a restarted
server) reads it from ``lookup``: the execution's record, or its history.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram

from runtime.core.events import Event, to_millis
from runtime.stores.base import ExecutionRecord

PREFIX = "stepfunctions_"
MACHINE = "state_machine_arn"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400,
           86400, float("inf"))  # fmt: skip
"""Seconds: from a local task's few milliseconds to a day-long execution."""
REMEMBERED = 10_000
"""Starts and scheduled tasks remembered at most (the oldest are dropped beyond)."""
LOCAL_SCHEMES = frozenset({"python", "program", "celery", "mock", "arn"})
"""Task resources that are not ``arn:aws:states:::`` integrations: named as written."""

_log = logging.getLogger("asl.metrics")

# AWS's metrics, by family: (name, help). Counters first, then times.
EXECUTION_COUNTS = {
    "ExecutionsStarted": "Number of started executions.",
    "ExecutionsSucceeded": "Number of successfully completed executions.",
    "ExecutionsFailed": "Number of failed executions.",
    "ExecutionsAborted": "Number of aborted or terminated executions.",
    "ExecutionsTimedOut": "Number of executions that time out for any reason.",
    "ExecutionThrottled": "Number of throttled state transitions (always 0: nothing is throttled).",
    "ExecutionsRedriven": "Number of redriven executions.",
    "RedrivenExecutionsSucceeded": "Number of redriven executions that completed successfully.",
    "RedrivenExecutionsFailed": "Number of redriven executions that failed.",
    "RedrivenExecutionsAborted": "Number of redriven executions that are aborted.",
    "RedrivenExecutionsTimedOut": "Number of redriven executions that time out.",
}
EXECUTION_TIMES = {
    "ExecutionTime": "Interval between the time the execution starts (or is redriven) and the "
    "time it closes.",
}


@dataclass(frozen=True, slots=True)
class TaskFamily:
    """One of AWS's task families: its event prefix, metric stems and dimension."""

    event: str  # "LambdaFunction", "Activity", "Task"
    plural: str  # "LambdaFunctions", "Activities", "ServiceIntegrations"
    single: str  # "LambdaFunction", "Activity", "ServiceIntegration"
    label: str
    what: str  # "Lambda function", ...


TASK_FAMILIES = (
    TaskFamily(
        "LambdaFunction",
        "LambdaFunctions",
        "LambdaFunction",
        "lambda_function_arn",
        "Lambda function (a Task whose Resource is the function's ARN)",
    ),
    TaskFamily("Activity", "Activities", "Activity", "activity_arn", "activity"),
    TaskFamily(
        "Task",
        "ServiceIntegrations",
        "ServiceIntegration",
        "service_integration_resource_arn",
        "service integration task (and local python:, program:, celery: tasks)",
    ),
)
_OUTCOMES = ("Scheduled", "Started", "Succeeded", "Failed", "TimedOut")


def task_counts(family: TaskFamily) -> dict[str, str]:
    counts = {
        f"{family.plural}{outcome}": f"Number of {family.what} attempts {outcome.lower()}."
        for outcome in _OUTCOMES
    }
    if family.event == "Activity":
        counts["ActivitiesHeartbeatTimedOut"] = "Number of activities timed out by a heartbeat."
    return counts


def task_times(family: TaskFamily) -> dict[str, str]:
    what = family.what
    return {
        f"{family.single}ScheduleTime": f"Interval a {what} stays scheduled before it starts.",
        f"{family.single}RunTime": f"Interval between the time a {what} starts and it closes.",
        f"{family.single}Time": f"Interval between the time a {what} is scheduled and it closes.",
    }


def metric_names() -> dict[str, str]:
    """Every exposed family's sample name (``..._total``, ``..._seconds``) -> its kind."""
    names = {f"{PREFIX}{n}_total": "counter" for n in EXECUTION_COUNTS}
    names.update({f"{PREFIX}{n}_seconds": "histogram" for n in EXECUTION_TIMES})
    for family in TASK_FAMILIES:
        names.update({f"{PREFIX}{n}_total": "counter" for n in task_counts(family)})
        names.update({f"{PREFIX}{n}_seconds": "histogram" for n in task_times(family)})
    names[f"{PREFIX}OpenExecutionCount"] = "gauge"
    return names


class Lookup(Protocol):
    """Where a process reads what it did not see itself: a store's ``get`` and ``events``."""

    def get(self, execution_id: str) -> ExecutionRecord: ...

    def events(self, execution_arn: str) -> list[Event]: ...


def machine_arn_of(execution_arn: str) -> str:
    """The state machine ARN of an execution ARN (Standard, Express, or a Distributed Map
    child's ``...:execution:<machine>/<label>:<name>``)."""
    parts = execution_arn.split(":")
    if len(parts) < 7 or parts[5] not in ("execution", "express"):
        return execution_arn
    return ":".join([*parts[:5], "stateMachine", parts[6]])


def integration_arn(details: dict[str, Any]) -> str:
    """A TaskScheduled event's resource as the Task's ``Resource`` names it."""
    kind = str(details.get("resourceType", ""))
    resource = str(details.get("resource", ""))
    if kind in LOCAL_SCHEMES:
        return f"{kind}:{resource}"
    return f"arn:aws:states:::{kind}:{resource}"


class _Bounded(dict):  # type: ignore[type-arg]
    """A dict that forgets its oldest entries beyond ``REMEMBERED``."""

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        while len(self) > REMEMBERED:
            del self[next(iter(self))]


@dataclass(slots=True)
class _Attempt:
    family: TaskFamily
    label: str
    scheduled: int  # epoch ms
    started: int | None = None
    timed: bool = True  # False: a redrive came between (its outcome is counted, not timed)


class Metrics:
    """The metric families on their own registry, and the observer that feeds them."""

    def __init__(self, *, lookup: Lookup | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.lookup = lookup
        self._lock = threading.Lock()
        self._starts: _Bounded = _Bounded()  # arn -> (epoch ms, redriven)
        self._attempts: _Bounded = _Bounded()  # (arn, frame) -> _Attempt
        self._history: list[Event] | None = None  # the stored history read for this batch
        self.counters: dict[str, Counter] = {}
        self.times: dict[str, Histogram] = {}
        for name, text in EXECUTION_COUNTS.items():
            self._counter(name, text, MACHINE)
        for name, text in EXECUTION_TIMES.items():
            self._histogram(name, text, MACHINE)
        for family in TASK_FAMILIES:
            for name, text in task_counts(family).items():
                self._counter(name, text, family.label)
            for name, text in task_times(family).items():
                self._histogram(name, text, family.label)
        self._handlers: dict[str, Callable[[str, Event], None]] = {
            "ExecutionStarted": self._started,
            "ExecutionRedriven": self._redriven,
            "ExecutionSucceeded": self._closed,
            "ExecutionFailed": self._closed,
            "ExecutionAborted": self._closed,
            "ExecutionTimedOut": self._closed,
        }
        for family in TASK_FAMILIES:
            self._handlers[family.event + "Scheduled"] = self._scheduled
            self._handlers[family.event + "Started"] = self._task_started
            for end in ("Succeeded", "Failed", "TimedOut", "StartFailed", "SubmitFailed"):
                self._handlers[family.event + end] = self._task_closed
        self._handlers["ActivityScheduleFailed"] = self._task_closed
        self._handlers["LambdaFunctionScheduleFailed"] = self._task_closed
        self._families = {family.event: family for family in TASK_FAMILIES}

    def _counter(self, name: str, text: str, label: str) -> None:
        self.counters[name] = Counter(
            PREFIX + name, f"AWS/States {name}: {text}", [label], registry=self.registry
        )

    def _histogram(self, name: str, text: str, label: str) -> None:
        self.times[name] = Histogram(
            PREFIX + name + "_seconds",
            f"AWS/States {name} (in seconds; AWS reports milliseconds): {text}",
            [label],
            buckets=BUCKETS,
            registry=self.registry,
        )

    # -- the observer ----------------------------------------------------------------------------

    def __call__(self, arn: str, events: Sequence[Event]) -> None:
        """Count ``events`` just stored for execution ``arn``."""
        if ":mapRun:" in arn:
            return  # a Map Run's own history (its S3 calls)
        handlers = self._handlers
        with self._lock:
            self._history: list[Event] | None = None
            for event in events:
                handler = handlers.get(event.type)
                if handler is not None:
                    handler(arn, event)

    def _count(self, name: str, label: str) -> None:
        self.counters[name].labels(label).inc()

    def _time(self, name: str, label: str, millis: int) -> None:
        self.times[name].labels(label).observe(max(millis, 0) / 1000)

    # -- executions ------------------------------------------------------------------------------

    def _started(self, arn: str, event: Event) -> None:
        self._count("ExecutionsStarted", machine_arn_of(arn))
        self._starts.put(arn, (event.millis, False))

    def _redriven(self, arn: str, event: Event) -> None:
        self._count("ExecutionsRedriven", machine_arn_of(arn))
        self._starts.put(arn, (event.millis, True))

    def _closed(self, arn: str, event: Event) -> None:
        machine = machine_arn_of(arn)
        outcome = event.type[len("Execution") :]
        self._count("Executions" + outcome, machine)
        start = self._starts.pop(arn, None) or self._stored_start(arn)
        if start is None:
            return
        millis, redriven = start
        if redriven:
            self._count("RedrivenExecutions" + outcome, machine)
        self._time("ExecutionTime", machine, event.millis - millis)

    def _stored_start(self, arn: str) -> tuple[int, bool] | None:
        if self.lookup is None:
            return None
        try:
            record = self.lookup.get(arn)
        except Exception as exc:  # metrics never fail an execution
            _log.debug("no start of %s for its ExecutionTime: %s", arn, exc)
            return None
        if record.redrive_count and record.redrive_date is not None:
            return to_millis(record.redrive_date), True
        return to_millis(record.start_date), False

    # -- task attempts ---------------------------------------------------------------------------

    def _family(self, event: Event) -> TaskFamily:
        for prefix, family in self._families.items():
            if event.type.startswith(prefix):
                return family
        raise KeyError(event.type)

    def _label(self, family: TaskFamily, event: Event) -> str:
        details = event.details or {}
        if family.event == "Task":
            return integration_arn(details)
        return str(details.get("resource", ""))

    def _scheduled(self, arn: str, event: Event) -> None:
        family = self._family(event)
        label = self._label(family, event)
        self._count(family.plural + "Scheduled", label)
        self._attempts.put((arn, event.frame), _Attempt(family, label, event.millis))

    def _attempt(self, arn: str, event: Event) -> _Attempt | None:
        """The attempt ``event`` belongs to: remembered, else from the stored history."""
        found = self._attempts.get((arn, event.frame))
        if found is not None or self.lookup is None:
            return found
        if self._history is None:
            try:
                self._history = self.lookup.events(arn)
            except Exception as exc:
                _log.debug("no history of %s for its task times: %s", arn, exc)
                self._history = []
        family = self._family(event)
        attempt = None
        for earlier in self._history:
            if earlier.id >= event.id:
                break
            if earlier.type == "ExecutionRedriven" and attempt is not None:
                attempt.timed = False
            if earlier.frame != event.frame or not earlier.type.startswith(family.event):
                continue
            if earlier.type.endswith("Scheduled"):
                attempt = _Attempt(family, self._label(family, earlier), earlier.millis)
            elif earlier.type.endswith("Started") and attempt is not None:
                attempt.started = earlier.millis
        return attempt

    def _task_started(self, arn: str, event: Event) -> None:
        attempt = self._attempt(arn, event)
        if attempt is None:
            return
        family = attempt.family
        self._count(family.plural + "Started", attempt.label)
        self._time(family.single + "ScheduleTime", attempt.label, event.millis - attempt.scheduled)
        attempt.started = event.millis
        self._attempts.put((arn, event.frame), attempt)

    def _task_closed(self, arn: str, event: Event) -> None:
        attempt = self._attempt(arn, event)
        self._attempts.pop((arn, event.frame), None)
        if attempt is None:
            return
        family, label = attempt.family, attempt.label
        outcome = "Succeeded" if event.type.endswith("Succeeded") else "Failed"
        if event.type.endswith("TimedOut"):
            outcome = "TimedOut"
            error = (event.details or {}).get("error")
            if family.event == "Activity" and error == "States.HeartbeatTimeout":
                outcome = "HeartbeatTimedOut"
        self._count(family.plural + outcome, label)
        if not attempt.timed:
            return
        if attempt.started is not None:
            self._time(family.single + "RunTime", label, event.millis - attempt.started)
        self._time(family.single + "Time", label, event.millis - attempt.scheduled)
