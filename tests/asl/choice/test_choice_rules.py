"""Table-driven tests for asl.choice beyond the AWS conformance cases."""

from __future__ import annotations

import pytest

from asl.choice import (
    OPERATORS,
    compile_choice_rule,
    compile_string_matches,
    operator_of,
    operators_of,
)
from asl.errors import RUNTIME, ExpressionError, StatesError

DATA = {
    "s": "hello world",
    "n": 5,
    "f": 2.5,
    "b": True,
    "nil": None,
    "ts": "2020-01-01T00:00:00Z",
    "ts2": "2021-01-01T00:00:00+01:00",
    "other": "hello world",
    "num_s": "5",
    "star": "a*b",
    "slash": "a\\b",
    "list": [1, 2],
    "obj": {"k": "v"},
    "big": 10**20,
}
CONTEXT = {"Execution": {"Name": "exec-1"}, "State": {"RetryCount": 2}}
VARIABLES = {"limit": 3, "who": {"name": "ann"}}


def rule(op: str, value: object, variable: str = "$.s") -> dict:
    return {"Variable": variable, op: value, "Next": "X"}


# (rule, expected)
CASES = [
    (rule("StringEquals", "hello world"), True),
    (rule("StringEquals", "Hello world"), False),
    (rule("StringEquals", "5", "$.n"), False),
    (rule("StringEquals", "5", "$.num_s"), True),
    (rule("StringLessThan", "hello xorld"), True),
    (rule("StringGreaterThan", "hello"), True),
    (rule("StringLessThanEquals", "hello world"), True),
    (rule("StringGreaterThanEquals", "i"), False),
    (rule("StringEqualsPath", "$.other"), True),
    (rule("StringEqualsPath", "$.n"), False),
    (rule("StringEqualsPath", "$$.Execution.Name", "$$.Execution.Name"), True),
    (rule("StringEquals", "ann", "$who.name"), True),
    (rule("StringMatches", "hello*"), True),
    (rule("StringMatches", "*world"), True),
    (rule("StringMatches", "h*o*d"), True),
    (rule("StringMatches", "*"), True),
    (rule("StringMatches", "hello"), False),
    (rule("StringMatches", "a\\*b", "$.star"), True),
    (rule("StringMatches", "a\\*b", "$.s"), False),
    (rule("StringMatches", "a*b", "$.star"), True),
    (rule("StringMatches", "a\\\\b", "$.slash"), True),
    (rule("StringMatches", "*", "$.n"), False),
    (rule("StringMatches", "h.llo*"), False),
    (rule("NumericEquals", 5, "$.n"), True),
    (rule("NumericEquals", 5.0, "$.n"), True),
    (rule("NumericEquals", 5, "$.num_s"), False),
    (rule("NumericEquals", 1, "$.b"), False),
    (rule("NumericLessThan", 3, "$.f"), True),
    (rule("NumericGreaterThan", 2, "$.f"), True),
    (rule("NumericLessThanEquals", 2.5, "$.f"), True),
    (rule("NumericGreaterThanEquals", 6, "$.n"), False),
    (rule("NumericGreaterThan", 10**19, "$.big"), True),
    (rule("NumericGreaterThanPath", "$limit", "$.n"), True),
    (rule("NumericEqualsPath", "$$.State.RetryCount", "$.n"), False),
    (rule("NumericLessThanPath", "$.s", "$.n"), False),
    (rule("NumericGreaterThanEqualsPath", "$.f", "$.n"), True),
    (rule("NumericEqualsPath", "$.b", "$.n"), False),
    (rule("NumericEqualsPath", "$.n", "$.b"), False),
    # The operand path is not read when the Variable's value has the wrong type.
    (rule("NumericEqualsPath", "$.missing", "$.s"), False),
    (rule("StringEqualsPath", "$.missing", "$.n"), False),
    (rule("BooleanEquals", True, "$.b"), True),
    (rule("BooleanEquals", False, "$.b"), False),
    (rule("BooleanEquals", True, "$.n"), False),
    (rule("BooleanEqualsPath", "$.b", "$.b"), True),
    (rule("BooleanEqualsPath", "$.n", "$.b"), False),
    (rule("TimestampEquals", "2020-01-01T00:00:00Z", "$.ts"), True),
    (rule("TimestampEquals", "2020-01-01T01:00:00+01:00", "$.ts"), True),
    (rule("TimestampLessThan", "2020-01-01T00:00:01Z", "$.ts"), True),
    (rule("TimestampGreaterThan", "2019-12-31T23:59:59Z", "$.ts"), True),
    (rule("TimestampLessThanEquals", "2020-01-01T00:00:00Z", "$.ts"), True),
    (rule("TimestampGreaterThanEquals", "2020-01-01T00:00:01Z", "$.ts"), False),
    (rule("TimestampLessThanPath", "$.ts2", "$.ts"), True),
    (rule("TimestampEqualsPath", "$.s", "$.ts"), False),
    (rule("TimestampEquals", "2020-01-01T00:00:00Z", "$.s"), False),
    (rule("TimestampEquals", "2020-01-01T00:00:00Z", "$.n"), False),
    (rule("IsNull", True, "$.nil"), True),
    (rule("IsNull", False, "$.nil"), False),
    (rule("IsNull", True, "$.s"), False),
    (rule("IsPresent", True, "$.nil"), True),
    (rule("IsPresent", True, "$.missing"), False),
    (rule("IsPresent", False, "$.missing"), True),
    (rule("IsPresent", True, "$.missing.deeper"), False),
    (rule("IsPresent", False, "$undefined"), True),
    (rule("IsPresent", True, "$limit"), True),
    (rule("IsNumeric", True, "$.n"), True),
    (rule("IsNumeric", True, "$.f"), True),
    (rule("IsNumeric", True, "$.b"), False),
    (rule("IsNumeric", True, "$.num_s"), False),
    (rule("IsString", True, "$.s"), True),
    (rule("IsString", False, "$.n"), True),
    (rule("IsBoolean", True, "$.b"), True),
    (rule("IsBoolean", True, "$.n"), False),
    (rule("IsTimestamp", True, "$.ts"), True),
    (rule("IsTimestamp", True, "$.s"), False),
    (rule("IsTimestamp", False, "$.n"), True),
    ({"And": [rule("IsString", True), rule("NumericEquals", 5, "$.n")], "Next": "X"}, True),
    ({"And": [rule("IsString", True), rule("NumericEquals", 6, "$.n")], "Next": "X"}, False),
    ({"Or": [rule("IsString", False), rule("NumericEquals", 5, "$.n")], "Next": "X"}, True),
    ({"Or": [rule("IsString", False), rule("NumericEquals", 6, "$.n")], "Next": "X"}, False),
    ({"Not": rule("IsString", True), "Next": "X"}, False),
    ({"Not": {"Not": rule("IsString", True)}, "Next": "X"}, True),
    # Short-circuit: the missing Variable in the second rule is never read.
    ({"Or": [rule("IsString", True), rule("IsString", True, "$.missing")], "Next": "X"}, True),
    ({"And": [rule("IsString", False), rule("IsString", True, "$.missing")], "Next": "X"}, False),
]


