"""Table-driven tests for asl.jsonata: compiling, evaluating, AWS's added functions, templates."""

from __future__ import annotations

import random
import re
import threading
from types import MappingProxyType
from typing import Any

import jsonatapy
import pytest

from asl import jsonata as _jsonata
from asl.errors import QUERY_EVALUATION_ERROR, ExpressionError, StatesError
from asl.jsonata import (
    JsonataSyntaxError,
    compile_jsonata,
    compile_jsonata_template,
    is_jsonata,
    json_type_name,
    jsonata_body,
    template_has_jsonata,
    unexpected_type_error,
)

CONTEXT = {
    "Execution": {"Id": "arn:aws:states:us-east-1:111111111111:execution:sm:run", "Name": "run"},
    "State": {"Name": "S", "EnteredTime": "2024-01-01T00:00:00.000Z", "RetryCount": 0},
    "Map": {"Item": {"Index": 1, "Value": "Item2"}},
}
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def states(state_input: Any = None, **extra: Any) -> dict[str, Any]:
    return {"input": {} if state_input is None else state_input, "context": CONTEXT, **extra}


def run(
    expr: str, state_input: Any = None, variables: dict[str, Any] | None = None, **extra: Any
) -> Any:
    return compile_jsonata("{% " + expr + " %}", "Output")(
        states(state_input, **extra), variables or {}
    )


def cause_of(
    expr: str, state_input: Any = None, variables: dict[str, Any] | None = None, **kwargs: Any
) -> str:
    with pytest.raises(StatesError) as info:
        compile_jsonata("{% " + expr + " %}", "Output")(
            states(state_input), variables or {}, **kwargs
        )
    assert info.value.error == QUERY_EVALUATION_ERROR
    return info.value.cause or ""


# --------------------------------------------------------------------------------------------
# Recognising expressions


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{% 1 %}", True),
        ("{%1%}", True),
        ("{% $states.input %}", True),
        ("{%%}", True),
        ("{%}", False),
        (" {% 1 %}", False),
        ("{% 1 %} ", False),
        ("{% 1 %", False),
        ("10 %}", False),
        ("$.a", False),
        (1, False),
        (None, False),
        (["{% 1 %}"], False),
    ],
)
def test_is_jsonata(value: Any, expected: bool) -> None:
    assert is_jsonata(value) is expected


def test_jsonata_body_strips_delimiters_and_space() -> None:
    assert jsonata_body("{%  $x := 1 \n%}") == "$x := 1"


@pytest.mark.parametrize(
    ("source", "code", "detail"),
    [
        ("{% 10 + * 2 %}", "S0201", "Syntax error"),
        ("{% a[1,2) %}", "S0202", 'Expected "]", got ","'),
        (
            "{% $sum($states.input.items.numbers %}",
            "S0203",
            'Expected ")" before end of expression',
        ),
        ("{% 1 + %}", "S0207", "Unexpected end of expression"),
        ("{% %}", "S0207", "Unexpected end of expression"),
        ("{% 'unterminated %}", "S0101", "String literal must be terminated"),
        ("{% {'a':} %}", "S0211", 'The symbol "}" cannot be used as a unary operator'),
        ("{% $.store.book[?(@.price < 10)].title %}", "S0211", "cannot be used as a unary"),
        ("{% $x := 1; $x %}", "S0201", "Syntax error"),
    ],
)
def test_syntax_errors(source: str, code: str, detail: str) -> None:
    with pytest.raises(JsonataSyntaxError) as info:
        compile_jsonata(source)
    error = info.value
    assert isinstance(error, ExpressionError)
    assert error.code == code
    assert detail in error.detail
    assert error.expression == jsonata_body(source)
    assert error.message.startswith(f"Invalid JSONata expression '{error.expression}'")
    if error.position is not None:
        assert 0 <= error.position <= len(error.expression)
        assert f"at position {error.position}" in error.message


