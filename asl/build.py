"""Build the compiled model from a definition the validator has accepted.

Every path, template, intrinsic, JSONata expression and Choice rule is compiled here, once. The
builder trusts the validator for structure and raises only :class:`ExpressionError` (never for a
validated definition).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from asl import model as m
from asl.choice import compile_choice_rule
from asl.diagnostics import pointer_join
from asl.intrinsics import compile_intrinsic, is_intrinsic
from asl.jsonata import compile_jsonata, compile_jsonata_template, is_jsonata
from asl.jsonpath import compile_path, compile_reference_path, compile_result_path
from asl.template import compile_template
from asl.types import JSON

# States in Parallel branches and Map processors default to the machine's top-level query
# language, not to the language of the state that holds them (as AWS behaves).
_TOP_LANGUAGE: ContextVar[str] = ContextVar("_TOP_LANGUAGE", default=m.JSONPATH)


def build_machine(definition: Mapping[str, JSON]) -> m.StateMachine:
    """The compiled model of a validated definition."""
    language = definition.get("QueryLanguage", m.JSONPATH)
    token = _TOP_LANGUAGE.set(language)
    try:
        return _build_scope(definition, "", language, top=True)
    finally:
        _TOP_LANGUAGE.reset(token)


def _build_scope(
    scope: Mapping[str, JSON], pointer: str, inherited: str, *, top: bool = False
) -> m.StateMachine:
    language = scope.get("QueryLanguage", inherited) if top else inherited
    states_ptr = pointer_join(pointer, "States")
    states = {
        name: _build_state(name, raw, pointer_join(states_ptr, name), language)
        for name, raw in scope["States"].items()
    }
    return m.StateMachine(
        start_at=scope["StartAt"],
        states=MappingProxyType(states),
        query_language=language,
        timeout_seconds=scope.get("TimeoutSeconds") if top else None,
        comment=scope.get("Comment"),
        version=scope.get("Version"),
        pointer=pointer,
        raw=MappingProxyType(dict(scope)),
    )


def _build_state(name: str, raw: Mapping[str, JSON], pointer: str, inherited: str) -> m.State:
    language = raw.get("QueryLanguage", inherited)
    kind = raw["Type"]
    fields: dict[str, Any] = {
        "name": name,
        "type": kind,
        "pointer": pointer,
        "query_language": language,
        "comment": raw.get("Comment"),
        "next": raw.get("Next"),
        "end": bool(raw.get("End", False)),
        "raw": MappingProxyType(dict(raw)),
    }
    jsonata = language == m.JSONATA
    if jsonata:
        if "Output" in raw:
            fields["output"] = compile_jsonata_template(raw["Output"], "Output")
    else:
        _path_field(fields, raw, "InputPath", "input_path")
        _path_field(fields, raw, "OutputPath", "output_path")
    if "Assign" in raw:
        fields["assign"] = _assign(raw["Assign"], jsonata)
    builder = _BUILDERS[kind]
    builder(fields, raw, pointer, language)
    return m.STATE_TYPES[kind](**fields)


# --- helpers ------------------------------------------------------------------------------------


def _path_field(fields: dict[str, Any], raw: Mapping[str, JSON], key: str, attr: str) -> None:
    if key not in raw:
        return
    value = raw[key]
    if value is None:
        fields[attr + "_null"] = True
    elif value != "$":
        fields[attr] = compile_path(value)


def _assign(value: JSON, jsonata: bool) -> Callable[..., JSON]:
    if jsonata:
        return compile_jsonata_template(value, "Assign")
    return compile_template(value, "Assign")


def _template(value: JSON, field_name: str, jsonata: bool) -> Callable[..., JSON]:
    if jsonata:
        return compile_jsonata_template(value, field_name)
    return compile_template(value, field_name)


def _dynamic(raw: Mapping[str, JSON], key: str, jsonata: bool) -> m.Dynamic | None:
    """A field that is a literal, has a ``<key>Path`` twin (JSONPath) or is an expression."""
    if key in raw:
        value = raw[key]
        if jsonata and is_jsonata(value):
            return m.FromJsonata(value, compile_jsonata(value, key))
        if jsonata and isinstance(value, (dict, list)):
            return m.FromJsonata(value, compile_jsonata_template(value, key))
        return m.Const(value)
    path_key = key + "Path"
    if path_key in raw:
        return m.FromPath(raw[path_key], compile_reference_path(raw[path_key]))
    return None


def _result_fields(fields: dict[str, Any], raw: Mapping[str, JSON], jsonata: bool) -> None:
    if jsonata:
        if "Arguments" in raw:
            fields["arguments"] = compile_jsonata_template(raw["Arguments"], "Arguments")
        return
    if "Parameters" in raw:
        fields["parameters"] = compile_template(raw["Parameters"], "Parameters")
    if "ResultSelector" in raw:
        fields["result_selector"] = compile_template(raw["ResultSelector"], "ResultSelector")
    if "ResultPath" in raw:
        if raw["ResultPath"] is None:
            fields["result_path_null"] = True
        else:
            fields["result_path"] = compile_result_path(raw["ResultPath"])


def _error_fields(fields: dict[str, Any], raw: Mapping[str, JSON], jsonata: bool) -> None:
    fields["retry"] = tuple(
        m.Retrier(
            error_equals=tuple(r["ErrorEquals"]),
            interval_seconds=r.get("IntervalSeconds", 1),
            max_attempts=r.get("MaxAttempts", 3),
            backoff_rate=r.get("BackoffRate", 2.0),
            max_delay_seconds=r.get("MaxDelaySeconds"),
            jitter_strategy=r.get("JitterStrategy", "NONE"),
        )
        for r in raw.get("Retry", ())
    )
    catchers = []
    for c in raw.get("Catch", ()):
        result_path = None
        if not jsonata and "ResultPath" in c:
            result_path = compile_result_path(c["ResultPath"])
        catchers.append(
            m.Catcher(
                error_equals=tuple(c["ErrorEquals"]),
                next=c["Next"],
                result_path=result_path,
                output=compile_jsonata_template(c["Output"], "Output")
                if jsonata and "Output" in c
                else None,
                assign=_assign(c["Assign"], jsonata) if "Assign" in c else None,
            )
        )
    fields["catch"] = tuple(catchers)
    # A JSONPath catcher with "ResultPath": null keeps the input; compile_result_path(None) does it.


# --- one builder per state type -----------------------------------------------------------------


def _pass(fields: dict[str, Any], raw: Mapping[str, JSON], pointer: str, language: str) -> None:
    jsonata = language == m.JSONATA
    _result_fields(fields, raw, jsonata)
    if "Result" in raw:
        fields["result"] = raw["Result"]
        fields["has_result"] = True


def _task(fields: dict[str, Any], raw: Mapping[str, JSON], pointer: str, language: str) -> None:
    jsonata = language == m.JSONATA
    _result_fields(fields, raw, jsonata)
    _error_fields(fields, raw, jsonata)
    fields["resource"] = _resource_text(raw["Resource"])
    fields["timeout_seconds"] = _dynamic(raw, "TimeoutSeconds", jsonata)
    fields["heartbeat_seconds"] = _dynamic(raw, "HeartbeatSeconds", jsonata)
    if "Credentials" in raw:
        fields["credentials"] = _template(raw["Credentials"], "Credentials", jsonata)


def _resource_text(resource: JSON) -> str:
    """A Resource as text; a CloudFormation intrinsic left in it reads ``Ref:Name`` or
    ``Fn::GetAtt:Fn.Arn``, which ``--bind`` can point at a local target."""
    if isinstance(resource, str):
        return resource
    ((function, argument),) = resource.items()
    if isinstance(argument, list):
        argument = ".".join(str(a) for a in argument)
    return f"{function}:{argument}"


def _choice(fields: dict[str, Any], raw: Mapping[str, JSON], pointer: str, language: str) -> None:
    jsonata = language == m.JSONATA
    rules = []
    for rule in raw["Choices"]:
        if jsonata:
            rules.append(
                m.ChoiceRule(
                    next=rule["Next"],
                    condition=compile_jsonata(rule["Condition"], "Condition")
                    if isinstance(rule["Condition"], str)
                    else _const(rule["Condition"]),
                    assign=_assign(rule["Assign"], True) if "Assign" in rule else None,
                    output=compile_jsonata_template(rule["Output"], "Output")
                    if "Output" in rule
                    else None,
                    raw=MappingProxyType(dict(rule)),
                )
            )
        else:
            rules.append(
                m.ChoiceRule(
                    next=rule["Next"],
                    predicate=compile_choice_rule(rule),
                    assign=_assign(rule["Assign"], False) if "Assign" in rule else None,
                    raw=MappingProxyType(dict(rule)),
                )
            )
    fields["choices"] = tuple(rules)
    fields["default"] = raw.get("Default")


def _const(value: JSON) -> Callable[..., JSON]:
    return lambda states, variables, rng=None, **_: value


def _wait(fields: dict[str, Any], raw: Mapping[str, JSON], pointer: str, language: str) -> None:
    jsonata = language == m.JSONATA
    fields["seconds"] = _dynamic(raw, "Seconds", jsonata)
    fields["timestamp"] = _dynamic(raw, "Timestamp", jsonata)


def _succeed(fields: dict[str, Any], raw: Mapping[str, JSON], pointer: str, language: str) -> None:
    pass


def _fail(fields: dict[str, Any], raw: Mapping[str, JSON], pointer: str, language: str) -> None:
    jsonata = language == m.JSONATA
    for key, attr in (("Error", "error"), ("Cause", "cause")):
        if key in raw:
            value = raw[key]
            fields[attr] = (
                m.FromJsonata(value, compile_jsonata(value, key))
                if jsonata and is_jsonata(value)
                else m.Const(value)
            )
        elif key + "Path" in raw:
            text = raw[key + "Path"]
            fields[attr] = m.FromPath(text, _path_or_intrinsic(text))


def _path_or_intrinsic(text: str) -> Callable[..., JSON]:
    """Fail's ErrorPath/CausePath: a reference path or one of a few intrinsic functions."""
    if is_intrinsic(text):
        return compile_intrinsic(text)
    return compile_reference_path(text)


