"""The cases about the Step Functions API itself, played with boto3 against a real ``asl serve``.

``stop`` (``test_stop_execution``): start, wait until the Wait state is entered, StopExecution,
wait for ABORTED, read the history. ``express-async``
(``test_start_async_describe_history_execution``): an EXPRESS machine started asynchronously,
read back with DescribeExecution (which ``asl serve`` answers for Express executions).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.callbacks.conftest import wait_until
from tests.serve.conftest import Process, client, history, wait_done
from tests.services.cases import ServiceCase
from tests.services.compare import Outcome

ROLE = "arn:aws:iam::111111111111:role/sfn-corpus-role"
PATIENCE = 30.0


def play_served(
    case: ServiceCase, api: str, serve_process: Callable[..., Process], folder: Path, aws: str
) -> Outcome:
    """Start ``asl serve --aws AWS`` (``serve_process``, with the environment as it is) on a
    store in ``folder`` and play the case against it."""
    server = serve_process("--aws", aws, "--store", str(folder / "serve.sqlite3"))
    return play(case, api, client(server.url))


def play(case: ServiceCase, api: str, sfn: Any) -> Outcome:
    """Play the case's API calls with the ``stepfunctions`` client ``sfn``."""
    machine = sfn.create_state_machine(
        name=case.machine_name,
        definition=json.dumps(case.definition),
        roleArn=ROLE,
        type="EXPRESS" if case.express else "STANDARD",
    )["stateMachineArn"]
    started = {"stateMachineArn": machine}
    if case.execution_name:
        started["name"] = case.execution_name
    if case.data.get("input") not in (None, {}):
        started["input"] = json.dumps(case.data["input"])
    execution = sfn.start_execution(**started)["executionArn"]
    if api == "stop":
        wait_until(lambda: _entered(sfn, execution, "State_1"), PATIENCE, "the Wait state")
        sfn.stop_execution(executionArn=execution)
    description = wait_done(sfn, execution, PATIENCE)
    output = description.get("output")
    return Outcome(
        status=description["status"],
        output=json.loads(output) if output is not None else None,
        error=description.get("error"),
        cause=description.get("cause"),
        events=[] if case.express else [e["type"] for e in history(sfn, execution)],
    )


def _entered(sfn: Any, execution: str, state: str) -> bool:
    return any(
        event.get("stateEnteredEventDetails", {}).get("name") == state
        for event in history(sfn, execution)
    )


__all__ = ["play", "play_served"]
