"""Choice rules (JSONPath mode) compiled into predicates ``fn(data, context, variables) -> bool``.

A comparison reads ``Variable`` (a path into the input, ``$$...`` or ``$var...``) and applies one
operator. Values of the wrong type never match; booleans are not numbers. A ``Variable`` (or a
``...Path`` operand) that selects nothing raises ``States.Runtime``, except under ``IsPresent``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from asl.errors import RUNTIME, ExpressionError, PathNotFound, StatesError
from asl.jsonpath import compile_path
from asl.timestamps import instant_key, is_timestamp
from asl.types import JSON, Getter, Predicate, Variables

__all__ = [
    "COMBINATORS",
    "OPERATORS",
    "compile_choice_rule",
    "compile_string_matches",
    "operator_of",
    "operators_of",
]

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}

_FAMILIES = {"String": "string", "Numeric": "number", "Timestamp": "timestamp"}


def _operator_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for family, kind in _FAMILIES.items():
        for comparison in _COMPARISONS:
            table[family + comparison] = kind
            table[family + comparison + "Path"] = "path"
    table["StringMatches"] = "string"
    table["BooleanEquals"] = "boolean"
    table["BooleanEqualsPath"] = "path"
    for test in ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"):
        table[test] = "bool-test"
    return table


OPERATORS: Mapping[str, str] = _operator_table()
"""Comparison operator -> what its value must be: 'string', 'number', 'boolean', 'timestamp'
(a timestamp string), 'path' (a reference path) or 'bool-test' (true/false)."""

COMBINATORS: Mapping[str, str] = {"And": "rules", "Or": "rules", "Not": "rule"}
"""Logical operators -> 'rules' (non-empty array of rules) or 'rule' (one rule)."""


def operators_of(rule: Mapping[str, JSON]) -> list[str]:
    """Every comparison operator or combinator key present in ``rule``."""
    return [key for key in rule if key in OPERATORS or key in COMBINATORS]


def operator_of(rule: Mapping[str, JSON]) -> str | None:
    """The rule's operator (e.g. ``StringEquals`` or ``And``), or None if it has none."""
    for key in rule:
        if key in OPERATORS or key in COMBINATORS:
            return key
    return None


def _missing_cause(path: str) -> str:
    return f"Invalid path '{path}': The choice state's condition path references an invalid value."


def _is_number(value: JSON) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def compile_string_matches(pattern: str) -> re.Pattern[str]:
    """The regex for a ``StringMatches`` pattern: ``*`` matches anything, ``\\`` escapes."""
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise ExpressionError(f"The StringMatches pattern '{pattern}' ends with '\\'")
            parts.append(re.escape(escaped))
        elif char == "*":
            parts.append(".*")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def compile_choice_rule(rule: Mapping[str, JSON]) -> Predicate:
    """Compile a JSONPath Choice rule (comparison or And/Or/Not) into a predicate.

    Raises :class:`ExpressionError` when the rule is malformed (no operator, several operators,
    a value of the wrong type, a bad path).
    """
    if not isinstance(rule, Mapping):
        raise ExpressionError("A Choice rule must be an object")
    ops = operators_of(rule)
    if not ops:
        raise ExpressionError("A Choice rule needs a comparison operator or And, Or, Not")
    if len(ops) > 1:
        if all(op in COMBINATORS for op in ops) and "Variable" not in rule:
            # And, Or and Not side by side (statelint accepts it): every one must hold.
            parts = [_compile_combinator(op, rule[op]) for op in ops]

            def all_hold(data: JSON, context: JSON, variables: Variables) -> bool:
                return all(part(data, context, variables) for part in parts)

            return all_hold
        raise ExpressionError(f"A Choice rule has several operators: {', '.join(ops)}")
    name = ops[0]
    value = rule[name]
    if name in COMBINATORS:
        if "Variable" in rule:
            raise ExpressionError(f"A rule using {name} cannot have a Variable")
        return _compile_combinator(name, value)
    variable = rule.get("Variable")
    if not isinstance(variable, str):
        raise ExpressionError(f"The {name} rule needs a string Variable")
    try:
        getter = compile_path(variable)
    except ExpressionError as exc:
        raise ExpressionError(f"The Variable '{variable}' is invalid: {exc.message}")
    if name == "IsPresent":
        return _compile_is_present(getter, value)
    cause = _missing_cause(variable)
    if name.startswith(("String", "Numeric")) and name != "StringMatches":
        return _compile_ordering(name, value, getter, cause)
    test = _compile_test(name, value)

    def predicate(data: JSON, context: JSON, variables: Variables) -> bool:
        try:
            actual = getter(data, context, variables)
        except PathNotFound:
            raise StatesError(RUNTIME, cause)
        return test(actual, data, context, variables)

    return predicate


def _compile_combinator(name: str, value: JSON) -> Predicate:
    if name == "Not":
        if not isinstance(value, Mapping):
            raise ExpressionError("Not must hold a single Choice rule (an object)")
        inner = compile_choice_rule(value)
        return lambda data, context, variables: not inner(data, context, variables)
    if not isinstance(value, list) or not value:
        raise ExpressionError(f"{name} must hold a non-empty array of Choice rules")
    rules = tuple(compile_choice_rule(r) for r in value)
    if name == "And":
        return lambda data, context, variables: all(r(data, context, variables) for r in rules)
    return lambda data, context, variables: any(r(data, context, variables) for r in rules)


