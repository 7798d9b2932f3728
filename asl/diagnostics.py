"""Diagnostics: what the validator reports, as data."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "ERROR"
    WARNING = "WARNING"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a definition.

    ``code`` is our stable code (``ASL201``), ``aws_code`` the code AWS's
    ValidateStateMachineDefinition uses for the same problem (``MISSING_TRANSITION_TARGET``) or
    ``None``; ``aws_text`` the sentence alone, as AWS's messages carry it (``message`` adds how
    to fix it). ``pointer`` is a JSON Pointer (RFC 6901) into the definition ("" for the root);
    ``line`` and ``column`` (1-based) are filled in when the source text is known.
    """

    code: str
    message: str
    pointer: str = ""
    aws_code: str | None = None
    severity: Severity = Severity.ERROR
    line: int | None = None
    column: int | None = None
    aws_text: str | None = None

    def located(self, line: int | None, column: int | None) -> Diagnostic:
        """A copy carrying a source position."""
        return replace(self, line=line, column=column)

    @property
    def aws_location(self) -> str:
        """The location as AWS writes it: ``/States/A/Choices[0]/Next``, ``/`` for the root."""
        if not self.pointer:
            return "/"
        out = ""
        previous = ""
        for part in self.pointer.split("/")[1:]:
            if part.isdigit() and previous != "States" and out:
                out += f"[{part}]"
            else:
                out += "/" + part
            previous = part
        return out

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "aws_code": self.aws_code,
            "severity": self.severity.value,
            "message": self.message,
            "pointer": self.pointer,
            "line": self.line,
            "column": self.column,
        }


def pointer_join(pointer: str, *parts: str | int) -> str:
    """Extend a JSON Pointer with more reference tokens, escaping ``~`` and ``/``."""
    for part in parts:
        pointer += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return pointer


def pointer_parts(pointer: str) -> list[str]:
    """Split a JSON Pointer into its unescaped reference tokens."""
    if not pointer:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
