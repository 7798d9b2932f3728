"""One service case with ``--aws moto``, in a process of its own:
``python -m tests.services.embedded CASE_ID RESULT_FILE``.

The process starts the embedded AWS, builds the case's world in it with boto3 (the embedded
backend answers every boto3 client of the process), runs the consumer the test ran as a thread,
runs the execution with ``aws="moto"`` and writes ``{"outcome", "names"}`` as JSON to
RESULT_FILE. Pending callbacks stay in ``runtime.execute``'s in-process store, which the consumer
thread answers through the same hub.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from tests.services.compare import Outcome
from tests.support.moto_server import AWS_VARIABLES


def isolate_environment(machines: Path) -> None:
    """No endpoint, profile or store from outside; fake credentials; the child machines' folder."""
    for name in (*AWS_VARIABLES, "ASL_STORE"):
        os.environ.pop(name, None)
    missing = str(machines.parent / "no-aws-config")
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": missing,
            "AWS_SHARED_CREDENTIALS_FILE": missing,
            "AWS_EC2_METADATA_DISABLED": "true",
            "ASL_AWS": "moto",
            "ASL_STATE_MACHINES": str(machines),
        }
    )


def run(case_id: str, folder: Path) -> dict[str, Any]:
    """Build the world, run the consumer and the execution; the result to report."""
    from runtime.callbacks import current_hub
    from runtime.tasks.aws import embedded
    from tests.services.cases import case_by_id
    from tests.services.consumers import consume
    from tests.services.runner import execute_case
    from tests.services.sandboxes import EmbeddedSandbox
    from tests.services.worlds import api_of, build

    machines = folder / "machines"
    machines.mkdir()
    isolate_environment(machines)
    embedded.start()
    case = case_by_id(case_id)
    sandbox = EmbeddedSandbox(current_hub(), machines)
    if api_of(case):
        raise SystemExit(f"{case_id} is played through asl serve, not here")
    world = build(sandbox, case)
    complaints: list[str] = []
    consumer = None
    if world.consumer is not None:
        spec = world.consumer

        def answer() -> None:
            try:
                consume(spec, sandbox.hub, lambda: sandbox.client("sqs"))
            except Exception as exc:  # reported with the outcome
                complaints.append(f"consumer {spec.kind}: {type(exc).__name__}: {exc}")

        consumer = threading.Thread(target=answer, name="consumer", daemon=True)
        consumer.start()
    outcome = execute_case(case, world, aws="moto")
    if consumer is not None:
        consumer.join(30)
    outcome.note = "; ".join(complaints)
    return {"outcome": outcome.to_dict(), "names": world.names}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tests.services.embedded CASE_ID RESULT_FILE", file=sys.stderr)
        return 2
    case_id, result_file = argv
    with tempfile.TemporaryDirectory(prefix="asl-embedded-") as folder:
        result = run(case_id, Path(folder))
    Path(result_file).write_text(json.dumps(result, default=str))
    return 0


def read_result(path: Path) -> tuple[Outcome, list[tuple[str, str]]]:
    """The outcome and names a run of this module wrote."""
    data = json.loads(path.read_text())
    return Outcome(**data["outcome"]), [tuple(pair) for pair in data["names"]]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
