"""Compare the JSONata engines: jsonata-python (pure Python) and jsonatapy (Rust), and asl.jsonata.

Run ``python bench/jsonata_engines.py [--quick]``. Prints

1. correctness: expressions from the conformance cases (what AWS returned) and from the JSONata
   specification, run through each raw engine the natural way (``$states`` and variables bound,
   null told apart from undefined) and through ``asl.jsonata``;
2. engine-specific checks: a stale ``$millis``, use from another thread;
3. speed: compile once, evaluate many, microseconds per evaluation on typical AWS expressions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
import timeit
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asl.errors import StatesError
from asl.jsonata import compile_jsonata

try:
    import jsonata as jsonata_python
    from jsonata.parser import Parser as _PyParser
    from jsonata.utils import Utils as _PyUtils

    _PySymbol = _PyParser.Symbol  # what jsonata-python returns for a lambda
except ImportError:  # pragma: no cover
    jsonata_python = None
try:
    import jsonatapy
except ImportError:  # pragma: no cover
    jsonatapy = None


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNDEF = _Marker("<undefined>")
FUNCTION = _Marker("<function>")


class Err:
    """An expected error: its JSONata code, or None for any error."""

    def __init__(self, code: str | None = None) -> None:
        self.code = code

    def __repr__(self) -> str:
        return f"Err({self.code})"


class Matches:
    """An expected string matching a regular expression."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __call__(self, value: Any) -> bool:
        return isinstance(value, str) and re.fullmatch(self.pattern, value) is not None


CONF_INPUT = {"input_value": "string literal", "input_values": [1, 2, 3]}
ITEMS = {
    "items": [{"id": "a", "price": 1}, {"id": "b", "price": 2, "sub": {"id": "c"}}],
    "single": [5],
    "arr": [1, None, 3],
    "nul": None,
    "n": 5,
}

