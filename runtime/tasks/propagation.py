"""Trace context for a task attempt's messages and calls (see docs/tracing.md).

Tracing (:mod:`runtime.observe.tracing`) registers a *provider*: given a task request, the
OpenTelemetry context whose current span is that attempt's span. The dispatchers then put it in
what they send (a Celery message's headers, an HTTP Task's request, a Lambda call: W3C
``traceparent`` through ``opentelemetry.propagate``), and the dispatcher runs each attempt with it
attached, so user code and AWS calls made in the attempt join the trace. With tracing off nothing
is registered: each use costs one check, and OpenTelemetry is never imported.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from runtime.core.interpreter import TaskRequest

Provider = Callable[[TaskRequest], Any]
"""A task request -> the OpenTelemetry ``Context`` of its attempt's span (None: not traced)."""

_provider: Provider | None = None


def set_provider(provider: Provider | None) -> Callable[[], None]:
    """Register ``provider`` (None: none); returns the function that removes it."""
    global _provider
    _provider = provider

    def remove() -> None:
        global _provider
        if _provider is provider:
            _provider = None

    return remove


def active() -> bool:
    """Whether tracing is on (a provider is registered)."""
    return _provider is not None


def inject(request: TaskRequest, carrier: MutableMapping[str, Any]) -> None:
    """Put the attempt's trace context (``traceparent``...) in ``carrier``: message headers or
    HTTP headers. Nothing when tracing is off."""
    provider = _provider
    if provider is None:
        return
    context = provider(request)
    if context is not None:
        from opentelemetry import propagate

        propagate.inject(carrier, context=context)


def inject_current(carrier: MutableMapping[str, Any]) -> None:
    """Put the current trace context in ``carrier`` (an AWS call made inside an attempt)."""
    if _provider is None:
        return
    from opentelemetry import propagate

    propagate.inject(carrier)


@contextlib.contextmanager
def attached(request: TaskRequest) -> Iterator[None]:
    """Run the block with the attempt's span as the current span (nothing when tracing is
    off)."""
    provider = _provider
    context = provider(request) if provider is not None else None
    if context is None:
        yield
        return
    from opentelemetry import context as otel_context

    token = otel_context.attach(context)
    try:
        yield
    finally:
        otel_context.detach(token)
