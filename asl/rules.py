"""Semantic rules: what the JSON Schema cannot say, as a table of small checks.

Each check takes a :class:`Context` (the definition walked once: every scope and every state
with its pointer and effective query language) and yields diagnostics. Checks never
raise on malformed input: the schema reports shapes, the checks skip what they cannot read.

Codes are grouped as the style guide says: 1xx structure, 2xx references, 3xx paths and
expressions, 4xx Choice, 5xx Retry/Catch. ``docs/diagnostics.md`` has an anchor per code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple, TypeGuard

from asl.diagnostics import Diagnostic, Severity, pointer_join
from asl.errors import ALL, PREDEFINED_ERRORS, ExpressionError

__all__ = [
    "CODES",
    "RULES",
    "Code",
    "Context",
    "Rule",
    "Scope",
    "StateRef",
    "diagnostic",
]

SCHEMA = "SCHEMA_VALIDATION_FAILED"
MISSING_TRANSITION_TARGET = "MISSING_TRANSITION_TARGET"
MISSING_END_STATE = "MISSING_END_STATE"
INVALID_JSONATA = "INVALID_JSONATA_EXPRESSION"

JSONPATH = "JSONPath"
JSONATA = "JSONata"


class Code(NamedTuple):
    """A diagnostic code: a one-line title, AWS's code for the same problem, the severity."""

    title: str
    aws_code: str | None = SCHEMA
    severity: Severity = Severity.ERROR


CODES: dict[str, Code] = {
    # 0xx: reading the text (reported by asl.source / asl.loading)
    "ASL001": Code("Text is not valid JSON or YAML", "INVALID_JSON_DESCRIPTION"),
    "ASL002": Code("Duplicate key in an object", None),
    "ASL003": Code("Text is not valid UTF-8", "INVALID_JSON_DESCRIPTION"),
    "ASL004": Code("Definition larger than 1 MiB", None),
    "ASL005": Code("Definition nested too deeply", None),
    "ASL006": Code("File cannot be read", None),
    "ASL007": Code("Malformed state machine resource in a template", None),
    "ASL008": Code("State machine not checked", None, Severity.WARNING),
    "ASL009": Code("Value cannot be written as JSON text", "INVALID_JSON_DESCRIPTION"),
    # 1xx: structure
    "ASL100": Code("Definition is not a JSON object"),
    "ASL103": Code("Required field missing"),
    "ASL104": Code("Field not supported here"),
    "ASL105": Code("Field belongs to the other query language"),
    "ASL106": Code("Value has the wrong type"),
    "ASL107": Code("Value is not one of the allowed values"),
    "ASL108": Code("Value out of range"),
    "ASL109": Code("Mutually exclusive fields"),
    "ASL110": Code("One of several fields is required"),
    "ASL111": Code("State switches back to JSONPath in a JSONata machine"),
    "ASL112": Code("State name empty or longer than 80 characters"),
    "ASL113": Code("HeartbeatSeconds not smaller than TimeoutSeconds"),
    "ASL114": Code("Integration pattern not supported by Express machines"),
    "ASL115": Code("Resource is not a URI or a valid ARN"),
    "ASL116": Code("Resource is neither an ARN nor a local scheme", None, Severity.WARNING),
    "ASL117": Code("Invalid Map Label"),
    "ASL118": Code("Map Label used twice"),
    "ASL119": Code("ItemBatcher without a batch size", None, Severity.WARNING),
    "ASL120": Code("Invalid variable name in Assign"),
    "ASL121": Code("Reserved variable name 'states' in Assign"),
    "ASL122": Code("Variable name is not an identifier", None, Severity.WARNING),
    # 2xx: references
    "ASL201": Code("Transition target does not exist", MISSING_TRANSITION_TARGET),
    "ASL202": Code("State is not reachable", MISSING_TRANSITION_TARGET),
    "ASL203": Code("No terminal state", MISSING_END_STATE),
    "ASL204": Code('"End" is false'),
    "ASL205": Code("State name used more than once"),
    # 3xx: paths and expressions
    "ASL301": Code("Invalid JSONPath"),
    "ASL302": Code("Invalid reference path"),
    "ASL303": Code("Invalid payload template value"),
    "ASL304": Code("Payload template key defined twice"),
    "ASL305": Code("ResultPath may not use a variable or the context object"),
    "ASL306": Code("Invalid JSONata expression", INVALID_JSONATA),
    "ASL307": Code("Half-delimited JSONata expression", None, Severity.WARNING),
    "ASL309": Code("Invalid timestamp"),
    # 4xx: Choice
    "ASL401": Code("Choice rule needs exactly one operator"),
    "ASL406": Code("Choice rule combines And, Or and Not side by side", None, Severity.WARNING),
    "ASL402": Code("Choice rule 'Variable' missing or misplaced"),
    "ASL403": Code("Invalid StringMatches pattern"),
    "ASL404": Code("Nested Choice rule has 'Next'"),
    "ASL405": Code("Top-level Choice rule has no 'Next'"),
    # 5xx: Retry / Catch
    "ASL501": Code("States.ALL not alone or not last"),
    "ASL502": Code("Reserved 'States.' error name", None, Severity.WARNING),
}