# (kind, expression, state input, variables, expected). kind: "aws" = lifted from a conformance
# case (AWS's recorded value), "spec" = JSONata 2.x as jsonata-js evaluates it, "ext" = a function
# AWS adds, "aws-ext" = a conformance case using one (only asl.jsonata implements them).
CASES: list[tuple[str, str, Any, dict[str, Any], Any]] = [
    (
        "aws",
        "$sum($states.input.input_values) + $var_constant_1",
        CONF_INPUT,
        {"var_constant_1": 1},
        7,
    ),
    (
        "aws",
        "$var_input_value",
        CONF_INPUT,
        {"var_input_value": "string literal"},
        "string literal",
    ),
    ("aws", "$states.input", CONF_INPUT, {}, CONF_INPUT),
    ("aws", '$contains("hello$world", /^hello\\$/)', {}, {}, True),
    ("aws", '$number("2")', {}, {}, 2),
    ("aws", "$variable := 1", {}, {}, 1),
    ("aws", "$not($states.input.type = 'Private')", {"type": "Private", "value": 22}, {}, False),
    (
        "aws",
        "$states.input.value >= 20 and $states.input.value < 30",
        {"type": "Private", "value": 22},
        {},
        True,
    ),
    ("aws", "$states.input.type = 'Public'", {"type": "Public", "value": 22}, {}, True),
    ("aws", "$states.input.result.done", {"result": {"done": False}}, {}, False),
    ("aws", "$not($states.input.result.done)", {"result": {"done": False}}, {}, True),
    ("aws", "$states.input = '\"'", '"', {}, True),
    ("aws", "$states.input.error", {"error": "Exception"}, {}, "Exception"),
    ("aws", "[]", {}, {}, []),
    ("aws", "[1, 'two', 3]", {}, {}, [1, "two", 3]),
    ("aws", "{'foo': 'bar'}", {}, {}, {"foo": "bar"}),
    ("aws", "$fn := function($x){$x}", {}, {}, FUNCTION),
    ("aws", "$ItemsVar", {}, {"ItemsVar": None}, None),
    ("aws", "$ItemsVar", {}, {"ItemsVar": ["Item1", "Item2"]}, ["Item1", "Item2"]),
    ("aws", "$doesNotExist", {}, {}, UNDEF),
    ("aws", "$states.input.waitSeconds", {"waitSeconds": 0}, {}, 0),
    ("aws", "$states.input.items", {"items": [1, "two", True]}, {}, [1, "two", True]),
    ("aws-ext", "$parse($states.input.FunctionInput)", {"FunctionInput": "-0"}, {}, 0),
    ("aws-ext", "$parse($states.input.FunctionInput)", {"FunctionInput": "1.1"}, {}, 1.1),
    ("aws-ext", "$parse($states.input.FunctionInput)", {"FunctionInput": "true"}, {}, True),
    (
        "aws-ext",
        "$parse($states.input.FunctionInput)",
        {"FunctionInput": '{"Arg1": 1, "Arg2": []}'},
        {},
        {"Arg1": 1, "Arg2": []},
    ),
    (
        "aws-ext",
        "$partition($states.input.FunctionInput.fst, $states.input.FunctionInput.snd)",
        {"FunctionInput": {"fst": [0, 1, 2], "snd": 2}},
        {},
        [[0, 1], [2]],
    ),
    (
        "aws-ext",
        "$partition($states.input.FunctionInput.fst, $states.input.FunctionInput.snd)",
        {"FunctionInput": {"fst": [0, 1], "snd": 5}},
        {},
        [[0, 1]],
    ),
    # paths, predicates, sequences
    ("spec", "$states.input.items.price", ITEMS, {}, [1, 2]),
    (
        "spec",
        "$states.input.items[price > 1]",
        ITEMS,
        {},
        {"id": "b", "price": 2, "sub": {"id": "c"}},
    ),
    ("spec", "$states.input.items[price > 5]", ITEMS, {}, UNDEF),
    ("spec", "[$states.input.items[price > 1].id]", ITEMS, {}, ["b"]),
    ("spec", "$states.input.items[-1].price", ITEMS, {}, 2),
    ("spec", "$states.input.single", ITEMS, {}, [5]),
    ("spec", "$states.input.**.id", ITEMS, {}, ["a", "b", "c"]),
    ("spec", "$states.input.items#$i[$i = 1].price", ITEMS, {}, 2),
    ("spec", "$states.input.items^(>price).price", ITEMS, {}, [2, 1]),
    ("spec", "$states.input.items{id: price}", ITEMS, {}, {"a": 1, "b": 2}),
    ("spec", "$states.input.missing.deep", ITEMS, {}, UNDEF),
    ("spec", "$states.input.nul", ITEMS, {}, None),
    ("spec", "$exists($states.input.nul)", ITEMS, {}, True),
    ("spec", "$states.input.arr[1]", ITEMS, {}, None),
    ("spec", "$count($states.input.arr)", ITEMS, {}, 3),
    ("spec", "$count($v)", {}, {"v": [1, None, 3]}, 3),
    ("spec", "$v[1]", {}, {"v": [1, None, 3]}, None),
    ("spec", "[1, $states.input.missing, 3]", ITEMS, {}, [1, 3]),
    ("spec", "{'a': 1, 'b': $states.input.missing}", ITEMS, {}, {"a": 1}),
    ("spec", "{'x': $states.input.nul}", ITEMS, {}, {"x": None}),
    (
        "spec",
        "$states.input ~> | items | {'seen': true} |",
        {"items": [{"a": 1}]},
        {},
        {"items": [{"a": 1, "seen": True}]},
    ),
    # higher-order functions, lambdas, blocks
    ("spec", "$map([1,2,3], function($v){$v*2})", {}, {}, [2, 4, 6]),
    ("spec", "$map([1, null], function($v){$v})", {}, {}, [1, None]),
    ("spec", "$filter([1,2,3], function($v){$v>1})", {}, {}, [2, 3]),
    ("spec", "$reduce([1,2,3], function($a,$b){$a+$b})", {}, {}, 6),
    ("spec", "$reduce([1,2,3], function($a,$b){$a+$b}, 10)", {}, {}, 16),
    ("spec", "$sift({'a':1,'b':2}, function($v){$v>1})", {}, {}, {"b": 2}),
    ("spec", "$each({'a':1,'b':2}, function($v,$k){$k & $v})", {}, {}, ["a1", "b2"]),
    ("spec", "$single([1,2], function($v){$v=2})", {}, {}, 2),
    ("spec", "($x := 2; $y := 3; $x * $y)", {}, {}, 6),
    ("spec", "($f := function($n){$n <= 1 ? 1 : $n * $f($n-1)}; $f(10))", {}, {}, 3628800),
    ("spec", "($add := function($a,$b){$a+$b}; $inc := $add(?, 1); $inc(5))", {}, {}, 6),
    ("spec", "[1,2,3] ~> $map(function($v){$v*10})", {}, {}, [10, 20, 30]),
    ("spec", "false ? 1", {}, {}, UNDEF),
    ("spec", "$states.input.n > 3 ? 'big' : 'small'", ITEMS, {}, "big"),
    # objects and arrays
    ("spec", "$merge([{'a':1},{'a':2,'b':3}])", {}, {}, {"a": 2, "b": 3}),
    ("spec", "$keys({'z':1,'a':2})", {}, {}, ["z", "a"]),
    ("spec", "$lookup({'a':1}, 'a')", {}, {}, 1),
    ("spec", "$spread({'a':1,'b':2})", {}, {}, [{"a": 1}, {"b": 2}]),
    ("spec", "$distinct([1,2,2,'a','a'])", {}, {}, [1, 2, "a"]),
    ("spec", "$append([1],2)", {}, {}, [1, 2]),
    ("spec", "$sort(['b','a','c'])", {}, {}, ["a", "b", "c"]),
    ("spec", "$zip([1,2],[3,4,5])", {}, {}, [[1, 3], [2, 4]]),
    ("spec", "$count([])", {}, {}, 0),
    ("spec", "[1..4]", {}, {}, [1, 2, 3, 4]),
    ("spec", "1 in [1,2]", {}, {}, True),
    # strings
    ("spec", "$substring('hello world', 6)", {}, {}, "world"),
    ("spec", "$substring('hello', -3, 2)", {}, {}, "ll"),
    ("spec", "$substringBefore('a-b','-') & $substringAfter('a-b','-')", {}, {}, "ab"),
    ("spec", "$length('héllo😀')", {}, {}, 6),
    ("spec", "$trim('  a   b  ')", {}, {}, "a b"),
    ("spec", "$pad('x', -3, '0')", {}, {}, "00x"),
    ("spec", "$split('a,b,,c', ',')", {}, {}, ["a", "b", "", "c"]),
    ("spec", "$split('a1b2c', /[0-9]/)", {}, {}, ["a", "b", "c"]),
    ("spec", "$join(['a','b'], ', ')", {}, {}, "a, b"),
    (
        "spec",
        "$match('a1b22', /[0-9]+/)",
        {},
        {},
        [{"match": "1", "index": 1, "groups": []}, {"match": "22", "index": 3, "groups": []}],
    ),
    ("spec", "$match('2020-01-02', /(\\d+)-(\\d+)-(\\d+)/).groups", {}, {}, ["2020", "01", "02"]),
    ("spec", "$contains('aBc', /b/i)", {}, {}, True),
    ("spec", "$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')", {}, {}, "Smith, John"),
    ("spec", "$replace('aa bb cd', /(\\w)\\1/, 'X')", {}, {}, "X X cd"),
    ("spec", "$replace('price: $10', /(?<=\\$)\\d+/, 'X')", {}, {}, "price: $X"),
    ("spec", "$uppercase('straße')", {}, {}, "STRASSE"),
    ("spec", "$base64encode('hello')", {}, {}, "aGVsbG8="),
    ("spec", "$base64decode('aGVsbG8=')", {}, {}, "hello"),
    ("spec", "$encodeUrlComponent('a b&c')", {}, {}, "a%20b%26c"),
    ("spec", "$encodeUrl('https://x.com/a b')", {}, {}, "https://x.com/a%20b"),
    ("spec", "'a' & 1 & true & null", {}, {}, "a1truenull"),
    ("spec", "$string({'a':[1.0, 2.5]})", {}, {}, '{"a":[1,2.5]}'),
    ("spec", "$string(0.1 + 0.2)", {}, {}, "0.3"),
    ("spec", "$string(1e20)", {}, {}, "100000000000000000000"),
    ("spec", "$string(123456789012345678)", {}, {}, "123456789012346000"),
    ("spec", "$formatNumber(1234.5678, '#,##0.00')", {}, {}, "1,234.57"),
    ("spec", "$formatBase(255, 2)", {}, {}, "11111111"),
    ("spec", "$formatInteger(1999, 'I')", {}, {}, "MCMXCIX"),
    # numbers
    ("spec", "1.0", {}, {}, 1),
    ("spec", "7/2", {}, {}, 3.5),
    ("spec", "-5 % 3", {}, {}, -2),
    ("spec", "$round(2.5)", {}, {}, 2),
    ("spec", "$round(3.14159, 2)", {}, {}, 3.14),
    ("spec", "$floor(-1.5)", {}, {}, -2),
    ("spec", "$power(2, 10)", {}, {}, 1024),
    ("spec", "$sqrt(16)", {}, {}, 4),
    ("spec", "$number('1e3')", {}, {}, 1000),
    ("spec", "$average([1,2,3,4])", {}, {}, 2.5),
    ("spec", "$max([])", {}, {}, UNDEF),
    ("spec", "0.1 + 0.2", {}, {}, 0.30000000000000004),
    ("spec", "9007199254740993", {}, {}, 9007199254740992),
    ("spec", "1e21", {}, {}, 1e21),
    ("spec", "$states.input.n * 1.5", ITEMS, {}, 7.5),
    # booleans and comparison
    ("spec", "$boolean([])", {}, {}, False),
    ("spec", "$boolean('0')", {}, {}, True),
    ("spec", "$boolean({})", {}, {}, False),
    ("spec", "null = null", {}, {}, True),
    ("spec", "$states.input.missing = 1", ITEMS, {}, False),
    ("spec", "$exists($doesNotExist)", {}, {}, False),
    (
        "spec",
        "$type(null) & $type(1) & $type('') & $type([]) & $type({})",
        {},
        {},
        "nullnumberstringarrayobject",
    ),
    # dates and time
    ("spec", "$toMillis('2020-01-01T00:00:00.000Z')", {}, {}, 1577836800000),
    ("spec", "$fromMillis(1577836800123)", {}, {}, "2020-01-01T00:00:00.123Z"),
    ("spec", "$fromMillis(0, '[Y0001]-[M01]-[D01]')", {}, {}, "1970-01-01"),
    ("spec", "$now()", {}, {}, Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")),
    ("spec", "$now('[Y0001]')", {}, {}, Matches(r"\d{4}")),
    ("spec", "$toMillis($now()) = $millis()", {}, {}, True),
    # errors
    ("spec", "$foo()", {}, {}, Err("T1006")),
    ("spec", "1 + 'a'", {}, {}, Err("T2002")),
    ("spec", "1 < 'a'", {}, {}, Err("T2009")),
    ("spec", "$states.input.items.price + 1", ITEMS, {}, Err("T2001")),
    ("spec", "$sum(['a'])", {}, {}, Err("T0412")),
    ("spec", "$abs('a')", {}, {}, Err("T0410")),
    ("spec", "$number('x')", {}, {}, Err("D3030")),
    ("spec", "$sqrt(-1)", {}, {}, Err("D3060")),
    ("spec", "$single([1,2])", {}, {}, Err("D3138")),
    ("spec", "$error('boom')", {}, {}, Err("D3137")),
    ("spec", "$assert(false, 'nope')", {}, {}, Err("D3141")),
    ("spec", "$toMillis('garbage')", {}, {}, Err("D3110")),
    # functions AWS adds
    ("ext", "$partition([1,2,3,4], 2)", {}, {}, [[1, 2], [3, 4]]),
    ("ext", "$range(0, 6, 2)", {}, {}, [0, 2, 4, 6]),
    ("ext", "$hash('input', 'SHA-1')", {}, {}, "140f86aae51ab9e1cda9b4254fe98a74eb54c1a1"),
    ("ext", "$random(42)", {}, {}, 0.7275636800328681),
    (
        "ext",
        "$uuid()",
        {},
        {},
        Matches(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
    ),
    ("ext", "$parse('{\"a\":1}').a", {}, {}, 1),
    ("ext", "$eval('1+1')", {}, {}, Err("T1006")),
]

_CODE = re.compile(r"\b([STDU]\d{4})\b")


def _states(state_input: Any) -> dict[str, Any]:
    return {"input": state_input, "context": {"Execution": {"Id": "e"}}}


def run_python(expr: str, state_input: Any, variables: dict[str, Any]) -> Any:
    """jsonata-python, with null told apart from undefined (output_convert_nulls off)."""
    compiled = jsonata_python.Jsonata(expr)
    compiled.set_output_convert_nulls(False)
    result = compiled.evaluate(None, {"states": _states(state_input), **variables})
    if result is None:
        return UNDEF
    if result is _PyUtils.NULL_VALUE:
        return None
    if isinstance(result, jsonata_python.Jsonata.JFunctionCallable | _PySymbol):
        return FUNCTION
    return _PyUtils.convert_nulls(result)


def run_rust(expr: str, state_input: Any, variables: dict[str, Any]) -> Any:
    """jsonatapy, JSON-text output so that null and undefined differ."""
    text = jsonatapy.compile(expr).evaluate_json_or_none(
        None, {"states": _states(state_input), **variables}
    )
    if text is None:
        return UNDEF
    if text == '""' and "function" in expr:  # how jsonatapy renders a function result
        return FUNCTION
    return json.loads(text)


def run_asl(expr: str, state_input: Any, variables: dict[str, Any]) -> Any:
    """asl.jsonata; an undefined or function result comes back as AWS's StatesError."""
    try:
        return compile_jsonata("{% " + expr + " %}", "Output")(_states(state_input), variables)
    except StatesError as exc:
        cause = exc.cause or ""
        if cause.endswith("returned nothing (undefined)."):
            return UNDEF
        if cause.endswith("returned an unsupported result type."):
            return FUNCTION
        raise


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, _Marker):
        return actual is expected
    if isinstance(expected, Matches):
        return expected(actual)
    if isinstance(expected, float):
        return type(actual) is float and actual == expected
    try:  # JSON text tells 1 from 1.0 and true from 1
        return json.dumps(expected) == json.dumps(actual)
    except (TypeError, ValueError):
        return False


def _show(value: Any) -> str:
    try:
        return repr(value)[:100]
    except Exception:
        return f"<{type(value).__name__}>"


def check_case(runner: Callable[[str, Any, dict[str, Any]], Any], case: tuple) -> tuple[bool, str]:
    """(passed, what went wrong)."""
    _, expr, state_input, variables, expected = case
    try:
        actual = runner(expr, state_input, variables)
    except Exception as exc:  # the engine raised
        message = getattr(exc, "cause", None) or str(exc)
        code = getattr(exc, "error", None)
        found = code if isinstance(code, str) and _CODE.fullmatch(code) else None
        if found is None:
            match = _CODE.search(message)
            found = match.group(1) if match else None
        if isinstance(expected, Err) and expected.code in (None, found):
            return True, ""
        return False, f"raised {type(exc).__name__}: {message[:100]!r}"
    if isinstance(expected, Err):
        return False, f"returned {_show(actual)} instead of failing with {expected.code}"
    if _same(expected, actual):
        return True, ""
    return False, f"returned {_show(actual)}"


ENGINES: list[tuple[str, Callable[..., Any] | None]] = [
    ("jsonata-python", run_python if jsonata_python else None),
    ("jsonatapy", run_rust if jsonatapy else None),
    ("asl.jsonata", run_asl),
]


def correctness() -> None:
    print("== Correctness (expected: AWS's recorded value, or jsonata-js 2.x behaviour)")
    kinds = {
        "aws": "conformance",
        "aws-ext": "conformance with AWS functions",
        "spec": "JSONata spec",
        "ext": "AWS functions",
    }
    for name, runner in ENGINES:
        if runner is None:
            print(f"-- {name}: not installed")
            continue
        failures: list[str] = []
        scores = {kind: [0, 0] for kind in kinds}
        for case in CASES:
            kind = case[0]
            if kind in ("ext", "aws-ext") and name != "asl.jsonata":
                continue
            ok, why = check_case(runner, case)
            scores[kind][1] += 1
            scores[kind][0] += ok
            if not ok:
                failures.append(f"     {case[1][:56]:56} {why}")
        summary = ", ".join(f"{kinds[k]} {s[0]}/{s[1]}" for k, s in scores.items() if s[1])
        print(f"-- {name}: {summary}")
        for line in failures:
            print(line)


def _quiet_stderr(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` with file descriptor 2 silenced (a Rust panic writes there directly)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            return fn()
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def engine_checks() -> None:
    print("\n== Engine checks")
    if jsonata_python:
        first = jsonata_python.Jsonata("$millis()")
        time.sleep(0.2)
        jsonata_python.Jsonata("1")  # compiling another expression...
        time.sleep(0.3)
        lag = time.time() * 1000 - first.evaluate(None, {})  # ...freezes the first one's clock
        print(
            f"-- jsonata-python: $millis() of an expression compiled before another one is "
            f"{lag:.0f} ms behind the clock"
        )
    candidates: list[tuple[str, Callable[[], Any]]] = [
        ("asl.jsonata", lambda: compile_jsonata("{% 1 + 1 %}"))
    ]
    if jsonatapy:
        candidates.insert(0, ("jsonatapy", lambda: jsonatapy.compile("1 + 1")))
    for name, make in candidates:
        compiled = make()
        outcome: list[str] = []

        def use(compiled: Any = compiled, name: str = name, outcome: list[str] = outcome) -> None:
            try:
                value = compiled({}, {}) if name == "asl.jsonata" else compiled.evaluate(None)
                outcome.append(f"ok ({value})")
            except BaseException as exc:  # a pyo3 PanicException is a BaseException
                outcome.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}")

        def in_thread(use: Callable[[], None] = use) -> None:
            thread = threading.Thread(target=use)
            thread.start()
            thread.join()

        _quiet_stderr(in_thread)
        print(f"-- {name}: compiled on one thread, evaluated on another: {outcome[0]}")


BIG = {
    "orderId": "o-1",
    "status": "new",
    "type": "Private",
    "value": 22,
    "customer": {"name": "Ann", "tier": "gold"},
    "items": [{"id": f"i{i}", "price": i * 1.5, "qty": i % 3 + 1} for i in range(20)],
}
HUGE = {
    "items": [
        {"id": f"i{i}", "price": i * 1.5, "qty": i % 3 + 1, "desc": "x" * 50} for i in range(500)
    ]
}
TIMED = [
    ("path", "$states.input.orderId", BIG),
    ("condition", "$states.input.type = 'Private' and $states.input.value >= 20", BIG),
    ("sum + variable", "$sum($states.input.items.price) + $bonus", BIG),
    ("filter + object", "$states.input.items[price > 10].{'id': id, 'total': price * qty}", BIG),
    (
        "merge",
        "$merge([$states.input.customer, {'processed': true, "
        "'state': $states.context.State.Name}])",
        BIG,
    ),
    (
        "string concat",
        "'order-' & $states.input.orderId & '-' & $uppercase($states.input.status)",
        BIG,
    ),
    ("path, 60 KB input", "$states.input.items[0].id", HUGE),
    ("sum, 60 KB input", "$sum($states.input.items.price)", HUGE),
]


def _per_call(fn: Callable[[], Any], quick: bool) -> float:
    number, budget = 1, (0.02 if quick else 0.2)
    while True:
        elapsed = timeit.timeit(fn, number=number)
        if elapsed >= budget or number >= 1_000_000:
            break
        number *= 2 if elapsed == 0 else max(2, int(budget / elapsed))
    best = min(timeit.repeat(fn, number=number, repeat=3 if quick else 5))
    return best / number * 1e6


def speed(quick: bool) -> None:
    print("\n== Speed: microseconds per evaluation (compiled once; best of several runs)")
    variables = {"bonus": 1}
    print(
        f"{'expression':20} {'jsonata-python':>15} {'jsonatapy':>10} {'jsonatapy+$$':>13}"
        f" {'asl.jsonata':>13}"
    )
    nan = float("nan")
    for label, expr, state_input in TIMED:
        states = {"input": state_input, "context": {"State": {"Name": "S"}}}
        bindings = {"states": states, **variables}
        cells = [nan, nan, nan]
        if jsonata_python:
            py = jsonata_python.Jsonata(expr)
            cells[0] = _per_call(lambda py=py, b=bindings: py.evaluate(None, b), quick)
        if jsonatapy:
            rs = jsonatapy.compile(expr)
            cells[1] = _per_call(lambda rs=rs, b=bindings: rs.evaluate(None, b), quick)
            rd = jsonatapy.compile(f"($states := $$; {expr}\n)")
            cells[2] = _per_call(lambda rd=rd, s=states: rd.evaluate(s, variables), quick)
        asl = compile_jsonata("{% " + expr + " %}")
        cells.append(_per_call(lambda asl=asl, s=states: asl(s, variables), quick))
        print(f"{label:20} {cells[0]:15.1f} {cells[1]:10.1f} {cells[2]:13.1f} {cells[3]:13.1f}")
    print(
        "jsonatapy: $states bound as a variable; jsonatapy+$$: $states passed as the input "
        "document, as asl.jsonata does"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing runs")
    args = parser.parse_args()
    versions = [
        f"{dist} {version(dist)}"
        for module, dist in ((jsonata_python, "jsonata-python"), (jsonatapy, "jsonatapy"))
        if module
    ]
    print(f"Python {sys.version.split()[0]}; " + ", ".join(versions))
    correctness()
    engine_checks()
    speed(args.quick)


if __name__ == "__main__":
    main()
