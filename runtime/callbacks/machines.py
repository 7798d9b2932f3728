"""Which definition a ``StateMachineArn`` names, for nested executions (``states:startExecution``).

Looked up in order:

1. resolvers added with :func:`add_resolver` (``asl serve`` adds one for the state machines
   created through its API), newest first;
2. machines registered in this process with :func:`register_machine`;
3. definition files named after the ARN's machine name ``NAME``: ``NAME.asl.json``,
   ``NAME.asl.yaml``, ``NAME.json``, ``NAME.yaml``, ``NAME/definition.asl.json`` or
   ``NAME/definition.asl.yaml``, in the folders of ``$ASL_STATE_MACHINES`` (``os.pathsep``
   separated), then next to the parent's definition file and one folder up (so sibling
   folders of ``state_machines/`` find each other), then the working directory.

It also holds what a parent lends the children it starts in this process: :data:`DISPATCH`, the
task dispatch of the execution whose Task is running (the driver sets it around each task), and
the stoppers (:func:`add_stopper`) that end a child run here when it is stopped.
"""

from __future__ import annotations

import contextvars
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV = "ASL_STATE_MACHINES"
_ARN = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]*:\d*:stateMachine:(?P<name>[^:]+)(?::.+)?$")
_FILES = (
    "{}.asl.json",
    "{}.asl.yaml",
    "{}.asl.yml",
    "{}.json",
    "{}.yaml",
    "{}/definition.asl.json",
    "{}/definition.asl.yaml",
)


@dataclass(frozen=True, slots=True)
class MachineSpec:
    """A state machine a nested execution runs."""

    name: str
    definition: str  # JSON or YAML text
    type: str = "STANDARD"  # or "EXPRESS"
    filename: str = "<definition>"
    arn: str | None = None  # as the resolver knows it (default: the requested ARN)


DISPATCH: contextvars.ContextVar[Any] = contextvars.ContextVar("asl_parent_dispatch", default=None)
"""The task dispatch of the execution whose Task runs in this context (the driver sets it around
each task attempt). A nested child this process runs uses it too, so the parent's local handlers
and bindings, which cannot be stored with the child, reach it."""

Resolver = Callable[[str], "MachineSpec | None"]
Launcher = Callable[[Any, Any], bool]
"""``(store, ExecutionRecord) -> bool``: run that stored RUNNING child execution (unless this
process already runs it) and return True, or return False to leave it to the next launcher."""

Stopper = Callable[[str], bool]
"""``(execution ARN) -> bool``: if this process runs that execution, cancel its run (it ends at
once; the store keeps what the caller recorded) and return True; else return False."""

_lock = threading.Lock()
_resolvers: list[Resolver] = []
_launchers: list[Launcher] = []
_stoppers: list[Stopper] = []
_registered: dict[str, MachineSpec] = {}


def add_resolver(resolver: Resolver) -> Callable[[], None]:
    """Look state machine ARNs up with ``resolver`` first; returns a function removing it."""
    return _hook(_resolvers, resolver)


def add_launcher(launcher: Launcher) -> Callable[[], None]:
    """Run child executions with ``launcher`` first (``asl serve`` runs them on its loop);
    returns a function removing it. Without one, a child runs on a thread of its own."""
    return _hook(_launchers, launcher)


def launch(store: Any, record: Any) -> bool:
    """Hand a child execution to the launchers, newest first; whether one took it."""
    with _lock:
        launchers = list(reversed(_launchers))
    return any(launcher(store, record) for launcher in launchers)


def add_stopper(stopper: Stopper) -> Callable[[], None]:
    """End executions this process runs with ``stopper`` when they are stopped (StopExecution,
    or the Task waiting for a child given up); returns a function removing it."""
    return _hook(_stoppers, stopper)


def halt(arn: str) -> bool:
    """Ask the stoppers, newest first, to end the run of execution ``arn`` in this process;
    whether one did."""
    with _lock:
        stoppers = list(reversed(_stoppers))
    return any(stopper(arn) for stopper in stoppers)


def register_machine(
    name: str, definition: str, *, type: str = "STANDARD", filename: str = "<definition>"
) -> str:
    """Make ``definition`` the machine ``name`` for nested executions in this process; its ARN."""
    from runtime.core.arns import machine_arn

    with _lock:
        _registered[name] = MachineSpec(name, definition, type, filename)
    return machine_arn(name)


def machine_name(arn: str) -> str | None:
    """The machine name in a state machine ARN (a version or alias suffix dropped)."""
    match = _ARN.match(arn) if isinstance(arn, str) else None
    return match["name"] if match else None


def resolve(arn: str, near: Iterable[str | os.PathLike[str]] = ()) -> MachineSpec | None:
    """The machine ``arn`` names, or None; ``near`` are folders to search last."""
    with _lock:
        resolvers = list(reversed(_resolvers))
    for resolver in resolvers:
        spec = resolver(arn)
        if spec is not None:
            return spec
    name = machine_name(arn)
    if name is None:
        return None
    with _lock:
        spec = _registered.get(name)
    if spec is not None:
        return spec
    for folder in _folders(near):
        for pattern in _FILES:
            path = folder / pattern.format(name)
            if path.is_file():
                return MachineSpec(name, path.read_text(encoding="utf-8"), filename=str(path))
    return None


def _hook(hooks: list[Any], hook: Any) -> Callable[[], None]:
    """Add ``hook`` to ``hooks``; a function removing it."""
    with _lock:
        hooks.append(hook)

    def remove() -> None:
        with _lock:
            if hook in hooks:
                hooks.remove(hook)

    return remove


def _folders(near: Iterable[str | os.PathLike[str]]) -> list[Path]:
    folders = [Path(p) for p in os.environ.get(ENV, "").split(os.pathsep) if p]
    for place in near:
        path = Path(place)
        folders += [path, path.parent]
    folders.append(Path.cwd())
    seen: set[Path] = set()
    unique: list[Path] = []
    for folder in folders:
        key = folder.resolve()
        if key not in seen and folder.is_dir():
            seen.add(key)
            unique.append(folder)
    return unique


__all__ = [
    "DISPATCH",
    "ENV",
    "MachineSpec",
    "add_launcher",
    "add_resolver",
    "add_stopper",
    "halt",
    "launch",
    "machine_name",
    "register_machine",
    "resolve",
]
