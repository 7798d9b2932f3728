"""Table-driven tests for asl.template (payload templates)."""

from __future__ import annotations

import json
import random

import pytest

from asl.errors import RUNTIME, ExpressionError, StatesError
from asl.template import (
    compile_template,
    is_constant_template,
    iter_template_problems,
    path_not_found_cause,
)

DATA = {"a": 1, "b": {"c": [1, 2, 3]}, "s": "x", "items": [{"id": 1}, {"id": 2}]}
CONTEXT = {"Execution": {"Id": "arn:e"}, "Task": {"Token": "tok"}, "Map": {"Item": {"Index": 0}}}
VARIABLES = {"v": {"w": 5}, "n": 3}

# (template, expected output)
CASES = [
    ({}, {}),
    ({"k": "v", "n": 1, "t": True, "z": None}, {"k": "v", "n": 1, "t": True, "z": None}),
    ({"x.$": "$.a"}, {"x": 1}),
    ({"x.$": "$"}, {"x": DATA}),
    ({"x.$": "$.b.c[1]"}, {"x": 2}),
    ({"x.$": "$.items[*].id"}, {"x": [1, 2]}),
    ({"x.$": "$.missing[*]"}, {"x": []}),
    ({"x.$": "$$.Execution.Id"}, {"x": "arn:e"}),
    ({"x.$": "$$.Task.Token", "y": "lit"}, {"x": "tok", "y": "lit"}),
    ({"x.$": "$v.w", "y.$": "$n"}, {"x": 5, "y": 3}),
    ({"outer": {"inner.$": "$.s", "k": 1}}, {"outer": {"inner": "x", "k": 1}}),
    # Keys ending in .$ are evaluated inside arrays of objects too (e.g. ECS Environment lists).
    (
        {"Env": [{"Name": "TOKEN", "Value.$": "$$.Task.Token"}, {"Name": "A", "Value": "1"}]},
        {"Env": [{"Name": "TOKEN", "Value": "tok"}, {"Name": "A", "Value": "1"}]},
    ),
    ([{"x.$": "$.a"}, 2], [{"x": 1}, 2]),
    ({"list": [[{"d.$": "$.a"}]]}, {"list": [[{"d": 1}]]}),
    # Key order follows the template.
    ({"z": 0, "y.$": "$.a", "x": 2}, {"z": 0, "y": 1, "x": 2}),
    # Values under keys without .$ stay literal even when they look like paths.
    ({"p": "$.a", "q": "States.Format('x')"}, {"p": "$.a", "q": "States.Format('x')"}),
    ({"f.$": "States.Format('{}-{}', $.a, $.s)"}, {"f": "1-x"}),
    ({"f.$": "States.ArrayLength($.b.c)"}, {"f": 3}),
    ("scalar", "scalar"),
]


@pytest.mark.parametrize(("template", "expected"), CASES)
def test_template(template: object, expected: object) -> None:
    assert compile_template(template, "Parameters")(DATA, CONTEXT, VARIABLES) == expected


def test_keys_are_ordered() -> None:
    out = compile_template({"z": 0, "y.$": "$.a", "x": 2})(DATA, CONTEXT, VARIABLES)
    assert list(out) == ["z", "y", "x"]


def test_constant_template_is_prebuilt() -> None:
    template = {"k": {"deep": [1, 2]}}
    getter = compile_template(template)
    assert getter(DATA, CONTEXT, VARIABLES) is getter({}, {}, {})
    assert is_constant_template(template)
    assert not is_constant_template({"k": [{"a.$": "$"}]})


def _size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


# Where a template's output size can be said from its data's: each is applied to every datum.
BOUNDED = [
    {},
    {"k": "v", "é\x01": [1, {"n": None}]},
    {"x.$": "$"},
    {"x.$": "$", "y.$": "$", "z": "lit"},
    {"x.$": "$.a", "deep": {"y.$": "$.s"}, "list": [{"z.$": "$.b"}, 2]},
    {"n.$": "States.MathAdd($.a, 1)", "m.$": "States.MathAdd($.a, 99999999999)"},
    {"n.$": "States.MathAdd($.big, $.big)"},
    {"l.$": "States.ArrayLength($.b)", "u.$": "States.UUID()"},
    {"r.$": "States.MathRandom($.a, 10)"},
]
DATA_SET = [
    {"a": 1, "s": "x", "b": [1, 2], "big": 10**30},
    {"a": -(10**40), "s": '"é\n' * 5, "b": [], "big": 10**200},
    {"a": 0, "s": "", "b": [{"k": "\x00" * 9}], "big": 1},
]
# Where it cannot: the context, variables, queries, intrinsics that may outgrow their data.
UNBOUNDED = [
    {"x.$": "$$.Execution.Id"},
    {"x.$": "$v"},
    {"x.$": "$..a"},
    {"x.$": "$.b[*]"},
    {"x.$": "States.Format('{}{}', $.s, $.s)"},
    {"x.$": "States.MathAdd($$.Map.Item.Index, 1)"},
    {"x.$": "States.MathAdd($n, 1)"},
    {"x.$": "States.ArrayRange(1, 1000, 1)"},
]


