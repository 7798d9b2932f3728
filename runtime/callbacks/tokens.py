"""Task tokens for the callback API: the core's derivation (re-exported) and checking sent ones.

How a token is derived lives in :mod:`runtime.core.tokens` (a pure function of the attempt and
the execution's seed, computed by the interpreter); here a token a caller sends is checked, a
mistyped one answered ``InvalidToken`` rather than ``TaskDoesNotExist``.
"""

from __future__ import annotations

from typing import Any

from runtime.callbacks.errors import InvalidToken
from runtime.core.tokens import (
    WAIT_SUFFIX,
    is_activity,
    request_token,
    token_for,
    wants_token,
    well_formed,
    with_token,
)


def check(token: Any) -> str:
    """``token`` if it is well-formed; :class:`InvalidToken` otherwise."""
    if not well_formed(token):
        raise InvalidToken("Invalid Token: 'Invalid token'")
    return token


__all__ = [
    "WAIT_SUFFIX",
    "check",
    "is_activity",
    "request_token",
    "token_for",
    "wants_token",
    "with_token",
]
