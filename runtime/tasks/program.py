"""Programs as tasks: run an argv (never a shell), JSON on stdin, stdout back as the result.

``"Resource": "program:run"`` takes its Parameters (or Arguments)::

    {"Command": ["python3", "report.py", "--day", "mon"],  # required: argv list
     "Input.$": "$",                                      # optional: sent as JSON on stdin
     "Cwd": "/srv/app",                                   # optional: working directory
     "Env": {"MODE": "prod", "DEBUG": null}}              # optional: null unsets a variable

A ``--bind`` target ``program:ARGV`` runs ARGV (a JSON array, or a command line split with POSIX
shell quoting rules; no shell runs) with the bound task's input on stdin.

Stdout is the result: parsed as JSON when it is JSON, else the text without its final newline,
and null when empty. A non-zero exit fails the task with ``Program.ExitCode.<n>`` (a signal with
``Program.Signal.<NAME>``) and a JSON cause holding the command, the exit code and the tail of
stderr. A task timeout kills the program's whole process group.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from asl.errors import StatesError

RESOURCE = "program:run"
PREFIX = "program:"
STDERR_TAIL = 4096
_KEYS = ("Command", "Input", "Cwd", "Env")
_NO_INPUT = object()


@dataclass(frozen=True, slots=True)
class ProgramCall:
    """One program run: argv, what goes to stdin, where and with which environment."""

    argv: tuple[str, ...]
    input: Any = _NO_INPUT
    cwd: str | None = None
    env: Mapping[str, str | None] | None = None


def parse_argv(text: str) -> tuple[str, ...]:
    """The argv a ``program:ARGV`` target spells: a JSON array, or shell-style words."""
    text = text.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a valid JSON array: {exc}")
        if not _is_argv(value):
            raise ValueError(f"{text!r} must be a non-empty array of strings")
        return tuple(value)
    argv = tuple(shlex.split(text))
    if not argv:
        raise ValueError("the command is empty")
    return argv


def from_parameters(params: Any) -> ProgramCall:
    """The call ``{"Command", "Input", "Cwd", "Env"}`` describes."""
    if not isinstance(params, dict):
        raise _invalid(
            f"Parameters must be an object with {', '.join(_KEYS)}; got {_kind(params)}."
        )
    unknown = sorted(set(params) - set(_KEYS))
    if unknown:
        raise _invalid(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(_KEYS)}.")
    command = params.get("Command")
    if isinstance(command, str) and command:
        argv: tuple[str, ...] = (command,)  # one executable, no arguments: never split
    elif _is_argv(command):
        argv = tuple(command)
    else:
        raise _invalid(
            'Command must be an array of strings such as ["python3", "task.py"] '
            f"(no shell is used); got {_kind(command)}."
        )
    cwd = params.get("Cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise _invalid(f"Cwd must be a string; got {_kind(cwd)}.")
    env = params.get("Env")
    if env is not None and not (
        isinstance(env, dict) and all(v is None or isinstance(v, str) for v in env.values())
    ):
        raise _invalid("Env must be an object of strings (null unsets a variable).")
    return ProgramCall(argv, params.get("Input", _NO_INPUT), cwd, env)


async def run(call: ProgramCall) -> Any:
    """Run the program to its end and return its result (see the module docstring)."""
    env = None
    if call.env:
        env = {**os.environ, **{k: v for k, v in call.env.items() if v is not None}}
        for key in [k for k, v in call.env.items() if v is None]:
            env.pop(key, None)
    stdin = None if call.input is _NO_INPUT else json.dumps(call.input, ensure_ascii=False)
    try:
        process = await asyncio.create_subprocess_exec(
            *call.argv,
            stdin=asyncio.subprocess.DEVNULL if stdin is None else asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=call.cwd,
            env=env,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise StatesError("Program.NotFound", _not_found(call, exc))
    except PermissionError as exc:
        raise StatesError("Program.NotFound", f"Cannot run {call.argv[0]!r}: {exc.strerror}.")
    try:
        out, err = await process.communicate(None if stdin is None else (stdin + "\n").encode())
    except asyncio.CancelledError:  # the task timed out (or the execution ended)
        _kill(process)
        with contextlib.suppress(asyncio.CancelledError):
            await process.wait()
        raise
    if process.returncode != 0:
        raise _exit_failure(call, process.returncode, err)
    text = out.decode("utf-8", "replace")
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text[:-1] if text.endswith("\n") else text


def _exit_failure(call: ProgramCall, code: int | None, stderr: bytes) -> StatesError:
    cause: dict[str, Any] = {"command": list(call.argv)}
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        error = f"Program.Signal.{name}"
        cause["signal"] = name
    else:
        error = f"Program.ExitCode.{code}"
        cause["exitCode"] = code
    tail = stderr.decode("utf-8", "replace")
    if len(tail) > STDERR_TAIL:
        tail = "..." + tail[-STDERR_TAIL:]
    cause["stderr"] = tail
    return StatesError(error, json.dumps(cause, separators=(",", ":"), ensure_ascii=False))


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)  # the program and anything it started
        else:  # pragma: no cover - Windows
            process.kill()


def _not_found(call: ProgramCall, exc: FileNotFoundError) -> str:
    if call.cwd is not None and not os.path.isdir(call.cwd):
        return f"Cwd {call.cwd!r} does not exist."
    message = f"Cannot run {list(call.argv)}: executable {call.argv[0]!r} not found"
    if " " in call.argv[0]:
        message += " (a string Command names one executable; pass arguments as an array)"
    return message + "."


def _invalid(message: str) -> StatesError:
    return StatesError("Program.InvalidParameters", f"program task: {message}")


def _is_argv(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(a, str) for a in value)


def _kind(value: Any) -> str:
    return json.dumps(value)[:80] if value is not None else "nothing"


__all__ = ["PREFIX", "RESOURCE", "ProgramCall", "from_parameters", "parse_argv", "run"]
