"""``--bind RESOURCE=TARGET``: run an AWS definition unchanged against local targets.

RESOURCE is an exact resource string (``arn:aws:states:::sqs:sendMessage``) or a Lambda function
(name, ARN or partial ARN; it matches both the legacy function ARN and ``lambda:invoke``'s
``FunctionName``). TARGET is one of:

* ``python:module:function``: the function, called with the input (see :mod:`.python`);
* ``program:ARGV``: a program, the input on its stdin (see :mod:`.program`);
* ``lambda:NAME``: the ``--lambda`` handler registered for NAME;
* any other resource string, routed as if the definition had named it.

A resource matched exactly hands the target the task's effective input and returns the target's
result as it is. A Lambda function matched by name hands the target the function's event and
shapes the result as that Lambda form returns it (the Invoke response for ``lambda:invoke``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from runtime.handlers.loading import ConfigurationError
from runtime.tasks import program, python
from runtime.tasks.lambda_local import FunctionRef, LambdaFunctions

LAMBDA_PREFIX = "lambda:"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a bound resource goes."""

    kind: str  # "python", "program", "lambda" or "resource"
    text: str  # the target as written
    fn: Callable[..., Any] | None = None  # python function or Lambda handler
    argv: tuple[str, ...] = ()  # program


class Bindings:
    """The parsed ``--bind`` table; every target is checked when it is built."""

    def __init__(
        self,
        specs: Mapping[str, str],
        functions: LambdaFunctions,
        pythons: python.PythonFunctions,
    ) -> None:
        self._exact: dict[str, Target] = {}
        self._functions: list[tuple[FunctionRef, Target]] = []
        for resource, target_text in specs.items():
            purpose = f"--bind {resource}={target_text}"
            if not resource or not isinstance(target_text, str) or not target_text:
                raise ConfigurationError(f"{purpose}: both RESOURCE and TARGET must be given.")
            target = _target(target_text, purpose, functions, pythons)
            ref = FunctionRef.parse(resource)
            if ref is not None:
                self._functions.append((ref, target))
            else:
                self._exact[resource] = target

    def __bool__(self) -> bool:
        return bool(self._exact or self._functions)

    def exact(self, resource: str) -> Target | None:
        """The target bound to exactly this resource string."""
        return self._exact.get(resource)

    def for_function(self, ref: FunctionRef) -> Target | None:
        """The target bound to this Lambda function; the most specific binding wins."""
        best: tuple[int, Target] | None = None
        for bound, target in self._functions:
            if bound.covers(ref) and (best is None or bound.specificity > best[0]):
                best = (bound.specificity, target)
        return best[1] if best else None


def _target(
    text: str, purpose: str, functions: LambdaFunctions, pythons: python.PythonFunctions
) -> Target:
    if text.startswith(python.PREFIX):
        return Target("python", text, fn=pythons.resolve(text, purpose=purpose))
    if text.startswith(program.PREFIX):
        try:
            argv = program.parse_argv(text[len(program.PREFIX) :])
        except ValueError as exc:
            raise ConfigurationError(f"{purpose}: {exc}.")
        return Target("program", text, argv=argv)
    if text.startswith(LAMBDA_PREFIX):
        name = text[len(LAMBDA_PREFIX) :]
        ref = FunctionRef.parse(name)
        handler = functions.find(ref) if ref is not None else None
        if handler is None:
            raise ConfigurationError(
                f"{purpose}: no --lambda handler is registered for {name!r}; add "
                f"--lambda {name}=module:function."
            )
        return Target("lambda", text, fn=handler)
    return Target("resource", text)


__all__ = ["LAMBDA_PREFIX", "Bindings", "Target"]
