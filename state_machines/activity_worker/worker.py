"""An activity worker: polls its task lists (one poller thread per activity), does the work,
heartbeats while working, and answers each task token.

Run it as its own process, next to the execution (the decider) that schedules the tasks::

    python state_machines/activity_worker/worker.py                     # the default store
    python state_machines/activity_worker/worker.py --store PATH|URL    # as `asl run --store`
    python state_machines/activity_worker/worker.py --endpoint http://127.0.0.1:8083  # asl serve

Without ``--endpoint`` it talks to the store directly through the Python callback API
(``runtime.callbacks.CallbackHub``); with it, through boto3's ``stepfunctions`` client, exactly
as it would talk to AWS. ``--max-tasks N`` stops after N tasks, ``--idle-exit S`` after S seconds
without one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from activities import ACTIVITIES


class HubClient:
    """The callback API over the store, without a server."""

    def __init__(self, store: str | None = None, hub: Any = None) -> None:
        from runtime.callbacks import CallbackHub

        self.hub = hub or CallbackHub.open(store)

    def create_activity(self, name: str) -> str:
        return self.hub.create_activity(name)

    def get_task(self, arn: str, worker: str, wait: float) -> tuple[str, str] | None:
        return asyncio.run(self.hub.get_activity_task(arn, worker, wait))

    def success(self, token: str, output: str) -> None:
        self.hub.send_task_success(token, output)

    def failure(self, token: str, error: str, cause: str) -> None:
        self.hub.send_task_failure(token, error, cause)

    def heartbeat(self, token: str) -> None:
        self.hub.send_task_heartbeat(token)


class Boto3Client:
    """The same calls through boto3, against ``asl serve`` (or AWS)."""

    def __init__(self, endpoint: str) -> None:
        import boto3

        self.sfn = boto3.client(
            "stepfunctions",
            endpoint_url=endpoint,
            region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "local"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
        )

    def create_activity(self, name: str) -> str:
        return self.sfn.create_activity(name=name)["activityArn"]

    def get_task(self, arn: str, worker: str, wait: float) -> tuple[str, str] | None:
        task = self.sfn.get_activity_task(activityArn=arn, workerName=worker)
        return (task["taskToken"], task["input"]) if task.get("taskToken") else None

    def success(self, token: str, output: str) -> None:
        self.sfn.send_task_success(taskToken=token, output=output)

    def failure(self, token: str, error: str, cause: str) -> None:
        self.sfn.send_task_failure(taskToken=token, error=error, cause=cause)

    def heartbeat(self, token: str) -> None:
        self.sfn.send_task_heartbeat(taskToken=token)


class Worker:
    """One poller thread per activity; stops after ``max_tasks`` or ``idle_exit`` seconds idle."""

    def __init__(self, client: Any, name: str, max_tasks: int | None, idle_exit: float | None):
        self.client, self.name = client, name
        self.max_tasks, self.idle_exit = max_tasks, idle_exit
        self.done = 0
        self.busy = 0
        self.last_work = time.monotonic()
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def run(self, wait: float) -> int:
        """Poll until stopped; returns once no task is being worked on (a poll still waiting
        for the server is abandoned: its thread is a daemon)."""
        pollers = [
            threading.Thread(
                target=self.poll, args=(name, fn, wait), name=f"poll-{name}", daemon=True
            )
            for name, fn in ACTIVITIES.items()
        ]
        for poller in pollers:
            poller.start()
        try:
            while not self.stop.wait(0.2) and any(p.is_alive() for p in pollers):
                pass
        except KeyboardInterrupt:
            self.stop.set()
        while self.busy:  # let work in hand finish and be answered
            time.sleep(0.05)
        return self.done

    def poll(self, activity: str, fn: Any, wait: float) -> None:
        arn = self.client.create_activity(activity)  # idempotent: the task list exists
        while not self.stop.is_set():
            task = self.client.get_task(arn, self.name, wait)
            if task is None:
                idle = time.monotonic() - self.last_work
                if self.idle_exit is not None and idle > self.idle_exit:
                    self.stop.set()
                continue
            self.work(activity, fn, *task)

    def work(self, activity: str, fn: Any, token: str, input_json: str) -> None:
        with self.lock:
            self.busy += 1
        try:
            self.do(activity, fn, token, input_json)
        finally:
            with self.lock:
                self.busy -= 1

    def do(self, activity: str, fn: Any, token: str, input_json: str) -> None:
        log(f"{self.name}: {activity} <- {input_json}")
        try:
            result = fn(json.loads(input_json), lambda: self.client.heartbeat(token))
        except Exception as exc:  # the task fails with the exception's class name
            self.client.failure(token, type(exc).__name__, str(exc))
            log(f"{self.name}: {activity} failed: {exc!r}")
        else:
            self.client.success(token, json.dumps(result))
            log(f"{self.name}: {activity} -> {json.dumps(result)}")
        with self.lock:
            self.done += 1
            self.last_work = time.monotonic()
            if self.max_tasks is not None and self.done >= self.max_tasks:
                self.stop.set()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--store", help="the store (default: $ASL_STORE, else .asl/)")
    target.add_argument("--endpoint", help="an `asl serve` (or AWS) endpoint URL: use boto3")
    parser.add_argument("--name", default=f"{socket.gethostname()}:{os.getpid()}")
    parser.add_argument("--wait", type=float, default=20.0, help="long-poll seconds")
    parser.add_argument("--max-tasks", type=int, help="stop after this many tasks")
    parser.add_argument("--idle-exit", type=float, help="stop after this long without a task")
    args = parser.parse_args(argv)
    client = Boto3Client(args.endpoint) if args.endpoint else HubClient(args.store)
    wait = min(args.wait, args.idle_exit) if args.idle_exit else args.wait
    done = Worker(client, args.name, args.max_tasks, args.idle_exit).run(wait)
    log(f"{args.name}: {done} task(s) done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