_FROM_CODE = "<from CODES>"


def diagnostic(
    code: str, pointer: str, text: str, hint: str = "", *, aws_code: str | None = _FROM_CODE
) -> Diagnostic:
    """A diagnostic whose message is ``text`` (AWS's sentence when AWS has one) then ``hint``."""
    spec = CODES[code]
    message = text if text.endswith(".") else text + "."
    if hint:
        message += " " + hint[0].upper() + hint[1:] + ("" if hint.endswith(".") else ".")
    return Diagnostic(
        code,
        message,
        pointer,
        aws_code=spec.aws_code if aws_code == _FROM_CODE else aws_code,
        severity=spec.severity,
        aws_text=text,
    )


# --------------------------------------------------------------------------------------------
# The walked definition


@dataclass(slots=True)
class StateRef:
    """One state: its name, JSON Pointer, raw object, type and effective query language."""

    name: str
    pointer: str
    raw: Mapping[str, Any]
    type: str | None
    language: str
    scope: Scope


@dataclass(slots=True)
class Scope:
    """A machine or nested machine (Parallel branch, Map processor) and its states."""

    pointer: str
    start_at: Any
    states: dict[str, Any]
    language: str
    refs: list[StateRef] = field(default_factory=list)


class Context:
    """The definition walked once, shared by every rule."""

    __slots__ = ("definition", "language", "machine_type", "scopes", "states")

    def __init__(self, definition: Mapping[str, Any], machine_type: str = "STANDARD") -> None:
        self.definition = definition
        self.machine_type = machine_type
        top = definition.get("QueryLanguage")
        self.language = top if top in (JSONPATH, JSONATA) else JSONPATH
        self.scopes: list[Scope] = []
        self.states: list[StateRef] = []
        self._walk(definition, "", self.language, relaxed=False)

    def _walk(self, machine: Mapping[str, Any], pointer: str, language: str, relaxed: bool) -> None:
        states = machine.get("States")
        if not isinstance(states, dict):
            return
        scope = Scope(pointer, machine.get("StartAt"), states, language)
        self.scopes.append(scope)
        states_ptr = pointer_join(pointer, "States")
        for name, raw in states.items():
            if not isinstance(raw, dict):
                continue
            declared = raw.get("QueryLanguage")
            own = declared if declared in (JSONPATH, JSONATA) else language
            if own == JSONPATH and language == JSONATA and not relaxed:
                own = JSONATA  # reported by the schema (ASL111); read the state as JSONata
            kind = raw.get("Type")
            ref = StateRef(name, pointer_join(states_ptr, name), raw, kind, own, scope)
            scope.refs.append(ref)
            self.states.append(ref)
            if kind == "Parallel" and isinstance(raw.get("Branches"), list):
                for i, branch in enumerate(raw["Branches"]):
                    if isinstance(branch, dict):
                        self._walk(
                            branch, pointer_join(ref.pointer, "Branches", i), language, False
                        )
            elif kind == "Map":
                for key in ("ItemProcessor", "Iterator"):
                    proc = raw.get(key)
                    if isinstance(proc, dict):
                        config = proc.get("ProcessorConfig")
                        distributed = (
                            isinstance(config, dict) and config.get("Mode") == "DISTRIBUTED"
                        )
                        self._walk(proc, pointer_join(ref.pointer, key), language, distributed)


def _is_terminal(ref: StateRef) -> bool:
    return ref.type in ("Succeed", "Fail") or ref.raw.get("End") is True


def _targets(ref: StateRef) -> Iterator[tuple[str, Any]]:
    """``(pointer, target)`` for every transition a state declares."""
    raw = ref.raw
    if "Next" in raw:
        yield pointer_join(ref.pointer, "Next"), raw["Next"]
    if ref.type == "Choice":
        if "Default" in raw:
            yield pointer_join(ref.pointer, "Default"), raw["Default"]
        choices = raw.get("Choices")
        if isinstance(choices, list):
            for i, rule in enumerate(choices):
                if isinstance(rule, dict) and "Next" in rule:
                    yield pointer_join(ref.pointer, "Choices", i, "Next"), rule["Next"]
    catchers = raw.get("Catch")
    if isinstance(catchers, list):
        for i, catcher in enumerate(catchers):
            if isinstance(catcher, dict) and "Next" in catcher:
                yield pointer_join(ref.pointer, "Catch", i, "Next"), catcher["Next"]


# --------------------------------------------------------------------------------------------
# 2xx: references


def check_targets(ctx: Context) -> Iterator[Diagnostic]:
    """ASL201: StartAt, Next, Default, Choices[].Next and Catch[].Next name a state in scope."""
    everywhere = {ref.name: ref.scope.pointer for ref in ctx.states}
    for scope in ctx.scopes:
        if isinstance(scope.start_at, str) and scope.start_at not in scope.states:
            yield _missing_target(
                pointer_join(scope.pointer, "StartAt"), scope.start_at, everywhere
            )
        for ref in scope.refs:
            for pointer, target in _targets(ref):
                if isinstance(target, str) and target not in scope.states:
                    yield _missing_target(pointer, target, everywhere)


