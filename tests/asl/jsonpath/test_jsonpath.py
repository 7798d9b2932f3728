"""Table-driven tests for asl.jsonpath: evaluation, syntax, reference paths and ResultPath."""

from __future__ import annotations

import json

import pytest

from asl.errors import RESULT_PATH_MATCH_FAILURE, ExpressionError, PathNotFound, StatesError
from asl.jsonpath import (
    JsonPathNotFound,
    compile_path,
    compile_reference_path,
    compile_result_path,
    is_reference_path,
    is_valid_path,
)

DATA = {
    "a": {"b": [1, 2, {"c": 3}], "n": None},
    "items": [{"k": 0, "v": "x"}, {"k": 1, "v": "y"}, {"k": 2}],
    "users": [
        {"name": "ann", "year": 1997, "status": 0, "tags": ["a", "b"]},
        {"name": "bob", "year": 1998, "status": 1, "tags": []},
        {"name": "cy", "year": 2001, "status": "0"},
    ],
    "obj": {"x": 1, "y": 2},
    "x y": "space",
    'Test\\""Name"': "escaped",
    "nums": [3, 1, 2],
    "delivery-partner": "UQS",
    "price": 5,
}
CONTEXT = {"Execution": {"Id": "arn:exec", "Input": {"k": 1}}, "State": {"Name": "S"}}
VARIABLES = {"v": {"list": [10, 20, 30], "name": "var"}, "n": 7, "nil": None}

# (path, expected value)
FOUND = [
    ("$", DATA),
    # Jayway (AWS's JsonPath) trims spaces around a path
    ("$$.Execution.Id ", "arn:exec"),
    ("  $.a.b[2].c  ", 3),
    ("$ ", DATA),
    ("$.a.b", [1, 2, {"c": 3}]),
    ("$.a.n", None),
    ("$.a.b[2].c", 3),
    ("$.a.b[-1]", {"c": 3}),
    ("$['x y']", "space"),
    ('$["x y"]', "space"),
    ("$['a']['b'][0]", 1),
    ("$.['a'].b.[0]", 1),
    ('$[\'Test\\""Name"\']', "escaped"),
    ("$.delivery-partner", "UQS"),
    ("$.items[*].k", [0, 1, 2]),
    ("$.items[*].v", ["x", "y"]),
    ("$.items.*.k", [0, 1, 2]),
    ("$.obj[*]", [1, 2]),
    ("$.obj.*", [1, 2]),
    ("$.nums[1:]", [1, 2]),
    ("$.nums[:2]", [3, 1]),
    ("$.nums[-2:]", [1, 2]),
    ("$.nums[0:3:2]", [3, 2]),
    ("$.nums[0,2]", [3, 2]),
    ("$['obj','price']", {"obj": {"x": 1, "y": 2}, "price": 5}),
    ("$['obj','missing']", {"obj": {"x": 1, "y": 2}}),
    ("$..c", [3]),
    ("$.users..name", ["ann", "bob", "cy"]),
    ("$.users[?(@.status == 0)].name", ["ann", "cy"]),
    ("$.users[?(@.status == '0')].name", ["ann", "cy"]),
    ("$.users[?(@.status != 0)].name", ["bob"]),
    ("$.users[?(@.year > 1997)].name", ["bob", "cy"]),
    ("$.users[?(@.year >= 1998 && @.status == 1)].name", ["bob"]),
    ("$.users[?(@.year < 1998 || @.name == 'cy')].name", ["ann", "cy"]),
    ("$.users[?(!(@.year < 1998))].name", ["bob", "cy"]),
    ("$.users[?(@.tags)].name", ["ann", "bob"]),
    ("$.users[?(@.name in ['ann', 'cy'])].year", [1997, 2001]),
    ("$.users[?(@.name nin ['ann', 'cy'])].year", [1998]),
    ("$.users[?(@.name =~ /a.*/)].year", [1997]),
    ("$.users[?(@.name =~ /B.*/i)].year", [1998]),
    ("$.users[?(@.tags size 2)].name", ["ann"]),
    ("$.users[?(@.tags empty true)].name", ["bob"]),
    ("$.users[?(@.year > $.price)].name", ["ann", "bob", "cy"]),
    ('$.users[?(@.name == "bob")].year', [1998]),
    ("$.items[?(@.k > 0)]", [{"k": 1, "v": "y"}, {"k": 2}]),
    ("$.nums[?(@ > 1)]", [3, 2]),
    ("$.users[?(@.name == bob)].year", [1998]),  # lenient: a bare word is a string
    ("$.nums[(@.length-1)]", 2),
    ("$.nums[(@.length - 3)]", 3),
    ("$.nums.length()", 3),
    ("$.items[*].k.length()", 3),
    ("$.nums.max()", 3.0),
    ("$.nums.sum()", 6.0),
    # Indefinite paths never fail: an empty list when nothing matches.
    ("$.missing[*]", []),
    ("$.missing[1:]", []),
    ("$.missing[1:5].v", []),
    ("$.missing[*].v", []),
    ("$.users[?(@.year > 3000)]", []),
    ("$..nothing", []),
    # Context object and variables.
    ("$$", CONTEXT),
    ("$$.Execution.Id", "arn:exec"),
    ("$$.Execution.Input.k", 1),
    ("$$['State']['Name']", "S"),
    ("$v", VARIABLES["v"]),
    ("$v.name", "var"),
    ("$v.list[1]", 20),
    ("$v.list[*]", [10, 20, 30]),
    ("$n", 7),
    ("$nil", None),
]

