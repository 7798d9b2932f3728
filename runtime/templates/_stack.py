"""One deployment of a template: the values its intrinsic functions resolve to.

:class:`Stack` knows the parameters (given or default), the pseudo parameters (``AWS::Region``,
``AWS::AccountId``, ``AWS::Partition``, ``AWS::StackName``...), the conditions, and each
resource's name and attributes: first what a backend reported when the resource was created
(:attr:`Stack.provided`), else what a deployment in that account and region would give
(:mod:`._kinds`). :meth:`Stack.resolve` evaluates ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``,
``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::If`` and the condition functions,
``Fn::FindInMap``, ``Fn::Base64``, ``Fn::GetAZs``, ``Fn::ToJsonString`` and ``Fn::Length``;
anything else (``Fn::ImportValue``...) cannot be known locally and is an error naming where.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from asl._diagnostics import pointer_join
from runtime.templates._errors import TemplateError
from runtime.templates._kinds import KINDS, Place, generated_name, kind_of
from runtime.templates._parameters import parameter_values
from runtime.templates._template import Template


class _NoValue:
    """``AWS::NoValue``: the property or list item it stands for is left out."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_MISSING = object()


def partition_of(region: str) -> str:
    """The partition a region is in."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def scalar_text(value: Any) -> str | None:
    """A scalar as CloudFormation writes it into a string; None for a list or an object."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