def test_syntax_error_position_at_end_of_text() -> None:
    with pytest.raises(JsonataSyntaxError) as info:
        compile_jsonata("{% $sum($states.input.items.numbers %}")
    assert info.value.position == len("$sum($states.input.items.numbers")


@pytest.mark.parametrize("text", ["$.a", "{% 1 %", "", " {% 1 %}"])
def test_compile_rejects_strings_that_are_not_expressions(text: str) -> None:
    with pytest.raises(ExpressionError):
        compile_jsonata(text)


# --------------------------------------------------------------------------------------------
# Evaluation: $states, variables, JSONata semantics

ITEMS = {
    "items": [{"id": "a", "price": 1}, {"id": "b", "price": 2.5}],
    "nul": None,
    "arr": [1, None, 3],
    "single": [5],
    "n": 5,
}


@pytest.mark.parametrize(
    ("expr", "state_input", "variables", "expected"),
    [
        # $states fields and variables
        ("$states.input", {"a": 1}, {}, {"a": 1}),
        ("$states.input.a", {"a": [1]}, {}, [1]),
        ("$states.context.State.Name", None, {}, "S"),
        ("$states.context.Map.Item.Value", None, {}, "Item2"),
        ("$var", None, {"var": {"x": 1}}, {"x": 1}),
        ("$var.x", None, {"var": {"x": 1}}, 1),
        ("$var", None, {"var": None}, None),
        ("$a + $b", None, {"a": 1, "b": 2, "unused": [1] * 1000}, 3),
        ("$exists($missing)", None, {}, False),
        ("$states", None, {"states": "a variable may not shadow $states"}, states()),
        # null is a value, undefined is not
        ("null", None, {}, None),
        ("$states.input.nul", ITEMS, {}, None),
        ("$exists($states.input.nul)", ITEMS, {}, True),
        ("$states.input.arr[1]", ITEMS, {}, None),
        ("$count($states.input.arr)", ITEMS, {}, 3),
        ("[1, $states.input.missing, 3]", ITEMS, {}, [1, 3]),
        ("{'a': 1, 'b': $states.input.missing, 'c': null}", ITEMS, {}, {"a": 1, "c": None}),
        # paths and sequences
        ("$states.input.items.price", ITEMS, {}, [1, 2.5]),
        ("$states.input.items[price > 2]", ITEMS, {}, {"id": "b", "price": 2.5}),
        ("$states.input.items[price > 2][]", ITEMS, {}, [{"id": "b", "price": 2.5}]),
        ("$states.input.single", ITEMS, {}, [5]),
        ("$states.input.items[$.price > 1].id", ITEMS, {}, "b"),
        ("$states.input.items{id: price}", ITEMS, {}, {"a": 1, "b": 2.5}),
        # numbers: integral results are ints, as AWS renders them
        ("1.0", None, {}, 1),
        ("$sum($states.input.items.price) * 2", ITEMS, {}, 7),
        ("7 / 2", None, {}, 3.5),
        ("-5 % 3", None, {}, -2),
        ("$round(2.5)", None, {}, 2),
        ("1e21", None, {}, 1e21),
        ("1 / 0", None, {}, "Infinity"),
        ("-1 / 0", None, {}, "-Infinity"),
        ("$states.input.n", {"n": 2**70}, {}, float(2**70)),
        # functions
        ("$map([1,2,3], function($v){$v*2})", None, {}, [2, 4, 6]),
        ("$reduce([1,2,3], function($a,$b){$a+$b})", None, {}, 6),
        ("$filter($states.input.items, function($i){$i.price > 1}).id", ITEMS, {}, "b"),
        ("($f := function($n){$n <= 1 ? 1 : $n * $f($n-1)}; $f(10))", None, {}, 3628800),
        ("$merge([{'a':1},{'a':2,'b':3}])", None, {}, {"a": 2, "b": 3}),
        ("$string({'a':[1.0, 2.5]})", None, {}, '{"a":[1,2.5]}'),
        ("$split('a,b', ',')", None, {}, ["a", "b"]),
        ("$match('a1b22', /[0-9]+/).match", None, {}, ["1", "22"]),
        ("$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')", None, {}, "Smith, John"),
        ("$contains('aBc', /b/i)", None, {}, True),
        ("$length('héllo😀')", None, {}, 6),
        ("$encodeUrl('https://x.com/a b?q=é')", None, {}, "https://x.com/a%20b?q=%C3%A9"),
        ("$encodeUrlComponent('a b&c')", None, {}, "a%20b%26c"),
        ("$toMillis('2020-01-01T00:00:00.000Z')", None, {}, 1577836800000),
        ("$fromMillis(0, '[Y0001]-[M01]-[D01]')", None, {}, "1970-01-01"),
        ("$type(function(){1})", None, {}, "function"),
        (
            "$states.input ~> | items | {'seen': true} |",
            {"items": [{"a": 1}]},
            {},
            {"items": [{"a": 1, "seen": True}]},
        ),
    ],
)
def test_evaluate(expr: str, state_input: Any, variables: dict[str, Any], expected: Any) -> None:
    actual = run(expr, state_input, variables)
    assert actual == expected
    assert type(actual) is type(expected)


