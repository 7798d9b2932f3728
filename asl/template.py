"""Payload templates (Parameters, ResultSelector, ItemSelector, JSONPath Assign, Credentials).

A key ending in ``.$`` takes a path (``$...``, ``$$...``, ``$var...``) or an intrinsic call
(``States.Format(...)``); the suffix is dropped from the output key. Other keys are copied as
they are. Objects are processed however deeply nested, inside arrays too. The template is
compiled once: constant subtrees are built once and shared between evaluations, and each other
object or array becomes one generated function that builds it.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from asl.errors import RUNTIME, ExpressionError, PathNotFound, StatesError
from asl.jsonpath import compile_path, is_reference_path
from asl.types import JSON, Variables

__all__ = [
    "TemplateGetter",
    "compile_template",
    "is_constant_template",
    "iter_template_problems",
    "path_not_found_cause",
]

TemplateGetter = Callable[..., JSON]
"""``fn(data, context, variables, rng=None) -> value`` (a :data:`asl.types.Getter`); ``rng``
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


def _compile_expression(key: str, text: JSON) -> tuple[Callable[..., JSON], bool]:
    """``(fn, takes_rng)`` for the value of a ``.$`` key: a path's getter
    ``fn(data, context, variables)`` or an intrinsic's ``fn(data, context, variables, rng)``."""
    if not isinstance(text, str):
        raise ExpressionError(_invalid_value(key))
    if text.startswith("$"):
        try:
            return compile_path(text), False
        except ExpressionError as exc:
            raise ExpressionError(_invalid_value(key)) from exc
    from asl.intrinsics import compile_intrinsic, is_intrinsic

    if not is_intrinsic(text):
        raise ExpressionError(_invalid_value(key))
    try:
        return compile_intrinsic(text), True
    except ExpressionError as exc:
        raise ExpressionError(_invalid_value(key)) from exc


def _path_failure(exc: PathNotFound, key: str, data: JSON, context: JSON) -> StatesError:
    """The error for field ``key`` whose path (or an intrinsic argument's path) selects nothing."""
    shown = context if exc.path.startswith("$$") else data
    return StatesError(RUNTIME, path_not_found_cause(exc.path, key, shown))


def _constant(value: JSON) -> _Node:
    def constant(
        data: JSON, context: JSON, variables: Variables, rng: random.Random | None = None
    ) -> JSON:
        return value

    return constant


class _Entry(NamedTuple):
    """One member of an object or array template."""

    name: str | None  # the output key (None in an array)
    kind: str  # "path" or "call" (a .$ field), "node" (a nested template) or "constant"
    what: Any  # the path's getter, the intrinsic, the nested template or the constant value
    field: str | None = None  # the key as written (with its .$), named when a path fails


def _compile_node(value: JSON) -> tuple[_Node, bool]:
    """``(node, is_constant)`` for a template value."""
    if isinstance(value, Mapping):
        entries: list[_Entry] = []
        for key, item in value.items():
            if isinstance(key, str) and key.endswith(_SUFFIX):
                fn, takes_rng = _compile_expression(key, item)
                kind = "call" if takes_rng else "path"
                entries.append(_Entry(key[: -len(_SUFFIX)], kind, fn, key))
            else:
                entries.append(_member(key, item))
        names = [entry.name for entry in entries]
        if len(set(names)) != len(names):
            duplicate = next(n for n in names if names.count(n) > 1)
            raise ExpressionError(f"The field '{duplicate}' is defined more than once")
        if all(entry.kind == "constant" for entry in entries):
            return _constant(dict(value)), True
        return _assemble(entries, is_list=False), False
    if isinstance(value, list):
        items = [_member(None, item) for item in value]
        if all(entry.kind == "constant" for entry in items):
            return _constant(list(value)), True
        return _assemble(items, is_list=True), False
    return _constant(value), True


def _member(name: str | None, value: JSON) -> _Entry:
    """The entry for a value without ``.$``: a constant (built once) or a nested template."""
    node, constant = _compile_node(value)
    if constant:
        return _Entry(name, "constant", node(None, None, {}, None))
    return _Entry(name, "node", node)


