"""The world of the ``.sync`` tests: moto's server over HTTP, its state manager, stand-ins."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from asl.errors import StatesError
from runtime.core.interpreter import TaskRequest
from runtime.tasks.aws import AwsMode
from runtime.tasks.aws.clients import AwsClients
from runtime.tasks.aws.sync import poller
from tests.runtime.aws_sync.standin import StandIn
from tests.support.moto_server import MotoServer

FOREVER = {"progression": "manual", "times": 10**9}
"""A moto state-manager transition that never happens: the job keeps running."""


class World:
    """moto's server for one test: clients, job states, stand-ins, and the pollers."""

    def __init__(self, server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
        self.server = server
        self._monkeypatch = monkeypatch
        self._transitions: list[str] = []
        self._stand_ins: list[StandIn] = []

    def client(self, service: str) -> Any:
        """A boto3 client of the test's own on the server."""
        return self.server.client(service)

    def moto_api(self, path: str, body: Any) -> None:
        """POST ``body`` to ``/moto-api/PATH``."""
        request = urllib.request.Request(
            f"{self.server.url}/moto-api/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=10).read()

    def transition(self, model: str, transition: dict[str, Any]) -> None:
        """Set how moto moves ``model`` (e.g. ``glue::job_run``) on; undone after the test."""
        body = {"model_name": model, "transition": transition}
        self.moto_api("state-manager/set-transition", body)
        self._transitions.append(model)

    def stand_in(self, service_id: str) -> StandIn:
        """A stand-in in front of the server for the engine's clients of ``service_id``
        (``CODEBUILD``, ``SAGEMAKER``...)."""
        stand_in = StandIn(self.server.url).__enter__()
        self._stand_ins.append(stand_in)
        self._monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service_id}", stand_in.url)
        return stand_in

    def wait(
        self,
        service: str,
        action: str,
        parameters: dict[str, Any],
        start: dict[str, Any],
        *,
        timeout: float | None = None,
    ) -> Any:
        """Run the poller of ``service:action.sync`` as the route does after the start call;
        ``timeout`` cancels it as the driver does for TimeoutSeconds."""
        wait = poller(service, action)
        assert wait is not None, f"no poller for {service}:{action}"
        request = TaskRequest(
            f"arn:aws:states:::{service}:{action}.sync", parameters, "Job", {}, timeout
        )
        call = wait(AwsClients(AwsMode.AWS), request, start, ".sync")
        try:
            return asyncio.run(asyncio.wait_for(call, timeout))
        finally:
            stopped()

    def cause(self, service: str, action: str, parameters: dict[str, Any], start: Any) -> Any:
        """The cause (parsed) of the ``States.TaskFailed`` the poller fails with."""
        with pytest.raises(StatesError) as raised:
            self.wait(service, action, parameters, start)
        assert raised.value.error == "States.TaskFailed"
        return json.loads(raised.value.cause)

    def times_out(self, service: str, action: str, parameters: dict[str, Any], start: Any) -> None:
        """Run the poller with a 1 s timeout, which it must reach."""
        with pytest.raises(TimeoutError):
            self.wait(service, action, parameters, start, timeout=1.0)

    def close(self) -> None:
        for model in self._transitions:
            self.moto_api("state-manager/unset-transition", {"model_name": model})
        for stand_in in self._stand_ins:
            stand_in.__exit__()


def stopped() -> None:
    """Wait for the stop calls a cancelled poller made (they run on threads of their own)."""
    for thread in threading.enumerate():
        if thread.name == "asl-sync-stop":
            thread.join(30)


@pytest.fixture
def world(moto_env: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """moto's server, emptied, with the engine's boto3 pointed at it."""
    world = World(moto_env, monkeypatch)
    try:
        yield world
    finally:
        world.close()
