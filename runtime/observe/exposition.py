"""Where :class:`~runtime.observe.metrics.Metrics` are read: a text body for ``asl serve``'s
``GET /metrics``, a port of their own (``--metrics-port``), and the shared files of a process
that forks workers (Celery's prefork pool: prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from runtime.observe.metrics import PREFIX, Lookup, Metrics, machine_arn_of
from runtime.stores.base import RUNNING, ExecutionRecord

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def exposition(registry: Any) -> tuple[bytes, bytes]:
    """``(content type, body)`` of the registry in the Prometheus text format."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return CONTENT_TYPE_LATEST.encode(), generate_latest(registry)


class OpenExecutions:
    """``stepfunctions_OpenExecutionCount{state_machine_arn}``: the RUNNING top-level executions
    of the stores, counted when scraped (Distributed Map children are not listed)."""

    def __init__(self, *lists: Callable[[], Iterable[ExecutionRecord]]) -> None:
        self.lists = lists

    def describe(self) -> list[Any]:
        return [self._family({})]

    def collect(self) -> Iterator[Any]:
        tally: Tally[str] = Tally()
        for listing in self.lists:
            tally.update(machine_arn_of(r.execution_arn) for r in listing())
        yield self._family(tally)

    def _family(self, tally: dict[str, int]) -> Any:
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily(
            PREFIX + "OpenExecutionCount",
            "AWS/Usage OpenExecutionCountPerStateMachine: RUNNING executions, from the store",
            labels=["state_machine_arn"],
        )
        for machine, count in sorted(tally.items()):
            family.add_metric([machine], count)
        return family


def running(store: Any) -> Callable[[], Iterable[ExecutionRecord]]:
    """A store's RUNNING executions, for :class:`OpenExecutions`."""
    return lambda: store.list(status=RUNNING)


def serving_metrics(lookup: Lookup, *stores: Any) -> Metrics:
    """A server's metrics: the observer's families and the stores' open executions."""
    metrics = Metrics(lookup=lookup)
    metrics.registry.register(OpenExecutions(*(running(s) for s in stores)))
    return metrics


def serve_metrics(
    store: Any, express: Any, address: str | None = None, default_host: str = "127.0.0.1"
) -> tuple[Callable[[], tuple[bytes, bytes]] | None, Callable[[], None]]:
    """``asl serve``'s metrics, observing from now on: ``(what GET /metrics answers, stop)``;
    with ``address`` (``[HOST:]PORT``) they are served there instead, and the first is None.
    ValueError or OSError for an address that cannot be used."""
    from runtime.drivers.observers import add_observer

    metrics = serving_metrics(store, store, express)
    server = None
    if address is not None:
        server, _ = listen(address, metrics.registry, default_host)
    remove = add_observer(metrics)

    def stop() -> None:
        remove()
        if server is not None:
            server.shutdown()
            server.server_close()

    if server is not None:
        return None, stop
    return lambda: exposition(metrics.registry), stop


def multiprocess(directory: str | None = None) -> str:
    """Switch prometheus_client to multiprocess mode (before any metric is made): values go to
    files under ``directory`` (else ``$PROMETHEUS_MULTIPROC_DIR``, else a new temporary
    directory), one per process, so the processes a worker forks count where it can read them."""
    from prometheus_client import values

    directory = directory or os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="asl-prom-")
    os.makedirs(directory, exist_ok=True)
    os.environ[MULTIPROC_ENV] = directory
    values.ValueClass = values.MultiProcessValue()
    return directory


def multiprocess_registry(directory: str) -> Any:
    """A registry that reads every process's values under ``directory``."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    return registry


def listen(address: str, registry: Any, default_host: str = "127.0.0.1") -> tuple[Any, Any]:
    """Serve ``registry`` on ``[HOST:]PORT`` from a daemon thread: ``(server, thread)``;
    ValueError for a malformed address, OSError if it cannot be bound."""
    from prometheus_client import start_http_server

    host, port = parse_address(address, default_host)
    return start_http_server(port, host, registry=registry)


def parse_address(address: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """``(host, port)`` of ``PORT``, ``HOST:PORT`` or ``[V6]:PORT``; ValueError otherwise."""
    host, sep, port = address.rpartition(":")
    host = host.strip("[]") if sep else default_host
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535 or (sep and not host):
        raise ValueError(f"expected PORT or HOST:PORT (a port 0-65535), got {address!r}")
    return host, number


class StoreLookup:
    """A store opened by ``opener`` on first use in each process (a forked worker must not
    share its parent's connection), for :class:`Metrics`' look-ups."""

    def __init__(self, opener: Callable[[], Any]) -> None:
        self.opener = opener
        self._pid = -1
        self._store: Any = None

    def _current(self) -> Any:
        if self._pid != os.getpid():
            self._store, self._pid = self.opener(), os.getpid()
        return self._store

    def get(self, execution_id: str) -> ExecutionRecord:
        return self._current().get(execution_id)

    def events(self, execution_arn: str) -> list[Any]:
        return self._current().events(execution_arn)


def worker_metrics(address: str, store_url: str | None = None) -> Callable[[], None]:
    """``asl worker --metrics-port``: observe in this process and the processes it forks from
    now on (multiprocess mode), serve their sum on ``[HOST:]PORT``; returns the function that
    stops. ``store_url``: the fleet's store, read for times begun in another process. Call it
    before the worker forks. ValueError or OSError for an address that cannot be used."""
    import shutil

    from runtime.drivers.observers import add_observer
    from runtime.stores import open_store

    parse_address(address)
    own = not os.environ.get(MULTIPROC_ENV)
    directory = multiprocess()
    try:
        server, _ = listen(address, multiprocess_registry(directory))
    except OSError:
        if own:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    lookup = StoreLookup(lambda: open_store(store_url)) if store_url else None
    remove = add_observer(Metrics(lookup=lookup))

    def stop() -> None:
        remove()
        server.shutdown()
        server.server_close()
        if own:
            shutil.rmtree(directory, ignore_errors=True)

    return stop
