"""State machines inside CloudFormation and SAM templates.

``find_state_machines(template)`` returns one :class:`EmbeddedMachine` per
``AWS::StepFunctions::StateMachine`` or ``AWS::Serverless::StateMachine`` resource, with its
definition made checkable. CloudFormation fills in values only at deploy time, so where it would
substitute something we cannot know, a placeholder that validates is put instead:

- ``${Name}`` in a string, from ``Fn::Sub`` or a ``DefinitionSubstitutions`` entry whose value is
  not a literal: a ``Resource`` string that starts with it gets a Lambda function ARN
  (``arn:aws:lambda:us-east-1:123456789012:function:Name``); anywhere else, the name itself with
  characters outside ``[A-Za-z0-9_-]`` turned into ``-``. Literal values are used as written.
- ``${Name}`` standing alone as a JSON value in a ``DefinitionString`` (``"MaxAttempts": ${N}``):
  the literal value, or ``1`` when unknown.
- Pseudo parameters: ``AWS::Partition`` is ``aws``, ``AWS::Region`` ``us-east-1``,
  ``AWS::AccountId`` ``123456789012``, and so on.
- Intrinsic functions in an object ``Definition`` (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``,
  ``Fn::Join``, ``Fn::If`` (first branch), ``Fn::Select``...) are resolved the same way.

``${Name}`` with no substitution given is left alone, as CloudFormation leaves it; ``${!Name}``
in ``Fn::Sub`` is the literal ``${Name}``. Pure: a SAM ``DefinitionUri`` is returned as a path for
the caller to read (then :func:`fill_substitutions` applies the substitutions to it).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from asl.diagnostics import Diagnostic, Severity, pointer_join
from asl.source import Source, SourceError, parse_source
from asl.types import JSON

__all__ = [
    "MACHINE_TYPES",
    "EmbeddedMachine",
    "fill_substitutions",
    "find_state_machines",
    "is_template",
    "parse_definition_file",
]

MACHINE_TYPES = frozenset({"AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine"})
TEMPLATE_PROBLEM = "ASL007"
NOT_CHECKED = "ASL008"

PSEUDO_PARAMETERS = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "stack",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/stack/0",
    "AWS::NotificationARNs": "arn:aws:sns:us-east-1:123456789012:topic",
    "AWS::NoValue": "",
}
_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"
_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")
_BARE_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\$\{(!?)([^}]*)\}')


@dataclass(frozen=True, slots=True)
class EmbeddedMachine:
    """A state machine resource found in a template.

    ``pointer`` is where its definition sits in the template (``/Resources/Id/Properties/
    Definition``); a diagnostic pointer inside the definition is appended to it. ``definition`` is
    the value to validate (``None`` when there is none to check here); ``definition_uri`` the local
    file of a SAM ``DefinitionUri``, relative to the template, to read and pass through
    :func:`fill_substitutions` with ``substitutions``. ``problems`` are about the resource itself.
    For a ``DefinitionString``, ``text_source`` is its parsed text (positions inside it) and
    ``text_pointer`` where that text sits in the template (see :meth:`Source.text_origin`).
    """

    logical_id: str
    pointer: str
    definition: JSON = None
    definition_uri: str | None = None
    substitutions: Mapping[str, JSON] | None = None
    state_machine_type: str | None = None
    problems: tuple[Diagnostic, ...] = ()
    text_pointer: str | None = None
    text_source: Source | None = None


def is_template(value: JSON) -> bool:
    """Whether ``value`` looks like a CloudFormation/SAM template rather than a definition."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("Resources"), dict)
        and "States" not in value
    )


def find_state_machines(template: JSON) -> list[EmbeddedMachine]:
    """Every state machine resource of ``template``, in the order written."""
    if not is_template(template):
        return []
    machines = []
    for logical_id, resource in template["Resources"].items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if isinstance(kind, str) and kind in MACHINE_TYPES:
            base = pointer_join("/Resources", logical_id, "Properties")
            properties = resource.get("Properties")
            if not isinstance(properties, dict):
                machines.append(_problem(logical_id, base, "Properties must be an object"))
            elif kind == "AWS::Serverless::StateMachine":
                machines.append(_serverless(logical_id, base, properties))
            else:
                machines.append(_step_functions(logical_id, base, properties))
    return machines


def fill_substitutions(value: JSON, substitutions: Mapping[str, JSON] | None) -> JSON:
    """``value`` with each ``${Name}`` of ``substitutions`` filled in (literals as written,
    anything else as a placeholder); unknown names are left alone."""
    if not substitutions:
        return value
    return _Filler(None, substitutions).walk(value, intrinsics=False)


