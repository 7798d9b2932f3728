"""Fuzzing the public front: whatever the text or value, ``asl.validate`` returns diagnostics,
``asl.load`` returns a machine or raises :class:`asl.DefinitionError`, and the two agree (load
succeeds exactly when validate reports no error). Bounded and reproducible (derandomized)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import asl
from tests.conftest import conformance_dir

ROOT = Path(__file__).resolve().parents[3]
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _definitions() -> list[dict[str, Any]]:
    """Real definitions: the repository's machines and a sample of the conformance cases."""
    found = [json.loads(p.read_text()) for p in sorted(ROOT.glob("state_machines/*/*.asl.json"))]
    cases = conformance_dir()
    for folder in ("validation", "execution"):
        for path in sorted((cases / folder).glob("*.json"))[::10]:
            case = json.loads(path.read_text())
            if isinstance(case.get("definition"), dict):
                found.append(case["definition"])
    return found


DEFINITIONS = _definitions()

# Characters that broke readers before: non-ASCII blanks, lone surrogates, brackets, delimiters.
EDGY = st.sampled_from(
    [
        "\u3000",
        "\u00a0",
        "\u2003",
        "\ufeff",
        "\ud800",
        "\udfff",
        "{",
        "[",
        "]",
        "}",
        '"',
        "{%",
        "%}",
        "$",
        "$$",
        ":",
        "-",
        "&a",
        "*a",
        "\n",
        " ",
        "\\ud800",
        "NaN",
        "1e999",
    ]
)
TEXT = st.lists(st.one_of(EDGY, st.text(max_size=8)), max_size=40).map("".join)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    EDGY,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _check(definition: Any, **kwargs: Any) -> None:
    found = asl.validate(definition, **kwargs)
    assert all(isinstance(d, asl.Diagnostic) for d in found)
    errors = [d for d in found if d.severity is asl.Severity.ERROR]
    try:
        machine = asl.load(definition, **kwargs)
    except asl.DefinitionError as exc:
        assert errors, f"load refused what validate accepted: {exc}"
        assert exc.diagnostics == errors
    else:
        assert not errors, f"load accepted what validate refused: {errors}"
        assert isinstance(machine, asl.StateMachine)


def _mutate(data: st.DataObject, value: Any) -> Any:
    """A copy of ``value`` with one member or item replaced, removed or renamed."""
    value = copy.deepcopy(value)
    parent, key = None, None
    node = value
    while isinstance(node, (dict, list)) and node and data.draw(st.booleans()):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        parent, key = node, data.draw(st.sampled_from(keys))
        node = node[key]
    if parent is None:
        return data.draw(VALUES)
    action = data.draw(st.sampled_from(["replace", "delete", "rename", "deepen"]))
    if action == "replace":
        parent[key] = data.draw(VALUES)
    elif action == "deepen":
        deep: Any = parent[key]
        for _ in range(data.draw(st.sampled_from([10, 300, 3000]))):
            deep = [deep]
        parent[key] = deep
    elif isinstance(parent, dict):
        item = parent.pop(key)
        if action == "rename":
            parent[data.draw(st.one_of(EDGY, st.text(max_size=8)))] = item
    else:
        del parent[key]
    return value


@FUZZ
@given(TEXT)
def test_any_text(text: str) -> None:
    _check(text)


@FUZZ
@given(st.binary(max_size=64))
def test_any_bytes(data: bytes) -> None:
    _check(data)


@FUZZ
@given(st.data())
def test_mutated_real_definitions(data: st.DataObject) -> None:
    definition = _mutate(data, data.draw(st.sampled_from(DEFINITIONS)))
    _check(definition, state_machine_type=data.draw(st.sampled_from(["STANDARD", "EXPRESS"])))
    try:
        text = json.dumps(definition)  # as text too, where JSON can carry it
    except (ValueError, RecursionError):
        return
    _check(text)


@FUZZ
@given(st.data())
def test_mutated_definitions_as_yaml(data: st.DataObject) -> None:
    definition = _mutate(data, data.draw(st.sampled_from(DEFINITIONS)))
    try:
        text = yaml.safe_dump(definition, allow_unicode=data.draw(st.booleans()))
    except (yaml.YAMLError, RecursionError):
        return
    cut = data.draw(st.integers(0, len(text)))
    _check(text[:cut] + data.draw(TEXT) + text[cut:] if data.draw(st.booleans()) else text)
