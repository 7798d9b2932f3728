"""Table-driven tests for asl.source: parsing JSON/YAML with positions, and every refusal."""

from __future__ import annotations

import json

import pytest

from asl.source import (
    MAX_DEPTH,
    MAX_SOURCE_BYTES,
    SourceError,
    _scan_json,
    check_size,
    parse_source,
)
from tests.conftest import conformance_dir

DEFINITION = """{
  "StartAt": "A",
  "States": {
    "A": {"Type": "Pass", "Next": "B"},
    "B": {"Type": "Parallel", "Branches": [
        {"StartAt": "C", "States": {"C": {"Type": "Succeed"}}},
        {"StartAt": "D", "States": {"D": {"Type": "Succeed"}}}
      ], "End": true},
    "a/b~c": {"Type": "Succeed"}
  }
}"""

YAML_DEFINITION = """\
# a comment
StartAt: A
States:
  A:
    Type: Pass
    Next: B
  B:
    Type: Parallel
    Branches:
      - StartAt: C
        States:
          C: {Type: Succeed}
    End: true
"""

# (text, pointer, (line, column)): keys of members, starts of array items
POSITIONS = [
    (DEFINITION, "", (1, 1)),
    (DEFINITION, "/StartAt", (2, 3)),
    (DEFINITION, "/States", (3, 3)),
    (DEFINITION, "/States/A", (4, 5)),
    (DEFINITION, "/States/A/Next", (4, 27)),
    (DEFINITION, "/States/B/Branches/0", (6, 9)),
    (DEFINITION, "/States/B/Branches/1", (7, 9)),
    (DEFINITION, "/States/B/Branches/1/States/D/Type", (7, 43)),
    (DEFINITION, "/States/a~1b~0c", (9, 5)),
    # a pointer that does not exist: its nearest existing ancestor
    (DEFINITION, "/States/A/Nope/deeper", (4, 5)),
    (DEFINITION, "/Missing", (1, 1)),
    (DEFINITION, "not-a-pointer", None),
    (YAML_DEFINITION, "", (1, 1)),
    (YAML_DEFINITION, "/StartAt", (2, 1)),
    (YAML_DEFINITION, "/States/A/Next", (6, 5)),
    (YAML_DEFINITION, "/States/B/Branches/0", (10, 9)),
    (YAML_DEFINITION, "/States/B/Branches/0/States/C/Type", (12, 15)),
    (YAML_DEFINITION, "/States/B/End", (13, 5)),
    ('[1,\n  {"x": 2}]', "/1/x", (2, 4)),
    ('\ufeff{\n  "a": 1}', "/a", (2, 3)),
]


@pytest.mark.parametrize(
    ("text", "pointer", "expected"), POSITIONS, ids=[f"{p[1]!r}" for p in POSITIONS]
)
def test_position(text: str, pointer: str, expected: tuple[int, int] | None) -> None:
    assert parse_source(text).position(pointer) == expected


