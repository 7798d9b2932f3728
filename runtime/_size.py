"""The 256 KiB payload quota, checked without encoding every state's output.

Most outputs are small, or share most of their data with the state before (a ResultPath writes
one key into an input that is otherwise the same objects). :class:`SizeGauge` bounds a value's
UTF-8 JSON size from above, reusing the encoded length of containers it has measured before
(kept while they are alive in the gauge's small cache); only when the bound is over the quota
does it encode the whole value to decide exactly.
"""

from __future__ import annotations

from typing import Any

from runtime._events import to_json

PAYLOAD_LIMIT = 256 * 1024
_MAX_BYTES_PER_CHAR = 6  # "\u001f" is six bytes for one character; UTF-8 needs at most 4
_CACHE_SIZE = 256
_BIG_INT = 10**22  # integers inside (-_BIG_INT, _BIG_INT) take at most 24 characters
_SMALL = 8  # containers of at most this many members, this near the top, are walked


class SizeGauge:
    """Decides whether JSON values exceed the payload quota; one gauge per execution."""

    __slots__ = ("_cache",)

    def __init__(self) -> None:
        self._cache: dict[int, tuple[Any, int]] = {}

    def too_large(self, value: Any, text: str | None = None) -> bool:
        """Whether ``value`` (whose JSON ``text`` may be known) is over the quota in UTF-8."""
        if text is None:
            if self._bound(value, 0) <= PAYLOAD_LIMIT:
                return False
            text = to_json(value)
        if len(text) * 4 <= PAYLOAD_LIMIT:
            return False
        return len(text.encode()) > PAYLOAD_LIMIT

    def _bound(self, value: Any, depth: int) -> int:
        """An upper bound of the UTF-8 size of ``value`` as JSON."""
        kind = type(value)
        if kind is str:
            return len(value) * _MAX_BYTES_PER_CHAR + 2
        if kind is dict or kind is list:
            if not value:
                return 2
            if depth == 0 and kind is dict:
                # The top level is usually new; its members are usually scalars or known.
                size = 2
                for key, member in value.items():
                    kind = type(member)
                    if kind is str:
                        size += (len(key) + len(member)) * _MAX_BYTES_PER_CHAR + 8
                    elif (
                        kind is float
                        or kind is bool
                        or member is None
                        or (kind is int and -_BIG_INT < member < _BIG_INT)
                    ):
                        size += len(key) * _MAX_BYTES_PER_CHAR + 28
                    else:
                        size += len(key) * _MAX_BYTES_PER_CHAR + 4 + self._bound(member, 1)
                return size
            if len(value) <= _SMALL and depth < _SMALL:  # walked: cheaper than encoding
                if kind is dict:
                    return 2 + sum(
                        len(k) * _MAX_BYTES_PER_CHAR + 4 + self._bound(v, depth + 1)
                        for k, v in value.items()
                    )
                return 1 + sum(self._bound(v, depth + 1) + 1 for v in value)
            hit = self._cache.get(id(value))
            if hit is not None and hit[0] is value:
                return hit[1]
            size = len(to_json(value)) * 4  # encoded characters, at most 4 UTF-8 bytes each
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[id(value)] = (value, size)
            return size
        if isinstance(value, str):
            return len(value) * _MAX_BYTES_PER_CHAR + 2
        if isinstance(value, (dict, list)):
            return len(to_json(value)) * 4
        if isinstance(value, int) and not -_BIG_INT < value < _BIG_INT:
            return len(str(value))
        return 24  # other numbers (at most 24 characters as JSON), booleans, null