def _assemble(entries: list[_Entry], is_list: bool) -> _Node:
    """``fn(data, context, variables, rng=None)`` building an object (or array) from ``entries``,
    evaluated in order.

    The body is generated, so that a member costs only the call of its getter. Keys and values
    are handed to it as variables (``name0``, ``n0``...): only indexes appear in its text.
    """
    namespace: dict[str, Any] = {"PathNotFound": PathNotFound, "failure": _path_failure}
    lines = ["def build(data, context, variables, rng=None):"]
    items = []
    for i, entry in enumerate(entries):
        namespace[f"name{i}"], namespace[f"n{i}"] = entry.name, entry.what
        value = f"v{i}"
        if entry.kind == "constant":
            value = f"n{i}"
        elif entry.kind == "node":
            lines.append(f"    v{i} = n{i}(data, context, variables, rng)")
        else:
            namespace[f"field{i}"] = entry.field
            args = (
                "data, context, variables, rng"
                if entry.kind == "call"
                else "data, context, variables"
            )
            lines += [
                "    try:",
                f"        v{i} = n{i}({args})",
                "    except PathNotFound as exc:",
                f"        raise failure(exc, field{i}, data, context)",
            ]
        items.append(value if is_list else f"name{i}: {value}")
    body = ", ".join(items)
    lines.append(f"    return [{body}]" if is_list else f"    return {{{body}}}")
    exec("\n".join(lines), namespace)
    return namespace["build"]


def compile_template(value: JSON, field_name: str = "Parameters") -> TemplateGetter:
    """Compile a payload template into ``fn(data, context, variables, rng=None)``.

    Raises :class:`ExpressionError` (AWS's wording) for a ``.$`` value that is neither a path nor
    an intrinsic call, and for keys that collide once ``.$`` is stripped. At run time a path that
    selects nothing raises ``StatesError("States.Runtime", ...)`` with AWS's cause; intrinsic
    failures propagate as the intrinsic raises them. The function's ``size_terms`` are the
    template's :func:`size_terms`; where those are known, its ``depth_terms`` bound how much
    deeper than the data the output nests (see :func:`depth_terms`).
    """
    del field_name  # AWS's messages name the key, not the field holding the template
    node, _ = _compile_node(value)
    node.size_terms = terms = size_terms(value)  # type: ignore[attr-defined]
    node.depth_terms = None if terms is None else depth_terms(value)  # type: ignore[attr-defined]
    return node


def depth_terms(value: JSON) -> int:
    """The template's own nesting: where :func:`size_terms` are known (every ``.$`` member is a
    part of the data or a number), the output nests at most this many levels deeper than the
    data it is applied to."""
    if isinstance(value, Mapping):
        return 1 + max(
            (0 if k.endswith(_SUFFIX) else depth_terms(v) for k, v in value.items()), default=0
        )
    if isinstance(value, list):
        return 1 + max((depth_terms(v) for v in value), default=0)
    return 0


def size_terms(value: JSON) -> tuple[int, int] | None:
    """``(fixed, copies)``: the template's output takes at most ``fixed + copies * size(data)``
    bytes of UTF-8 JSON, where ``size(data)`` bounds the data it is applied to. None when that
    cannot be said: a member reads the context or a variable, runs a path query (which may
    select more than the data holds) or an intrinsic whose result may outgrow its arguments.
    """
    if isinstance(value, Mapping):
        fixed, copies = 2, 0  # braces
        for key, item in value.items():
            if not isinstance(key, str):
                return None
            expression = key.endswith(_SUFFIX)
            terms = _expression_terms(item) if expression else size_terms(item)
            if terms is None:
                return None
            name = key[: -len(_SUFFIX)] if expression else key
            # The key escaped (at most 6 bytes a character), quotes, colon and comma.
            fixed += 6 * len(name) + 4 + terms[0]
            copies += terms[1]
        return fixed, copies
    if isinstance(value, list):
        fixed, copies = 2, 0
        for item in value:
            terms = size_terms(item)
            if terms is None:
                return None
            fixed += 1 + terms[0]
            copies += terms[1]
        return fixed, copies
    return len(_to_json(value).encode()), 0


# Intrinsics whose result is bounded: (fixed, copies) as in size_terms, where the arguments are
# the data's or literals. A sum or a random number has at most one digit more than its largest
# argument (a literal one is within the call's text), a count at most 24 characters.
_INTRINSIC_TERMS = {
    "States.MathAdd": (25, 1),
    "States.MathRandom": (25, 1),
    "States.ArrayLength": (24, 0),
    "States.UUID": (38, 0),
}
_OUTSIDE_THE_DATA = re.compile(r"\$(\$|[A-Za-z_])")  # $$... (context) or $name (a variable)


def _expression_terms(text: JSON) -> tuple[int, int] | None:
    """The terms of a ``.$`` member: a reference path into the data is a copy of part of it."""
    if not isinstance(text, str):
        return None
    if text.startswith("$"):
        if text == "$" or (text.startswith(("$.", "$[")) and is_reference_path(text)):
            return 0, 1
        return None  # the context, a variable, or a query
    terms = _INTRINSIC_TERMS.get(text.split("(", 1)[0].strip())
    if terms is None or _OUTSIDE_THE_DATA.search(text):
        return None
    return terms[0] + len(text), terms[1]


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
