"""Structural validation: ``schema/asl.schema.json`` run with jsonschema, errors worded as AWS does.

The validator is built once, on first use, with two speed-ups that leave the results unchanged
(``tests/asl/validation`` compares them with stock jsonschema on every conformance definition):

* an ``if`` whose condition is a discriminator (``{"required": [k], "properties": {k: {"const":
  v}}}``, used to pick the schema of each state by ``Type`` and ``QueryLanguage``) is decided with
  one dict lookup instead of a nested validation;
* ``descend`` reuses one prepared validator per subschema instead of building a new one on every
  step (jsonschema's main cost). This is sound because the schema has a single ``$id`` and only
  local ``$ref`` keywords. If jsonschema's internals change, the stock ``descend`` is used.

Each jsonschema error becomes one or more diagnostics with AWS's code
``SCHEMA_VALIDATION_FAILED``, AWS's wording first ("Field 'X' is not supported", "These fields are
required: [StartAt]") and a hint on how to fix it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.resources import files
from typing import Any

from asl.diagnostics import Diagnostic, pointer_join
from asl.rules import SCHEMA, diagnostic

__all__ = ["check_structure", "load_schema", "stock_validator"]

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}

# Fields of one query language, and what the other language uses instead.
_JSONATA_INSTEAD = {
    "InputPath": "Output (or Arguments) with a JSONata expression",
    "OutputPath": "Output",
    "Parameters": "Arguments",
    "ResultSelector": "Output",
    "ResultPath": "Output (or Assign)",
    "Result": "Output",
    "ItemsPath": "Items",
    "SecondsPath": "Seconds with a JSONata expression",
    "TimestampPath": "Timestamp with a JSONata expression",
    "TimeoutSecondsPath": "TimeoutSeconds with a JSONata expression",
    "HeartbeatSecondsPath": "HeartbeatSeconds with a JSONata expression",
    "ErrorPath": "Error with a JSONata expression",
    "CausePath": "Cause with a JSONata expression",
    "MaxConcurrencyPath": "MaxConcurrency with a JSONata expression",
    "ToleratedFailurePercentagePath": "ToleratedFailurePercentage with a JSONata expression",
    "ToleratedFailureCountPath": "ToleratedFailureCount with a JSONata expression",
    "MaxItemsPath": "MaxItems with a JSONata expression",
    "MaxItemsPerBatchPath": "MaxItemsPerBatch with a JSONata expression",
    "MaxInputBytesPerBatchPath": "MaxInputBytesPerBatch with a JSONata expression",
}
_JSONPATH_INSTEAD = {
    "Output": "InputPath, ResultSelector, ResultPath and OutputPath",
    "Arguments": "Parameters",
    "Items": "ItemsPath",
}

_ONE_OF_HINTS = {
    frozenset({"Next", "End"}): 'add "Next": "<state name>" or "End": true',
    frozenset({"ItemProcessor", "Iterator"}): 'add an "ItemProcessor" with StartAt and States',
    frozenset({"Resource", "WriterConfig"}): 'add "Resource" (with Parameters) or "WriterConfig"',
}

_REQUIRED_HINTS = {
    "StartAt": "name the first state to run",
    "States": "add an object mapping state names to states",
    "Type": "add the state's Type: Task, Wait, Pass, Succeed, Fail, Choice, Parallel or Map",
    "Resource": "name what the Task runs (an ARN or a local scheme such as python:module:function)",
    "Choices": "add a non-empty array of Choice rules",
    "Branches": "add an array of branches, each with StartAt and States",
    "ErrorEquals": 'add a non-empty array of error names, for example ["States.ALL"]',
    "Next": "name the state to go to",
    "RoleArn": "add the ARN of the role to assume",
    "ExecutionType": 'DISTRIBUTED mode needs "ExecutionType": "STANDARD" or "EXPRESS"',
    "Condition": 'add a JSONata boolean expression such as "{% $states.input.ok %}"',
}


# --------------------------------------------------------------------------------------------
# Building the validator (once)


@cache
def load_schema() -> dict[str, Any]:
    """The ASL JSON Schema shipped with the package (parsed once)."""
    text = files("asl").joinpath("schema/asl.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def _discriminator(if_schema: Any) -> tuple[str, Any] | None:
    """``(key, value)`` when ``if_schema`` only tests ``instance[key] == value``."""
    if not isinstance(if_schema, dict) or set(if_schema) != {"required", "properties"}:
        return None
    required, properties = if_schema["required"], if_schema["properties"]
    if len(required) != 1 or list(properties) != required:
        return None
    test = properties[required[0]]
    if not isinstance(test, dict) or set(test) != {"const"} or not isinstance(test["const"], str):
        return None
    return required[0], test["const"]


_DISCRIMINATORS: dict[int, tuple[str, Any] | None] = {}


def _fast_if(validator: Any, if_schema: Any, instance: Any, schema: Any) -> Iterator[Any]:
    key = id(if_schema)
    if key in _DISCRIMINATORS:
        test = _DISCRIMINATORS[key]
    else:
        test = _DISCRIMINATORS[key] = _discriminator(if_schema)
    if test is not None:
        if not isinstance(instance, dict):
            matched = True  # vacuous: "required" and "properties" ignore non-objects
        else:
            value = instance.get(test[0])
            matched = type(value) is str and value == test[1]
    else:
        matched = validator.evolve(schema=if_schema).is_valid(instance)
    if matched:
        if "then" in schema:
            yield from validator.descend(instance, schema["then"], schema_path="then")
    elif "else" in schema:
        yield from validator.descend(instance, schema["else"], schema_path="else")


@cache
def _validator() -> Any:
    from jsonschema import validators

    schema = load_schema()
    base = validators.validator_for(schema)
    cls = validators.extend(base, {"if": _fast_if})
    root = cls(schema)
    if hasattr(root, "_validators") and hasattr(root, "evolve"):
        cls.descend = _prepared_descend(root)
        root = cls(schema)
    return root


def stock_validator() -> Any:
    """A plain jsonschema validator for the same schema (for tests and comparisons)."""
    from jsonschema import validators

    schema = load_schema()
    return validators.validator_for(schema)(schema)


def _prepared_descend(root: Any) -> Any:
    """A ``descend`` that prepares each subschema's validator once (see the module docstring)."""
    from jsonschema.exceptions import ValidationError

    prepared: dict[int, tuple[Any, Any, list[Any]]] = {}

    def descend(
        self: Any,
        instance: Any,
        schema: Any,
        path: Any = None,
        schema_path: Any = None,
        resolver: Any = None,
    ) -> Iterator[Any]:
        if schema is True:
            return
        if schema is False:
            yield ValidationError(
                f"False schema does not allow {instance!r}",
                validator=None,  # type: ignore[arg-type]  # (as jsonschema's own descend does)
                validator_value=None,
                instance=instance,
                schema=schema,
            )
            return
        entry = prepared.get(id(schema))
        if entry is None:
            evolved = root.evolve(schema=schema)
            entry = prepared[id(schema)] = (schema, evolved, evolved._validators)
        _, evolved, checks = entry
        for check, keyword, value in checks:
            for error in check(evolved, value, instance, schema) or ():
                error._set(
                    validator=keyword,
                    validator_value=value,
                    instance=instance,
                    schema=schema,
                    type_checker=evolved.TYPE_CHECKER,
                )
                if keyword not in ("if", "$ref"):
                    error.schema_path.appendleft(keyword)
                if path is not None:
                    error.path.appendleft(path)
                if schema_path is not None:
                    error.schema_path.appendleft(schema_path)
                yield error

    return descend


