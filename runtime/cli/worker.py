"""``asl worker``: serve ``celery:`` tasks from a Celery worker fleet over Redis.

Exit codes: 0 the worker stopped normally; 2 a usage error, a task module that cannot be
imported, or Celery not installed. See docs/fleet.md.
"""

from __future__ import annotations

import argparse
import os
import sys

EXIT_USAGE = 2


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``asl worker``."""
    parser = subparsers.add_parser(
        "worker",
        help="run a Celery worker serving celery: tasks",
        description="Start a Celery worker that runs the tasks of the given modules for "
        'Task states with "Resource": "celery:TASK". Broker: --broker, else $ASL_BROKER_URL, '
        "else redis://127.0.0.1:6379/0.",
        epilog="Exit status: 0 stopped normally, 2 usage error or a task module that cannot "
        "be imported.",
    )
    parser.add_argument(
        "--tasks",
        nargs="+",
        action="extend",
        default=[],
        metavar="MODULE",
        help="import these modules; their runtime.task functions and Celery tasks are served",
    )
    parser.add_argument("--broker", metavar="URL", help="the Redis broker URL")
    parser.add_argument(
        "--store",
        metavar="URL",
        default=os.environ.get("ASL_STORE"),
        help="the executions' shared Redis store (default: $ASL_STORE): with one, this worker "
        "also takes decisions and task attempts of executions on the fleet (asl run --detach)",
    )
    parser.add_argument(
        "--no-scheduler",
        action="store_true",
        help="with --store, do not compete for firing the store's schedules (by default one "
        "process of the fleet, the lease holder, fires them)",
    )
    parser.add_argument(
        "--concurrency", type=_positive, metavar="N", help="worker processes (default: CPUs)"
    )
    parser.add_argument(
        "--queues",
        type=_queues,
        default=[],
        metavar="Q,...",
        help="the queues to serve, comma-separated (default: celery)",
    )
    parser.add_argument(
        "-n", "--hostname", metavar="NAME", help="the node name (default: asl-PID@HOST)"
    )
    parser.add_argument(
        "--loglevel",
        default="WARNING",
        type=str.upper,
        choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
        help="log level (default: WARNING)",
    )
    parser.add_argument(
        "--pool",
        default="prefork",
        choices=("prefork", "threads", "solo"),
        help="how tasks run: child processes (default), threads, or in the worker process",
    )
    parser.add_argument(
        "--prefix", metavar="P", help="key prefix in Redis (default: $ASL_FLEET_PREFIX, none)"
    )
    parser.add_argument(
        "--visibility-timeout",
        type=float,
        metavar="SECONDS",
        help="redeliver unacknowledged messages after this long; must exceed the longest task "
        "(default: $ASL_VISIBILITY_TIMEOUT, else 21600)",
    )
    parser.add_argument(
        "--metrics-port",
        metavar="[HOST:]PORT",
        help="serve this worker's Prometheus metrics (its processes' sum) on this port "
        "(HOST: 127.0.0.1); see docs/metrics.md",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``asl worker``: returns the exit status."""
    try:
        from runtime.fleet import worker
    except ModuleNotFoundError as exc:
        if exc.name not in ("celery", "kombu", "redis"):
            raise
        return _fail(f"needs {exc.name}: pip install 'celery[redis]'")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # task modules import from here, as with python -m
    options = worker.WorkerOptions(
        tasks=args.tasks,
        broker=args.broker,
        concurrency=args.concurrency,
        queues=args.queues,
        hostname=args.hostname,
        loglevel=args.loglevel,
        pool=args.pool,
        prefix=args.prefix,
        visibility_timeout=args.visibility_timeout,
    )
    configure = None
    if args.store:
        if not args.store.startswith(("redis://", "rediss://")):
            return _fail(f"--store {args.store}: the fleet's store must be Redis (redis://...)")
        try:
            configure = _decider(args)
        except ValueError as exc:
            return _fail(str(exc))
    from runtime.cli.run import UsageError, start_tracing

    try:  # OpenTelemetry traces when OTEL_TRACES_EXPORTER asks (docs/tracing.md)
        start_tracing(args.store, celery_worker=True)
    except UsageError as exc:
        return _fail(str(exc))
    stop_metrics = None
    if args.metrics_port:
        from runtime.observe.exposition import worker_metrics

        try:  # before the pool forks: its processes count into shared files
            stop_metrics = worker_metrics(args.metrics_port, args.store)
        except (ValueError, OSError) as exc:
            return _fail(f"--metrics-port {args.metrics_port}: {exc}")
    try:
        return worker.run(options, configure)
    except worker.ConfigurationError as exc:
        return _fail(str(exc))
    finally:
        if stop_metrics is not None:
            stop_metrics()


def _decider(args: argparse.Namespace):
    """Register the decider's tasks and start the timer sweeper and the scheduler (see
    docs/architecture.md); ValueError for a malformed $ASL_SCHEDULER_CLOCK."""
    from runtime.drivers import decider_celery
    from runtime.fleet import app as fleet_app
    from runtime.schedules.firing import clock_from_env

    broker = fleet_app.broker_url(args.broker)
    prefix = fleet_app.key_prefix(args.prefix)
    clock = None if args.no_scheduler else clock_from_env()

    def configure(app):
        decider_celery.register(app, args.store, broker, prefix)
        decider_celery.Sweeper(app, broker, prefix).start()
        if clock is not None:
            _scheduler(app, args.store, clock)
        return decider_celery.QUEUES

    return configure


def _scheduler(app, store_url: str, clock) -> None:
    """Compete for the store's scheduler lease from this (main) process; the lease is given up
    as soon as the worker begins to shut down (not after its running tasks end)."""
    import threading
    import uuid

    from celery import signals

    from runtime.schedules.firing import Scheduler
    from runtime.schedules.starters import StoreStarter, fleet_launcher
    from runtime.stores import open_store
    from runtime.stores.base import lease_owner

    store = open_store(store_url)
    scheduler = Scheduler(
        store,
        StoreStarter(store, launch=fleet_launcher(app, store)),
        owner=f"{lease_owner()}:worker:{uuid.uuid4().hex[:8]}",
        clock=clock,
        log=lambda message: print(f"asl worker: {message}", file=sys.__stderr__, flush=True),
    )
    scheduler.start()
    once = threading.Lock()  # one stop at a time; the last waits for the first to release

    def stop(**_: object) -> None:
        with once:
            scheduler.stop()

    # worker_shutting_down comes from the signal handler (SIGTERM, SIGINT): stop on a thread
    signals.worker_shutting_down.connect(
        lambda **_: threading.Thread(target=stop, name="asl-scheduler-stop", daemon=True).start(),
        weak=False,
    )
    signals.worker_shutdown.connect(stop, weak=False)


def _fail(message: str) -> int:
    print(f"asl worker: {message}", file=sys.stderr)
    return EXIT_USAGE


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _queues(text: str) -> list[str]:
    queues = [q.strip() for q in text.split(",") if q.strip()]
    if not queues:
        raise argparse.ArgumentTypeError("expected queue names separated by commas")
    return queues
