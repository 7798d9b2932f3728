"""Validate a parsed definition: limits, then the JSON Schema, then the semantic rules.

``validate_definition`` never raises for bad input and returns diagnostics with JSON Pointers
only; the caller (``asl.loading``) adds line and column from the source text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from asl.diagnostics import Diagnostic, Severity, pointer_join, pointer_parts
from asl.rules import RULES, Context, diagnostic
from asl.structure import check_structure

__all__ = ["MACHINE_TYPES", "MAX_DEFINITION_BYTES", "MAX_DEPTH", "validate_definition"]

MACHINE_TYPES = ("STANDARD", "EXPRESS")

MAX_DEFINITION_BYTES = 1024 * 1024
"""AWS refuses definitions over 1 MiB (as compact JSON, UTF-8)."""

MAX_DEPTH = 256
"""Deepest nesting of objects and arrays validated (the text reader enforces the same limit)."""

MAX_SCOPE_DEPTH = 16
"""Deepest nesting of Parallel branches and Map processors validated (real machines use 1-4)."""

MAX_RULE_DEPTH = 32
"""Deepest nesting of Choice rules (And, Or, Not) validated."""


def validate_definition(
    definition: Any, *, state_machine_type: str = "STANDARD"
) -> list[Diagnostic]:
    """Every problem AWS (and asl-engine) finds in ``definition``, a parsed JSON value.

    ``state_machine_type`` is ``STANDARD`` or ``EXPRESS`` (Express machines refuse ``.sync`` and
    callbacks). Diagnostics carry JSON Pointers, errors first, then by pointer.
    """
    if state_machine_type not in MACHINE_TYPES:
        raise ValueError(
            f"state_machine_type must be STANDARD or EXPRESS, not {state_machine_type!r}"
        )
    if not isinstance(definition, dict):
        return [
            diagnostic(
                "ASL100",
                "",
                "Definition must be a valid JSON object",
                'a state machine is an object such as {"StartAt": "A", "States": {"A": '
                '{"Type": "Pass", "End": true}}}',
            )
        ]
    limit = _check_limits(definition) or _check_nesting(definition)
    if limit is not None:
        return [limit] if isinstance(limit, Diagnostic) else _finish(limit)
    try:
        found = check_structure(definition)
        if isinstance(definition.get("StartAt"), str) and isinstance(
            definition.get("States"), dict
        ):
            context = Context(definition, state_machine_type)
            for rule in RULES:
                found.extend(rule.check(context))
    except RecursionError:  # only when called from an already very deep stack
        return [_too_deep("The definition is nested too deeply to validate here")]
    return _finish(found)


def _too_deep(text: str) -> Diagnostic:
    return diagnostic(
        "ASL005", "", text, "flatten it: move deep branches into separate state machines"
    )


def _check_nesting(definition: dict[str, Any]) -> Diagnostic | None:
    """ASL005 when Parallel/Map scopes or Choice rules nest deeper than the limits."""
    stack: list[tuple[Any, int]] = [(definition, 1)]
    while stack:
        machine, depth = stack.pop()
        if depth > MAX_SCOPE_DEPTH:
            return _too_deep(
                f"Parallel branches and Map processors are nested more than {MAX_SCOPE_DEPTH} "
                "levels deep"
            )
        states = machine.get("States")
        if not isinstance(states, dict):
            continue
        for state in states.values():
            if not isinstance(state, dict):
                continue
            branches = state.get("Branches")
            if isinstance(branches, list):
                stack.extend((b, depth + 1) for b in branches if isinstance(b, dict))
            for key in ("ItemProcessor", "Iterator"):
                if isinstance(state.get(key), dict):
                    stack.append((state[key], depth + 1))
            choices = state.get("Choices")
            if isinstance(choices, list) and _rule_depth(choices) > MAX_RULE_DEPTH:
                return _too_deep(f"Choice rules are nested more than {MAX_RULE_DEPTH} levels deep")
    return None


def _rule_depth(rules: list[Any]) -> int:
    deepest = 0
    stack = [(rule, 1) for rule in rules]
    while stack:
        rule, depth = stack.pop()
        if not isinstance(rule, dict):
            continue
        deepest = max(deepest, depth)
        if depth > MAX_RULE_DEPTH:
            break
        for key in ("And", "Or"):
            if isinstance(rule.get(key), list):
                stack.extend((sub, depth + 1) for sub in rule[key])
        if "Not" in rule:
            stack.append((rule["Not"], depth + 1))
    return deepest


def _check_limits(definition: dict[str, Any]) -> Diagnostic | list[Diagnostic] | None:
    """ASL005 when nested deeper than MAX_DEPTH, ASL004 when larger than 1 MiB, ASL009 for each
    value JSON text cannot carry (NaN, Infinity, lone surrogates); else None."""
    depth_limit = MAX_DEPTH
    size = 0
    odd = False  # a non-ASCII string or a float: looked at closely only when present
    stack: list[tuple[Any, int]] = [(definition, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > depth_limit:
            return diagnostic(
                "ASL005",
                "",
                f"The definition is nested more than {depth_limit} levels deep",
                "flatten the data (real definitions stay near 12 levels)",
            )
        if type(node) is dict:
            for key, value in node.items():
                size += len(key) + 4
                if not key.isascii():
                    odd = True
                if type(value) is dict or type(value) is list:
                    push((value, depth + 1))
                elif type(value) is str:
                    size += len(value) + 3
                    if not value.isascii():
                        odd = True
                else:
                    size += 6
                    if type(value) is float:
                        odd = True
        else:
            for value in node:
                if type(value) is dict or type(value) is list:
                    push((value, depth + 1))
                elif type(value) is str:
                    size += len(value) + 3
                    if not value.isascii():
                        odd = True
                else:
                    size += 6
                    if type(value) is float:
                        odd = True
    if odd:
        found = list(_not_json_text(definition))
        if found:
            return found
    if size > MAX_DEFINITION_BYTES // 4:  # characters, not bytes: measure exactly when close
        exact = len(json.dumps(definition, separators=(",", ":"), ensure_ascii=False).encode())
        if exact > MAX_DEFINITION_BYTES:
            return diagnostic(
                "ASL004",
                "",
                f"The definition is {exact:,} bytes, over the {MAX_DEFINITION_BYTES:,}-byte limit",
                "AWS refuses larger definitions: split the machine or move large constants out",
            )
    return None


def _not_json_text(definition: dict[str, Any]) -> Iterator[Diagnostic]:
    """ASL009 for each key or value that cannot be written as JSON text (UTF-8): a string with a
    lone surrogate, a NaN or infinite number."""
    stack: list[tuple[Any, str]] = [(definition, "")]
    while stack:
        node, pointer = stack.pop()
        items = node.items() if type(node) is dict else enumerate(node)
        for key, value in items:
            where = pointer_join(pointer, key)
            if type(key) is str and _lone_surrogate(key) is not None:
                yield _surrogate(where, key, "key")
            if type(value) is dict or type(value) is list:
                stack.append((value, where))
            elif type(value) is str and _lone_surrogate(value) is not None:
                yield _surrogate(where, value, "string")
            elif type(value) is float and not math.isfinite(value):
                what = "NaN is" if value != value else "Infinity (or a number over 1.8e308) is"
                yield diagnostic(
                    "ASL009", where, f"{what} not a JSON number", "use a finite number"
                )


def _lone_surrogate(text: str) -> int | None:
    """The index of the first lone UTF-16 surrogate in ``text``, or None."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def _surrogate(pointer: str, text: str, what: str) -> Diagnostic:
    index = _lone_surrogate(text) or 0
    return diagnostic(
        "ASL009",
        pointer,
        f"The {what} holds a lone surrogate (U+{ord(text[index]):04X}) at character {index + 1}, "
        "which is not Unicode text",
        "a \\uD800-\\uDFFF escape must be half of a pair; write the character itself or "
        "its full pair of escapes",
    )


def _sort_key(diag: Diagnostic) -> tuple[Any, ...]:
    parts = tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in pointer_parts(diag.pointer)
    )
    return (diag.severity is not Severity.ERROR, parts, diag.code)


def _finish(found: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for diag in found:
        key = (diag.code, diag.pointer, diag.message)
        if key not in seen:
            seen.add(key)
            unique.append(diag)
    unique.sort(key=_sort_key)
    return unique
