"""Environment variables applied to the process while a function runs.

A Lambda function sees its own ``Environment.Variables``; a local handler shares the process
environment with every other handler, so :class:`EnvironmentLeases` sets a function's variables
in ``os.environ`` for the length of its call (and its import) and puts the previous values back
afterwards. Calls whose variables agree run at the same time; a call that needs a variable
another running call has set to a different value waits until that call ends.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


class EnvironmentLeases:
    """Who has set which variable, and what it was before."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._held: dict[str, tuple[str, int]] = {}  # name -> (value set, calls holding it)
        self._before: dict[str, str | None] = {}  # name -> its value before the first holder

    @contextmanager
    def applied(self, variables: Mapping[str, str]) -> Iterator[None]:
        """``variables`` set in ``os.environ`` for the block (waiting for conflicting ones)."""
        self.acquire(variables)
        try:
            yield
        finally:
            self.release(variables)

    def acquire(self, variables: Mapping[str, str], *, blocking: bool = True) -> bool:
        """Set ``variables`` once no running call holds one of them with another value;
        ``blocking=False``: return False at once instead of waiting."""
        with self._changed:
            while not self._compatible(variables):
                if not blocking:
                    return False
                self._changed.wait()
            for name, value in variables.items():
                held = self._held.get(name)
                if held is None:
                    self._before[name] = os.environ.get(name)
                    os.environ[name] = value
                    self._held[name] = (value, 1)
                else:
                    self._held[name] = (value, held[1] + 1)
            return True

    def release(self, variables: Mapping[str, str]) -> None:
        """Give ``variables`` back; the last holder of each restores its earlier value."""
        with self._changed:
            for name in variables:
                value, count = self._held[name]
                if count > 1:
                    self._held[name] = (value, count - 1)
                    continue
                del self._held[name]
                before = self._before.pop(name)
                if before is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = before
            self._changed.notify_all()

    def _compatible(self, variables: Mapping[str, str]) -> bool:
        return all(
            self._held.get(name, (value, 0))[0] == value for name, value in variables.items()
        )


LEASES = EnvironmentLeases()
"""The process's leases: every template function's call goes through them."""


__all__ = ["LEASES", "EnvironmentLeases"]