@pytest.mark.parametrize("template", BOUNDED, ids=str)
@pytest.mark.parametrize("data", DATA_SET, ids=["small", "escapes", "nested"])
def test_size_terms_bound_the_output(template: dict, data: dict) -> None:
    getter = compile_template(template)
    fixed, copies = getter.size_terms
    output = getter(data, CONTEXT, VARIABLES, random.Random(1))
    assert _size(output) <= fixed + copies * _size(data)


@pytest.mark.parametrize("template", UNBOUNDED, ids=str)
def test_size_terms_unknown(template: dict) -> None:
    assert compile_template(template).size_terms is None


# (template, data, expected cause)
MISSING = [
    (
        {"value.$": "$.no_such_jsonpath"},
        {"int-literal": 0},
        "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found "
        "in the input '{\"int-literal\":0}'",
    ),
    (
        {"JobName.$": "$.JobName"},
        {},
        "The JSONPath '$.JobName' specified for the field 'JobName.$' could not be found in the "
        "input '{}'",
    ),
    (
        {"outer": [{"deep.$": "$.a.b"}]},
        {"a": {"é": "ü"}},
        "The JSONPath '$.a.b' specified for the field 'deep.$' could not be found in the input "
        '\'{"a":{"é":"ü"}}\'',
    ),
    # An intrinsic's argument path: the cause names that path and the field.
    (
        {"ok.$": "$.a", "n.$": "States.MathAdd($.nope, 1)"},
        {"a": 1},
        "The JSONPath '$.nope' specified for the field 'n.$' could not be found in the input "
        "'{\"a\":1}'",
    ),
    (
        {"n.$": "States.Format('{}', $$.Task.Nope)"},
        {"a": 1},
        path_not_found_cause("$$.Task.Nope", "n.$", CONTEXT),
    ),
]


@pytest.mark.parametrize(("template", "data", "cause"), MISSING)
def test_missing_path(template: object, data: object, cause: str) -> None:
    with pytest.raises(StatesError) as info:
        compile_template(template)(data, CONTEXT, VARIABLES)
    assert info.value.error == RUNTIME
    assert info.value.cause == cause


def test_missing_context_path_shows_the_context() -> None:
    with pytest.raises(StatesError) as info:
        compile_template({"t.$": "$$.Task.Nope"})(DATA, {"Task": {}}, VARIABLES)
    assert info.value.cause == path_not_found_cause("$$.Task.Nope", "t.$", {"Task": {}})


def test_missing_variable() -> None:
    with pytest.raises(StatesError) as info:
        compile_template({"t.$": "$nope"})(DATA, CONTEXT, VARIABLES)
    assert info.value.error == RUNTIME


def _invalid(key: str) -> str:
    return (
        f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic "
        "function call"
    )


# (template, expected compile-time message)
INVALID = [
    (
        {"parsed.$": "States.Format('He said, \\\"Hello, {}!\\\"', 'Test \\\"Name\\\" Here')"},
        "The value for the field 'parsed.$' must be a valid JSONPath or a valid intrinsic "
        "function call",
    ),
    ({"x.$": "not a path"}, _invalid("x.$")),
    ({"x.$": 5}, _invalid("x.$")),
    ({"x.$": "$.a["}, _invalid("x.$")),
    ({"n": {"x.$": "States.Nope()"}}, _invalid("x.$")),
    ({"a": 1, "a.$": "$.x"}, "The field 'a' is defined more than once"),
]


@pytest.mark.parametrize(("template", "message"), INVALID)
def test_invalid(template: object, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_template(template, "Parameters")
    assert info.value.message == message


PROBLEMS = [
    ({"ok.$": "$.a", "lit": "$.x"}, []),
    (
        {"a": {"b": [{"c.$": "bad"}]}},
        [("/a/b/0", _invalid("c.$"))],
    ),
    ({"a": 1, "a.$": "$.x"}, [("", "The field 'a' is defined more than once")]),
    (
        {"x/y": {"p.$": "nope"}, "q.$": "nope"},
        [
            ("/x~1y", _invalid("p.$")),
            ("", _invalid("q.$")),
        ],
    ),
]


@pytest.mark.parametrize(("template", "problems"), PROBLEMS)
def test_problems(template: object, problems: list) -> None:
    assert list(iter_template_problems(template)) == problems


def test_rng_reaches_intrinsics() -> None:
    import random

    getter = compile_template({"u.$": "States.UUID()", "in": [{"u.$": "States.UUID()"}]})
    first = getter({}, {}, {}, rng=random.Random(7))
    again = getter({}, {}, {}, random.Random(7))
    assert first == again and len(first["u"]) == 36
    assert first["in"][0]["u"] != first["u"]