# (data, syntax, code, line, column, words in the message)
ERRORS = [
    ("", None, "ASL001", 1, 1, "empty"),
    ("  \n\t\n", None, "ASL001", 1, 1, "empty"),
    ("# only a comment\n", None, "ASL001", 1, 1, "no YAML document"),
    ("not a definition", None, "ASL001", 1, 1, "not JSON or YAML"),
    ("\n\n   hello world", None, "ASL001", 3, 4, "'hello'"),
    ('{"a": 1,}', None, "ASL001", 1, 9, "comma"),
    ('{"a": 1', None, "ASL001", 1, 8, "ends before"),
    ('{\n  "a": 1\n  "b": 2\n}', None, "ASL001", 3, 3, "comma is missing"),
    ("{'a': 1}", None, "ASL001", 1, 2, "double quotes"),
    ('{"a": tru}', None, "ASL001", 1, 7, "'tru'"),
    ('{"a": NaN}', None, "ASL001", 1, 7, "NaN"),
    ('{"a": "x\ty"}', None, "ASL001", 1, 9, "control character"),
    ('{"a": 1} x', None, "ASL001", 1, 10, "after the end"),
    ('{"a": ' + "1" * 5000 + "}", None, "ASL001", 1, 7, "5,000 digits"),
    ("a: b: c", None, "ASL001", 1, 5, "needs quotes"),
    ("a:\n\tb: 1", None, "ASL001", 2, 1, "tabs"),
    ("a: [1, 2", None, "ASL001", 2, 1, "not valid YAML"),
    ("a: 1\n---\nb: 2\n", None, "ASL001", 2, 1, "second YAML document"),
    ("a: &x [*x]", None, "ASL001", 1, 8, "alias"),
    ("a: !!int x", None, "ASL001", 1, 4, "valid int"),
    ("a: .inf", None, "ASL001", 1, 4, "JSON number"),
    ("a: {b: 1}", "json", "ASL001", 1, 1, "not valid JSON"),
    (b'{"a": "caf\xe9"}', None, "ASL003", 1, 11, "0xe9"),
    (b'{\n "a": 1,\n "b": "\x80"}', None, "ASL003", 3, 8, "0x80"),
    (b"\xff\xfe{\x00}\x00", None, "ASL003", 1, 1, "UTF-16"),
    ("[" * 10_000 + "]" * 10_000, None, "ASL005", 1, MAX_DEPTH + 1, "nested"),
    ('{"a":' * 10_000 + "1" + "}" * 10_000, None, "ASL005", 1, 5 * MAX_DEPTH + 1, "nested"),
    ("[" * 10_000 + "]" * 10_000, "yaml", "ASL005", 1, MAX_DEPTH + 1, "nested"),
    # the same place on every PyYAML: libyaml >= 0.2.5 (PyYAML 6.0.4) stops at 1,000 levels itself
    ("{a: " * 10_000 + "1" + "}" * 10_000, "yaml", "ASL005", 1, 4 * MAX_DEPTH + 1, "nested"),
    ('["x]", ' * 2_000 + "1" + "]" * 2_000, "yaml", "ASL005", 1, 7 * MAX_DEPTH + 1, "nested"),
    ("a: " + "['q', " * 2_000 + "]" * 2_000, "yaml", "ASL005", 1, 3 + 6 * 255 + 1, "nested"),
    ("".join(" " * i + "a:\n" for i in range(300)), None, "ASL005", 257, 257, "nested"),
    (b"{" + b" " * (50 * 1024 * 1024) + b"}", None, "ASL004", None, None, "52,428,802 bytes"),
    ("x" * (MAX_SOURCE_BYTES + 1), None, "ASL004", None, None, "1 MiB"),
    ("é" * (MAX_SOURCE_BYTES // 2 + 1), None, "ASL004", None, None, "bytes"),
]


@pytest.mark.parametrize(
    ("data", "syntax", "code", "line", "column", "words"), ERRORS, ids=[e[5] for e in ERRORS]
)
def test_refused(data, syntax, code, line, column, words) -> None:
    with pytest.raises(SourceError) as caught:
        parse_source(data, syntax=syntax)
    error = caught.value
    assert (error.code, error.line, error.column) == (code, line, column), error.message
    assert words in error.message
    assert isinstance(error, ValueError)


def test_billion_laughs_is_refused() -> None:
    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        name, previous = chr(ord("a") + i), chr(ord("a") + i - 1)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    with pytest.raises(SourceError) as caught:
        parse_source("\n".join(lines))
    assert caught.value.code == "ASL004"


# (text, syntax, value): anything that parses is returned as it is, object or not
VALUES = [
    ("[1, 2]", None, [1, 2]),
    ("42", None, 42),
    ('"text"', None, "text"),
    ("null", None, None),
    ("true", None, True),
    ("- a\n- 1\n", None, ["a", 1]),
    ('{"a": 1.5e3, "b": -0, "c": "\\u00e9"}', None, {"a": 1500.0, "b": 0, "c": "é"}),
    ("{a: 1}", "yaml", {"a": 1}),
    (b"\xef\xbb\xbf{}", None, {}),
    # YAML keys stay the text written; timestamps stay strings; values resolve as in YAML 1.1
    (
        "On: yes\nTs: 2016-03-14T01:59:00Z\nN: 0x10\nZ: ~\nS: '1'",
        None,
        {"On": True, "Ts": "2016-03-14T01:59:00Z", "N": 16, "Z": None, "S": "1"},
    ),
    # CloudFormation short tags load as their long forms
    (
        "A: !Ref X\nB: !GetAtt F.Arn\nC: !Sub 'x-${Y}'\nD: !Join ['', [a, !Ref Z]]\n"
        "E: !Condition C\nF: !If [c, 1, 2]\nG: !GetAtt [F, Arn]",
        None,
        {
            "A": {"Ref": "X"},
            "B": {"Fn::GetAtt": ["F", "Arn"]},
            "C": {"Fn::Sub": "x-${Y}"},
            "D": {"Fn::Join": ["", ["a", {"Ref": "Z"}]]},
            "E": {"Condition": "C"},
            "F": {"Fn::If": ["c", 1, 2]},
            "G": {"Fn::GetAtt": ["F", "Arn"]},
        },
    ),
    # anchors, aliases and merge keys
    (
        "a: &x {k: 1}\nb: *x\nc:\n  <<: *x\n  j: 2",
        None,
        {"a": {"k": 1}, "b": {"k": 1}, "c": {"k": 1, "j": 2}},
    ),
    # tags that would run code load as plain values
    ("a: !!python/object/apply:os.system [ls]", None, {"a": ["ls"]}),
]


@pytest.mark.parametrize(("text", "syntax", "value"), VALUES, ids=[v[0][:20] for v in VALUES])
def test_value(text, syntax, value) -> None:
    assert parse_source(text, syntax=syntax).value == value


# (text, pointer of the duplicate, its line and column)
DUPLICATES = [
    ('{"a": 1,\n "a": 2}', "/a", 2, 2),
    ('{"States": {"A": {}, "B": {}, "A": {"x": 1}}}', "/States/A", 1, 31),
    ("a: 1\nb:\n  c: 1\n  c: 2\n", "/b/c", 4, 3),
]


@pytest.mark.parametrize(("text", "pointer", "line", "column"), DUPLICATES)
def test_duplicate_keys_are_reported(text, pointer, line, column) -> None:
    source = parse_source(text)
    [problem] = source.problems
    assert (problem.code, problem.pointer, problem.line, problem.column) == (
        "ASL002",
        pointer,
        line,
        column,
    )
    assert "duplicate key" in problem.message


def test_positions_are_computed_only_when_asked() -> None:
    source = parse_source(DEFINITION)
    assert source._positions is None
    assert source.position("/States/A") == (4, 5)
    assert source._positions is not None


def test_syntax_argument() -> None:
    assert parse_source('{"a": 1}', syntax="yaml").syntax == "yaml"
    assert parse_source('{"a": 1}').syntax == "json"
    assert parse_source("a: 1", filename="m.yaml").filename == "m.yaml"
    with pytest.raises(ValueError, match="syntax"):
        parse_source("{}", syntax="toml")


def test_check_size() -> None:
    check_size(MAX_SOURCE_BYTES)
    with pytest.raises(SourceError):
        check_size(MAX_SOURCE_BYTES + 1)


def test_error_string_carries_the_position() -> None:
    with pytest.raises(SourceError, match=r"^line 1, column 9: not valid JSON"):
        parse_source('{"a": 1,}')


def _conformance_texts() -> list[str]:
    root = conformance_dir()
    if root is None:
        return []
    texts = []
    for path in sorted(root.glob("*/*.json")):
        definition = json.loads(path.read_text())["definition"]
        texts.append(
            definition if isinstance(definition, str) else json.dumps(definition, indent=1)
        )
    return texts


def test_scanner_agrees_with_json_module() -> None:
    """The position scanner parses exactly what the json module parses, on every case we have."""
    texts = _conformance_texts() or [DEFINITION]
    for text in texts:
        try:
            expected = json.loads(text)
        except ValueError:
            with pytest.raises(SourceError):
                _scan_json(text)
            continue
        value, positions, _ = _scan_json(text)
        assert value == expected
        if isinstance(value, dict):
            for key in value:
                line, column = positions["/" + key.replace("~", "~0").replace("/", "~1")]
                assert text.splitlines()[line - 1][column - 1] == '"'


# (pointer, where the literal block's text starts: (first line, indentation removed))
TEXT_ORIGINS = [
    ("/Resources/M/DefinitionString/Fn::Sub", (4, 6)),
    ("/Resources/M/Other/Fn::Sub/0", (9, 10)),
    ("/Resources/M/Plain", (12, 6)),
    ("/Resources/M/Folded", None),
    ("/Resources/M/DefinitionString", None),
]
TEMPLATE = """\
Resources:
  M:
    DefinitionString: !Sub |
      {"StartAt": "A",
       "States": {}}
    Other:
      Fn::Sub:
        - |
          x
        - {}
    Plain: |
      hello
    Folded: >
      folded
"""


@pytest.mark.parametrize(("pointer", "origin"), TEXT_ORIGINS)
def test_text_origin_of_literal_blocks(pointer, origin) -> None:
    assert parse_source(TEMPLATE).text_origin(pointer) == origin
