"""The public entry points: parse, validate and build a machine in one call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asl.diagnostics import Diagnostic, Severity
from asl.model import StateMachine


class DefinitionError(ValueError):
    """A definition AWS would reject; ``diagnostics`` lists every problem found."""

    def __init__(self, diagnostics: list[Diagnostic], filename: str = "<definition>") -> None:
        self.diagnostics = diagnostics
        self.filename = filename
        first = diagnostics[0] if diagnostics else None
        more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
        where = f"{filename}:{first.line}:{first.column}: " if first and first.line else ""
        text = f"{where}{first.code} {first.message}{more}" if first else "invalid definition"
        super().__init__(text)


def validate(
    definition: str | bytes | Mapping[str, Any],
    *,
    state_machine_type: str = "STANDARD",
    filename: str = "<definition>",
) -> list[Diagnostic]:
    """Every problem in a definition (text in JSON or YAML, or an already parsed mapping).

    Diagnostics carry line and column when the definition was given as text. Never raises for
    bad input: unparsable text is reported as a diagnostic.
    """
    _, diagnostics = _check(definition, state_machine_type, filename)
    return diagnostics


def load(
    definition: str | bytes | Mapping[str, Any],
    *,
    state_machine_type: str = "STANDARD",
    filename: str = "<definition>",
    trusted: bool = False,
) -> StateMachine:
    """Parse, validate and compile a definition. Raises :class:`DefinitionError` if invalid.

    ``trusted=True`` skips validation: only for a definition this engine has already validated,
    unchanged (a definition that is not valid may then fail in unexpected ways). Text that does
    not parse is still reported.
    """
    from asl.build import build_machine

    if trusted:
        value, _, diagnostics = _parse(definition, filename)
    else:
        value, diagnostics = _check(definition, state_machine_type, filename)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise DefinitionError(errors, filename)
    return build_machine(value)


def _parse(
    definition: str | bytes | Mapping[str, Any], filename: str
) -> tuple[Any, Any, list[Diagnostic]]:
    """``(value, source, problems)``: the definition's value, its source text with positions
    (None for a mapping, taken as it is) and the problems found while reading it. The value is
    None when the text does not parse."""
    if not isinstance(definition, (str, bytes)):
        return definition, None, []
    from asl.rules import CODES
    from asl.source import SourceError, parse_source

    try:
        source = parse_source(definition, filename=filename)
    except SourceError as exc:
        spec = CODES.get(exc.code)
        diag = Diagnostic(
            exc.code,
            exc.message,
            "",
            aws_code=spec.aws_code if spec else None,
            line=exc.line,
            column=exc.column,
        )
        return None, None, [diag]
    return source.value, source, list(source.problems)


def _check(
    definition: str | bytes | Mapping[str, Any], state_machine_type: str, filename: str
) -> tuple[Any, list[Diagnostic]]:
    from asl.validation import validate_definition

    value, source, problems = _parse(definition, filename)
    if isinstance(definition, (str, bytes)) and source is None:
        return None, problems
    diagnostics = problems + validate_definition(value, state_machine_type=state_machine_type)
    if source is not None:
        diagnostics = [
            d if d.line is not None else d.located(*(source.position(d.pointer) or (None, None)))
            for d in diagnostics
        ]
    return value, diagnostics
