"""A template's Python Lambda functions bound to their local handlers.

``AWS::Serverless::Function`` (``CodeUri`` a local folder, or ``InlineCode``; ``Handler``;
a ``python*`` ``Runtime``; SAM ``Globals`` already merged) and ``AWS::Lambda::Function``
(``Code`` a local folder or ``{ZipFile: source}``) are imported here and registered under their
function name, which covers their ARN, as ``--lambda NAME=...`` would. Each call (and the
import) runs with the function's ``Environment.Variables`` in ``os.environ``
(:mod:`._environment`). The task dispatcher finds a handler by a ``module:attribute`` spec,
``runtime.templates._functions:bound.KEY``: this process's registry, :data:`bound`.
"""

from __future__ import annotations

import hashlib
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asl.diagnostics import pointer_join
from runtime.handlers.loading import load_callable
from runtime.templates._environment import LEASES
from runtime.templates._errors import TemplateError
from runtime.templates._stack import Stack
from runtime.templates._values import scalar_text

SPEC_PREFIX = f"{__name__}:bound."


@dataclass(frozen=True, slots=True)
class LocalFunction:
    """A function of the template that runs locally."""

    logical_id: str
    name: str
    handler: str  # as Lambda writes it: "module.function", the module maybe "pkg.mod" or "dir/mod"
    code: str | None = None  # the folder the handler's module is found in
    inline: str | None = None  # or the source of the module
    environment: dict[str, str] = field(default_factory=dict)


class TemplateFunction:
    """A handler called with its function's environment applied."""

    def __init__(self, function: LocalFunction, handler: Callable[..., Any]) -> None:
        self.function = function
        self.handler = handler

    def __call__(self, event: Any, context: Any) -> Any:
        with LEASES.applied(self.function.environment):
            return self.handler(event, context)


class _Registry:
    """``bound.KEY``: the template functions bound in this process."""

    def __init__(self) -> None:
        self._functions: dict[str, TemplateFunction] = {}

    def add(self, key: str, function: TemplateFunction) -> None:
        self._functions[key] = function

    def __getattr__(self, key: str) -> TemplateFunction:
        function = self.__dict__["_functions"].get(key)
        if function is not None:
            return function
        if key.startswith("_"):  # copy, pickle and friends probing for special methods
            raise AttributeError(key)
        logical_id = key.rpartition("_")[0] or key
        raise TemplateError(  # not an AttributeError: the message reaches the user as it is
            f"function {logical_id} of a template is bound only in the process that ran the "
            "template (asl run TEMPLATE), and this execution was started by another one: run "
            "the template again (an execution of a template is not resumed or redriven)"
        )


bound = _Registry()


def read_function(stack: Stack, logical_id: str) -> LocalFunction | str:
    """The function as it runs locally, or why it cannot (a sentence)."""
    properties = stack.properties(logical_id)
    base = pointer_join("/Resources", logical_id, "Properties")

    def value(name: str) -> Any:
        return stack.resolve(properties.get(name), pointer_join(base, name))

    if value("PackageType") == "Image":
        return "it is a container image"
    runtime = scalar_text(value("Runtime")) or ""
    if not runtime.startswith("python"):
        return f"its Runtime is {runtime or 'not given'}, and only Python functions run locally"
    handler = scalar_text(value("Handler"))
    if not handler or "." not in handler:
        return "it has no Handler of the form module.function"
    code, inline = _code(stack, logical_id, value)
    if code is None and inline is None:
        return "its code is not in a local folder (CodeUri, Code) or inline"
    environment = value("Environment")
    variables = environment.get("Variables") if isinstance(environment, dict) else None
    variables = variables if isinstance(variables, dict) else {}
    environment = {name: scalar_text(v) or "" for name, v in variables.items()}
    return LocalFunction(
        logical_id, stack.name(logical_id), handler, code, inline, environment=environment
    )


def _code(
    stack: Stack, logical_id: str, value: Callable[[str], Any]
) -> tuple[str | None, str | None]:
    """(local folder, inline source) of the function's code; (None, None) when elsewhere."""
    if stack.resource_type(logical_id) == "AWS::Serverless::Function":
        inline = value("InlineCode")
        if isinstance(inline, str):
            return None, inline
        location = value("CodeUri")
    else:
        location = value("Code")
        if isinstance(location, dict) and isinstance(location.get("ZipFile"), str):
            return None, location["ZipFile"]
    if isinstance(location, str) and not location.startswith("s3://"):
        return os.path.normpath(os.path.join(stack.template.folder, location)), None
    return None, None


def bind(function: LocalFunction, template_path: str) -> str:
    """Import the function's handler and register it; its ``module:attribute`` spec."""
    purpose = f"function {function.logical_id} (Handler {function.handler})"
    with LEASES.applied(function.environment):
        handler = _load(function, purpose)
    digest = hashlib.sha1(os.path.abspath(template_path).encode()).hexdigest()[:10]
    key = f"{function.logical_id}_{digest}"
    bound.add(key, TemplateFunction(function, handler))
    return SPEC_PREFIX + key


def _load(function: LocalFunction, purpose: str) -> Callable[..., Any]:
    module, _, attribute = function.handler.rpartition(".")
    if function.inline is not None:
        return _load_inline(function, attribute, purpose)
    assert function.code is not None
    relative = module.replace(".", "/")
    path = os.path.join(function.code, relative + ".py")
    if not os.path.isfile(path):
        package = os.path.join(function.code, relative, "__init__.py")
        if not os.path.isfile(package):
            raise TemplateError(f"{purpose}: no module {module!r}: {path} does not exist")
        path = package
    if function.code not in sys.path:
        sys.path.append(function.code)  # the task root is importable, as on Lambda
    return load_callable(f"{path}:{attribute}", purpose=purpose)


def _load_inline(function: LocalFunction, attribute: str, purpose: str) -> Callable[..., Any]:
    module = types.ModuleType(f"_asl_inline_{function.logical_id}")
    try:
        code = compile(function.inline or "", f"<inline code of {function.logical_id}>", "exec")
        exec(code, module.__dict__)
    except Exception as exc:
        raise TemplateError(f"{purpose}: its inline code raised {type(exc).__name__}: {exc}")
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise TemplateError(f"{purpose}: its inline code defines no function {attribute!r}")
    return handler


__all__ = ["SPEC_PREFIX", "LocalFunction", "TemplateFunction", "bind", "bound", "read_function"]
