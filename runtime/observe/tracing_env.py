"""Whether OpenTelemetry tracing is asked for (``OTEL_TRACES_EXPORTER``), and turning it on.

Light on purpose: the commands import this module, and :mod:`runtime.observe.tracing` (and
OpenTelemetry) only when tracing is on. See docs/tracing.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

INSTALL = "pip install 'asl-engine[otel]'"


class TracingError(ValueError):
    """Tracing is asked for but cannot be set up (a missing package, an unknown exporter)."""


def requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``OTEL_TRACES_EXPORTER`` asks for traces (set, and not ``none``)."""
    env = os.environ if environ is None else environ
    names = [n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",")]
    return any(n and n != "none" for n in names)


def start(store: Any = None, *, celery_worker: bool = False) -> Callable[[], None] | None:
    """Turn tracing on when asked for (see :func:`runtime.observe.tracing.enable`); returns
    the function that turns it off, or None when not asked. Raises :class:`TracingError`."""
    if not requested():
        return None
    try:
        from runtime.observe import tracing
    except ImportError as exc:
        raise TracingError(
            f"OTEL_TRACES_EXPORTER={os.environ['OTEL_TRACES_EXPORTER']} asks for traces, but "
            f"OpenTelemetry is not installed ({exc.name or exc}): {INSTALL}, or unset "
            "OTEL_TRACES_EXPORTER"
        ) from None
    return tracing.enable(store, celery_worker=celery_worker)