def test_states_result_and_error_output() -> None:
    evaluator = compile_jsonata("{% [$states.result.Payload, $states.errorOutput.Error] %}")
    value = evaluator(
        states({}, result={"Payload": 1}, errorOutput={"Error": "E", "Cause": "c"}), {}
    )
    assert value == [1, "E"]


def test_states_may_be_any_mapping() -> None:
    assert compile_jsonata("{% $states.input.a %}")(MappingProxyType(states({"a": 2})), {}) == 2


def test_result_shares_objects_with_the_input() -> None:
    state_input = {"a": {"deep": [1, 2]}}
    assert compile_jsonata("{% $states.input %}")(states(state_input), {}) is state_input


# --------------------------------------------------------------------------------------------
# Errors and their causes (the runtime prefixes "An error occurred while executing the state...")


@pytest.mark.parametrize(
    ("expr", "variables", "cause"),
    [
        (
            "$doesNotExist",
            {},
            "The JSONata expression '$doesNotExist' specified for the field 'Output' returned "
            "nothing (undefined).",
        ),
        (
            "$states.input.missing",
            {},
            "The JSONata expression '$states.input.missing' specified for the field 'Output' "
            "returned nothing (undefined).",
        ),
        (
            "$fn := function($x){$x}",
            {},
            "The JSONata expression '$fn := function($x){$x}' specified for the field 'Output' "
            "returned an unsupported result type.",
        ),
        (
            "$sum",
            {},
            "The JSONata expression '$sum' specified for the field 'Output' returned an "
            "unsupported result type.",
        ),
        (
            "1 + 'a'",
            {},
            "The JSONata expression '1 + 'a'' specified for the field 'Output' threw an error "
            "during evaluation. T2002: The right side of the + operator must evaluate to a number",
        ),
        (
            "$foo()",
            {},
            "The JSONata expression '$foo()' specified for the field 'Output' threw an error "
            "during evaluation. T1006: Attempted to invoke a non-function",
        ),
        (
            "$eval('1+1')",
            {},
            "The JSONata expression '$eval('1+1')' specified for the field 'Output' threw an error "
            "during evaluation. T1006: Attempted to invoke a non-function",
        ),
        (
            "$error('boom')",
            {},
            "The JSONata expression '$error('boom')' specified for the field 'Output' threw an "
            "error during evaluation. D3137: boom",
        ),
        (
            "$number('x')",
            {},
            "The JSONata expression '$number('x')' specified for the field 'Output' threw an error "
            "during evaluation. D3030: Cannot convert 'x' to number",
        ),
    ],
)
def test_error_causes(expr: str, variables: dict[str, Any], cause: str) -> None:
    assert cause_of(expr, None, variables) == cause


def test_cause_without_a_field() -> None:
    with pytest.raises(StatesError) as info:
        compile_jsonata("{% $nothing %}")(states(), {})
    assert info.value.cause == "The JSONata expression '$nothing' returned nothing (undefined)."