class Stack:
    """The values one deployment of ``template`` gives (see the module docstring).

    ``account`` may be a function, called once when an ARN first needs it (``--aws aws`` asks
    STS who the caller is). ``provided`` maps a logical id to the attributes a backend gave when
    it created that resource (``"Ref"`` among them).
    """

    def __init__(
        self,
        template: Template,
        parameters: Mapping[str, str] | None = None,
        *,
        region: str,
        account: str | Callable[[], str],
        stack_name: str,
    ) -> None:
        self.template = template
        self.parameters = parameter_values(template, parameters or {})
        self.region = region
        self.partition = partition_of(region)
        self.stack_name = stack_name
        self.provided: dict[str, dict[str, Any]] = {}
        self._account = account
        self._names: dict[str, str] = {}
        self._conditions: dict[str, bool] = {}
        self._busy: set[str] = set()  # names and conditions being worked out (cycles)

    # -- the deployment --------------------------------------------------------------------------

    @property
    def account(self) -> str:
        if callable(self._account):
            self._account = self._account()
        return self._account

    @property
    def place(self) -> Place:
        return Place(self.partition, self.region, self.account)

    def pseudo(self, name: str) -> Any:
        """The value of a pseudo parameter, or ``_MISSING``."""
        if name == "AWS::Region":
            return self.region
        if name == "AWS::AccountId":
            return self.account
        if name == "AWS::Partition":
            return self.partition
        if name == "AWS::StackName":
            return self.stack_name
        if name == "AWS::URLSuffix":
            return Place(self.partition, self.region, "").url_suffix
        if name == "AWS::StackId":
            stack = f"stack/{self.stack_name}/00000000-0000-0000-0000-000000000000"
            return Place(self.partition, self.region, self.account).arn("cloudformation", stack)
        if name == "AWS::NotificationARNs":
            return []
        if name == "AWS::NoValue":
            return NO_VALUE
        return _MISSING

    # -- resources ---------------------------------------------------------------------------------

    def resource(self, logical_id: str, where: str = "") -> dict[str, Any]:
        """The resource ``logical_id`` (SAM Globals applied); an error when the template has
        none of that name or its ``Condition`` leaves it out."""
        resource = self.template.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"{self._at(where)}the template has no resource {logical_id!r}")
        condition = resource.get("Condition")
        if isinstance(condition, str) and not self.condition(condition, where):
            raise TemplateError(
                f"{self._at(where)}resource {logical_id} is not created: its Condition "
                f"{condition} is false with these parameters"
            )
        return resource

    def exists(self, logical_id: str) -> bool:
        """Whether the resource is deployed (it has no ``Condition``, or a true one)."""
        condition = self.template.resources[logical_id].get("Condition")
        return not isinstance(condition, str) or self.condition(condition)

    def spellings(self, logical_id: str) -> set[str]:
        """The ways a definition may write the resource out: its name, ARN, URL..."""
        kind = kind_of(self.resource_type(logical_id))
        name = self.name(logical_id)
        return {name, *kind.attributes(self.place, name).values()}

    def properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's ``Properties`` as written (intrinsic functions unresolved)."""
        properties = self.resource(logical_id).get("Properties")
        return properties if isinstance(properties, dict) else {}

    def resource_type(self, logical_id: str) -> str:
        """The resource's ``Type`` as written (whatever its ``Condition``)."""
        return str(self.template.resources.get(logical_id, {}).get("Type", ""))

    def name(self, logical_id: str) -> str:
        """The resource's physical name: its name property, else ``STACK-LogicalId``."""
        name = self._names.get(logical_id)
        if name is not None:
            return name
        kind = kind_of(self.resource_type(logical_id))
        if logical_id in self._busy:
            raise TemplateError(f"the name of resource {logical_id} depends on itself")
        self._busy.add(logical_id)
        try:
            properties = self.properties(logical_id)
            base = pointer_join("/Resources", logical_id, "Properties")
            if kind.name_property and kind.name_property in properties:
                where = pointer_join(base, kind.name_property)
                name = self._text(self.resolve(properties[kind.name_property], where), where)
            else:
                fifo = kind.fifo_property is not None and scalar_text(
                    self.resolve(properties.get(kind.fifo_property, False), base)
                ) in ("true", "True")
                name = generated_name(kind, self.stack_name, logical_id, fifo=fifo)
        finally:
            self._busy.discard(logical_id)
        self._names[logical_id] = name
        return name

    def attribute(self, logical_id: str, attribute: str, where: str = "") -> Any:
        """What ``Fn::GetAtt`` (or ``Ref``, as attribute ``"Ref"``) gives for the resource."""
        resource_type = str(self.resource(logical_id, where).get("Type", ""))
        provided = self.provided.get(logical_id, {})
        if attribute in provided:
            return provided[attribute]
        kind = kind_of(resource_type)
        if attribute in kind.name_attributes:
            return self.name(logical_id)  # no ARN made: the account may cost a call to learn
        values = kind.attributes(self.place, self.name(logical_id))
        if attribute in values:
            return values[attribute]
        if resource_type not in KINDS:  # a type asl does not model: a stand-in value
            return f"{self.name(logical_id)}.{attribute}"
        known = ", ".join(a for a in values if a != "Ref")
        raise TemplateError(
            f"{self._at(where)}Fn::GetAtt {logical_id}.{attribute}: {resource_type} has no "
            f"attribute {attribute!r} in a local run (it has {known})"
        )

    # -- conditions --------------------------------------------------------------------------------

    def condition(self, name: str, where: str = "") -> bool:
        """The value of the template's condition ``name``."""
        known = self._conditions.get(name)
        if known is not None:
            return known
        conditions = self.template.body.get("Conditions") or {}
        if not isinstance(conditions, dict) or name not in conditions:
            raise TemplateError(f"{self._at(where)}the template has no condition {name!r}")
        key = "Condition:" + name
        if key in self._busy:
            raise TemplateError(f"condition {name} depends on itself")
        self._busy.add(key)
        try:
            value = self._truth(conditions[name], pointer_join("/Conditions", name))
        finally:
            self._busy.discard(key)
        self._conditions[name] = value
        return value

    def _truth(self, value: Any, where: str) -> bool:
        if isinstance(value, dict) and len(value) == 1 and "Condition" in value:
            return self.condition(str(value["Condition"]), where)
        result = self.resolve(value, where)
        if isinstance(result, bool):
            return result
        if result in ("true", "false"):
            return result == "true"
        raise TemplateError(f"{self._at(where)}a condition must be true or false, got {result!r}")

    # -- intrinsic functions -----------------------------------------------------------------------

    def resolve(self, value: Any, where: str = "") -> Any:
        """``value`` with every intrinsic function evaluated (``AWS::NoValue`` members and items
        left out; the value itself may be :data:`NO_VALUE`). ``where`` is its JSON pointer in
        the template, for error messages."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key == "Ref" or key.startswith("Fn::"):
                    return self._function(key, argument, pointer_join(where, key))
            resolved = {}
            for key, item in value.items():
                result = self.resolve(item, pointer_join(where, key))
                if result is not NO_VALUE:
                    resolved[key] = result
            return resolved
        if isinstance(value, list):
            items = (self.resolve(item, f"{where}/{i}") for i, item in enumerate(value))
            return [item for item in items if item is not NO_VALUE]
        return value

    def ref(self, name: str, where: str = "") -> Any:
        """What ``Ref name`` gives: a parameter, a pseudo parameter or a resource."""
        if name in self.parameters:
            return self.parameters[name]
        value = self.pseudo(name)
        if value is not _MISSING:
            return value
        if name in self.template.resources:
            return self.attribute(name, "Ref", where)
        raise TemplateError(
            f"{self._at(where)}Ref {name}: the template has no parameter or resource of that "
            "name, and it is no pseudo parameter"
        )

    def _function(self, name: str, argument: Any, where: str) -> Any:
        handler = _FUNCTIONS.get(name)
        if handler is None:
            raise TemplateError(
                f"{self._at(where)}{name} cannot be resolved in a local run (asl resolves Ref, "
                "Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If, Fn::Equals, "
                "Fn::And, Fn::Or, Fn::Not, Fn::FindInMap, Fn::Base64, Fn::GetAZs, "
                "Fn::ToJsonString and Fn::Length); write the value in the template or pass it "
                "as a --parameter"
            )
        return handler(self, argument, where)

    def _ref(self, argument: Any, where: str) -> Any:
        if not isinstance(argument, str):
            raise TemplateError(f"{self._at(where)}Ref takes a name")
        return self.ref(argument, where)

    def _get_att(self, argument: Any, where: str) -> Any:
        if isinstance(argument, str) and "." in argument:
            argument = argument.split(".", 1)
        if isinstance(argument, list) and len(argument) == 2:
            logical_id, attribute = argument[0], self.resolve(argument[1], where)
            if isinstance(logical_id, str) and isinstance(attribute, str):
                return self.attribute(logical_id, attribute, where)
        raise TemplateError(f"{self._at(where)}Fn::GetAtt takes [LogicalId, Attribute]")

    def _sub(self, argument: Any, where: str) -> str:
        variables: dict[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            text = argument[0]
            variables = self.resolve(argument[1], f"{where}/1")
        else:
            text = argument
        if not isinstance(text, str):
            raise TemplateError(f"{self._at(where)}Fn::Sub takes a string or [string, {{vars}}]")

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif "." in name and name not in self.parameters:
                value = self.attribute(*name.split(".", 1), where)
            else:
                value = self.ref(name, where)
            return self._text(value, where, f"${{{name}}}")

        return _VARIABLE.sub(fill, text)

    def _join(self, argument: Any, where: str) -> str:
        if isinstance(argument, list) and len(argument) == 2:
            delimiter, items = argument[0], self.resolve(argument[1], f"{where}/1")
            if isinstance(delimiter, str) and isinstance(items, list):
                return delimiter.join(self._text(item, where) for item in items)
        raise TemplateError(f"{self._at(where)}Fn::Join takes [delimiter, [values]]")

    def _select(self, argument: Any, where: str) -> Any:
        if isinstance(argument, list) and len(argument) == 2:
            index, items = self.resolve(argument, where)
            position = int(index) if scalar_text(index) and str(index).isdigit() else -1
            if isinstance(items, list) and 0 <= position < len(items):
                return items[position]
        raise TemplateError(f"{self._at(where)}Fn::Select takes [index, [values]] in range")

    def _split(self, argument: Any, where: str) -> list[str]:
        if isinstance(argument, list) and len(argument) == 2:
            delimiter, text = argument[0], self.resolve(argument[1], f"{where}/1")
            if isinstance(delimiter, str) and delimiter and isinstance(text, str):
                return text.split(delimiter)
        raise TemplateError(f"{self._at(where)}Fn::Split takes [delimiter, string]")

    def _if(self, argument: Any, where: str) -> Any:
        if isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str):
            chosen = 1 if self.condition(argument[0], where) else 2
            return self.resolve(argument[chosen], f"{where}/{chosen}")
        raise TemplateError(f"{self._at(where)}Fn::If takes [Condition, then, else]")

    def _equals(self, argument: Any, where: str) -> bool:
        if isinstance(argument, list) and len(argument) == 2:
            left, right = (self.resolve(item, f"{where}/{i}") for i, item in enumerate(argument))
            return (scalar_text(left) or left) == (scalar_text(right) or right)
        raise TemplateError(f"{self._at(where)}Fn::Equals takes [value, value]")

    def _all(self, argument: Any, where: str) -> bool:
        return all(self._truths(argument, where, "Fn::And"))

    def _any(self, argument: Any, where: str) -> bool:
        return any(self._truths(argument, where, "Fn::Or"))

    def _not(self, argument: Any, where: str) -> bool:
        (value,) = self._truths(argument, where, "Fn::Not", count=1)
        return not value

    def _truths(self, argument: Any, where: str, name: str, count: int = 0) -> list[bool]:
        if not isinstance(argument, list) or (count and len(argument) != count):
            raise TemplateError(f"{self._at(where)}{name} takes a list of conditions")
        return [self._truth(item, f"{where}/{i}") for i, item in enumerate(argument)]

    def _find_in_map(self, argument: Any, where: str) -> Any:
        if isinstance(argument, list) and len(argument) in (3, 4):
            keys = [self._text(self.resolve(k, where), where) for k in argument[:3]]
            default = argument[3] if len(argument) == 4 else None
            mappings = self.template.body.get("Mappings") or {}
            found = mappings.get(keys[0], {}) if isinstance(mappings, dict) else {}
            found = found.get(keys[1], {}) if isinstance(found, dict) else {}
            if isinstance(found, dict) and keys[2] in found:
                return self.resolve(found[keys[2]], where)
            if isinstance(default, dict) and "DefaultValue" in default:
                return self.resolve(default["DefaultValue"], where)
            raise TemplateError(f"{self._at(where)}Fn::FindInMap: no {'/'.join(keys)} in Mappings")
        raise TemplateError(f"{self._at(where)}Fn::FindInMap takes [MapName, Key, Key]")

    def _base64(self, argument: Any, where: str) -> str:
        text = self._text(self.resolve(argument, where), where)
        return base64.b64encode(text.encode("utf-8")).decode("ascii")

    def _get_azs(self, argument: Any, where: str) -> list[str]:
        region = self.resolve(argument, where) or self.region
        return [f"{region}{zone}" for zone in "abc"]

    def _to_json_string(self, argument: Any, where: str) -> str:
        return json.dumps(self.resolve(argument, where), separators=(",", ":"))

    def _length(self, argument: Any, where: str) -> int:
        items = self.resolve(argument, where)
        if not isinstance(items, list):
            raise TemplateError(f"{self._at(where)}Fn::Length takes a list")
        return len(items)

    # -- helpers -----------------------------------------------------------------------------------

    def _text(self, value: Any, where: str, what: str = "the value") -> str:
        text = scalar_text(value)
        if text is None:
            raise TemplateError(f"{self._at(where)}{what} must be a string here, got {value!r}")
        return text

    def _at(self, where: str) -> str:
        return f"{self.template.where(where)}: " if where else f"{self.template.path}: "


_FUNCTIONS: dict[str, Callable[[Stack, Any, str], Any]] = {
    "Ref": Stack._ref,
    "Fn::GetAtt": Stack._get_att,
    "Fn::Sub": Stack._sub,
    "Fn::Join": Stack._join,
    "Fn::Select": Stack._select,
    "Fn::Split": Stack._split,
    "Fn::If": Stack._if,
    "Fn::Equals": Stack._equals,
    "Fn::And": Stack._all,
    "Fn::Or": Stack._any,
    "Fn::Not": Stack._not,
    "Fn::FindInMap": Stack._find_in_map,
    "Fn::Base64": Stack._base64,
    "Fn::GetAZs": Stack._get_azs,
    "Fn::ToJsonString": Stack._to_json_string,
    "Fn::Length": Stack._length,
}


__all__ = ["NO_VALUE", "Stack", "partition_of", "scalar_text"]