def parse_definition_file(
    data: str | bytes,
    substitutions: Mapping[str, JSON] | None,
    *,
    filename: str = "<string>",
    syntax: str | None = None,
) -> Source:
    """A ``DefinitionUri`` file read as CloudFormation reads it: ``DefinitionSubstitutions`` go
    into the text first, so ``"MaxConcurrency": ${Max}`` parses, then the text is parsed and the
    substitutions left inside strings are filled (see :func:`fill_substitutions`).

    In JSON, a ``${Name}`` outside string literals becomes its literal value, or ``1`` when its
    value is known only at deploy time; in YAML every ``${Name}`` with a literal value is
    replaced in the text, so ``MaxConcurrency: ${Max}`` is a number. A replacement shorter than
    ``${Name}`` is padded with spaces, so positions after it stay where they were written.
    Unknown names are left as they are. Raises :class:`SourceError` as :func:`parse_source`.
    """
    if substitutions and isinstance(data, bytes):
        with contextlib.suppress(UnicodeDecodeError):  # parse_source reports it, located
            data = data.decode("utf-8")
    if substitutions and isinstance(data, str) and "${" in data:
        filler = _Filler(None, substitutions)
        is_json = syntax == "json" or (
            syntax is None and data.lstrip(" \t\r\n\ufeff")[:1] in ("{", "[")
        )
        data = filler.bare(data, pad=True) if is_json else filler.literals(data)
    source = parse_source(data, filename=filename, syntax=syntax)
    if substitutions:
        source.value = fill_substitutions(source.value, substitutions)
    return source


# -- resources ------------------------------------------------------------------------------------


def _step_functions(logical_id: str, base: str, properties: dict) -> EmbeddedMachine:
    substitutions = _substitutions(properties)
    kind = _literal_type(properties.get("StateMachineType"))
    if "Definition" in properties:
        return _definition(logical_id, base, properties, substitutions, kind)
    if "DefinitionString" in properties:
        pointer = pointer_join(base, "DefinitionString")
        return _definition_string(
            logical_id, pointer, properties["DefinitionString"], substitutions, kind
        )
    if "DefinitionS3Location" in properties:
        pointer = pointer_join(base, "DefinitionS3Location")
        return _not_checked(logical_id, pointer, "the definition is in S3 (DefinitionS3Location)")
    return _problem(
        logical_id, base, "needs one of Definition, DefinitionString or DefinitionS3Location"
    )


def _serverless(logical_id: str, base: str, properties: dict) -> EmbeddedMachine:
    substitutions = _substitutions(properties)
    kind = _literal_type(properties.get("Type"))
    if "Definition" in properties:
        return _definition(logical_id, base, properties, substitutions, kind)
    if "DefinitionUri" in properties:
        pointer = pointer_join(base, "DefinitionUri")
        uri = properties["DefinitionUri"]
        if isinstance(uri, str) and not uri.startswith("s3://"):
            return EmbeddedMachine(
                logical_id,
                pointer,
                definition_uri=uri,
                substitutions=substitutions,
                state_machine_type=kind,
            )
        return _not_checked(logical_id, pointer, "DefinitionUri is in S3")
    return _problem(logical_id, base, "needs Definition or DefinitionUri")


def _definition(
    logical_id: str, base: str, properties: dict, substitutions: dict, kind: str | None
) -> EmbeddedMachine:
    """A ``Definition`` object (either resource type), intrinsic functions resolved."""
    definition = _Filler(None, substitutions).walk(properties["Definition"], intrinsics=True)
    pointer = pointer_join(base, "Definition")
    return EmbeddedMachine(logical_id, pointer, definition, state_machine_type=kind)


def _definition_string(
    logical_id: str, pointer: str, value: JSON, substitutions: dict, kind: str | None
) -> EmbeddedMachine:
    """A ``DefinitionString``: a string, ``Fn::Sub`` or ``Fn::Join`` of JSON text."""
    variables: dict | None = None  # the Fn::Sub variables, when it is an Fn::Sub
    text_pointer: str | None = pointer
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        text_pointer = None
        if function == "Fn::Sub":
            value, variables = _sub_arguments(argument)
            text_pointer = pointer_join(pointer, function)
            if not isinstance(argument, str):
                text_pointer = pointer_join(text_pointer, 0)
        elif function == "Fn::Join":
            value, variables = _join_as_sub(argument), {}
        if value is None:
            return _problem(logical_id, pointer, f"DefinitionString has a malformed {function}")
    if not isinstance(value, str):
        return _not_checked(
            logical_id, pointer, "DefinitionString is not a string, Fn::Sub or Fn::Join"
        )
    filler = _Filler(variables, substitutions)
    try:
        source = parse_source(filler.bare(value), syntax="json")
    except SourceError as exc:
        where = f" (line {exc.line}, column {exc.column} of the string)" if exc.line else ""
        problem = Diagnostic(exc.code, f"DefinitionString{where}: {exc.message}", pointer)
        return EmbeddedMachine(logical_id, pointer, state_machine_type=kind, problems=(problem,))
    definition = filler.walk(source.value, intrinsics=False)
    problems = tuple(
        Diagnostic(p.code, f"DefinitionString: {p.message}", pointer + p.pointer)
        for p in source.problems
    )
    return EmbeddedMachine(
        logical_id,
        pointer,
        definition,
        state_machine_type=kind,
        problems=problems,
        text_pointer=text_pointer,
        text_source=source,
    )


