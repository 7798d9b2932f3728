"""Payload templates (Parameters, ResultSelector, ItemSelector, JSONPath Assign, Credentials).

A key ending in ``.$`` takes a path (``$...``, ``$$...``, ``$var...``) or an intrinsic call
(``States.Format(...)``); the suffix is dropped from the output key. Other keys are copied as
they are. Objects are processed however deeply nested, inside arrays too. The template is
compiled once: constant subtrees are built once and shared between evaluations.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from asl._errors import RUNTIME, ExpressionError, PathNotFound, StatesError
from asl._jsonpath import compile_path
from asl._types import JSON, Variables

__all__ = [
    "TemplateGetter",
    "compile_template",
    "is_constant_template",
    "iter_template_problems",
    "path_not_found_cause",
]

TemplateGetter = Callable[..., JSON]
"""``fn(data, context, variables, rng=None) -> value`` (a :data:`asl._types.Getter`); ``rng``
(a :class:`random.Random`) is handed to intrinsic calls such as ``States.UUID``."""

_Node = Callable[[JSON, JSON, Variables, "random.Random | None"], JSON]

_SUFFIX = ".$"


def _invalid_value(key: str) -> str:
    return (
        f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic "
        "function call"
    )


def _to_json(value: JSON) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def path_not_found_cause(path: str, key: str, data: JSON) -> str:
    """AWS's cause when the path of field ``key`` (with its ``.$``) selects nothing in ``data``."""
    return (
        f"The JSONPath '{path}' specified for the field '{key}' could not be found in the input "
        f"'{_to_json(data)}'"
    )


def _compile_expression(key: str, text: JSON) -> _Node:
    """The node for the value of a ``.$`` key."""
    if not isinstance(text, str):
        raise ExpressionError(_invalid_value(key))
    if text.startswith("$"):
        try:
            getter = compile_path(text)
        except ExpressionError as exc:
            raise ExpressionError(_invalid_value(key)) from exc
        context_path = text.startswith("$$")

        def path_node(data: JSON, context: JSON, variables: Variables, rng: Any) -> JSON:
            try:
                return getter(data, context, variables)
            except PathNotFound:
                shown = context if context_path else data
                raise StatesError(RUNTIME, path_not_found_cause(text, key, shown))

        return path_node
    from asl._intrinsics import compile_intrinsic, is_intrinsic

    if not is_intrinsic(text):
        raise ExpressionError(_invalid_value(key))
    try:
        call = compile_intrinsic(text)
    except ExpressionError as exc:
        raise ExpressionError(_invalid_value(key)) from exc

    def intrinsic_node(data: JSON, context: JSON, variables: Variables, rng: Any) -> JSON:
        try:
            return call(data, context, variables, rng=rng)
        except PathNotFound as exc:  # an argument's path selects nothing
            shown = context if exc.path.startswith("$$") else data
            raise StatesError(RUNTIME, path_not_found_cause(exc.path, key, shown))

    return intrinsic_node


def _constant(value: JSON) -> _Node:
    return lambda data, context, variables, rng: value


def _compile_node(value: JSON) -> tuple[_Node, bool]:
    """``(node, is_constant)`` for a template value."""
    if isinstance(value, Mapping):
        entries: list[tuple[str, _Node, bool]] = []
        for key, item in value.items():
            if isinstance(key, str) and key.endswith(_SUFFIX):
                entries.append((key[: -len(_SUFFIX)], _compile_expression(key, item), False))
            else:
                node, constant = _compile_node(item)
                entries.append((key, node, constant))
        names = [name for name, _, _ in entries]
        if len(set(names)) != len(names):
            duplicate = next(n for n in names if names.count(n) > 1)
            raise ExpressionError(f"The field '{duplicate}' is defined more than once")
        if all(constant for _, _, constant in entries):
            return _constant(dict(value)), True
        slots = tuple(
            (name, None, node(None, None, {}, None)) if constant else (name, node, None)
            for name, node, constant in entries
        )

        def build(data: JSON, context: JSON, variables: Variables, rng: Any) -> JSON:
            return {
                name: value if node is None else node(data, context, variables, rng)
                for name, node, value in slots
            }

        return build, False
    if isinstance(value, list):
        items = [_compile_node(item) for item in value]
        if all(constant for _, constant in items):
            return _constant(list(value)), True
        nodes = tuple(node for node, _ in items)

        def build_list(data: JSON, context: JSON, variables: Variables, rng: Any) -> JSON:
            return [node(data, context, variables, rng) for node in nodes]

        return build_list, False
    return _constant(value), True


def compile_template(value: JSON, field_name: str = "Parameters") -> TemplateGetter:
    """Compile a payload template into ``fn(data, context, variables, rng=None)``.

    Raises :class:`ExpressionError` (AWS's wording) for a ``.$`` value that is neither a path nor
    an intrinsic call, and for keys that collide once ``.$`` is stripped. At run time a path that
    selects nothing raises ``StatesError("States.Runtime", ...)`` with AWS's cause; intrinsic
    failures propagate as the intrinsic raises them.
    """
    del field_name  # AWS's messages name the key, not the field holding the template
    node, _ = _compile_node(value)

    def template(data: JSON, context: JSON, variables: Variables, rng: Any = None) -> JSON:
        return node(data, context, variables, rng)

    return template


def is_constant_template(value: JSON) -> bool:
    """Whether the template has no ``.$`` key anywhere (its output is itself)."""
    if isinstance(value, Mapping):
        return all(
            not (isinstance(k, str) and k.endswith(_SUFFIX)) and is_constant_template(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return all(is_constant_template(v) for v in value)
    return True


def _escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def iter_template_problems(value: JSON, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(json_pointer, message)`` for each problem in a template, without raising.

    The pointer is relative to the template and names the object holding the bad key (where
    AWS reports it). Problems: a ``.$`` value that is neither a path nor an intrinsic call, and
    two keys that are the same once ``.$`` is stripped (``{"a": 1, "a.$": "$.x"}``).
    """
    if isinstance(value, Mapping):
        seen: set[str] = set()
        for key, item in value.items():
            name = key[: -len(_SUFFIX)] if key.endswith(_SUFFIX) else key
            if name in seen:
                yield pointer, f"The field '{name}' is defined more than once"
            seen.add(name)
            if key.endswith(_SUFFIX):
                try:
                    _compile_expression(key, item)
                except ExpressionError as exc:
                    yield pointer, exc.message
            else:
                yield from iter_template_problems(item, f"{pointer}/{_escape_pointer(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_template_problems(item, f"{pointer}/{index}")