def _missing_target(pointer: str, target: str, everywhere: dict[str, str]) -> Diagnostic:
    if target in everywhere:
        hint = (
            f'a state "{target}" exists, but in another scope ({everywhere[target] or "/"}); '
            "transitions can only reach states of the same branch or processor"
        )
    else:
        hint = (
            f'add a state named "{target}" or point to an existing state (names are case-sensitive)'
        )
    return diagnostic("ASL201", pointer, f"Missing 'Next' target: {target}", hint)


def check_end_true(ctx: Context) -> Iterator[Diagnostic]:
    """ASL204: ``"End": false`` is not a transition."""
    for ref in ctx.states:
        if (
            ref.raw.get("End") is False
            and "Next" not in ref.raw
            and ref.type
            not in (
                "Choice",
                "Succeed",
                "Fail",
            )
        ):
            yield diagnostic(
                "ASL204",
                pointer_join(ref.pointer, "End"),
                "The field 'End' must be true",
                'use "End": true to stop here, or replace it with "Next": "<state name>"',
            )


def _no_terminal(scope: Scope) -> bool:
    return bool(scope.refs) and not any(_is_terminal(ref) for ref in scope.refs)


def check_terminal(ctx: Context) -> Iterator[Diagnostic]:
    """ASL203: every scope has at least one terminal state (AWS: MISSING_END_STATE)."""
    for scope in ctx.scopes:
        if _no_terminal(scope) or (not scope.refs and not scope.states):
            yield diagnostic(
                "ASL203",
                scope.pointer,
                "Workflow has no terminal state",
                'add a Succeed or Fail state, or give a state "End": true',
            )


def check_reachable(ctx: Context) -> Iterator[Diagnostic]:
    """ASL202: every state can be reached from StartAt (skipped where ASL203 fired, as AWS does)."""
    for scope in ctx.scopes:
        if _no_terminal(scope) or not isinstance(scope.start_at, str):
            continue
        if scope.start_at not in scope.states:
            continue
        by_name = {ref.name: ref for ref in scope.refs}
        seen = {scope.start_at}
        todo = [scope.start_at]
        while todo:
            ref = by_name.get(todo.pop())
            if ref is None:
                continue
            for _, target in _targets(ref):
                if isinstance(target, str) and target in scope.states and target not in seen:
                    seen.add(target)
                    todo.append(target)
        for name in scope.states:
            if name not in seen:
                yield diagnostic(
                    "ASL202",
                    pointer_join(scope.pointer, "States", name),
                    f'State "{name}" is not reachable',
                    "point a Next, Default or Catch at it, or remove it",
                )


def check_unique_names(ctx: Context) -> Iterator[Diagnostic]:
    """ASL205: state names are unique across the whole machine, branches and processors included."""
    first: dict[str, str] = {}
    for scope in ctx.scopes:
        for name in scope.states:
            pointer = pointer_join(scope.pointer, "States", name)
            if name in first:
                yield diagnostic(
                    "ASL205",
                    pointer,
                    f'State name "{name}" is already used at {first[name]}',
                    "state names must be unique across the whole state machine, including "
                    "Parallel branches and Map processors; rename one of them",
                )
            else:
                first[name] = pointer


# --------------------------------------------------------------------------------------------
# 1xx: structure the schema cannot express


def check_state_names(ctx: Context) -> Iterator[Diagnostic]:
    """ASL112: state names are 1 to 80 characters."""
    for scope in ctx.scopes:
        for name in scope.states:
            if not name or len(name) > 80:
                yield diagnostic(
                    "ASL112",
                    pointer_join(scope.pointer, "States", name),
                    f"State name must be 1 to 80 characters long, not {len(name)}",
                    "shorten the name (and every Next that points to it)",
                )


def check_heartbeat(ctx: Context) -> Iterator[Diagnostic]:
    """ASL113: a Task's HeartbeatSeconds is smaller than its TimeoutSeconds."""
    for ref in ctx.states:
        beat, limit = ref.raw.get("HeartbeatSeconds"), ref.raw.get("TimeoutSeconds")
        if _is_int(beat) and _is_int(limit) and beat >= limit:
            yield diagnostic(
                "ASL113",
                pointer_join(ref.pointer, "HeartbeatSeconds"),
                f"HeartbeatSeconds ({beat}) must be smaller than TimeoutSeconds ({limit})",
                "lower HeartbeatSeconds or raise TimeoutSeconds",
            )


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_CFN_SUBSTITUTION = re.compile(r"\$\{[^{}\s]+\}")
_LAMBDA_ARN = re.compile(r"arn:[^:]+:lambda:[^:]*:[^:]*:function:(.*)")
_LAMBDA_FUNCTION = re.compile(r"[A-Za-z0-9_-]+(?::(?:\$LATEST|[A-Za-z0-9_-]+))?")
LOCAL_SCHEMES = ("arn", "python", "celery", "program", "mock")
"""Resource schemes asl-engine runs: AWS ARNs plus the local task handlers."""