def _sub_arguments(argument: JSON) -> tuple[str | None, dict]:
    """``Fn::Sub``'s text and variables (``"text"`` or ``["text", {variables}]``)."""
    if isinstance(argument, str):
        return argument, {}
    if (
        isinstance(argument, list)
        and len(argument) == 2
        and isinstance(argument[0], str)
        and isinstance(argument[1], dict)
    ):
        return argument[0], argument[1]
    return None, {}


def _join_as_sub(argument: JSON) -> str | None:
    """``Fn::Join`` as ``Fn::Sub`` text: literal parts kept, functions as ``${Name}``."""
    if not (
        isinstance(argument, list)
        and len(argument) == 2
        and isinstance(argument[0], str)
        and isinstance(argument[1], list)
    ):
        return None
    parts = []
    for part in argument[1]:
        if isinstance(part, str):
            parts.append(part.replace("${", "${!"))
        else:
            parts.append("${" + _name_of(part) + "}")
    return argument[0].join(parts)


def _substitutions(properties: dict) -> dict:
    value = properties.get("DefinitionSubstitutions")
    return value if isinstance(value, dict) else {}


def _literal_type(value: JSON) -> str | None:
    return value if value in ("STANDARD", "EXPRESS") else None


def _problem(logical_id: str, pointer: str, message: str) -> EmbeddedMachine:
    """A resource whose definition cannot be found (the message names the fields involved)."""
    return EmbeddedMachine(
        logical_id, pointer, problems=(Diagnostic(TEMPLATE_PROBLEM, message, pointer),)
    )


def _not_checked(logical_id: str, pointer: str, why: str) -> EmbeddedMachine:
    message = f"not checked: {why}"
    problem = Diagnostic(NOT_CHECKED, message, pointer, severity=Severity.WARNING)
    return EmbeddedMachine(logical_id, pointer, problems=(problem,))


# -- substitution ---------------------------------------------------------------------------------


def _name_of(function: JSON) -> str:
    """A readable name for an intrinsic function's result: ``Ref X`` -> ``X``, GetAtt ``A.B``."""
    if isinstance(function, dict) and len(function) == 1:
        ((name, argument),) = function.items()
        if name == "Ref" and isinstance(argument, str):
            return argument
        if name == "Fn::GetAtt":
            if isinstance(argument, list) and all(isinstance(a, str) for a in argument):
                return ".".join(argument)
            if isinstance(argument, str):
                return argument
        return name.removeprefix("Fn::")
    return "value"


