"""A template's state machines as the engine runs them: the definition after CloudFormation's
substitutions, and the nested machines registered for ``states:startExecution``."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import asl
from asl.cloudformation import fill_substitutions, parse_definition_file
from asl.diagnostics import Severity, pointer_join
from asl.source import SourceError
from runtime.templates._errors import TemplateError
from runtime.templates._stack import Stack
from runtime.templates._values import scalar_text


@dataclass(frozen=True, slots=True)
class MachineDefinition:
    """A state machine resource ready to run."""

    logical_id: str
    name: str
    arn: str
    type: str  # STANDARD or EXPRESS
    definition: str  # JSON text
    filename: str  # where it was written: the DefinitionUri file, else the template


def machine_definition(stack: Stack, logical_id: str) -> MachineDefinition:
    """The machine ``logical_id`` with its definition resolved (see :func:`resolved_definition`)
    and validated, so that a mistake is reported against the template."""
    value, kind, filename = resolved_definition(stack, logical_id)
    _validate(stack, logical_id, value, kind, filename)
    return MachineDefinition(
        logical_id,
        stack.name(logical_id),
        stack.attribute(logical_id, "Arn"),
        kind,
        json.dumps(value, ensure_ascii=False),
        filename,
    )


def resolved_definition(stack: Stack, logical_id: str) -> tuple[Any, str, str]:
    """``(definition, type, filename)`` of the machine, its definition resolved as CloudFormation
    resolves it: intrinsic functions evaluated, then ``DefinitionSubstitutions`` filled in (into
    the text, before parsing, for ``DefinitionString`` and ``DefinitionUri``)."""
    properties = stack.properties(logical_id)
    base = pointer_join("/Resources", logical_id, "Properties")
    substitutions = _substitutions(stack, properties, base)
    serverless = stack.resource_type(logical_id) == "AWS::Serverless::StateMachine"
    type_key = "Type" if serverless else "StateMachineType"
    kind = stack.resolve(properties.get(type_key, "STANDARD"), pointer_join(base, type_key))
    filename = stack.template.path
    if "Definition" in properties:
        value = stack.resolve(properties["Definition"], pointer_join(base, "Definition"))
        value = fill_substitutions(value, substitutions)
    elif "DefinitionString" in properties:
        where = pointer_join(base, "DefinitionString")
        text = stack.resolve(properties["DefinitionString"], where)
        if not isinstance(text, str):
            raise TemplateError(f"{stack.template.where(where)}: DefinitionString is not text")
        value = _parsed(stack, text, substitutions, where, "json")
    elif serverless and _local(properties.get("DefinitionUri")):
        where = pointer_join(base, "DefinitionUri")
        uri = properties["DefinitionUri"]
        filename = os.path.join(stack.template.folder, uri)
        value = _parsed(stack, _read(stack, filename, where), substitutions, where, None, filename)
    else:
        what = "DefinitionUri in S3" if serverless else "a DefinitionS3Location"
        raise TemplateError(
            f"{stack.template.where(base)}: state machine {logical_id} needs a Definition, "
            f"DefinitionString{', or a local DefinitionUri' if serverless else ''} to run "
            f"locally (not {what})"
        )
    kind = str(kind).upper()
    if kind not in ("STANDARD", "EXPRESS"):
        raise TemplateError(f"{stack.template.where(base)}: {type_key} must be STANDARD or EXPRESS")
    return value, kind, filename


def _local(uri: Any) -> bool:
    """Whether a ``DefinitionUri`` names a local file (not ``s3://...`` or ``{Bucket, Key}``)."""
    return isinstance(uri, str) and not uri.startswith("s3://")


def _substitutions(stack: Stack, properties: dict[str, Any], base: str) -> dict[str, str]:
    where = pointer_join(base, "DefinitionSubstitutions")
    raw = properties.get("DefinitionSubstitutions") or {}
    values = stack.resolve(raw, where)
    if not isinstance(values, dict):
        raise TemplateError(f"{stack.template.where(where)}: DefinitionSubstitutions is a map")
    text = {}
    for name, value in values.items():
        literal = scalar_text(value)
        text[name] = literal if literal is not None else json.dumps(value)
    return text


def _read(stack: Stack, path: str, where: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise TemplateError(
            f"{stack.template.where(where)}: cannot read DefinitionUri {path}: "
            f"{exc.strerror or exc}"
        ) from None


def _parsed(
    stack: Stack,
    data: str | bytes,
    substitutions: dict[str, str],
    where: str,
    syntax: str | None,
    filename: str | None = None,
) -> Any:
    if syntax is None and filename is not None:
        syntax = "yaml" if filename.endswith((".yaml", ".yml")) else None
    try:
        source = parse_definition_file(
            data, substitutions, filename=filename or stack.template.path, syntax=syntax
        )
    except SourceError as exc:
        origin = filename if filename else f"{stack.template.where(where)}: the definition"
        raise TemplateError(f"{origin}: {exc}") from None
    return source.value


def _validate(stack: Stack, logical_id: str, value: Any, kind: str, filename: str) -> None:
    diagnostics = asl.validate(value, state_machine_type=kind, filename=filename)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        lines = "\n".join(f"  {d.code} {d.message} (at {d.pointer or '/'})" for d in errors)
        raise TemplateError(
            f"state machine {logical_id} in {stack.template.path} is invalid once its values "
            f"are filled in (`asl validate {stack.template.path}` shows where):\n{lines}"
        )


def register_machines(machines: list[MachineDefinition]) -> None:
    """Make each machine startable by its ARN (``states:startExecution``) in this process."""
    from runtime.callbacks.machines import register_machine

    for machine in machines:
        register_machine(
            machine.name, machine.definition, type=machine.type, filename=machine.filename
        )


__all__ = ["MachineDefinition", "machine_definition", "register_machines", "resolved_definition"]
