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
            if _bound(value, self._cache, 0) <= PAYLOAD_LIMIT:
                return False
            text = to_json(value)
        if len(text) * 4 <= PAYLOAD_LIMIT:
            return False
        return len(text.encode()) > PAYLOAD_LIMIT


def _bound(value: Any, cache: dict[int, tuple[Any, int]], depth: int) -> int:
    """An upper bound of the UTF-8 size of ``value`` as JSON.

    Containers near the top with few members are walked (new objects, usually: a state's output
    built from its input); others are encoded once and remembered in ``cache`` by identity, so
    the big, shared parts of successive outputs are measured once.
    """
    kind = type(value)
    if kind is str:
        return len(value) * _MAX_BYTES_PER_CHAR + 2
    if kind is dict:
        if depth == 0 or (len(value) <= _SMALL and depth < _SMALL):
            size = 2
            for key, member in value.items():
                size += (
                    _scalar(member)
                    if type(member) in _SCALARS
                    else 4 + _bound(member, cache, depth + 1)
                )
                size += len(key) * _MAX_BYTES_PER_CHAR + 4
            return size
        return _encoded(value, cache)
    if kind is list:
        if len(value) <= _SMALL and depth < _SMALL:
            size = 2
            for member in value:
                size += 1 + (
                    _scalar(member)
                    if type(member) in _SCALARS
                    else _bound(member, cache, depth + 1)
                )
            return size
        return _encoded(value, cache)
    if isinstance(value, str):
        return len(value) * _MAX_BYTES_PER_CHAR + 2
    if isinstance(value, (dict, list)):
        return len(to_json(value)) * 4
    return _scalar(value)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _scalar(value: Any) -> int:
    """The bound of a string, number, boolean or null."""
    if type(value) is str:
        return len(value) * _MAX_BYTES_PER_CHAR + 2
    if type(value) is int and not -_BIG_INT < value < _BIG_INT:
        return len(str(value))
    return 24  # other numbers (at most 24 characters as JSON), booleans, null


def _encoded(value: Any, cache: dict[int, tuple[Any, int]]) -> int:
    """4 bytes per character of the value's JSON text, remembered while the value lives."""
    hit = cache.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    size = len(to_json(value)) * 4  # encoded characters, at most 4 UTF-8 bytes each
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[id(value)] = (value, size)
    return size