def _word(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "placeholder"


def _is_function(value: JSON) -> bool:
    if not (isinstance(value, dict) and len(value) == 1):
        return False
    name = next(iter(value))
    return name == "Ref" or name.startswith("Fn::")


class _Filler:
    """Fills ``${...}`` the way CloudFormation would, with placeholders for unknown values.

    ``variables`` are the ``Fn::Sub`` variables, or ``None`` outside ``Fn::Sub`` (then only the
    names in ``substitutions`` are filled); ``substitutions`` the ``DefinitionSubstitutions``.
    """

    def __init__(self, variables: Mapping[str, JSON] | None, substitutions: Mapping[str, JSON]):
        self.variables = variables
        self.substitutions = substitutions

    def _literal(self, name: str, *, sub: bool) -> str | None:
        """The text a known literal value substitutes, ``None`` when unknown or not literal.

        ``sub``: look the name up as ``Fn::Sub`` does (its variables first), else only in
        ``DefinitionSubstitutions``.
        """
        scopes = (self.variables or {}, self.substitutions) if sub else (self.substitutions,)
        for scope in scopes:
            if name in scope:
                value = scope[name]
                if isinstance(value, bool):
                    return "true" if value else "false"
                return str(value) if isinstance(value, str | int | float) else None
        return PSEUDO_PARAMETERS.get(name) if sub else None

    def text(self, text: str, key: str | None) -> str:
        """A string with its substitutions filled; ``key`` is the member it is the value of."""
        if "${" not in text:
            return text
        if self.variables is not None:  # Fn::Sub first, then DefinitionSubstitutions
            text = _VARIABLE.sub(lambda match: self._fill(match, key, sub=True), text)
        if self.substitutions and "${" in text:
            text = _VARIABLE.sub(lambda match: self._fill(match, key, sub=False), text)
        return text

    def _fill(self, match: re.Match, key: str | None, *, sub: bool) -> str:
        escaped, name = match.groups()
        if escaped:  # ${!Name} is Fn::Sub's way to write ${Name}
            return "${" + name + "}" if sub else match.group()
        if not sub and name not in self.substitutions:
            return match.group()
        literal = self._literal(name, sub=sub)
        if literal is not None:
            return literal
        if key == "Resource" and match.start() == 0:
            return _ARN.format(_word(name))
        return _word(name)

    def bare(self, text: str, *, pad: bool = False) -> str:
        """JSON text with each ``${Name}`` outside a string literal filled in (``1`` if unknown);
        ``pad``: shorter values are padded with spaces to the length of ``${Name}``.

        Those inside string literals are left for :meth:`walk`, which knows their key.
        """

        def fill(match: re.Match) -> str:
            escaped, name = match.group(1), match.group(2)
            if name is None:
                return match.group()
            if escaped:  # Fn::Sub writes ${!Name} as ${Name}: DefinitionSubstitutions fill it
                if self.variables is None or name not in self.substitutions:
                    return match.group()
                literal = self._literal(name, sub=False)
            elif self.variables is None and name not in self.substitutions:
                return match.group()
            else:
                literal = self._literal(name, sub=self.variables is not None)
            value = "1" if literal is None else literal
            return value.ljust(len(match.group())) if pad else value

        return _BARE_OR_STRING.sub(fill, text) if "${" in text else text

    def literals(self, text: str) -> str:
        """Text with each ``${Name}`` of ``substitutions`` that has a literal value replaced by
        it, as CloudFormation substitutes; the others are left for :meth:`walk`."""

        def fill(match: re.Match) -> str:
            escaped, name = match.groups()
            literal = None if escaped else self._literal(name, sub=False)
            return match.group() if literal is None else literal

        return _VARIABLE.sub(fill, text)

    def walk(self, value: JSON, *, intrinsics: bool, key: str | None = None) -> JSON:
        """``value`` with substitutions filled (and intrinsic functions resolved if asked)."""
        if isinstance(value, str):
            return self.text(value, key)
        if isinstance(value, list):
            return [self.walk(item, intrinsics=intrinsics, key=key) for item in value]
        if not isinstance(value, dict):
            return value
        if intrinsics and _is_function(value):
            return self._function(value, key)
        return {
            self.text(name, None): self.walk(item, intrinsics=intrinsics, key=name)
            for name, item in value.items()
        }

    def _function(self, function: dict, key: str | None) -> JSON:
        ((name, argument),) = function.items()
        handler = _FUNCTIONS.get(name)
        if handler is not None:
            result = handler(self, argument, key)
            if result is not _UNKNOWN:
                return result
        if name in ("Fn::Split", "Fn::GetAZs", "Fn::Cidr"):
            return [_word(_name_of(function))]
        if name == "Ref" and isinstance(argument, str) and argument in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[argument]
        word = _word(_name_of(function))
        return _ARN.format(word) if key == "Resource" else word


_UNKNOWN = object()


def _fn_sub(filler: _Filler, argument: JSON, key: str | None) -> JSON:
    text, variables = _sub_arguments(argument)
    if text is None:
        return _UNKNOWN
    return _Filler(variables, filler.substitutions).text(text, key)


def _fn_join(filler: _Filler, argument: JSON, key: str | None) -> JSON:
    text = _join_as_sub(argument)
    return _UNKNOWN if text is None else _Filler({}, filler.substitutions).text(text, key)


def _fn_if(filler: _Filler, argument: JSON, key: str | None) -> JSON:
    if isinstance(argument, list) and len(argument) == 3:
        return filler.walk(argument[1], intrinsics=True, key=key)
    return _UNKNOWN


def _fn_select(filler: _Filler, argument: JSON, key: str | None) -> JSON:
    if (
        isinstance(argument, list)
        and len(argument) == 2
        and isinstance(argument[1], list)
        and str(argument[0]).isdigit()
        and int(argument[0]) < len(argument[1])
    ):
        return filler.walk(argument[1][int(argument[0])], intrinsics=True, key=key)
    return _UNKNOWN


_FUNCTIONS: dict[str, Callable[[_Filler, JSON, str | None], JSON]] = {
    "Fn::Sub": _fn_sub,
    "Fn::Join": _fn_join,
    "Fn::If": _fn_if,
    "Fn::Select": _fn_select,
}