@cache
def _roles() -> dict[int, tuple[str, str, str | None]]:
    """id(subschema) -> (kind, query language, state type) for the objects worth naming."""
    defs = load_schema()["$defs"]
    roles: dict[int, tuple[str, str, str | None]] = {}
    for name, sub in defs.items():
        if not isinstance(sub, dict) or "properties" not in sub:
            continue
        for prefix, lang in (
            ("jsonPath", "JSONPath"),
            ("jsonataInJSONPathMachine", "JSONata"),
            ("jsonataInJSONataMachine", "JSONata"),
        ):
            if name.startswith(prefix) and name[len(prefix) :] in _STATE_TYPES:
                roles[id(sub)] = ("state", lang, name[len(prefix) :])
        for kind in ("catcher", "itemReader", "resultWriter", "itemBatcher", "readerConfig"):
            for lang in ("JSONPath", "JSONata"):
                if name == kind + lang:
                    roles[id(sub)] = (kind, lang, None)
        if name == "choiceRuleNested":
            roles[id(sub)] = ("nestedRule", "JSONPath", None)
        elif name.startswith("choiceRule"):
            roles[id(sub)] = ("rule", name[len("choiceRule") :], None)
    return roles


@cache
def _fields(kind: str, lang: str, state_type: str | None) -> frozenset[str]:
    """The fields a schema object of that role accepts."""
    defs = load_schema()["$defs"]
    if kind == "state":
        prefix = "jsonPath" if lang == "JSONPath" else "jsonataInJSONPathMachine"
        sub = defs[prefix + str(state_type)]
    else:
        sub = defs[kind + lang]
    return frozenset(sub.get("properties", ()))


_STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")


# --------------------------------------------------------------------------------------------
# Translating errors


def check_structure(definition: Any) -> list[Diagnostic]:
    """Schema diagnostics for ``definition`` (any JSON value), AWS's wording first."""
    out: list[Diagnostic] = []
    for error in _validator().iter_errors(definition):
        out.extend(_translate(error))
    return out


def _label(path: list[Any]) -> str:
    """How a message names the value at ``path``: ``'Seconds'``, ``'Catch[0]'``."""
    suffix = ""
    for token in reversed(path):
        if isinstance(token, int):
            suffix = f"[{token}]{suffix}"
        else:
            return f"{token}{suffix}"
    return f"definition{suffix}"


def _types_text(expected: Any) -> str:
    names = [expected] if isinstance(expected, str) else list(expected)
    return " or ".join(_TYPE_WORDS.get(n, n) for n in names)


def _actual_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _required_fields(schema: Any) -> list[str] | None:
    """The field names when ``schema`` is exactly ``{"required": [...]}``."""
    if isinstance(schema, dict) and set(schema) == {"required"}:
        return list(schema["required"])
    return None


def _translate(error: Any) -> Iterator[Diagnostic]:
    path = list(error.absolute_path)
    pointer = pointer_join("", *path)
    keyword = error.validator
    value = error.validator_value
    instance = error.instance
    role = _roles().get(id(error.schema))

    if keyword == "required":
        missing = [f for f in value if isinstance(instance, Mapping) and f not in instance]
        if not path:
            hint = "; ".join(f"{f}: {_REQUIRED_HINTS[f]}" for f in missing if f in _REQUIRED_HINTS)
            yield _schema_diag(
                "ASL103", pointer, f"These fields are required: [{', '.join(missing)}]", hint
            )
            return
        for field in missing:
            code = "ASL405" if role and role[0] == "rule" and field == "Next" else "ASL103"
            hint = _REQUIRED_HINTS.get(field, "")
            if code == "ASL405":
                hint = "every top-level Choice rule must name the state to go to when it matches"
            yield _schema_diag(
                code, pointer, f"The field '{field}' is required but was missing", hint
            )
        return

    if keyword == "additionalProperties":
        if not isinstance(instance, Mapping):
            return
        allowed = set(error.schema.get("properties", ()))
        for field in sorted(k for k in instance if k not in allowed):
            yield _unsupported(field, pointer, role)
        return

    if keyword == "const" and path and path[-1] == "QueryLanguage":
        if instance == "JSONPath":
            yield _schema_diag(
                "ASL111",
                pointer_join("", *path[:-1]),
                "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                "remove the state's QueryLanguage, or make the top level JSONPath and switch "
                'single states to JSONata with "QueryLanguage": "JSONata"',
            )
        else:
            yield _enum_diag(path, pointer, ["JSONPath", "JSONata"])
        return

    if keyword in ("enum", "const"):
        options = value if keyword == "enum" else [value]
        yield _enum_diag(path, pointer, options)
        return

    if keyword == "type":
        yield _schema_diag(
            "ASL106",
            pointer,
            f"The field '{_label(path)}' must be {_types_text(value)}, "
            f"not {_actual_type(instance)}",
            "",
        )
        return

    if keyword == "pattern":
        yield _schema_diag(
            "ASL106",
            pointer,
            f"The field '{_label(path)}' must be a JSONata expression",
            "write it as \"{% expression %}\" (a string starting with '{%' and ending with '%}')",
        )
        return

    if keyword in ("minimum", "maximum", "exclusiveMaximum", "exclusiveMinimum"):
        bound = {
            "minimum": "greater than or equal to",
            "maximum": "less than or equal to",
            "exclusiveMaximum": "less than",
            "exclusiveMinimum": "greater than",
        }[keyword]
        yield _schema_diag(
            "ASL108",
            pointer,
            f"The field '{_label(path)}' must be {bound} {value}, not {instance!r}",
            "",
        )
        return

    if keyword in ("minItems", "minLength"):
        yield _schema_diag(
            "ASL108",
            pointer,
            f"The field '{_label(path)}' must not be empty",
            "",
        )
        return

    if keyword == "maxLength":
        yield _schema_diag(
            "ASL108",
            pointer,
            f"The field '{_label(path)}' must be at most {value} characters long",
            "",
        )
        return

    if keyword == "not":
        fields = _required_fields(value)
        if fields:
            yield _exclusive_diag(pointer, fields)
        else:
            yield _schema_diag(
                "ASL106", pointer, f"The value at '{_label(path)}' is not allowed", ""
            )
        return

    if keyword in ("anyOf", "oneOf"):
        options = [_required_fields(s) for s in value]
        if all(o and len(o) == 1 for o in options) and isinstance(instance, Mapping):
            names = [o[0] for o in options if o]
            present = [n for n in names if n in instance]
            if len(present) > 1:
                yield _exclusive_diag(pointer, present)
            elif not present:
                hint = _ONE_OF_HINTS.get(frozenset(names), "add one of them")
                yield _schema_diag(
                    "ASL110",
                    pointer,
                    f"One of these fields is required: [{', '.join(names)}]",
                    hint,
                )
            return
        yield _schema_diag("ASL106", pointer, f"The value at '{_label(path)}' is not valid", "")
        return

    if keyword == "dependentRequired":
        for field, needs in value.items():
            if isinstance(instance, Mapping) and field in instance:
                for need in needs:
                    if need not in instance:
                        yield _schema_diag(
                            "ASL103",
                            pointer,
                            f"The field '{need}' is required when '{field}' is set",
                            f"add '{need}' or remove '{field}'",
                        )
        return

    yield _schema_diag("ASL106", pointer, error.message, "")  # pragma: no cover - unused keywords


