"""Which local code a client of ``asl serve`` may make the server run: what the operator allowed.

``python:`` resources import a module and call it; ``program:run`` starts a program. Both run
code on the server's machine as the server's user, so a default server refuses them: at
CreateStateMachine, UpdateStateMachine and TestState (:meth:`CodePolicy.check_states`), and
again at run time (:class:`GuardedDispatch`), for machines stored before a restart with other
flags and for the program a ``program:run`` task names only in its Parameters. The operator
opens them with ``--allow-python MODULE`` (a module or package prefix), ``--allow-program
PATH`` or ``--allow-local-code``; resources the operator mapped with ``--bind`` and Lambda
functions given with ``--lambda`` are the operator's own choice and always run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from asl.errors import RUNTIME, StatesError
from runtime.callbacks.tokens import WAIT_SUFFIX
from runtime.tasks import program, python

PYTHON_FLAG = "--allow-python"
PROGRAM_FLAG = "--allow-program"
ALL_FLAG = "--allow-local-code"
_CACHE = 4096


@dataclass(frozen=True, slots=True)
class CodePolicy:
    """The operator's allow-lists; the default allows no client-named local code."""

    python: tuple[str, ...] = ()  # module prefixes: "handlers" allows handlers and handlers.x
    programs: tuple[str, ...] = ()  # executables, by real path
    local_code: bool = False  # trust every client (single user)
    bound: frozenset[str] = frozenset()  # resources the operator mapped with --bind
    _seen: dict[str, str | None] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @classmethod
    def build(
        cls,
        *,
        python: Iterable[str] = (),
        programs: Iterable[str] = (),
        local_code: bool = False,
        bound: Iterable[str] = (),
    ) -> CodePolicy:
        """A policy; ``programs`` are resolved on ``PATH`` now (ValueError for one not found)."""
        resolved = []
        for name in programs:
            found = _resolve(name, None, None)
            if found is None:
                raise ValueError(f"{PROGRAM_FLAG} {name}: no such executable (checked PATH)")
            resolved.append(found)
        modules = tuple(m.strip() for m in python)
        for module in modules:
            if not module or any(not part.isidentifier() for part in module.split(".")):
                raise ValueError(f"{PYTHON_FLAG} {module!r}: not a module name such as pkg.mod")
        return cls(modules, tuple(resolved), local_code, frozenset(bound))

    def refusal(self, resource: str) -> str | None:
        """Why a Task state naming ``resource`` may not run here, or None (cached)."""
        try:
            return self._seen[resource]
        except KeyError:
            pass
        if len(self._seen) > _CACHE:
            self._seen.clear()
        found = self._seen[resource] = self._refusal(resource)
        return found

    def check_states(self, states: Iterable[Any]) -> list[str]:
        """The refusals of compiled states' Task states, each naming state and flag."""
        from asl.model import TaskState

        out = []
        for state in states:
            if isinstance(state, TaskState):
                problem = self.refusal(state.resource)
                if problem:
                    out.append(f"state {state.name!r}: {problem}")
        return out

    def run_refusal(self, resource: str, parameters: Any) -> str | None:
        """Why this task attempt may not run: :meth:`refusal`, plus the program it names."""
        problem = self.refusal(resource)
        if problem or self.local_code or _base(resource) != program.RESOURCE:
            return problem
        if resource in self.bound or _base(resource) in self.bound:
            return None
        if not isinstance(parameters, dict):
            return None  # program.from_parameters answers with its own error
        command = parameters.get("Command")
        first = command if isinstance(command, str) else None
        if isinstance(command, list) and command and isinstance(command[0], str):
            first = command[0]
        if not first:
            return None
        env = parameters.get("Env")
        path = os.environ.get("PATH")
        if isinstance(env, dict) and "PATH" in env:
            path = env["PATH"] if isinstance(env["PATH"], str) else None
        cwd = parameters.get("Cwd")
        found = _resolve(first, path, cwd if isinstance(cwd, str) else None)
        if found is not None and found in self.programs:
            return None
        return (
            f"the program {first!r} is not allowed on this server; the operator allows a "
            f"program with {PROGRAM_FLAG} PATH (or all local code with {ALL_FLAG})"
        )

    def _refusal(self, resource: str) -> str | None:
        if self.local_code or resource in self.bound:
            return None
        base = _base(resource)
        if base in self.bound:
            return None
        if base.startswith(python.PREFIX):
            module = base[len(python.PREFIX) :].rpartition(":")[0]
            if any(module == p or module.startswith(p + ".") for p in self.python):
                return None
            return (
                f"resource {resource!r} would import the Python module {module!r} on the "
                f"server; the operator allows it with {PYTHON_FLAG} {module or 'MODULE'} "
                f"(or all local code with {ALL_FLAG})"
            )
        if base == program.RESOURCE and not self.programs:
            return (
                f"resource {resource!r} would start a program on the server; the operator "
                f"allows programs with {PROGRAM_FLAG} PATH (or all local code with {ALL_FLAG})"
            )
        return None


class GuardedDispatch:
    """A task dispatcher that first refuses the attempts the policy does not allow.

    A refused attempt fails with ``States.Runtime`` and a cause naming the flag; everything
    else (``owns_timeout``, ``preflight``, ``fleet``...) is the wrapped dispatcher's.
    """

    def __init__(self, inner: Any, policy: CodePolicy) -> None:
        self._inner = inner
        self._policy = policy

    async def __call__(self, request: Any) -> Any:
        problem = self._policy.run_refusal(request.resource, request.parameters)
        if problem:
            raise StatesError(RUNTIME, f"Refused by asl serve: {problem}.")
        return await self._inner(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _base(resource: str) -> str:
    return resource[: -len(WAIT_SUFFIX)] if resource.endswith(WAIT_SUFFIX) else resource


def _resolve(name: str, path: str | None, cwd: str | None) -> str | None:
    """The real path of the executable ``name`` names (as exec would find it), or None."""
    if os.sep in name or (os.altsep and os.altsep in name):
        full = os.path.join(cwd or os.getcwd(), os.path.expanduser(name))
        return os.path.realpath(full) if os.path.isfile(full) else None
    found = shutil.which(name, path=path)
    if found is None:
        return None
    return os.path.realpath(os.path.join(cwd or os.getcwd(), found))


__all__ = ["ALL_FLAG", "PROGRAM_FLAG", "PYTHON_FLAG", "CodePolicy", "GuardedDispatch"]
