"""Which of a template's resources a state machine uses, dependencies first.

A machine uses what its definition and ``DefinitionSubstitutions`` refer to (``Ref``,
``Fn::GetAtt``, ``${Name}`` in ``Fn::Sub``); a function what its ``Environment`` refers to;
another state machine what its own definition refers to; a resource asl creates (a table, a
queue...) what its properties refer to (a queue's dead-letter queue). Roles, policies and event
sources (``Role``, ``Policies``, ``Events``) are not followed: a local run needs neither.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from runtime.templates._errors import TemplateError
from runtime.templates._provision import PROVISIONERS
from runtime.templates._template import Template

MACHINE_PROPERTIES = ("Definition", "DefinitionString", "DefinitionSubstitutions")
FUNCTION_PROPERTIES = ("Environment",)
FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})
MACHINE_TYPES = frozenset({"AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine"})
_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def references(value: Any) -> Iterator[str]:
    """The names ``value`` refers to through ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub``."""
    if isinstance(value, list):
        for item in value:
            yield from references(item)
    elif isinstance(value, dict):
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" and isinstance(argument, str):
                yield argument
                return
            if key == "Fn::GetAtt":
                name = argument.split(".", 1)[0] if isinstance(argument, str) else argument
                if isinstance(name, list) and name:
                    name = name[0]
                if isinstance(name, str):
                    yield name
                return
            if key == "Fn::Sub":
                yield from _sub_references(argument)
                return
        for item in value.values():
            yield from references(item)


def _sub_references(argument: Any) -> Iterator[str]:
    text, variables = argument, {}
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
        text, variables = argument
        yield from references(variables)
    if isinstance(text, str):
        for match in _VARIABLE.finditer(text):
            name = match.group(1).split(".", 1)[0]
            if name not in variables:
                yield name


def used_resources(template: Template, machine_id: str) -> list[str]:
    """The logical ids of the resources the machine ``machine_id`` uses, itself included,
    each after the resources it depends on."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str, chain: tuple[str, ...]) -> None:
        if logical_id in order:
            return
        if logical_id in visiting:
            if _followed(template, logical_id) == MACHINE_PROPERTIES:
                return  # machines may start each other: their ARNs are known before they run
            cycle = " -> ".join((*chain, logical_id))
            raise TemplateError(f"{template.path}: resources refer to each other: {cycle}")
        visiting.add(logical_id)
        for name in dependencies(template, logical_id):
            visit(name, (*chain, logical_id))
        visiting.discard(logical_id)
        order.append(logical_id)

    visit(machine_id, ())
    return order


def dependencies(template: Template, logical_id: str) -> list[str]:
    """The resources ``logical_id`` refers to in the properties a run follows."""
    resource = template.resources[logical_id]
    properties = resource.get("Properties")
    if not isinstance(properties, dict):
        return []
    followed = _followed(template, logical_id)
    values = properties if followed is None else {k: properties.get(k) for k in followed}
    names = dict.fromkeys(references(values))
    return [name for name in names if name in template.resources and name != logical_id]


def _followed(template: Template, logical_id: str) -> tuple[str, ...] | None:
    """The properties followed for the resource (None: all of them, for a resource asl
    creates; none for a type it neither creates nor runs)."""
    resource_type = template.resources[logical_id].get("Type")
    if resource_type in MACHINE_TYPES:
        return MACHINE_PROPERTIES
    if resource_type in FUNCTION_TYPES:
        return FUNCTION_PROPERTIES
    return None if resource_type in PROVISIONERS else ()


__all__ = ["FUNCTION_TYPES", "MACHINE_TYPES", "dependencies", "references", "used_resources"]