def check_resource(ctx: Context) -> Iterator[Diagnostic]:
    """ASL115/ASL116: a Task Resource is a URI (an ARN, or a local scheme such as python:)."""
    for ref in ctx.states:
        resource = ref.raw.get("Resource")
        if ref.type != "Task":
            continue
        pointer = pointer_join(ref.pointer, "Resource")
        if isinstance(resource, dict) and len(resource) == 1:
            (function,) = resource
            yield diagnostic(
                "ASL116",
                pointer,
                f"Resource is a CloudFormation {function} left in the definition",
                "it is filled in at deploy time; validate the template, or --bind the resource "
                "to run the machine locally",
            )
            continue
        if not isinstance(resource, str):
            continue
        if _CFN_SUBSTITUTION.fullmatch(resource):
            yield diagnostic(
                "ASL116",
                pointer,
                f"Resource '{resource}' is a template placeholder",
                "substitute it (CloudFormation/SAM/CDK) before running the machine",
            )
            continue
        if not _URI.fullmatch(resource):
            yield diagnostic(
                "ASL115",
                pointer,
                f"Resource '{resource}' is not a valid URI",
                "use an ARN (arn:aws:states:::lambda:invoke, arn:aws:lambda:...) or a local "
                "scheme: python:module:function, celery:task.name, program:..., mock:...",
            )
            continue
        lam = _LAMBDA_ARN.fullmatch(resource)
        if lam and not _LAMBDA_FUNCTION.fullmatch(lam.group(1)):
            yield diagnostic(
                "ASL115",
                pointer,
                f"Resource '{resource}' is not a valid Lambda function ARN",
                "the function part is a name, optionally followed by ':$LATEST' or ':<alias or "
                "version>' made of letters, digits, '-' and '_'",
            )
            continue
        if resource.split(":", 1)[0] not in LOCAL_SCHEMES:
            yield diagnostic(
                "ASL116",
                pointer,
                f"Resource '{resource}' is neither an ARN nor a local scheme",
                "AWS only accepts ARNs; asl-engine runs arn:, python:, celery:, program: and mock: "
                "resources",
            )


_EXPRESS_UNSUPPORTED = (
    (".sync", "'.sync' service integration"),
    (".waitForTaskToken", "'.waitForTaskToken' service integration"),
)


def check_express(ctx: Context) -> Iterator[Diagnostic]:
    """ASL114: Express machines support neither .sync, .waitForTaskToken nor activities."""
    if ctx.machine_type != "EXPRESS":
        return
    for ref in ctx.states:
        resource = ref.raw.get("Resource")
        if ref.type != "Task":
            continue
        if not isinstance(resource, str):
            continue  # a CloudFormation intrinsic: check_resource reports it
        pointer = pointer_join(ref.pointer, "Resource")
        for suffix, what in _EXPRESS_UNSUPPORTED:
            tail = resource.rsplit(":::", 1)[-1]
            if suffix + ":" in tail or tail.endswith(suffix):
                yield diagnostic(
                    "ASL114",
                    pointer,
                    f"Express state machine does not support {what}",
                    "use the request-response form (no suffix), or make the machine STANDARD",
                )
                break
        else:
            if re.fullmatch(r"arn:[^:]+:states:[^:]*:[^:]*:activity:.+", resource):
                yield diagnostic(
                    "ASL114",
                    pointer,
                    "Express state machine does not support activities",
                    "use a service integration, or make the machine STANDARD",
                )


_LABEL_FORBIDDEN = re.compile(r"[\s?*<>{}\[\]\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


def check_map(ctx: Context) -> Iterator[Diagnostic]:
    """ASL117/ASL118/ASL119: Map Label characters and uniqueness; ItemBatcher has a size."""
    labels: dict[str, str] = {}
    for ref in ctx.states:
        if ref.type != "Map":
            continue
        label = ref.raw.get("Label")
        if isinstance(label, str):
            pointer = pointer_join(ref.pointer, "Label")
            bad = _LABEL_FORBIDDEN.search(label)
            if bad:
                yield diagnostic(
                    "ASL117",
                    pointer,
                    f"The Label contains the character {bad.group()!r}, which is not allowed",
                    "use letters, digits, '-', '_' and '.' (no whitespace, brackets, wildcards or "
                    'punctuation such as " # % \\ ^ | ~ ` $ & , ; : /)',
                )
            if label in labels:
                yield diagnostic(
                    "ASL118",
                    pointer,
                    f"The Label '{label}' is already used at {labels[label]}",
                    "Map Run labels must be unique within the state machine",
                )
            else:
                labels[label] = pointer
        batcher = ref.raw.get("ItemBatcher")
        if isinstance(batcher, dict) and not any(
            key in batcher
            for key in (
                "MaxItemsPerBatch",
                "MaxItemsPerBatchPath",
                "MaxInputBytesPerBatch",
                "MaxInputBytesPerBatchPath",
            )
        ):
            yield diagnostic(
                "ASL119",
                pointer_join(ref.pointer, "ItemBatcher"),
                "ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch",
                "set at least one of them (or their ...Path forms in JSONPath)",
            )


_VARIABLE_NAME_LIMIT = 80
_NOT_IN_NAMES = re.compile(r"[\s.\[\]$'\"{}()]")


def _assign_blocks(ref: StateRef) -> Iterator[tuple[str, Any]]:
    """``(pointer, Assign value)`` for the state, its Choice rules and its catchers."""
    raw = ref.raw
    if "Assign" in raw:
        yield pointer_join(ref.pointer, "Assign"), raw["Assign"]
    for key in ("Choices", "Catch"):
        items = raw.get(key)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict) and "Assign" in item:
                    yield pointer_join(ref.pointer, key, i, "Assign"), item["Assign"]


