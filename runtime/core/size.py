"""The 256 KiB payload quota and the 512-level nesting bound, checked without encoding every
state's output.

Most outputs are small, or share most of their data with the state before (a ResultPath writes
one key into an input that is otherwise the same objects). :class:`SizeGauge` bounds a value's
UTF-8 JSON size from above, reusing the encoded length of containers it has measured before
(kept while they are alive in the gauge's small cache); only when the bound is over the quota
does it encode the whole value to decide exactly.

Depth comes almost free with size: each level of nesting takes two bytes of JSON at least, so a
value within :data:`DEEP_SIZE` bytes is within :data:`~runtime.core.jsontext.MAX_DEPTH` levels. A
bigger one is bounded by the same walk (the brackets in a measured container's text bound its
depth) and walked exactly only when that bound is over the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from runtime.core.events import to_json
from runtime.core.jsontext import MAX_DEPTH
from runtime.core.jsontext import depth as json_depth

PAYLOAD_LIMIT = 256 * 1024
DEEP_SIZE = 2 * MAX_DEPTH
"""A JSON value of at most this many bytes nests at most MAX_DEPTH levels (``[]`` is 2 bytes)."""
_MAX_BYTES_PER_CHAR = 6  # "\u001f" is six bytes for one character; UTF-8 needs at most 4
_CACHE_SIZE = 256
_BIG_INT = 10**22  # integers inside (-_BIG_INT, _BIG_INT) take at most 24 characters
_SMALL = 8  # containers of at most this many members, this near the top, are walked


class SizeGauge:
    """Decides whether JSON values exceed the payload quota; one gauge per execution."""

    __slots__ = ("_cache", "bound")

    def __init__(self) -> None:
        self._cache: dict[int, tuple[Any, int, int]] = {}
        self.bound: Callable[[Any], int] = partial(_bound, self._cache, 0)
        """An upper bound of a value's size in UTF-8 JSON (cheap; exact only when encoded)."""

    def too_large(self, value: Any, text: str | None = None) -> bool:
        """Whether ``value`` (whose JSON ``text`` may be known) is over the quota in UTF-8."""
        if text is None:
            if _bound(self._cache, 0, value) <= PAYLOAD_LIMIT:
                return False
            text = to_json(value)
        if len(text) * 4 <= PAYLOAD_LIMIT:
            return False
        return _utf8_size(text) > PAYLOAD_LIMIT

    def depth(self, value: Any) -> int:
        """An upper bound of ``value``'s nesting depth, exact when the cheap bound (the walk of
        :meth:`bound`, the brackets of measured containers) is over ``MAX_DEPTH``."""
        deepest = _depth(self._cache, 0, value)
        return deepest if deepest <= MAX_DEPTH else json_depth(value, MAX_DEPTH)

    @staticmethod
    def exact(value: Any) -> int:
        """``value``'s size in UTF-8 JSON, encoding it."""
        return _utf8_size(to_json(value))


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def _bound(cache: dict[int, tuple[Any, int, int]], depth: int, value: Any) -> int:
    """An upper bound of the UTF-8 size of ``value`` as JSON.

    Containers near the top with few members are walked (new objects, usually: a state's output
    built from its input); others are encoded once and remembered in ``cache`` by identity, so
    the big, shared parts of successive outputs are measured once. Members that are numbers,
    booleans or null count as ``_LITERAL`` bytes without a call; strings as 6 bytes a character.
    """
    kind = type(value)
    if kind is str:
        return len(value) * _MAX_BYTES_PER_CHAR + 2
    if kind is dict:
        if depth == 0 or (len(value) <= _SMALL and depth < _SMALL):
            # Braces; each member: its key's quotes, colon and comma, and a literal's bound.
            size = 2 + (4 + _LITERAL) * len(value)
            for key, member in value.items():
                size += len(key) * _MAX_BYTES_PER_CHAR
                kind = type(member)
                if kind is str:
                    size += len(member) * _MAX_BYTES_PER_CHAR + 2 - _LITERAL
                elif kind is int:
                    if not -_BIG_INT < member < _BIG_INT:
                        size += len(str(member)) - _LITERAL
                elif kind is not float and kind is not bool and member is not None:
                    size += 4 + _bound(cache, depth + 1, member) - _LITERAL
            return size
        return _encoded(value, cache)
    if kind is list:
        if len(value) <= _SMALL and depth < _SMALL:
            size = 2 + (1 + _LITERAL) * len(value)  # brackets; each member: a comma, a literal
            for member in value:
                kind = type(member)
                if kind is str:
                    size += len(member) * _MAX_BYTES_PER_CHAR + 2 - _LITERAL
                elif kind is int:
                    if not -_BIG_INT < member < _BIG_INT:
                        size += len(str(member)) - _LITERAL
                elif kind is not float and kind is not bool and member is not None:
                    size += _bound(cache, depth + 1, member) - _LITERAL
            return size
        return _encoded(value, cache)
    if isinstance(value, str):
        return len(value) * _MAX_BYTES_PER_CHAR + 2
    if isinstance(value, (dict, list)):
        return len(to_json(value)) * 4
    return _scalar(value)


_LITERAL = 24  # a number other than a big integer, a boolean or null: at most 24 characters


def _scalar(value: Any) -> int:
    """The bound of a string, number, boolean or null."""
    if type(value) is str:
        return len(value) * _MAX_BYTES_PER_CHAR + 2
    if type(value) is int and not -_BIG_INT < value < _BIG_INT:
        return len(str(value))
    return _LITERAL


def _encoded(value: Any, cache: dict[int, tuple[Any, int, int]]) -> int:
    """4 bytes per character of the value's JSON text, remembered while the value lives."""
    hit = cache.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    return _encode(value, cache)[1]


def _encode(value: Any, cache: dict[int, tuple[Any, int, int]]) -> tuple[Any, int, int]:
    """Encode a container once: its size bound and depth bound (the brackets in its text)."""
    text = to_json(value)
    length = len(text)  # encoded characters, at most 4 UTF-8 bytes each
    deepest = length >> 1 if length <= DEEP_SIZE else text.count("[") + text.count("{")
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    entry = cache[id(value)] = (value, length * 4, deepest)
    return entry


def _depth(cache: dict[int, tuple[Any, int, int]], level: int, value: Any) -> int:
    """An upper bound of ``value``'s depth: containers walked as :func:`_bound` walks them,
    others bounded by the brackets in their text (measured once, kept in ``cache``)."""
    kind = type(value)
    if kind is dict:
        if level == 0 or (len(value) <= _SMALL and level < _SMALL):
            deepest = 0
            for member in value.values():
                if type(member) is dict or type(member) is list:
                    inner = _depth(cache, level + 1, member)
                    if inner > deepest:
                        deepest = inner
            return deepest + 1
    elif kind is list:
        if len(value) <= _SMALL and level < _SMALL:
            deepest = 0
            for member in value:
                if type(member) is dict or type(member) is list:
                    inner = _depth(cache, level + 1, member)
                    if inner > deepest:
                        deepest = inner
            return deepest + 1
    elif isinstance(value, (dict, list, tuple)):
        return json_depth(value, MAX_DEPTH)
    else:
        return 0
    hit = cache.get(id(value))
    if hit is None or hit[0] is not value:
        hit = _encode(value, cache)
    return hit[2]
