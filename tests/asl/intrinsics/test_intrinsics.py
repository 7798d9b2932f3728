"""Intrinsic functions: table-driven cases from ``intrinsic_cases.json`` plus randomness checks.

Each case has ``id``, ``expr`` and optional ``input``/``context``/``vars``, and one expectation:
``output`` (the value), ``error`` + ``cause`` (a StatesError whose cause contains the text),
``compile_error`` (ExpressionError message contains the text) or ``path_not_found``.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

import pytest

from asl.errors import ExpressionError, PathNotFound, StatesError
from asl.intrinsics import FUNCTIONS, compile_intrinsic, is_intrinsic

CASES = json.loads((Path(__file__).parent / "intrinsic_cases.json").read_text(encoding="utf-8"))


def _same(a: object, b: object) -> bool:
    """JSON equality that also tells true from 1 and 1 from 1.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))  # type: ignore[arg-type]
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)  # type: ignore[index, union-attr]
    return a == b


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict) -> None:
    expr = case["expr"]
    if "compile_error" in case:
        with pytest.raises(ExpressionError) as info:
            compile_intrinsic(expr)
        assert case["compile_error"] in info.value.message
        return
    getter = compile_intrinsic(expr)
    args = (case.get("input", {}), case.get("context", {}), case.get("vars", {}))
    if "error" in case:
        with pytest.raises(StatesError) as info:
            getter(*args)
        assert info.value.error == case["error"]
        assert case["cause"] in (info.value.cause or "")
    elif case.get("path_not_found"):
        with pytest.raises(PathNotFound):
            getter(*args)
    else:
        result = getter(*args)
        assert _same(result, case["output"]), result
        assert _same(getter(*args), case["output"])  # no state kept between calls


def test_every_function_has_cases() -> None:
    covered = {name for name in FUNCTIONS for c in CASES if name + "(" in c["expr"]}
    assert covered == set(FUNCTIONS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Format('x')", True),
        ("States.UUID()", True),
        ("States.Nope()", True),  # looks like one; compiling says it is unknown
        (" States.UUID()", False),
        ("$.a", False),
        ("States.Format", False),
        ("{% $x %}", False),
        ("", False),
    ],
)
def test_is_intrinsic(text: str, expected: bool) -> None:
    assert is_intrinsic(text) is expected


def test_uuid_is_v4_and_uses_rng() -> None:
    getter = compile_intrinsic("States.UUID()")
    value = getter({}, {}, {})
    assert uuid.UUID(value).version == 4 and str(uuid.UUID(value)) == value
    assert getter({}, {}, {}) != value
    first = getter({}, {}, {}, random.Random(7))
    assert first == getter({}, {}, {}, random.Random(7))
    assert uuid.UUID(first).version == 4


def test_uuid_inside_a_call_uses_rng() -> None:
    getter = compile_intrinsic("States.Array(States.UUID(), States.UUID())")
    a, b = getter({}, {}, {}, random.Random(3))
    assert a != b
    assert getter({}, {}, {}, random.Random(3)) == [a, b]


def test_math_random_range_and_rounding() -> None:
    getter = compile_intrinsic("States.MathRandom($.a, $.b)")
    rng = random.Random(1)
    seen = {getter({"a": 12.5, "b": 15.51}, {}, {}, rng) for _ in range(300)}
    assert seen == {13, 14, 15}  # 12.5 -> 13 and 15.51 -> 16; the end is exclusive
    negative = getter({"a": -99999, "b": -9999}, {}, {})
    assert isinstance(negative, int) and -99999 <= negative < -9999


def test_math_random_rng_is_deterministic() -> None:
    getter = compile_intrinsic("States.MathRandom(0, 1000000)")
    assert getter({}, {}, {}, random.Random(5)) == getter({}, {}, {}, random.Random(5))


def test_math_random_seeded_ignores_rng() -> None:
    getter = compile_intrinsic("States.MathRandom($.a, $.b, $.seed)")
    data = {"a": 0, "b": 999, "seed": 3}
    values = {getter(data, {}, {}, random.Random(i)) for i in range(5)}
    values.add(getter(data, {}, {}))
    assert len(values) == 1 and 0 <= values.pop() < 999


@pytest.mark.parametrize("name", ["Base64Encode", "Base64Decode"])
def test_base64_input_limit(name: str) -> None:
    getter = compile_intrinsic(f"States.{name}($.s)")
    getter({"s": "QUJD" * 2500}, {}, {})  # exactly 10,000 characters
    with pytest.raises(StatesError, match="limit of 10000"):
        getter({"s": "QUJD" * 2500 + "Q"}, {}, {})


def test_hash_input_limit() -> None:
    getter = compile_intrinsic("States.Hash($.s, 'SHA-256')")
    assert len(getter({"s": "a" * 10_000}, {}, {})) == 64
    with pytest.raises(StatesError, match="limit of 10000"):
        getter({"s": "a" * 10_001}, {}, {})


def test_array_range_limit() -> None:
    assert len(compile_intrinsic("States.ArrayRange(1, 1000, 1)")({}, {}, {})) == 1000
    assert len(compile_intrinsic("States.ArrayRange(-1000, 998, 2)")({}, {}, {})) == 1000


def test_constant_results_are_fresh_copies() -> None:
    getter = compile_intrinsic("States.Array(States.Array(1), 'a')")
    first = getter({}, {}, {})
    first[0].append(2)
    assert getter({}, {}, {}) == [[1], "a"]


def test_literal_failure_is_deferred_to_run_time() -> None:
    getter = compile_intrinsic("States.ArrayGetItem(States.Array(1), 5)")
    with pytest.raises(StatesError):
        getter({}, {}, {})


def test_arguments_are_not_mutated() -> None:
    data = {"a": {"x": 1}, "b": {"y": 2}, "l": [3, 1, 3]}
    snapshot = json.loads(json.dumps(data))
    compile_intrinsic("States.JsonMerge($.a, $.b, false)")(data, {}, {})
    compile_intrinsic("States.ArrayUnique($.l)")(data, {}, {})
    compile_intrinsic("States.ArrayPartition($.l, 2)")(data, {}, {})
    assert data == snapshot


def test_compile_rejects_non_string() -> None:
    with pytest.raises(ExpressionError):
        compile_intrinsic(None)  # type: ignore[arg-type]