def test_error_without_a_code_is_joined_with_a_colon() -> None:
    cause = cause_of("$replace('aa', /(\\w)\\1/, 'X')")  # the Rust regex engine has no \1
    assert "threw an error during evaluation: " in cause


def test_non_terminating_recursion_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_jsonata, "EVALUATION_TIMEOUT_MS", 100)
    monkeypatch.setattr(_jsonata, "_TLS", threading.local())
    cause = cause_of("($f := function(){$f()}; $f())")
    assert cause.endswith(
        "D1012: Evaluation timeout after 100 milliseconds. Check for infinite loop"
    )


def test_eval_is_a_variable_when_one_is_assigned() -> None:
    assert run("$eval", None, {"eval": 3}) == 3


# --------------------------------------------------------------------------------------------
# Functions AWS adds


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("$partition([1,2,3,4], 2)", [[1, 2], [3, 4]]),
        ("$partition([0,1,2], 2)", [[0, 1], [2]]),
        ("$partition([0,1], 5)", [[0, 1]]),
        ("$partition([1,2,3], 2.9)", [[1, 2], [3]]),
        ("$partition([1,2,3])", [[1, 2, 3]]),
        ("$partition([[1],[2]], 1)", [[[1]], [[2]]]),
        ("[1,2,3] ~> $partition(2)", [[1, 2], [3]]),
        ("$range(0, 6, 2)", [0, 2, 4, 6]),
        ("$range(0, 5, 2)", [0, 2, 4]),
        ("$range(5, 1, -2)", [5, 3, 1]),
        ("$range(1, 1, 1)", 1),
        ("$range(1.9, 3.2, 1)", [1, 2, 3]),
        ("$hash('input', 'SHA-1')", "140f86aae51ab9e1cda9b4254fe98a74eb54c1a1"),
        ("$hash('input', 'MD5')", "a43c1b0aa53a0c908810c06ab1ff3967"),
        (
            "$hash('', 'SHA-256')",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        ("$length($hash('a', 'SHA-384')) & ',' & $length($hash('a', 'SHA-512'))", "96,128"),
        ("$random(42)", 0.7275636800328681),
        ("$random(42.9)", 0.7275636800328681),
        ("$random(0)", 0.730967787376657),
        ("$parse('{\"a\":1}').a", 1),
        ("$parse('[1, 2.0, -0, 1.5e3]')", [1, 2, 0, 1500]),
        ("$parse('null')", None),
        ("$parse('\"s\"')", "s"),
        ("$map(['1', '[2]'], $parse)", [1, [2]]),
    ],
)
def test_aws_functions(expr: str, expected: Any) -> None:
    actual = run(expr)
    assert actual == expected
    assert type(actual) is type(expected)


@pytest.mark.parametrize(
    "expr",
    [
        "$partition([], 2)",
        "$partition([1], 0)",
        "$partition($states.input.missing, 2)",
        "$range(0, 5)",
        "$range(0, 5, 0)",
        "$range(5, 0, 1)",
        "$hash('a')",
        "$parse($states.input.missing)",
        "$encodeUrl($states.input.missing)",
    ],
)
def test_aws_functions_returning_undefined(expr: str) -> None:
    assert cause_of(expr).endswith("returned nothing (undefined).")


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("$partition('abc', 2)", 'T0412: Argument 1 of function "partition" must be an array'),
        ("$partition([1], 'x')", 'T0410: Argument 2 of function "partition" does not match'),
        ("$partition([1], -1)", "D3137: Second argument must be zero or greater"),
        ("$range('a', 2, 1)", 'T0410: Argument 1 of function "range"'),
        ("$range(1, null, 1)", 'T0410: Argument 2 of function "range"'),
        ("$hash(1, 'MD5')", 'T0410: Argument 1 of function "hash"'),
        ("$hash(null, 'MD5')", 'T0410: Argument 1 of function "hash"'),
        ("$hash('a', 1)", 'T0410: Argument 2 of function "hash"'),
        ("$hash('a', 'sha-1')", "D3137: Hash algorithm 'sha-1' must be one of"),
        ("$random('x')", 'T0410: Argument 1 of function "random"'),
        ("$parse(1)", 'T0410: Argument 1 of function "parse"'),
        ("$parse('{')", "D3137: Invalid JSON"),
        ("$parse('')", "D3137: Invalid JSON"),
        ("$parse('1 2')", "D3137: Invalid JSON"),
        ('$parse(\'{"a":1,"a":2}\')', "D3137: Invalid JSON"),
        ("$parse('NaN')", "D3137: Invalid JSON"),
    ],
)
def test_aws_function_errors(expr: str, message: str) -> None:
    cause = cause_of(expr)
    assert " threw an error during evaluation. " in cause
    assert message in cause


