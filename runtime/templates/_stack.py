"""One deployment of a template: the values its intrinsic functions resolve to.

:class:`Stack` knows the parameters (given or default), the pseudo parameters (``AWS::Region``,
``AWS::AccountId``, ``AWS::Partition``, ``AWS::StackName``...), the conditions, and each
resource's name and attributes: first what a backend reported when the resource was created
(:attr:`Stack.provided`), else what a deployment in that account and region would give
(:mod:`._kinds`). :meth:`Stack.resolve` evaluates the intrinsic functions of
:mod:`._intrinsics`; any other (``Fn::ImportValue``...) cannot be known locally and is an error
naming where it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from asl.diagnostics import pointer_join
from runtime.templates._errors import TemplateError
from runtime.templates._intrinsics import FUNCTIONS
from runtime.templates._kinds import KINDS, Place, generated_name, kind_of
from runtime.templates._parameters import parameter_values
from runtime.templates._template import Template
from runtime.templates._values import NO_VALUE, partition_of, scalar_text

_MISSING = object()


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
            raise TemplateError(f"{self.at(where)}the template has no resource {logical_id!r}")
        condition = resource.get("Condition")
        if isinstance(condition, str) and not self.condition(condition, where):
            raise TemplateError(
                f"{self.at(where)}resource {logical_id} is not created: its Condition "
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
                name = self.text(self.resolve(properties[kind.name_property], where), where)
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
            f"{self.at(where)}Fn::GetAtt {logical_id}.{attribute}: {resource_type} has no "
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
            raise TemplateError(f"{self.at(where)}the template has no condition {name!r}")
        key = "Condition:" + name
        if key in self._busy:
            raise TemplateError(f"condition {name} depends on itself")
        self._busy.add(key)
        try:
            value = self.truth(conditions[name], pointer_join("/Conditions", name))
        finally:
            self._busy.discard(key)
        self._conditions[name] = value
        return value

    def truth(self, value: Any, where: str) -> bool:
        if isinstance(value, dict) and len(value) == 1 and "Condition" in value:
            return self.condition(str(value["Condition"]), where)
        result = self.resolve(value, where)
        if isinstance(result, bool):
            return result
        if result in ("true", "false"):
            return result == "true"
        raise TemplateError(f"{self.at(where)}a condition must be true or false, got {result!r}")

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
            f"{self.at(where)}Ref {name}: the template has no parameter or resource of that "
            "name, and it is no pseudo parameter"
        )

    def _function(self, name: str, argument: Any, where: str) -> Any:
        handler = FUNCTIONS.get(name)
        if handler is None:
            raise TemplateError(
                f"{self.at(where)}{name} cannot be resolved in a local run (asl resolves Ref, "
                "Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If, Fn::Equals, "
                "Fn::And, Fn::Or, Fn::Not, Fn::FindInMap, Fn::Base64, Fn::GetAZs, "
                "Fn::ToJsonString and Fn::Length); write the value in the template or pass it "
                "as a --parameter"
            )
        return handler(self, argument, where)

    # -- helpers -----------------------------------------------------------------------------------

    def text(self, value: Any, where: str, what: str = "the value") -> str:
        """``value`` as text (a scalar), else an error naming ``where``."""
        text = scalar_text(value)
        if text is None:
            raise TemplateError(f"{self.at(where)}{what} must be a string here, got {value!r}")
        return text

    def at(self, where: str) -> str:
        """``path:line:column: `` of ``where`` in the template, to start an error message."""
        return f"{self.template.where(where)}: " if where else f"{self.template.path}: "


__all__ = ["Stack"]
