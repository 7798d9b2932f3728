"""The engine's account and region, and the ARNs it names things by (pure string functions).

Shared by every layer that names an execution, a state machine or a Task's resource: the
drivers, the dispatchers, the callback registry, serve and the CLI.
"""

from __future__ import annotations

import uuid

REGION = "us-east-1"
ACCOUNT = "111111111111"


def machine_arn(name: str) -> str:
    """The ARN of state machine ``name`` in the engine's account and region."""
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def machine_arn_of(execution: str, machine_name: str) -> str:
    """The ARN of the state machine ``machine_name`` in the partition, region and account of
    the execution ARN ``execution`` (a child started in another account names its own)."""
    parts = execution.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "states":
        return machine_arn(machine_name)
    return ":".join([*parts[:5], "stateMachine", machine_name])


def execution_arn(machine_name: str, name: str, express: bool = False) -> str:
    """An execution's ARN; Express ARNs carry a unique suffix as AWS's do."""
    if express:
        suffix = uuid.uuid5(uuid.NAMESPACE_URL, f"{machine_name}/{name}")
        return f"arn:aws:states:{REGION}:{ACCOUNT}:express:{machine_name}:{name}:{suffix}"
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine_name}:{name}"


def resource_parts(resource: str) -> tuple[str, str]:
    """``(resourceType, resource)`` of a Task's resource as history names them
    (``lambda``/``invoke``, ``aws-sdk:s3``/``getObject``, ``activity``/its ARN, ...)."""
    if resource.startswith("arn:") and ":states:::" in resource:
        rest = resource.split(":states:::", 1)[1]
        if rest.startswith("aws-sdk:"):
            service, _, action = rest[len("aws-sdk:") :].partition(":")
            return f"aws-sdk:{service}", action
        service, _, action = rest.partition(":")
        return service, action
    if resource.startswith("arn:") and ":activity:" in resource:
        return "activity", resource
    scheme, _, rest = resource.partition(":")
    return scheme, rest


__all__ = [
    "ACCOUNT",
    "REGION",
    "execution_arn",
    "machine_arn",
    "machine_arn_of",
    "resource_parts",
]
