"""Task tokens as the core computes them: which resources get one, and how one is derived.

A token is a pure function of the attempt it belongs to (execution, redrive count, the state's
place and visit, attempt number) and the execution's secret seed, so a replay computes the same
token again and keeps waiting for the answer to it. It is 56 URL-safe base64 characters: a magic
prefix, a 32-byte digest and a check, so a mistyped token is told apart from one no task has
(:func:`well_formed`). Checking tokens that callers send is ``runtime.callbacks.tokens``'s job.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any

WAIT_SUFFIX = ".waitForTaskToken"
_MAGIC = b"ASL\x01"
_CHECK = 6
_LENGTH = len(_MAGIC) + 32 + _CHECK  # 42 bytes: 56 base64 characters, no padding


def is_activity(resource: str) -> bool:
    """Whether ``resource`` is an activity ARN (``arn:aws:states:REGION:ACCOUNT:activity:NAME``)."""
    return resource.startswith("arn:") and ":activity:" in resource


def wants_token(resource: str) -> bool:
    """Whether a Task with this resource gets ``$$.Task.Token``."""
    return resource.endswith(WAIT_SUFFIX) or is_activity(resource)


def token_for(context: Mapping[str, Any], key: str, attempt: int, seed: int = 0) -> str:
    """The token of one task attempt (the same on every replay of that attempt)."""
    execution = context.get("Execution") or {}
    text = "\x1f".join(
        (
            "asl-task-token",
            str(execution.get("Id", "")),
            str(execution.get("RedriveCount", 0)),
            key,
            str(attempt),
            str(seed),
        )
    )
    body = _MAGIC + hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(body + _check(body)).decode()


def with_token(
    context: dict[str, Any], resource: str, key: str, attempt: int, seed: int = 0
) -> dict[str, Any]:
    """``context`` with ``Task.Token`` when ``resource`` wants one, else ``context`` itself."""
    if not wants_token(resource):
        return context
    return {**context, "Task": {"Token": token_for(context, key, attempt, seed)}}


def request_token(context: Mapping[str, Any]) -> str | None:
    """The token a task request's context carries, if any."""
    task = context.get("Task")
    token = task.get("Token") if isinstance(task, Mapping) else None
    return token if isinstance(token, str) else None


def well_formed(token: object) -> bool:
    """Whether ``token`` has the form of a token this engine issues (prefix and check)."""
    if not isinstance(token, str) or len(token) != 56:
        return False
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return False
    body = raw[:-_CHECK]
    return len(raw) == _LENGTH and raw.startswith(_MAGIC) and raw[-_CHECK:] == _check(body)


def _check(body: bytes) -> bytes:
    return hashlib.sha256(b"check" + body).digest()[:_CHECK]


__all__ = [
    "WAIT_SUFFIX",
    "is_activity",
    "request_token",
    "token_for",
    "wants_token",
    "well_formed",
    "with_token",
]
