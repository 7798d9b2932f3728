"""Type aliases shared across the language package."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

JSON = Any
"""Any JSON value: dict, list, str, int, float, bool or None."""

Variables = Mapping[str, JSON]
"""Workflow variables visible to an expression (name -> value)."""

Getter = Callable[[JSON, JSON, Variables], JSON]
"""A compiled JSONPath / reference path / intrinsic / template: ``fn(data, context, variables)``.

``data`` is the value ``$`` refers to, ``context`` the context object ``$$``, ``variables`` the
workflow variables (``$name``). Raises :class:`asl.StatesError` on failure.
"""

Setter = Callable[[JSON, JSON], JSON]
"""A compiled ResultPath: ``fn(state_input, result) -> new value`` (never mutates its arguments)."""

Predicate = Callable[[JSON, JSON, Variables], bool]
"""A compiled Choice rule: ``fn(data, context, variables) -> bool``."""

JsonataEvaluator = Callable[[Mapping[str, JSON], Variables], JSON]
"""A compiled JSONata expression: ``fn(states, variables)``; ``states`` is ``$states``."""