def _parallel(fields: dict[str, Any], raw: Mapping[str, JSON], pointer: str, language: str) -> None:
    jsonata = language == m.JSONATA
    _result_fields(fields, raw, jsonata)
    _error_fields(fields, raw, jsonata)
    fields["branches"] = tuple(
        _build_scope(branch, pointer_join(pointer, "Branches", i), _TOP_LANGUAGE.get())
        for i, branch in enumerate(raw["Branches"])
    )


def _map(fields: dict[str, Any], raw: Mapping[str, JSON], pointer: str, language: str) -> None:
    jsonata = language == m.JSONATA
    _result_fields(fields, raw, jsonata)
    _error_fields(fields, raw, jsonata)
    # Map's legacy Parameters is ItemSelector, not the state's Parameters.
    fields.pop("parameters", None)
    selector = raw.get("ItemSelector", raw.get("Parameters"))
    if selector is not None:
        fields["item_selector"] = _template(selector, "ItemSelector", jsonata)
    key = "ItemProcessor" if "ItemProcessor" in raw else "Iterator"
    processor = raw[key]
    config = processor.get("ProcessorConfig", {})
    fields["processor"] = _build_scope(processor, pointer_join(pointer, key), _TOP_LANGUAGE.get())
    fields["mode"] = config.get("Mode", "INLINE")
    fields["execution_type"] = config.get("ExecutionType")
    if jsonata:
        if "Items" in raw:
            fields["items"] = _dynamic(raw, "Items", True)
    elif "ItemsPath" in raw and raw["ItemsPath"] != "$":
        fields["items_path"] = compile_reference_path(raw["ItemsPath"])
    fields["max_concurrency"] = _dynamic(raw, "MaxConcurrency", jsonata)
    fields["tolerated_failure_percentage"] = _dynamic(raw, "ToleratedFailurePercentage", jsonata)
    fields["tolerated_failure_count"] = _dynamic(raw, "ToleratedFailureCount", jsonata)
    fields["label"] = raw.get("Label")
    if "ItemReader" in raw:
        reader = raw["ItemReader"]
        args = reader.get("Arguments" if jsonata else "Parameters")
        config = reader.get("ReaderConfig", {})
        fields["item_reader"] = m.ItemReader(
            resource=reader["Resource"],
            parameters=_template(args, "Parameters", jsonata) if args is not None else None,
            reader_config=MappingProxyType(dict(config)),
            max_items=_dynamic(config, "MaxItems", jsonata),
        )
    if "ItemBatcher" in raw:
        batcher = raw["ItemBatcher"]
        batch_input = batcher.get("BatchInput")
        fields["item_batcher"] = m.ItemBatcher(
            max_items_per_batch=_dynamic(batcher, "MaxItemsPerBatch", jsonata),
            max_input_bytes_per_batch=_dynamic(batcher, "MaxInputBytesPerBatch", jsonata),
            batch_input=_template(batch_input, "BatchInput", jsonata)
            if batch_input is not None
            else None,
        )
    if "ResultWriter" in raw:
        writer = raw["ResultWriter"]
        args = writer.get("Arguments" if jsonata else "Parameters")
        fields["result_writer"] = m.ResultWriter(
            resource=writer.get("Resource"),
            parameters=_template(args, "Parameters", jsonata) if args is not None else None,
            writer_config=MappingProxyType(dict(writer.get("WriterConfig", {}))),
        )


_BUILDERS: Mapping[str, Callable[[dict[str, Any], Mapping[str, JSON], str, str], None]] = {
    "Pass": _pass,
    "Task": _task,
    "Choice": _choice,
    "Wait": _wait,
    "Succeed": _succeed,
    "Fail": _fail,
    "Parallel": _parallel,
    "Map": _map,
}