@pytest.mark.parametrize(("choice_rule", "expected"), CASES)
def test_rule(choice_rule: dict, expected: bool) -> None:
    assert compile_choice_rule(choice_rule)(DATA, CONTEXT, VARIABLES) is expected


MISSING = [
    (rule("StringEquals", "x", "$.missing"), "$.missing"),
    (rule("IsNull", True, "$.missing"), "$.missing"),
    (rule("NumericEquals", 1, "$.obj.k.x"), "$.obj.k.x"),
    (rule("StringEqualsPath", "$.missing", "$.s"), "$.missing"),
    (rule("NumericLessThanPath", "$.missing", "$.n"), "$.missing"),
    (rule("TimestampEqualsPath", "$.missing", "$.ts"), "$.missing"),
    (rule("NumericEquals", 1, "$undefined"), "$undefined"),
    ({"Not": rule("IsBoolean", True, "$.nope")}, "$.nope"),
]


@pytest.mark.parametrize(("choice_rule", "path"), MISSING)
def test_missing_variable_is_runtime_error(choice_rule: dict, path: str) -> None:
    predicate = compile_choice_rule(choice_rule)
    with pytest.raises(StatesError) as info:
        predicate(DATA, CONTEXT, VARIABLES)
    assert info.value.error == RUNTIME
    assert info.value.cause == (
        f"Invalid path '{path}': The choice state's condition path references an invalid value."
    )


BAD_RULES = [
    {"Variable": "$.s", "Next": "X"},
    {"Variable": "$.s", "StringEquals": "a", "StringMatches": "a", "Next": "X"},
    {"StringEquals": "a", "Next": "X"},
    rule("StringEquals", 1),
    rule("NumericEquals", "1"),
    rule("NumericEquals", True),
    rule("BooleanEquals", "true"),
    rule("TimestampEquals", "2020-01-01"),
    rule("IsNull", "true"),
    rule("StringEqualsPath", 5),
    rule("StringEqualsPath", "not a path"),
    rule("StringEquals", "a", "nope"),
    rule("StringMatches", "trailing\\"),
    {"And": [], "Next": "X"},
    {"And": rule("IsNull", True), "Next": "X"},
    {"Not": [rule("IsNull", True)], "Next": "X"},
    {"Variable": "$.s", "Not": rule("IsNull", True), "Next": "X"},
    "not a rule",
]


@pytest.mark.parametrize("choice_rule", BAD_RULES)
def test_bad_rules(choice_rule: dict) -> None:
    with pytest.raises(ExpressionError):
        compile_choice_rule(choice_rule)


def test_operator_table() -> None:
    assert len(OPERATORS) == 5 * 3 * 2 + 1 + 2 + 6
    assert OPERATORS["StringMatches"] == "string"
    assert OPERATORS["NumericLessThanPath"] == "path"
    assert OPERATORS["TimestampEquals"] == "timestamp"
    assert OPERATORS["BooleanEquals"] == "boolean"
    assert OPERATORS["IsPresent"] == "bool-test"
    assert operator_of(rule("NumericEquals", 1)) == "NumericEquals"
    assert operator_of({"And": [], "Next": "X"}) == "And"
    assert operator_of({"Variable": "$", "Next": "X"}) is None
    assert operators_of({"Variable": "$", "IsNull": True, "IsString": True}) == [
        "IsNull",
        "IsString",
    ]


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("log-*.txt", "log-2024.txt", True),
        ("log-*.txt", "log-.txt", True),
        ("log-*.txt", "log-1.txt.gz", False),
        ("*.a.*", "x.a.y", True),
        ("a\\*", "a*", True),
        ("a\\*", "ab", False),
        ("line*", "line1\nline2", True),
        ("(x)[y]", "(x)[y]", True),
    ],
)
def test_string_matches(pattern: str, text: str, matches: bool) -> None:
    assert (compile_string_matches(pattern).fullmatch(text) is not None) is matches
