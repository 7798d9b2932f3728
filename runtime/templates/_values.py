"""Values as CloudFormation writes them: ``AWS::NoValue``, scalars in text, partitions."""

from __future__ import annotations

from typing import Any


class _NoValue:
    """``AWS::NoValue``: the property or list item it stands for is left out."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


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


__all__ = ["NO_VALUE", "partition_of", "scalar_text"]