def test_range_has_a_size_limit() -> None:
    assert "more than" in cause_of("$range(0, 100000000000, 1)")


def test_random_and_uuid_use_the_injected_rng() -> None:
    evaluator = compile_jsonata("{% [$random(), $random(), $uuid()] %}")
    first = evaluator(states(), {}, random.Random(7))
    again = evaluator(states(), {}, random.Random(7))
    assert first == again
    assert all(0 <= x < 1 for x in first[:2]) and first[0] != first[1]
    assert UUID4.fullmatch(first[2])
    assert evaluator(states(), {}, random.Random(8)) != first


def test_random_and_uuid_without_an_rng() -> None:
    a, b = compile_jsonata("{% [$uuid(), $uuid()] %}")(states(), {})
    assert UUID4.fullmatch(a) and UUID4.fullmatch(b) and a != b
    assert 0 <= run("$random()") < 1


def test_now_and_millis_read_the_clock_once() -> None:
    calls = []

    def clock() -> int:
        calls.append(1)
        return 1577836800123

    evaluator = compile_jsonata(
        "{% [$now(), $millis(), $toMillis($now()) = $millis(), $now('[Y0001]'), "
        "$now('[H01]', '+0100')] %}"
    )
    assert evaluator(states(), {}, clock=clock) == [
        "2020-01-01T00:00:00.123Z",
        1577836800123,
        True,
        "2020",
        "01",
    ]
    assert len(calls) == 1


def test_now_without_a_clock_is_the_system_time() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", run("$now()"))
    assert run("$millis()") > 1_600_000_000_000


def test_aws_function_names_are_only_defined_where_used() -> None:
    assert compile_jsonata("{% $states.input %}")._hosts == frozenset()
    assert compile_jsonata("{% $hash('a', 'MD5') %}")._hosts == {"__sfn_hash"}


# --------------------------------------------------------------------------------------------
# Templates


def test_template_evaluates_expressions_at_any_depth() -> None:
    template = {
        "constant": {"k": [1, "$.not.a.path", "{% not closed"]},
        "input": "{% $states.input %}",
        "list": [1, "{% $v %}", {"deep": "{% $v + 1 %}"}],
        "item": "{% $states.context.Map.Item.Value %}",
    }
    build = compile_jsonata_template(template, "Arguments")
    value = build(states({"x": 1}), {"v": 10})
    assert value == {
        "constant": {"k": [1, "$.not.a.path", "{% not closed"]},
        "input": {"x": 1},
        "list": [1, 10, {"deep": 11}],
        "item": "Item2",
    }
    assert value["constant"] is template["constant"]
    assert list(value) == list(template)


@pytest.mark.parametrize("template", [{}, [], 0, 0.1, None, "literal", {"a": [1, {"b": "$"}]}])
def test_constant_template_is_returned_as_is(template: Any) -> None:
    assert compile_jsonata_template(template)(states(), {}) is template


def test_template_may_be_one_expression() -> None:
    assert compile_jsonata_template("{% $states.input.a %}", "Output")(states({"a": 1}), {}) == 1


