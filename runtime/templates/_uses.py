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

from asl.diagnostics import pointer_join
from runtime.templates._errors import TemplateError
from runtime.templates._machines import resolved_definition
from runtime.templates._provision import PROVISIONERS
from runtime.templates._stack import Stack
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


def used_resources(template: Template, roots: list[str]) -> list[str]:
    """The logical ids of the resources ``roots`` (the machine to run, and resources found by
    :func:`named_resources`) use, themselves included, each after what it depends on."""
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

    for root in roots:
        visit(root, ())
    return order


def named_resources(stack: Stack, used: list[str]) -> list[str]:
    """Resources asl creates that the machines and functions among ``used`` name without a
    ``Ref``: by their name or ARN, written out or through a parameter both share
    (``TableName: !Ref TableNameParameter`` in the table and in the definition)."""
    texts: set[str] = set()
    for logical_id in used:
        resource_type = stack.resource_type(logical_id)
        if resource_type in MACHINE_TYPES:
            texts.update(_strings(resolved_definition(stack, logical_id)[0]))
        elif resource_type in FUNCTION_TYPES:
            where = pointer_join("/Resources", logical_id, "Properties", "Environment")
            environment = stack.properties(logical_id).get("Environment")
            texts.update(_strings(stack.resolve(environment, where)))
    named = []
    for logical_id, resource in stack.template.resources.items():
        if logical_id in used or resource.get("Type") not in PROVISIONERS:
            continue
        if stack.exists(logical_id) and not texts.isdisjoint(stack.spellings(logical_id)):
            named.append(logical_id)
    return named


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


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


__all__ = [
    "FUNCTION_TYPES",
    "MACHINE_TYPES",
    "dependencies",
    "named_resources",
    "references",
    "used_resources",
]
