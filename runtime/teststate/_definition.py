"""The machine a TestState call runs: a whole definition, or one state in a machine of its own.

A single state runs as the only state of a machine, named ``StateName`` as AWS names it (so
AWS's locations, ``/States/StateName/...``, read the same). Its transitions (``Next``,
``Default``, a Choice rule's or a Catcher's ``Next``) lead to placeholder states whose names
appear nowhere in the definition, mapped back to the names the state gave: whatever the state
and the states inside it (a Map's processor, a Parallel's branches) are called, no name collides
with the wrapper's. With ``stateName`` the whole definition is the machine, and the state is
looked up anywhere in it, inside Map and Parallel states too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from runtime.core import jsontext
from runtime.teststate._errors import invalid_definition, refused

WRAPPER_NAME = "StateName"
_TARGETS = ("Next", "Default")


@dataclass(frozen=True, slots=True)
class Tested:
    """The compiled machine, the tested state's model and JSON, and the real names of the
    placeholder states its transitions lead to."""

    machine: Any
    state: Any
    raw: dict[str, Any]
    targets: dict[str, str] = field(default_factory=dict)

    def next_name(self, placeholder: str | None) -> str | None:
        """The name the definition gave the state a transition leads to."""
        if placeholder is None:
            return None
        return self.targets.get(placeholder, placeholder)


def build(
    definition: str, state_name: str | None, compile: Callable[..., Any] | None = None
) -> Tested:
    """The machine for ``definition`` and the state to test; TestStateError when the definition
    is not valid or ``state_name`` is not one of its states.

    ``compile(fn, *args)`` calls ``fn(*args)`` where definitions may be compiled (a server
    compiles on one long-lived thread); by default, here.
    """
    call = compile or _here
    try:
        value = jsontext.loads(definition)
    except jsontext.JsonTextError as exc:
        raise invalid_definition(f"Malformed JSON: {exc}")
    if not isinstance(value, dict):
        raise invalid_definition("SCHEMA_VALIDATION_FAILED: the definition must be an object at /")
    if "States" in value or "StartAt" in value:
        machine_value, name, targets = value, state_name, {}
    else:
        if state_name is not None:
            raise refused("State not found in definition")
        machine_value, targets = _wrapped(value)
        name = machine_value["StartAt"]
    empty = _empty_branches(machine_value)
    if empty:
        raise invalid_definition(_problems(empty))
    machine = call(_load, json.dumps(machine_value))
    if name is None:
        name = machine.start_at
    found = _find(machine, name)
    if found is None:
        raise refused("State not found in definition")
    return Tested(machine, found, dict(found.raw), targets)


def _wrapped(state: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A machine whose only real state is ``state``, and placeholder name -> target name."""
    taken = set(_names(state))
    name = _free(WRAPPER_NAME, taken)
    taken.add(name)
    state = dict(state)
    targets: dict[str, str] = {}

    def placeholder(target: Any) -> Any:
        if not isinstance(target, str):
            return target  # the validator reports it
        for known, real in targets.items():
            if real == target:
                return known
        known = _free(f"Next{len(targets)}", taken)
        taken.add(known)
        targets[known] = target
        return known

    for key in _TARGETS:
        if key in state:
            state[key] = placeholder(state[key])
    for key in ("Choices", "Catch"):
        entries = state.get(key)
        if isinstance(entries, list):
            state[key] = [
                {**e, "Next": placeholder(e["Next"])} if isinstance(e, dict) and "Next" in e else e
                for e in entries
            ]
    states = {name: state, **{p: {"Type": "Succeed"} for p in targets}}
    return {"StartAt": name, "States": states}, targets


def _free(base: str, taken: set[str]) -> str:
    name, n = base, 1
    while name in taken:
        name, n = f"{base}{n}", n + 1
    return name


def _names(value: Any) -> Iterator[str]:
    """Every state name anywhere in a definition (any ``States`` object's keys)."""
    if isinstance(value, dict):
        states = value.get("States")
        if isinstance(states, dict):
            yield from states
        for item in value.values():
            yield from _names(item)
    elif isinstance(value, list):
        for item in value:
            yield from _names(item)


def _problems(diagnostics: list[Any]) -> str:
    """Problems as AWS lists them in an InvalidDefinition message."""
    return ", ".join(
        f"{d.aws_code or d.code}: {d.aws_text or d.message} at {d.aws_location}"
        for d in diagnostics
        if d.severity.value == "ERROR"
    )


def _empty_branches(value: Any, pointer: str = "") -> list[Any]:
    """Parallel states without branches: TestState refuses them (AWS: "Value cannot be
    empty"), as asl's validator, which follows CreateStateMachine's fixtures, does not."""
    from asl import Diagnostic

    found: list[Any] = []
    states = value.get("States") if isinstance(value, dict) else None
    if not isinstance(states, dict):
        return found
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        here = _pointer(pointer, "States", name)
        branches = state.get("Branches")
        if state.get("Type") == "Parallel" and branches == []:
            found.append(
                Diagnostic(
                    "ASL108",
                    "Value cannot be empty",
                    _pointer(here, "Branches"),
                    aws_code="SCHEMA_VALIDATION_FAILED",
                    aws_text="Value cannot be empty",
                )
            )
        for i, branch in enumerate(branches if isinstance(branches, list) else []):
            found += _empty_branches(branch, _pointer(here, "Branches", i))
        for key in ("ItemProcessor", "Iterator"):
            found += _empty_branches(state.get(key), _pointer(here, key))
    return found


def _pointer(pointer: str, *parts: str | int) -> str:
    """A JSON Pointer one or more levels further down (RFC 6901 escapes)."""
    for part in parts:
        pointer += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return pointer


def _load(text: str) -> Any:
    """The compiled machine (remembered per text: models are immutable)."""
    import asl
    from runtime.drivers.api import load_cached

    try:
        return load_cached(text)
    except asl.DefinitionError as exc:
        raise invalid_definition(_problems(list(exc.diagnostics)))
    except ValueError as exc:  # the loader refused what the validator passed: still the client's
        raise invalid_definition(str(exc))


def _find(machine: Any, name: str) -> Any:
    for state in machine.iter_all_states():
        if state.name == name:
            return state
    return None


def _here(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)