# (path, Jayway's detail as AWS quotes it after "Invalid path '<path>' : ")
NOT_FOUND = [
    ("$.missing", "No results for path: $['missing']"),
    ("$.no.such.path", "Missing property in path $['no']"),
    ("$.a.nope", "No results for path: $['a']['nope']"),
    ("$.a.b[7]", "No results for path: $['a']['b'][7]"),
    ("$.a.b[-4]", "No results for path: $['a']['b'][-4]"),
    ("$.a.n.x", None),
    ("$.price.x", None),
    ("$.obj[0]", None),
    ("$$.Execution.Nope", "No results for path: $['Execution']['Nope']"),
    ("$v.nope", "No results for path: $['nope']"),
    ("$undefined", None),
    ("$undefined.a", None),
    ("$.missing.length()", None),
]

INVALID = [
    "",
    "a.b",
    "$.",
    "$a.",
    "$.[",
    "$.a.[",
    "$.a.",
    "$..",
    "$[",
    "$[0",
    "$['a'",
    "$['a]",
    "$.a b",
    "$[x]",
    "$[1:2:0]",
    "$[?(@.a ==)]",
    "$[?(@.a == 1]",
    "$[?@.a]",
    "$.a.unknown()",
    "$.a.length().b",
    "$.a..length()",
    "$[?(@.a =~ /(/)]",
    "$\t",
    "\n$.a",
    "$.a[(@.length-0)]",
    "$.a[(@.foo)]",
]

REFERENCE = ["$", "$.a", "$.a.b[0]", "$['a b'][1]", "$$.Execution.Id", "$var.x", "$[0]"]
NOT_REFERENCE = [
    "$.a[*]",
    "$..a",
    "$.a[1:2]",
    "$.a[?(@.x)]",
    "$['a','b']",
    "$.a[0,1]",
    "$.a.length()",
]


@pytest.mark.parametrize(("path", "expected"), FOUND, ids=[c[0] for c in FOUND])
def test_found(path: str, expected: object) -> None:
    assert compile_path(path)(DATA, CONTEXT, VARIABLES) == expected


@pytest.mark.parametrize(("path", "detail"), NOT_FOUND, ids=[c[0] for c in NOT_FOUND])
def test_not_found(path: str, detail: str | None) -> None:
    getter = compile_path(path)
    with pytest.raises(PathNotFound) as info:
        getter(DATA, CONTEXT, VARIABLES)
    assert info.value.path == path
    assert isinstance(info.value, JsonPathNotFound)
    if detail is not None:
        assert info.value.detail == detail


def _not_object(path: str, key: str, java_type: str) -> str:
    return (
        f"Expected to find an object with property ['{key}'] in path {path} but found "
        f"'{java_type}'. This is not a json object according to the JsonProvider: "
        "'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'."
    )


# (path, data, detail): key steps on values that are not objects, or lack the key
NOT_FOUND_IN = [
    ("$.k", [1], _not_object("$", "k", "net.minidev.json.JSONArray")),
    ("$.k", "text", _not_object("$", "k", "java.lang.String")),
    ("$.k", None, _not_object("$", "k", "null")),
    ("$.k", 5, _not_object("$", "k", "java.lang.Integer")),
    ("$.k", True, _not_object("$", "k", "java.lang.Boolean")),
    ("$.k", {}, "No results for path: $['k']"),
    ("$.a.k", {"a": [1]}, _not_object("$['a']", "k", "net.minidev.json.JSONArray")),
    ("$.a.k", {"a": "s"}, _not_object("$['a']", "k", "java.lang.String")),
    ("$.a.b", [{"a": 1}], _not_object("$", "a", "net.minidev.json.JSONArray")),
    ("$.a.b.c", {"a": {"b": None}}, _not_object("$['a']['b']", "c", "null")),
    ("$.a.b.c", {"a": {}}, "Missing property in path $['a']['b']"),
    ("$.a.b", {"a": {"c": 1}}, "No results for path: $['a']['b']"),
    ("$[0]", {"0": 1}, 'Filter: [0] can only be applied to arrays. Current context is: {"0":1}'),
    ("$[0]", "text", 'Filter: [0] can only be applied to arrays. Current context is: "text"'),
]


