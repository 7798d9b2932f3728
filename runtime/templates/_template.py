"""Reading a CloudFormation/SAM template for a run: its resources with SAM ``Globals`` applied,
its state machines, and where each of its parts was written (for error messages)."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from asl.cloudformation import EmbeddedMachine, find_state_machines, is_template
from asl.source import Source, SourceError, parse_source
from runtime.templates._errors import TemplateError

GLOBALS = {
    "AWS::Serverless::Function": "Function",
    "AWS::Serverless::SimpleTable": "SimpleTable",
    "AWS::Serverless::StateMachine": "StateMachine",
}
"""SAM resource types and the ``Globals`` section each inherits from."""


@dataclass(slots=True)
class Template:
    """A parsed template. ``resources`` maps logical ids to ``{"Type", "Properties", ...}``
    with SAM ``Globals`` merged into the properties (as SAM merges them)."""

    path: str
    source: Source
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def body(self) -> dict[str, Any]:
        value = self.source.value
        assert isinstance(value, dict)
        return value

    @property
    def folder(self) -> str:
        """The folder local paths (``CodeUri``, ``DefinitionUri``) are relative to."""
        return os.path.dirname(os.path.abspath(self.path))

    def where(self, pointer: str) -> str:
        """``path:line:column`` of what ``pointer`` names in the template."""
        line, column = self.source.position(pointer) or (1, 1)
        return f"{self.path}:{line}:{column}"

    def machines(self) -> list[EmbeddedMachine]:
        """The template's state machine resources, in the order written."""
        return find_state_machines(self.body)

    def choose(self, logical_id: str | None) -> EmbeddedMachine:
        """The state machine ``logical_id`` names; without one, the template's only machine."""
        machines = self.machines()
        ids = ", ".join(m.logical_id for m in machines)
        if not machines:
            raise TemplateError(
                f"{self.path}: the template has no state machine (a resource of type "
                "AWS::StepFunctions::StateMachine or AWS::Serverless::StateMachine)"
            )
        if logical_id is None:
            if len(machines) > 1:
                raise TemplateError(
                    f"{self.path}: the template has {len(machines)} state machines ({ids}); "
                    "choose one with --resource LOGICAL_ID"
                )
            return machines[0]
        for machine in machines:
            if machine.logical_id == logical_id:
                return machine
        raise TemplateError(
            f"--resource {logical_id}: {self.path} has no state machine {logical_id!r} "
            f"(its state machines: {ids})"
        )


def read_template(text: str, path: str) -> Template | None:
    """The template ``text`` holds, or None when it is not a template (a definition)."""
    if "Resources" not in text:  # cheap: most definitions never get parsed twice
        return None
    try:
        source = parse_source(text, filename=path)
    except SourceError:
        return None  # not for us: the definition reader reports it
    if not is_template(source.value):
        return None
    template = Template(path, source)
    template.resources = _with_globals(template)
    return template


def _with_globals(template: Template) -> dict[str, dict[str, Any]]:
    body = template.body
    globals_ = body.get("Globals")
    globals_ = globals_ if isinstance(globals_, dict) else {}
    resources: dict[str, dict[str, Any]] = {}
    for logical_id, resource in body["Resources"].items():
        if not isinstance(resource, dict):
            raise TemplateError(
                f"{template.where('/Resources/' + logical_id)}: resource {logical_id} must be an "
                "object with a Type"
            )
        section = globals_.get(GLOBALS.get(str(resource.get("Type")), ""))
        properties = resource.get("Properties")
        if isinstance(section, dict) and isinstance(properties, dict | type(None)):
            resource = {**resource, "Properties": merge_globals(section, properties or {})}
        resources[logical_id] = resource
    return resources


def merge_globals(inherited: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's rule: maps merge (the resource's keys win), lists append to the inherited one,
    anything else the resource's value wins."""
    merged = copy.deepcopy(dict(inherited))
    for key, value in own.items():
        base = merged.get(key)
        if isinstance(base, dict) and isinstance(value, dict) and not _is_function(value):
            merged[key] = merge_globals(base, value)
        elif isinstance(base, list) and isinstance(value, list):
            merged[key] = base + value
        else:
            merged[key] = value
    return merged


def _is_function(value: Mapping[str, Any]) -> bool:
    if len(value) != 1:
        return False
    name = next(iter(value))
    return name == "Ref" or name.startswith("Fn::")


__all__ = ["GLOBALS", "Template", "merge_globals", "read_template"]
