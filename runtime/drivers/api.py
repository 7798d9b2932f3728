"""``runtime.execute``: run a machine from Python, as ``asl run`` does, and get its result."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import asl
from asl.model import StateMachine
from runtime.core import jsontext
from runtime.drivers.clock import RealClock, VirtualClock
from runtime.drivers.execution import Dispatch, ExecutionResult

_UNSET: Any = object()


def load_definition(
    definition: str | Path | Mapping[str, Any] | StateMachine, *, express: bool = False
) -> tuple[StateMachine, str]:
    """A compiled machine and a name for it, from a path, JSON/YAML text, a mapping or a model."""
    kind = "EXPRESS" if express else "STANDARD"
    if isinstance(definition, StateMachine):
        return definition, "machine"
    if isinstance(definition, Path) or (
        isinstance(definition, str)
        and not definition.lstrip().startswith(("{", "["))
        and "\n" not in definition
        and Path(definition).suffix.lower() in {".json", ".yaml", ".yml"}
    ):
        path = Path(definition)
        text = path.read_bytes()
        name = path.name.split(".")[0] or "machine"
        return load_cached(text, kind, str(path)), name
    if isinstance(definition, Mapping):
        return _load_mapping(json.dumps(definition), definition, kind), "machine"
    return load_cached(definition, kind, "<definition>"), "machine"


_MAPPINGS: dict[tuple[str, str], StateMachine] = {}


def _load_mapping(key: str, definition: Mapping[str, Any], kind: str) -> StateMachine:
    """``asl.load`` of a mapping, remembered by its JSON text (diagnostics keep no positions)."""
    machine = _MAPPINGS.get((key, kind))
    if machine is None:
        machine = asl.load(definition, state_machine_type=kind)
        if len(_MAPPINGS) >= 64:
            _MAPPINGS.clear()
        _MAPPINGS[(key, kind)] = machine
    return machine


@lru_cache(maxsize=64)
def load_cached(
    text: str | bytes, state_machine_type: str = "STANDARD", filename: str = "<definition>"
) -> StateMachine:
    """``asl.load``, remembered per definition text: running a machine again skips validation
    and compilation (compiled machines are immutable, so sharing them is safe)."""
    return asl.load(text, state_machine_type=state_machine_type, filename=filename)


def execute(
    definition: str | Path | Mapping[str, Any] | StateMachine,
    input: Any = _UNSET,
    *,
    input_json: str | None = None,
    name: str | None = None,
    express: bool = False,
    time_skip: bool = False,
    lambdas: Mapping[str, str | Callable[..., Any]] | None = None,
    bind: Mapping[str, str] | None = None,
    mock_config: str | Path | Mapping[str, Any] | None = None,
    test_case: str | None = None,
    dispatch: Dispatch | None = None,
    seed: int | None = None,
    state_machine_name: str | None = None,
    role_arn: str | None = None,
    sync: bool = True,
    keep_history: bool = True,
    aws: str | None = None,
) -> ExecutionResult:
    """Run a state machine to its end and return its :class:`ExecutionResult`.

    ``definition`` is a path, JSON or YAML text, a mapping, or a machine from :func:`asl.load`.
    ``input`` is the execution input as a Python value (default ``{}``), or give JSON text as
    ``input_json``. The keyword options mirror ``asl run``'s flags: ``express=True``,
    ``time_skip=True`` (waits and retry delays pass instantly on a virtual clock),
    ``lambdas={"MyFn": "module:function"}``, ``bind={"arn:...": "python:mod:fn"}``,
    ``mock_config=...`` with ``test_case=...``, ``aws="off"|"moto"|"aws"`` (where AWS service
    calls go; default ``$ASL_AWS``, else off). An Express run behaves as StartSyncExecution;
    ``sync=False`` gives StartExecution's (asynchronous) context. The result has ``status``,
    ``output``, ``error``, ``cause`` and ``history`` (events shaped like GetExecutionHistory's);
    ``keep_history=False`` keeps no events (an empty ``history``, flat memory for a long run).

    An input that is not a JSON payload (NaN, Infinity, numbers beyond a double, lone surrogates,
    non-JSON types, nesting deeper than 512 levels) raises
    :class:`runtime.core.jsontext.JsonTextError`
    (a ``ValueError``) before anything runs. Limits end the execution, not the call: a Standard
    execution FAILED with ``States.Runtime`` at 25,000 events, an Express one TIMED_OUT after 5
    minutes (virtual ones with ``time_skip``).
    """
    if input_json is not None:
        value = jsontext.loads(input_json)
    elif input is _UNSET:
        value = {}
    else:
        value = input
        jsontext.check_value(value)
    machine, default_name = load_definition(definition, express=express)
    machine_name = state_machine_name or default_name
    if dispatch is None:
        from runtime.tasks import build_dispatch

        dispatch = build_dispatch(
            lambdas=lambdas or {},
            bindings=bind or {},
            mock_config=mock_config,
            test_case=test_case,
            state_machine_name=machine_name,
            aws=aws,
        )
    from runtime.drivers.run_path import IN_MEMORY

    return IN_MEMORY.run_sync(
        machine,
        value,
        dispatch=dispatch,
        name=name,
        machine_name=machine_name,
        express=express,
        clock=VirtualClock() if time_skip else RealClock(),
        seed=seed,
        role_arn=role_arn,
        sync=sync,
        keep_history=keep_history,
    )
