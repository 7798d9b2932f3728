"""The TestState action: :mod:`runtime.teststate` behind the server's task routing.

The request's members go to :func:`runtime.teststate.answer` as they came; unmocked Tasks run
through the server's dispatcher (its ``--lambda``/``--bind`` routes and code policy), the state
runs on the server's loop and definitions compile on its compile thread. A refused call becomes
the AWS error it names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.serve.errors import ApiError
from runtime.serve.params import DEFINITION_LIMIT, bounded, required
from runtime.teststate import Environment, TestStateError, answer

if TYPE_CHECKING:
    from runtime.serve.service import Service


def test_state(service: Service, params: dict[str, Any]) -> dict[str, Any]:
    bounded(required(params, "definition"), "definition", DEFINITION_LIMIT)
    environment = Environment(
        dispatch=service.dispatch(),
        compile=service.asl,
        run=service.loop.call,
        check_code=service.check_code,
    )
    try:
        return answer(params, environment)
    except TestStateError as exc:
        raise ApiError(exc.code, exc.message)


test_state.__test__ = False  # type: ignore[attr-defined]  # an action, not a pytest test

ACTIONS = {"TestState": test_state}