def check_assign_names(ctx: Context) -> Iterator[Diagnostic]:
    """ASL120-ASL122: Assign keys are names of at most 80 characters, never ``states``."""
    for ref in ctx.states:
        for pointer, block in _assign_blocks(ref):
            if not isinstance(block, dict):
                continue
            for key in block:
                name = key[:-2] if ref.language == JSONPATH and key.endswith(".$") else key
                if name == "states":
                    yield diagnostic(
                        "ASL121",
                        pointer,
                        "The variable name 'states' is reserved",
                        "$states holds the state's input, result and context; pick another name",
                    )
                elif not name or len(name) > _VARIABLE_NAME_LIMIT or _NOT_IN_NAMES.search(name):
                    yield diagnostic(
                        "ASL120",
                        pointer,
                        f"The variable name '{name}' is not valid",
                        "a variable name is an identifier (letters, digits and '_', not starting "
                        "with a digit) of at most 80 characters; sub-paths such as 'a.b' or "
                        "'a[0]' cannot be assigned",
                    )
                elif not name.isidentifier():
                    yield diagnostic(
                        "ASL122",
                        pointer,
                        f"The variable name '{name}' is not an identifier",
                        f"expressions cannot read it as ${name}; use letters, digits and '_' "
                        "only, not starting with a digit",
                    )


# --------------------------------------------------------------------------------------------
# 3xx: paths, templates, JSONata, timestamps


def _path_error(text: Any, *, reference: bool, data_only: bool = False) -> str | None:
    """Why ``text`` is not an acceptable path, or None."""
    from asl.jsonpath import parse_path

    try:
        parsed = parse_path(text)
    except ExpressionError as exc:
        return exc.message
    if data_only and parsed.root != "data":
        return "variable-or-context"
    if reference and not parsed.is_reference:
        return "not a reference path"
    return None


_PATH_FIELDS = ("InputPath", "OutputPath")
_REFERENCE_FIELDS = (
    "ItemsPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
)
_NESTED_REFERENCE_FIELDS = (
    ("ItemReader", "ReaderConfig", "MaxItemsPath"),
    ("ItemBatcher", "MaxItemsPerBatchPath"),
    ("ItemBatcher", "MaxInputBytesPerBatchPath"),
)
_FAIL_INTRINSICS = frozenset(
    {
        "States.Format",
        "States.JsonToString",
        "States.ArrayGetItem",
        "States.Base64Encode",
        "States.Base64Decode",
        "States.Hash",
        "States.UUID",
    }
)


