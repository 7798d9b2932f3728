"""Running one service case's execution through ``runtime.execute`` in a world already built.

The caller decides where AWS calls go (``aws=``), where pending callbacks live
(``runtime.callbacks.using_store``) and how the consumer runs (a process or a thread); this
module only runs the machine as the recording's names say and reports an :class:`Outcome`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import runtime
from runtime.drivers.decider_local import execute_decided
from tests.services import lambdas as handlers
from tests.services.cases import ServiceCase
from tests.services.compare import Outcome
from tests.services.worlds import World


def lambda_handlers(world: World) -> dict[str, Callable[..., Any]]:
    """The world's Lambda functions as callables."""
    out: dict[str, Callable[..., Any]] = {}
    for function, spec in world.lambdas.items():
        if spec == "wait_60_seconds":
            out[function] = handlers.wait_60_seconds
        else:
            out[function] = handlers.conformance_handler(spec)
    return out


@contextlib.contextmanager
def held_lambdas() -> Iterator[None]:
    """A minute-long handler waits while the execution runs and ends when it is over."""
    handlers.hold()
    try:
        yield
    finally:
        handlers.release()


def execute_case(
    case: ServiceCase, world: World, *, aws: str, driver: str = "in-process"
) -> Outcome:
    """Run the case's definition on the world's input; ``aws`` is the ``--aws`` mode, ``driver``
    ``in-process`` (``runtime.execute``) or ``decider`` (decision by decision, on a local
    fleet: runtime.drivers.decider_local)."""
    options = dict(
        name=case.execution_name,
        state_machine_name=case.machine_name,
        express=case.express,
        lambdas=lambda_handlers(world),
        seed=0,
        aws=aws,
    )
    with held_lambdas():
        if driver == "decider":
            result, _ = execute_decided(case.definition, world.input, time_skip=False, **options)
        else:
            result = runtime.execute(case.definition, world.input, **options)
    return Outcome(
        status=result.status,
        output=result.output,
        error=result.error,
        cause=result.cause,
        events=[event["type"] for event in result.history],
    )


__all__ = ["execute_case", "held_lambdas", "lambda_handlers"]
