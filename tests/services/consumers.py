"""What the original tests ran while an execution waited: SQS readers that answer the task token
in the message, and activity workers.

Each consumer answers once, through the engine's callback API (:class:`CallbackHub`): in the
HTTP run it is a process of its own over the SQLite store the execution keeps its pending tasks
in (``python -m tests.services.consumers KIND TARGET --store PATH``, boto3 configured by the
environment); in the embedded run it is a thread of the execution's process.

Kinds (LocalStack's consumer in brackets):

* ``sqs-heartbeats-success``: 10 heartbeats, then success with the message body as output
  (``_handle_sqs_task_token_with_heartbeats_and_success``).
* ``sqs-failure-bare``: failure with neither error nor cause
  (``_empty_send_task_failure_on_sqs_message``).
* ``sqs-failure``: failure ``Failure error`` / ``Failure cause``
  (``sqs_send_task_failure_state_machine``).
* ``activity-success``: take the task as worker ``BASE_ID_ACTIVITY_CONSUMER``, succeed with its
  input (``BASE_ID_ACTIVITY_CONSUMER``).
* ``activity-heartbeat-success``: the same with a heartbeat between two 2-second waits
  (``HEARTBEAT_ID_ACTIVITY_CONSUMER``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

WORKER_NAME = "BASE_ID_ACTIVITY_CONSUMER"
PATIENCE = 120.0  # seconds a consumer waits for its message or task
SQS_KINDS = ("sqs-heartbeats-success", "sqs-failure-bare", "sqs-failure")
ACTIVITY_KINDS = ("activity-success", "activity-heartbeat-success")


@dataclass(frozen=True)
class ConsumerSpec:
    """A consumer: its kind and what it reads (a queue URL or an activity ARN)."""

    kind: str
    target: str

    def __post_init__(self) -> None:
        if self.kind not in SQS_KINDS + ACTIVITY_KINDS:
            raise ValueError(f"unknown consumer kind {self.kind!r}")


class ConsumerGaveUp(RuntimeError):
    """Nothing to answer arrived within :data:`PATIENCE` seconds."""


def consume(spec: ConsumerSpec, hub: Any, sqs: Callable[[], Any]) -> str:
    """Answer one task as ``spec`` says; returns the token answered. ``sqs()`` makes the boto3
    SQS client (only SQS consumers call it)."""
    if spec.kind in ACTIVITY_KINDS:
        token, input_json = _activity_task(hub, spec.target)
        if spec.kind == "activity-heartbeat-success":
            time.sleep(2)
            hub.send_task_heartbeat(token)
            time.sleep(2)
        hub.send_task_success(token, input_json)
        return token
    body = _sqs_message(sqs(), spec.target)
    token = json.loads(body)["TaskToken"]
    if spec.kind == "sqs-heartbeats-success":
        for _ in range(10):
            hub.send_task_heartbeat(token)
        hub.send_task_success(token, body)
    elif spec.kind == "sqs-failure-bare":
        hub.send_task_failure(token)
    else:
        hub.send_task_failure(token, "Failure error", "Failure cause")
    return token


def _sqs_message(client: Any, queue_url: str) -> str:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        reply = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=1)
        for message in reply.get("Messages", []):
            return str(message["Body"])
    raise ConsumerGaveUp(f"no message in {queue_url} within {PATIENCE:.0f} s")


def _activity_task(hub: Any, activity_arn: str) -> tuple[str, str]:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        task = asyncio.run(hub.get_activity_task(activity_arn, WORKER_NAME, wait_seconds=5.0))
        if task is not None:
            return task[0], task[1]
    raise ConsumerGaveUp(f"no task for {activity_arn} within {PATIENCE:.0f} s")


def main(argv: list[str] | None = None) -> int:
    """The consumer as a process over a SQLite store."""
    parser = argparse.ArgumentParser(prog="python -m tests.services.consumers")
    parser.add_argument("kind", choices=SQS_KINDS + ACTIVITY_KINDS)
    parser.add_argument("target", help="the queue URL or the activity ARN")
    parser.add_argument("--store", required=True, help="the execution's SQLite store")
    args = parser.parse_args(argv)

    import boto3

    from runtime.callbacks import CallbackHub
    from runtime.stores import SqliteStore

    hub = CallbackHub(SqliteStore(args.store))
    try:
        token = consume(ConsumerSpec(args.kind, args.target), hub, lambda: boto3.client("sqs"))
    except ConsumerGaveUp as exc:
        print(f"consumer {args.kind}: {exc}", file=sys.stderr)
        return 1
    finally:
        hub.close()
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
