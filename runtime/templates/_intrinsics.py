"""CloudFormation's intrinsic functions, each ``(stack, argument, where) -> value``.

``where`` is the JSON pointer of the function in the template, for error messages; names,
attributes and conditions are the :class:`~runtime.templates._stack.Stack`'s to answer.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runtime.templates._errors import TemplateError
from runtime.templates._values import scalar_text

if TYPE_CHECKING:
    from runtime.templates._stack import Stack

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _ref(stack: Stack, argument: Any, where: str) -> Any:
    if not isinstance(argument, str):
        raise TemplateError(f"{stack.at(where)}Ref takes a name")
    return stack.ref(argument, where)


def _get_att(stack: Stack, argument: Any, where: str) -> Any:
    if isinstance(argument, str) and "." in argument:
        argument = argument.split(".", 1)
    if isinstance(argument, list) and len(argument) == 2:
        logical_id, attribute = argument[0], stack.resolve(argument[1], where)
        if isinstance(logical_id, str) and isinstance(attribute, str):
            return stack.attribute(logical_id, attribute, where)
    raise TemplateError(f"{stack.at(where)}Fn::GetAtt takes [LogicalId, Attribute]")


def _sub(stack: Stack, argument: Any, where: str) -> str:
    variables: dict[str, Any] = {}
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
        text = argument[0]
        variables = stack.resolve(argument[1], f"{where}/1")
    else:
        text = argument
    if not isinstance(text, str):
        raise TemplateError(f"{stack.at(where)}Fn::Sub takes a string or [string, {{vars}}]")

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            value = variables[name]
        elif "." in name and name not in stack.parameters:
            value = stack.attribute(*name.split(".", 1), where)
        else:
            value = stack.ref(name, where)
        return stack.text(value, where, f"${{{name}}}")

    return _VARIABLE.sub(fill, text)


def _join(stack: Stack, argument: Any, where: str) -> str:
    if isinstance(argument, list) and len(argument) == 2:
        delimiter, items = argument[0], stack.resolve(argument[1], f"{where}/1")
        if isinstance(delimiter, str) and isinstance(items, list):
            return delimiter.join(stack.text(item, where) for item in items)
    raise TemplateError(f"{stack.at(where)}Fn::Join takes [delimiter, [values]]")


def _select(stack: Stack, argument: Any, where: str) -> Any:
    if isinstance(argument, list) and len(argument) == 2:
        index, items = stack.resolve(argument, where)
        position = int(index) if scalar_text(index) and str(index).isdigit() else -1
        if isinstance(items, list) and 0 <= position < len(items):
            return items[position]
    raise TemplateError(f"{stack.at(where)}Fn::Select takes [index, [values]] in range")


def _split(stack: Stack, argument: Any, where: str) -> list[str]:
    if isinstance(argument, list) and len(argument) == 2:
        delimiter, text = argument[0], stack.resolve(argument[1], f"{where}/1")
        if isinstance(delimiter, str) and delimiter and isinstance(text, str):
            return text.split(delimiter)
    raise TemplateError(f"{stack.at(where)}Fn::Split takes [delimiter, string]")


def _if(stack: Stack, argument: Any, where: str) -> Any:
    if isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str):
        chosen = 1 if stack.condition(argument[0], where) else 2
        return stack.resolve(argument[chosen], f"{where}/{chosen}")
    raise TemplateError(f"{stack.at(where)}Fn::If takes [Condition, then, else]")


def _equals(stack: Stack, argument: Any, where: str) -> bool:
    if isinstance(argument, list) and len(argument) == 2:
        left, right = (stack.resolve(item, f"{where}/{i}") for i, item in enumerate(argument))
        return (scalar_text(left) or left) == (scalar_text(right) or right)
    raise TemplateError(f"{stack.at(where)}Fn::Equals takes [value, value]")


def _all(stack: Stack, argument: Any, where: str) -> bool:
    return all(_truths(stack, argument, where, "Fn::And"))


def _any(stack: Stack, argument: Any, where: str) -> bool:
    return any(_truths(stack, argument, where, "Fn::Or"))


def _not(stack: Stack, argument: Any, where: str) -> bool:
    (value,) = _truths(stack, argument, where, "Fn::Not", count=1)
    return not value


def _truths(stack: Stack, argument: Any, where: str, name: str, count: int = 0) -> list[bool]:
    if not isinstance(argument, list) or (count and len(argument) != count):
        raise TemplateError(f"{stack.at(where)}{name} takes a list of conditions")
    return [stack.truth(item, f"{where}/{i}") for i, item in enumerate(argument)]


def _find_in_map(stack: Stack, argument: Any, where: str) -> Any:
    if isinstance(argument, list) and len(argument) in (3, 4):
        keys = [stack.text(stack.resolve(k, where), where) for k in argument[:3]]
        default = argument[3] if len(argument) == 4 else None
        mappings = stack.template.body.get("Mappings") or {}
        found = mappings.get(keys[0], {}) if isinstance(mappings, dict) else {}
        found = found.get(keys[1], {}) if isinstance(found, dict) else {}
        if isinstance(found, dict) and keys[2] in found:
            return stack.resolve(found[keys[2]], where)
        if isinstance(default, dict) and "DefaultValue" in default:
            return stack.resolve(default["DefaultValue"], where)
        raise TemplateError(f"{stack.at(where)}Fn::FindInMap: no {'/'.join(keys)} in Mappings")
    raise TemplateError(f"{stack.at(where)}Fn::FindInMap takes [MapName, Key, Key]")


def _base64(stack: Stack, argument: Any, where: str) -> str:
    text = stack.text(stack.resolve(argument, where), where)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _get_azs(stack: Stack, argument: Any, where: str) -> list[str]:
    region = stack.resolve(argument, where) or stack.region
    return [f"{region}{zone}" for zone in "abc"]


def _to_json_string(stack: Stack, argument: Any, where: str) -> str:
    return json.dumps(stack.resolve(argument, where), separators=(",", ":"))


def _length(stack: Stack, argument: Any, where: str) -> int:
    items = stack.resolve(argument, where)
    if not isinstance(items, list):
        raise TemplateError(f"{stack.at(where)}Fn::Length takes a list")
    return len(items)


FUNCTIONS: dict[str, Callable[[Stack, Any, str], Any]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::And": _all,
    "Fn::Or": _any,
    "Fn::Not": _not,
    "Fn::FindInMap": _find_in_map,
    "Fn::Base64": _base64,
    "Fn::GetAZs": _get_azs,
    "Fn::ToJsonString": _to_json_string,
    "Fn::Length": _length,
}
"""The functions a local run resolves, by name."""


__all__ = ["FUNCTIONS"]