def _dig(raw: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    node: Any = raw
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def check_paths(ctx: Context) -> Iterator[Diagnostic]:
    """ASL301/ASL302/ASL305: JSONPath fields hold valid paths (JSONPath states only)."""
    for ref in ctx.states:
        if ref.language != JSONPATH:
            continue
        raw = ref.raw
        for key in _PATH_FIELDS:
            value = raw.get(key)
            if isinstance(value, str) and _path_error(value, reference=False):
                yield _bad_path(pointer_join(ref.pointer, key), value)
        for key in _REFERENCE_FIELDS:
            value = raw.get(key)
            if isinstance(value, str) and _path_error(value, reference=True):
                yield _bad_reference(pointer_join(ref.pointer, key), value)
        for keys in _NESTED_REFERENCE_FIELDS:
            value = _dig(raw, keys)
            if isinstance(value, str) and _path_error(value, reference=True):
                yield _bad_reference(pointer_join(ref.pointer, *keys), value)
        yield from _check_result_path(
            raw.get("ResultPath"), pointer_join(ref.pointer, "ResultPath")
        )
        catchers = raw.get("Catch")
        if isinstance(catchers, list):
            for i, catcher in enumerate(catchers):
                if isinstance(catcher, dict):
                    yield from _check_result_path(
                        catcher.get("ResultPath"),
                        pointer_join(ref.pointer, "Catch", i, "ResultPath"),
                    )
        if ref.type == "Fail":
            for key in ("ErrorPath", "CausePath"):
                value = raw.get(key)
                if isinstance(value, str):
                    problem = _fail_path_problem(value)
                    if problem:
                        yield diagnostic(
                            "ASL301",
                            pointer_join(ref.pointer, key),
                            "Value must be a valid ReferencePath or a valid intrinsic "
                            "function call",
                            problem,
                        )


def _fail_path_problem(value: str) -> str | None:
    if value.startswith("$"):
        if _path_error(value, reference=True):
            return (
                f"'{value}' must select one value, with '.name', \"['name']\" and '[index]' steps"
            )
        return None
    name = value.split("(", 1)[0].strip()
    if name.startswith("States.") and "(" in value:
        if name not in _FAIL_INTRINSICS:
            return f"{name} is not allowed here; use one of {', '.join(sorted(_FAIL_INTRINSICS))}"
        error = _intrinsic_error(value)
        return error
    return f"'{value}' is neither a path starting with '$' nor an intrinsic call"


def _intrinsic_error(text: str) -> str | None:
    from asl.intrinsics import compile_intrinsic

    try:
        compile_intrinsic(text)
    except ExpressionError as exc:
        return exc.message
    return None


def _bad_path(pointer: str, value: str) -> Diagnostic:
    return diagnostic(
        "ASL301",
        pointer,
        "Value must be a valid JSONPath",
        f"'{value}' is not one; paths start with '$' (input), '$$' (context) or '$name' "
        "(variable), e.g. '$.items[0].id'",
    )


def _bad_reference(pointer: str, value: str) -> Diagnostic:
    return diagnostic(
        "ASL302",
        pointer,
        "Value must be a valid ReferencePath",
        f"'{value}' is not one; a reference path selects a single value with '.name', "
        "\"['name']\" and '[index]' steps only (no wildcards, filters, slices or functions)",
    )


def _check_result_path(value: Any, pointer: str) -> Iterator[Diagnostic]:
    if not isinstance(value, str):
        return
    problem = _path_error(value, reference=True, data_only=True)
    if problem == "variable-or-context":
        yield diagnostic(
            "ASL305",
            pointer,
            f"ResultPath '{value}' cannot write to a variable or the context object",
            "ResultPath places the result in the state's input ('$...'); set variables with "
            "Assign instead",
        )
    elif problem:
        yield _bad_reference(pointer, value)


def _template_fields(ref: StateRef) -> Iterator[tuple[str, Any]]:
    """``(pointer, template)`` for every JSONPath payload template of a JSONPath state."""
    raw = ref.raw
    for key in ("Parameters", "ResultSelector", "ItemSelector", "Credentials"):
        if key in raw:
            yield pointer_join(ref.pointer, key), raw[key]
    for keys in (
        ("ItemReader", "Parameters"),
        ("ResultWriter", "Parameters"),
        ("ItemBatcher", "BatchInput"),
    ):
        value = _dig(raw, keys)
        if value is not None:
            yield pointer_join(ref.pointer, *keys), value
    yield from _assign_blocks(ref)


def check_templates(ctx: Context) -> Iterator[Diagnostic]:
    """ASL303/ASL304: '.$' values are paths or intrinsic calls; no key defined twice."""
    from asl.template import iter_template_problems

    for ref in ctx.states:
        if ref.language != JSONPATH:
            continue
        for pointer, template in _template_fields(ref):
            for where, message in iter_template_problems(template, pointer):
                if "more than once" in message:
                    yield diagnostic(
                        "ASL304",
                        where,
                        message,
                        "keys lose their '.$' suffix when the template is evaluated, so "
                        "'x' and 'x.$' collide; keep one",
                    )
                else:
                    yield diagnostic(
                        "ASL303",
                        where,
                        message,
                        "a '.$' value is a path ('$.x', '$$.Execution.Id', '$var') or an "
                        "intrinsic call ('States.Format(...)'); drop the '.$' for a literal",
                    )


# Fields of a JSONata state whose strings are evaluated (Type, Next, Resource... never are).
_JSONATA_FIELDS = (
    "Output",
    "Arguments",
    "Assign",
    "Items",
    "ItemSelector",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "Seconds",
    "Timestamp",
    "Error",
    "Cause",
    "MaxConcurrency",
    "ToleratedFailurePercentage",
    "ToleratedFailureCount",
    "Credentials",
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
)
_JSONATA_RULE_FIELDS = ("Condition", "Output", "Assign")
_NOT_EVALUATED = frozenset(
    {
        "Resource",
        "WriterConfig",
        "InputType",
        "CSVHeaderLocation",
        "CSVDelimiter",
        "ManifestType",
        "Transformation",
        "OutputType",
    }
)


def _jsonata_values(ref: StateRef) -> Iterator[tuple[str, Any]]:
    raw = ref.raw
    for key in _JSONATA_FIELDS:
        if key in raw:
            yield pointer_join(ref.pointer, key), raw[key]
    for key in ("Choices", "Catch"):
        items = raw.get(key)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    for sub in _JSONATA_RULE_FIELDS:
                        if sub in item:
                            yield pointer_join(ref.pointer, key, i, sub), item[sub]


def _strings(value: Any, pointer: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _NOT_EVALUATED:
                yield from _strings(item, pointer_join(pointer, key), depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, pointer_join(pointer, i), depth + 1)


_JSONATA_START, _JSONATA_END = "{%", "%}"


@lru_cache(maxsize=4096)
def jsonata_problem(text: str) -> tuple[str, str, str] | None:
    """``(code, AWS's sentence, detail)`` when ``text`` is a malformed or unparsable JSONata
    expression ("{% ... %}"), else None. Strings neither starting with '{%' nor ending with '%}'
    are literals."""
    starts, ends = text.startswith(_JSONATA_START), text.endswith(_JSONATA_END)
    if not starts and not ends:
        return None
    if not (starts and ends) or len(text) < 4:
        return "ASL307", "A string with only one of '{%' and '%}' is a literal, not JSONata", ""
    if not text[2:-2].strip():
        return "ASL306", "The JSONata expression is empty", ""
    try:
        from asl.jsonata import compile_jsonata
    except ImportError:  # pragma: no cover - JSONata support not installed
        return None
    try:
        compile_jsonata(text)
    except ExpressionError as exc:
        return "ASL306", getattr(exc, "detail", None) or exc.message, exc.message
    return None


def check_jsonata(ctx: Context) -> Iterator[Diagnostic]:
    """ASL306/ASL307: every '{% ... %}' string of a JSONata state parses."""
    for ref in ctx.states:
        if ref.language != JSONATA:
            continue
        for pointer, value in _jsonata_values(ref):
            for where, text in _strings(value, pointer):
                problem = jsonata_problem(text)
                if problem:
                    code, message, detail = problem
                    hint = detail or (
                        'write expressions as "{% expression %}"; other strings are literals'
                    )
                    yield diagnostic(code, where, message, hint)


def check_timestamps(ctx: Context) -> Iterator[Diagnostic]:
    """ASL309: a Wait state's literal Timestamp is RFC 3339 (2016-03-14T01:59:00Z)."""
    from asl.timestamps import is_timestamp

    for ref in ctx.states:
        value = ref.raw.get("Timestamp")
        if ref.type != "Wait" or not isinstance(value, str):
            continue
        if ref.language == JSONATA and value.startswith(_JSONATA_START):
            continue
        if not is_timestamp(value):
            yield diagnostic(
                "ASL309",
                pointer_join(ref.pointer, "Timestamp"),
                "String does not match RFC3339 timestamp",
                "write it like 2016-03-14T01:59:00Z: date, uppercase 'T', time with seconds, "
                "then 'Z' or an offset such as +01:00",
            )


# --------------------------------------------------------------------------------------------
# 4xx: Choice rules


def check_choice_rules(ctx: Context) -> Iterator[Diagnostic]:
    """ASL401-ASL403 and ASL301/ASL309 inside rules: one operator, a Variable, valid operands."""
    for ref in ctx.states:
        if ref.type != "Choice" or ref.language != JSONPATH:
            continue
        choices = ref.raw.get("Choices")
        if isinstance(choices, list):
            for i, rule in enumerate(choices):
                yield from _check_rule(rule, pointer_join(ref.pointer, "Choices", i), 0)


def _check_rule(rule: Any, pointer: str, depth: int) -> Iterator[Diagnostic]:
    from asl.choice import COMBINATORS, OPERATORS, compile_string_matches, operators_of
    from asl.timestamps import is_timestamp

    if not isinstance(rule, dict):
        return
    found = operators_of(rule)
    if not found:
        yield diagnostic(
            "ASL401",
            pointer,
            "The Choice rule has no comparison operator",
            "add one operator such as StringEquals, NumericGreaterThan, IsPresent, And, Or or Not",
        )
    elif len(found) > 1 and all(op in COMBINATORS for op in found) and "Variable" not in rule:
        yield diagnostic(
            "ASL406",
            pointer,
            f"The Choice rule combines [{', '.join(found)}]; asl-engine requires all of them "
            "to hold",
            "nest them in one And to make the intent explicit",
        )
    elif len(found) > 1:
        yield diagnostic(
            "ASL401",
            pointer,
            f"The Choice rule has more than one operator: [{', '.join(found)}]",
            "keep one; combine several tests with And, Or or Not",
        )
    variable = rule.get("Variable")
    comparisons = [op for op in found if op in OPERATORS]
    if comparisons and "Variable" not in rule:
        yield diagnostic(
            "ASL402",
            pointer,
            "The field 'Variable' is required but was missing",
            f'{comparisons[0]} compares the value selected by Variable, e.g. "Variable": "$.x"',
        )
    elif "Variable" in rule and found and not comparisons:
        yield diagnostic(
            "ASL402",
            pointer,
            f"Field 'Variable' is not supported with '{found[0]}'",
            "put Variable on the rules inside And, Or or Not",
        )
    if isinstance(variable, str) and _path_error(variable, reference=False):
        yield _bad_path(pointer_join(pointer, "Variable"), variable)
    for op in comparisons:
        value = rule[op]
        kind = OPERATORS[op]
        where = pointer_join(pointer, op)
        if kind == "path" and isinstance(value, str) and _path_error(value, reference=False):
            yield _bad_path(where, value)
        elif kind == "timestamp" and isinstance(value, str) and not is_timestamp(value):
            yield diagnostic(
                "ASL309",
                where,
                "String does not match RFC3339 timestamp",
                "write it like 2016-03-14T01:59:00Z",
            )
        elif op == "StringMatches" and isinstance(value, str):
            try:
                compile_string_matches(value)
            except ExpressionError as exc:
                yield diagnostic(
                    "ASL403",
                    where,
                    exc.message,
                    "only '*' is a wildcard; escape a literal '*' or '\\' with a backslash",
                )
    if depth > 64:
        return
    for op in found:
        if op in COMBINATORS:
            sub = rule[op]
            if COMBINATORS[op] == "rules" and isinstance(sub, list):
                for i, item in enumerate(sub):
                    yield from _check_rule(item, pointer_join(pointer, op, i), depth + 1)
            elif COMBINATORS[op] == "rule":
                yield from _check_rule(sub, pointer_join(pointer, op), depth + 1)


# --------------------------------------------------------------------------------------------
# 5xx: Retry and Catch


def check_error_lists(ctx: Context) -> Iterator[Diagnostic]:
    """ASL501: States.ALL stands alone, in the last Retrier or Catcher."""
    for ref in ctx.states:
        for key in ("Retry", "Catch"):
            items = ref.raw.get(key)
            if not isinstance(items, list):
                continue
            last = len(items) - 1
            for i, item in enumerate(items):
                names = item.get("ErrorEquals") if isinstance(item, dict) else None
                if not isinstance(names, list) or ALL not in names:
                    continue
                pointer = pointer_join(ref.pointer, key, i, "ErrorEquals")
                if len(names) > 1:
                    yield diagnostic(
                        "ASL501",
                        pointer,
                        "States.ALL must be the only error name in its ErrorEquals",
                        "it already matches every error; remove the other names",
                    )
                if i != last:
                    what = "Retrier" if key == "Retry" else "Catcher"
                    yield diagnostic(
                        "ASL501",
                        pointer,
                        f"States.ALL must appear in the last {what}",
                        f"move this {what} to the end: the ones after it can never match",
                    )


def _reserved(name: Any) -> bool:
    return (
        isinstance(name, str)
        and name.startswith("States.")
        and name not in PREDEFINED_ERRORS
        and not name.startswith("States.Http.StatusCode.")
    )


def check_error_names(ctx: Context) -> Iterator[Diagnostic]:
    """ASL502: names starting with 'States.' are reserved for the predefined errors."""
    hint = (
        "the 'States.' prefix is reserved for predefined errors such as States.Timeout; "
        "check the spelling or choose a name without the prefix"
    )
    for ref in ctx.states:
        for key in ("Retry", "Catch"):
            items = ref.raw.get(key)
            if not isinstance(items, list):
                continue
            for i, item in enumerate(items):
                names = item.get("ErrorEquals") if isinstance(item, dict) else None
                if isinstance(names, list):
                    for j, name in enumerate(names):
                        if _reserved(name):
                            yield diagnostic(
                                "ASL502",
                                pointer_join(ref.pointer, key, i, "ErrorEquals", j),
                                f"'{name}' is not a predefined error name",
                                hint,
                            )
        if ref.type == "Fail" and ref.language == JSONPATH and _reserved(ref.raw.get("Error")):
            yield diagnostic(
                "ASL502",
                pointer_join(ref.pointer, "Error"),
                f"'{ref.raw['Error']}' is not a predefined error name",
                hint,
            )


# --------------------------------------------------------------------------------------------
# The table


class Rule(NamedTuple):
    """A check and the codes it may report."""

    codes: tuple[str, ...]
    check: Callable[[Context], Iterator[Diagnostic]]


RULES: tuple[Rule, ...] = (
    Rule(("ASL112",), check_state_names),
    Rule(("ASL113",), check_heartbeat),
    Rule(("ASL114",), check_express),
    Rule(("ASL115", "ASL116"), check_resource),
    Rule(("ASL117", "ASL118", "ASL119"), check_map),
    Rule(("ASL120", "ASL121", "ASL122"), check_assign_names),
    Rule(("ASL201",), check_targets),
    Rule(("ASL202",), check_reachable),
    Rule(("ASL203",), check_terminal),
    Rule(("ASL204",), check_end_true),
    Rule(("ASL205",), check_unique_names),
    Rule(("ASL301", "ASL302", "ASL305"), check_paths),
    Rule(("ASL303", "ASL304"), check_templates),
    Rule(("ASL306", "ASL307"), check_jsonata),
    Rule(("ASL309",), check_timestamps),
    Rule(("ASL401", "ASL402", "ASL403", "ASL406", "ASL301", "ASL309"), check_choice_rules),
    Rule(("ASL501",), check_error_lists),
    Rule(("ASL502",), check_error_names),
)
"""Every semantic check, run in this order on a definition whose top level is well formed."""
