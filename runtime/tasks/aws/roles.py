"""A Task's ``Credentials``: the IAM role its AWS calls are made with.

``"Credentials": {"RoleArn": "arn:aws:iam::222222222222:role/Target"}`` (or ``RoleArn.$``, or a
JSONata expression, evaluated per attempt) makes the task's AWS calls, the polling of a ``.sync``
job included, with the credentials of ``sts:AssumeRole`` on that role, asked for with the mode's
own credentials (``--aws aws``: boto3's configuration; ``--aws moto``: the embedded AWS's). The
session is named after the execution (its name, with characters STS does not take replaced by
``-``, at most 64), and ``ExternalId`` is the state machine's ARN, which AWS sends for a trust
policy's ``sts:ExternalId`` condition. Credentials are kept per role and reused until five minutes
before they expire.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections.abc import Mapping
from typing import Any

from asl.errors import RUNTIME, TASK_FAILED, StatesError
from runtime.tasks.aws.clients import AwsClients

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
REFRESH_BEFORE = 300.0  # seconds before expiry when a role is assumed again
DURATION = 3600
_NOT_IN_SESSION_NAMES = re.compile(r"[^\w+=,.@-]", re.ASCII)

_lock = threading.Lock()
_assumed: weakref.WeakKeyDictionary[AwsClients, dict[str, tuple[AwsClients, float]]] = (
    weakref.WeakKeyDictionary()
)


def role_of(credentials: Any) -> str | None:
    """The role ``Credentials`` (as evaluated) names; None without Credentials.

    Raises ``States.Runtime`` when it names no role ARN.
    """
    if credentials is None:
        return None
    role = credentials.get("RoleArn") if isinstance(credentials, dict) else None
    if not isinstance(role, str) or not ROLE_ARN.match(role):
        shown = role if isinstance(credentials, dict) else credentials
        raise StatesError(
            RUNTIME,
            f"The Credentials field must give RoleArn, an IAM role's ARN "
            f"(arn:aws:iam::ACCOUNT:role/NAME), not {shown!r}.",
        )
    return role


def session_name(context: Mapping[str, Any]) -> str:
    """The role session's name: the execution's name, as STS takes it."""
    execution = context.get("Execution") or {}
    name = _NOT_IN_SESSION_NAMES.sub("-", str(execution.get("Name") or ""))[:64]
    return name if len(name) >= 2 else "asl-engine"


def clients_for(base: AwsClients, role: str, context: Mapping[str, Any]) -> AwsClients:
    """Clients signing with ``role``'s credentials (assumed now, or kept from before); blocks.

    Raises ``States.TaskFailed`` when STS refuses or cannot be reached.
    """
    with _lock:
        kept = _assumed.setdefault(base, {}).get(role)
    if kept is not None and kept[1] - REFRESH_BEFORE > time.time():
        return kept[0]
    credentials = _assume(base, role, context)
    clients = AwsClients(base.mode, credentials)
    expires = credentials["Expiration"].timestamp()
    with _lock:
        _assumed.setdefault(base, {})[role] = (clients, expires)
    return clients


def _assume(base: AwsClients, role: str, context: Mapping[str, Any]) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError

    arguments: dict[str, Any] = {
        "RoleArn": role,
        "RoleSessionName": session_name(context),
        "DurationSeconds": DURATION,
    }
    machine = (context.get("StateMachine") or {}).get("Id")
    if isinstance(machine, str) and machine:
        arguments["ExternalId"] = machine
    try:
        return base.client("sts").assume_role(**arguments)["Credentials"]
    except (BotoCoreError, ClientError) as exc:
        raise StatesError(
            TASK_FAILED,
            f"Step Functions could not assume the role {role} that the Task's Credentials "
            f"name: {exc}",
        ) from None


__all__ = ["REFRESH_BEFORE", "clients_for", "role_of", "session_name"]