@pytest.mark.parametrize(
    ("template", "field", "where"),
    [
        ({"result": "{% $doesNotExist %}"}, "Output", "Output/result"),
        ({"result": "{% $doesNotExist %}"}, "Assign", "Assign/result"),
        ({"a": {"b": ["x", "{% $nope %}"]}}, "Output", "Output/a/b[1]"),
        (["{% $nope %}"], "Items", "Items[0]"),
        ("{% $nope %}", "Output", "Output"),
    ],
)
def test_template_error_names_the_field(template: Any, field: str, where: str) -> None:
    with pytest.raises(StatesError) as info:
        compile_jsonata_template(template, field)(states(), {})
    assert f"specified for the field '{where}' returned nothing (undefined)." in str(info.value)


def test_template_syntax_error_at_compile_time() -> None:
    with pytest.raises(JsonataSyntaxError):
        compile_jsonata_template({"a": ["{% 1 + %}"]})


def test_template_shares_one_clock_reading() -> None:
    ticks = iter(range(1000, 2000))
    build = compile_jsonata_template({"a": "{% $millis() %}", "b": ["{% $millis() %}"]})
    assert build(states(), {}, clock=lambda: next(ticks)) == {"a": 1000, "b": [1000]}


def test_template_random_is_reproducible() -> None:
    build = compile_jsonata_template({"a": "{% $random() %}", "b": "{% $uuid() %}"})
    assert build(states(), {}, random.Random(3)) == build(states(), {}, random.Random(3))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{% 1 %}", True),
        ({"a": [1, {"b": "{% 1 %}"}]}, True),
        ({"a": [1, {"b": "{ % 1 % }"}]}, False),
        ({"{% key %}": 1}, False),
        ([], False),
        (3, False),
    ],
)
def test_template_has_jsonata(value: Any, expected: bool) -> None:
    assert template_has_jsonata(value) is expected


# --------------------------------------------------------------------------------------------
# Result types for the runtime, compile once, threads


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "boolean"),
        (1, "number"),
        (1.5, "number"),
        ("s", "string"),
        ([], "array"),
        ({}, "object"),
    ],
)
def test_json_type_name(value: Any, name: str) -> None:
    assert json_type_name(value) == name


def test_evaluation_does_not_parse_again(monkeypatch: pytest.MonkeyPatch) -> None:
    evaluator = compile_jsonata("{% $hash($states.input.s, 'MD5') & $string($v) %}", "Output")
    calls: list[str] = []
    real = jsonatapy.compile

    def counting(text: str, **kwargs: Any) -> Any:
        calls.append(text)
        return real(text, **kwargs)

    monkeypatch.setattr(jsonatapy, "compile", counting)
    for i in range(5):
        evaluator(states({"s": str(i)}), {"v": i})
    assert calls == []


def test_evaluators_can_be_shared_between_threads() -> None:
    evaluator = compile_jsonata("{% $sum($states.input.items) & '-' & $v & '-' & $random(1) %}")
    build = compile_jsonata_template({"n": "{% $v %}", "h": "{% $hash($string($v), 'MD5') %}"})
    expected_random = run("'' & $random(1)")
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(200):
                got = evaluator(states({"items": [k, i]}), {"v": i})
                assert got == f"{k + i}-{i}-{expected_random}"
                assert build(states(), {"v": i})["n"] == i
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_unexpected_type_error_wording() -> None:
    evaluator = compile_jsonata("{% $ItemsVar %}", "Items")
    cases = [
        (1, "Expected 'array', but was 'number' for value: 1"),
        ("string", "Expected 'array', but was 'string' for value: \"string\""),
        ({"foo": "bar"}, "Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}"),
        (None, "Expected 'array', but was 'null' for value: null"),
    ]
    for value, tail in cases:
        error = unexpected_type_error(evaluator, "array", value)
        assert error.error == QUERY_EVALUATION_ERROR
        assert error.cause == (
            "The JSONata expression '$ItemsVar' specified for the field 'Items' returned an "
            f"unexpected result type. {tail}"
        )