@pytest.mark.parametrize(("path", "data", "detail"), NOT_FOUND_IN)
def test_not_found_in(path: str, data: object, detail: str) -> None:
    with pytest.raises(JsonPathNotFound) as info:
        compile_path(path)(data, None, {})
    assert (info.value.path, info.value.detail) == (path, detail)


@pytest.mark.parametrize("path", INVALID)
def test_invalid(path: str) -> None:
    assert not is_valid_path(path)
    with pytest.raises(ExpressionError):
        compile_path(path)


@pytest.mark.parametrize("path", REFERENCE)
def test_reference_paths(path: str) -> None:
    assert is_valid_path(path)
    assert is_reference_path(path)
    compile_reference_path(path)


@pytest.mark.parametrize("path", NOT_REFERENCE)
def test_not_reference_paths(path: str) -> None:
    assert is_valid_path(path)
    assert not is_reference_path(path)
    with pytest.raises(ExpressionError):
        compile_reference_path(path)


def test_getter_does_not_copy() -> None:
    assert compile_path("$.a")(DATA, None, {}) is DATA["a"]


# (ResultPath, state input, result, expected output | error cause)
RESULT_PATHS = [
    (None, {"a": 1}, 9, {"a": 1}),
    ("$", {"a": 1}, 9, 9),
    ("$.r", {"a": 1}, 9, {"a": 1, "r": 9}),
    ("$.a", {"a": 1}, {"x": 1}, {"a": {"x": 1}}),
    ("$.r.s.t", {"a": 1}, 9, {"a": 1, "r": {"s": {"t": 9}}}),
    ("$.r.s", {"r": {"q": 0}}, 9, {"r": {"q": 0, "s": 9}}),
    ("$['r s']", {}, 9, {"r s": 9}),
    ("$.l[1]", {"l": [0, 1, 2]}, 9, {"l": [0, 9, 2]}),
    ("$.l[0].x", {"l": [{"y": 1}]}, 9, {"l": [{"y": 1, "x": 9}]}),
    ("$.r", "text", 9, 'Unable to apply ReferencePath $.r to input "text"'),
    ("$.r", [1], 9, "Unable to apply ReferencePath $.r to input [1]"),
    ("$.a.b", {"a": 1}, 9, 'Unable to apply ReferencePath $.a.b to input {"a":1}'),
    ("$.l[5]", {"l": [0]}, 9, 'Unable to apply ReferencePath $.l[5] to input {"l":[0]}'),
    ("$.l[0]", {}, 9, "Unable to apply ReferencePath $.l[0] to input {}"),
]


@pytest.mark.parametrize(("path", "state_input", "result", "expected"), RESULT_PATHS)
def test_result_path(
    path: str | None, state_input: object, result: object, expected: object
) -> None:
    setter = compile_result_path(path)
    before = repr(state_input)
    if isinstance(expected, str) and expected.startswith("Unable"):
        with pytest.raises(StatesError) as info:
            setter(state_input, result)
        assert info.value.error == RESULT_PATH_MATCH_FAILURE
        assert info.value.cause == expected
    else:
        assert setter(state_input, result) == expected
        # What the placement adds to the input's and the result's JSON is within its growth.
        added = _utf8_len(expected) - _utf8_len(state_input) - _utf8_len(result)
        assert added <= setter.growth
    assert repr(state_input) == before  # never mutated


def _utf8_len(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


@pytest.mark.parametrize("key", ["k", "é\x1f", 'a"b'])
def test_result_path_growth_covers_escaped_keys(key: str) -> None:
    setter = compile_result_path(f"$['{key}']['{key}']")
    assert setter({}, 1) == {key: {key: 1}}
    added = _utf8_len(setter({}, 1)) - _utf8_len({}) - _utf8_len(1)
    assert 0 < added <= setter.growth


def test_result_path_copies_only_along_the_path() -> None:
    shared = {"deep": [1, 2]}
    state_input = {"keep": shared, "r": {"old": 1}}
    out = compile_result_path("$.r.new")(state_input, 2)
    assert out["keep"] is shared
    assert out["r"] == {"old": 1, "new": 2}
    assert state_input["r"] == {"old": 1}


@pytest.mark.parametrize("path", ["$v.x", "$$.Execution", "$.a[*]", "$..a", "bad"])
def test_result_path_rejects(path: str) -> None:
    with pytest.raises(ExpressionError):
        compile_result_path(path)


@pytest.mark.parametrize(
    "path, levels",
    [(None, 0), ("$", 0), ("$.a", 1), ("$.a.b.c", 3), ("$.a[0]", -1), ("$.a[0].b", -1)],
)
def test_result_path_levels(path: str | None, levels: int) -> None:
    """How many levels down a ResultPath puts its result, known at compile time (-1 through
    the input's arrays), which bounds the nesting of a placement without walking it."""
    setter = compile_result_path(path)
    assert setter.levels == levels
    if levels > 0:
        placed = setter({}, "x")
        for _ in range(levels):
            placed = next(iter(placed.values()))
        assert placed == "x"