def _compile_is_present(getter: Getter, expected: JSON) -> Predicate:
    if not isinstance(expected, bool):
        raise ExpressionError("IsPresent must be true or false")

    def is_present(data: JSON, context: JSON, variables: Variables) -> bool:
        try:
            getter(data, context, variables)
        except PathNotFound:
            return not expected
        return expected

    return is_present


Test = Callable[[JSON, JSON, JSON, Variables], bool]

_TYPE_TESTS: dict[str, Callable[[JSON], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": _is_number,
    "IsString": lambda v: isinstance(v, str),
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": is_timestamp,
}


def _compile_test(name: str, value: JSON) -> Test:
    """``fn(actual, data, context, variables) -> bool`` for one operator and its operand (type
    tests, ``StringMatches``, Boolean and Timestamp comparisons)."""
    if name in _TYPE_TESTS:
        if not isinstance(value, bool):
            raise ExpressionError(f"{name} must be true or false")
        check = _TYPE_TESTS[name]
        return lambda actual, d, c, v: check(actual) is value

    if name == "StringMatches":
        if not isinstance(value, str):
            raise ExpressionError("StringMatches must be a string pattern")
        match = compile_string_matches(value).fullmatch
        return lambda actual, d, c, v: isinstance(actual, str) and match(actual) is not None

    if name == "BooleanEquals":
        if not isinstance(value, bool):
            raise ExpressionError("BooleanEquals must be true or false")
        return lambda actual, d, c, v: actual is value
    if name == "BooleanEqualsPath":
        other = _operand_path(name, value)

        def boolean_path(actual: JSON, data: JSON, context: JSON, variables: Variables) -> bool:
            if not isinstance(actual, bool):
                return False
            return actual is other(data, context, variables)

        return boolean_path

    # Timestamp comparisons: both sides as comparable instants, or None when not a timestamp.
    is_path = name.endswith("Path")
    compare = _COMPARISONS[name[len("Timestamp") : -4 if is_path else None]]
    if not is_path:
        literal = instant_key(value)
        if literal is None:
            raise ExpressionError(f"{name} must be a timestamp, got {value!r}")

        def against_literal(actual: JSON, data: JSON, context: JSON, variables: Variables) -> bool:
            left = instant_key(actual)
            return left is not None and compare(left, literal)

        return against_literal

    other = _operand_path(name, value)

    def against_path(actual: JSON, data: JSON, context: JSON, variables: Variables) -> bool:
        left = instant_key(actual)
        if left is None:
            return False
        right = instant_key(other(data, context, variables))
        return right is not None and compare(left, right)

    return against_path


def _compile_ordering(name: str, value: JSON, getter: Getter, cause: str) -> Predicate:
    """A String or Numeric comparison (``StringLessThan``, ``NumericEqualsPath``...) reading the
    Variable with ``getter``; a value of another type (a boolean for numbers) never matches."""
    is_path = name.endswith("Path")
    family = "String" if name.startswith("String") else "Numeric"
    compare = _COMPARISONS[name[len(family) : -4 if is_path else None]]
    # ``type(v) in usual`` settles plain values at once; ``fits`` decides the others.
    usual, fits = (_STRING_TYPES, _is_string) if family == "String" else (_NUMBER_TYPES, _is_number)

    if not is_path:
        if not fits(value):
            what = "a string" if family == "String" else "a number"
            raise ExpressionError(f"{name} must be {what}, got {value!r}")

        def against_literal(data: JSON, context: JSON, variables: Variables) -> bool:
            try:
                left = getter(data, context, variables)
            except PathNotFound:
                raise StatesError(RUNTIME, cause)
            return (type(left) in usual or fits(left)) and compare(left, value)

        return against_literal

    other, other_cause = _operand_getter(name, value)

    def against_path(data: JSON, context: JSON, variables: Variables) -> bool:
        try:
            left = getter(data, context, variables)
        except PathNotFound:
            raise StatesError(RUNTIME, cause)
        if type(left) not in usual and not fits(left):
            return False
        try:
            right = other(data, context, variables)
        except PathNotFound:
            raise StatesError(RUNTIME, other_cause)
        return (type(right) in usual or fits(right)) and compare(left, right)

    return against_path


_STRING_TYPES = frozenset((str,))
_NUMBER_TYPES = frozenset((int, float))


def _is_string(value: JSON) -> bool:
    return isinstance(value, str)


def _operand_getter(name: str, path: JSON) -> tuple[Getter, str]:
    """The getter of a ``...Path`` operand and the cause when it selects nothing."""
    if not isinstance(path, str):
        raise ExpressionError(f"{name} must be a path string")
    try:
        return compile_path(path), _missing_cause(path)
    except ExpressionError as exc:
        raise ExpressionError(f"The {name} path '{path}' is invalid: {exc.message}")


def _operand_path(name: str, path: JSON) -> Getter:
    getter, cause = _operand_getter(name, path)

    def operand(data: JSON, context: JSON, variables: Variables) -> JSON:
        try:
            return getter(data, context, variables)
        except PathNotFound:
            raise StatesError(RUNTIME, cause)

    return operand