def _schema_diag(code: str, pointer: str, aws_text: str, hint: str) -> Diagnostic:
    return diagnostic(code, pointer, aws_text, hint, aws_code=SCHEMA)


def _enum_diag(path: list[Any], pointer: str, options: list[Any]) -> Diagnostic:
    shown = ", ".join(str(o) for o in options)
    return _schema_diag(
        "ASL107",
        pointer,
        f"The field '{_label(path)}' should have one of these values: [{shown}]",
        "values are case-sensitive",
    )


def _exclusive_diag(pointer: str, fields: list[str]) -> Diagnostic:
    shown = ", ".join(fields)
    if set(fields) == {"Next", "End"}:
        hint = 'keep "Next" to continue, or "End": true to stop here'
    else:
        hint = "keep only one of them"
    return _schema_diag("ASL109", pointer, f"Only one of these fields is allowed: [{shown}]", hint)


def _unsupported(field: str, pointer: str, role: tuple[str, str, str | None] | None) -> Diagnostic:
    if role is None:
        return _schema_diag(
            "ASL104",
            pointer,
            f"Field '{field}' is not supported",
            "remove it or check its spelling",
        )
    kind, lang, state_type = role
    if kind == "nestedRule" and field == "Next":
        return _schema_diag(
            "ASL404",
            pointer,
            f"Field '{field}' is not supported",
            "rules nested inside 'And', 'Or' or 'Not' must not have 'Next': only the top-level "
            "rule chooses the next state",
        )
    other = "JSONata" if lang == "JSONPath" else "JSONPath"
    if (
        kind in ("state", "catcher", "itemReader", "resultWriter", "itemBatcher", "readerConfig")
        and field in _fields(kind, other, state_type)
        and field not in _fields(kind, lang, state_type)
    ):
        instead = (_JSONATA_INSTEAD if lang == "JSONata" else _JSONPATH_INSTEAD).get(field)
        hint = f"use {instead} instead" if instead else "remove it"
        if lang == "JSONPath":
            hint += ', or set "QueryLanguage": "JSONata" on this state'
        return _schema_diag(
            "ASL105",
            pointer,
            f"The QueryLanguage is set to '{lang}', but field '{field}' is only supported "
            f"for the '{other}' QueryLanguage",
            hint,
        )
    if kind == "state":
        hosts = [t for t in _STATE_TYPES if field in _fields("state", lang, t)] or [
            t for t in _STATE_TYPES if field in _fields("state", other, t)
        ]
        if hosts:
            hint = f"'{field}' is allowed on {', '.join(hosts)} states, not on {state_type} states"
        else:
            hint = "remove it or check its spelling"
        return _schema_diag("ASL104", pointer, f"Field '{field}' is not supported", hint)
    return _schema_diag(
        "ASL104", pointer, f"Field '{field}' is not supported", "remove it or check its spelling"
    )
