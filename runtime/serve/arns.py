"""ARNs as Step Functions forms them, and their checks (``InvalidArn`` for a malformed one)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from runtime.core.arns import ACCOUNT, REGION, execution_arn, machine_arn
from runtime.serve.errors import ApiError, invalid_arn, invalid_name

_ARN = re.compile(
    r"^arn:aws[a-z-]*:states:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<kind>stateMachine|execution|express|activity|mapRun):(?P<rest>.+)$"
)
_NAME = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$")
ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
ALIAS_NAME = re.compile(r"^(?=.*[a-zA-Z_\-.])[a-zA-Z0-9_\-.]+$")  # AWS's: never all digits

__all__ = [
    "ACCOUNT",
    "REGION",
    "Arn",
    "activity_arn",
    "alias_arn",
    "check_name",
    "execution_arn",
    "machine_arn",
    "parse",
    "version_arn",
]


@dataclass(frozen=True, slots=True)
class Arn:
    """A parsed Step Functions ARN: ``kind`` and the ``:``-separated parts after it."""

    text: str
    kind: str
    parts: tuple[str, ...]

    @property
    def machine_name(self) -> str:
        return self.parts[0]

    @property
    def qualifier(self) -> str | None:
        """A state machine ARN's version number or alias name (None when unqualified)."""
        return self.parts[1] if self.kind == "stateMachine" and len(self.parts) == 2 else None

    @property
    def unqualified(self) -> str:
        """The state machine ARN without its version or alias."""
        return self.text.rsplit(":", 1)[0] if self.qualifier is not None else self.text

    @property
    def is_version(self) -> bool:
        return self.qualifier is not None and self.qualifier.isdigit()

    @property
    def is_alias(self) -> bool:
        return self.qualifier is not None and not self.qualifier.isdigit()


def parse(text: object, *kinds: str) -> Arn:
    """Parse ``text`` as an ARN of one of ``kinds``; raise ``InvalidArn`` otherwise."""
    if not isinstance(text, str):
        raise ApiError("InvalidArn", f"Invalid Arn: {text!r}")
    match = _ARN.match(text)
    if match is None:
        raise invalid_arn(text)
    kind = match["kind"]
    if kinds and kind not in kinds:
        raise invalid_arn(text, kind)
    parts = tuple(match["rest"].split(":"))
    expected = {"stateMachine": (1, 2), "execution": (2, 2), "express": (3, 3), "activity": (1, 1)}
    low, high = expected.get(kind, (1, 9))
    if not low <= len(parts) <= high or not all(parts):
        raise invalid_arn(text)
    return Arn(text, kind, parts)


def activity_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{name}"


def check_name(name: object) -> str:
    """A state machine, execution or activity name; ``InvalidName`` if AWS would refuse it."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise invalid_name(str(name))
    return name


def version_arn(machine: str, number: int) -> str:
    """``<machine ARN>:<number>``, a published version's ARN."""
    return f"{machine}:{number}"


def alias_arn(machine: str, name: str) -> str:
    """``<machine ARN>:<alias name>``, an alias's ARN."""
    return f"{machine}:{name}"
