"""``asl serve``: a Step Functions–compatible endpoint (AWS JSON 1.0) for boto3 and the AWS CLI.

Listens on 127.0.0.1:8083 by default (loopback, Host header checked; clients may not run local
code unless the operator allows it; SigV4 checked when credentials are given, required off
loopback). State machines and
Standard executions live in the store (``--store``, else ``$ASL_STORE``, else
./.asl/executions.sqlite3); a restarted server resumes the executions it left running.
Exit codes: 0 stopped by a signal, 2 a usage error or a store/port that cannot be opened.
See docs/serve.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from runtime.cli.run import (
    EXIT_OK,
    UsageError,
    _absolute_file,
    _pairs,
    add_store_option,
    add_task_options,
    guarded,
    start_tracing,
)

ENV_KEY = "ASL_SERVE_ACCESS_KEY_ID"  # as runtime.serve.sigv4 reads them (not imported here:
ENV_SECRET = "ASL_SERVE_SECRET_ACCESS_KEY"  # `asl --help` stays fast)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``asl serve``."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the Step Functions API locally (boto3, AWS CLI)",
        description="Serve the AWS Step Functions API (JSON 1.0 protocol) on HOST:PORT, backed "
        "by the local engine. Point boto3 or the AWS CLI at it with --endpoint-url.",
        epilog="Exit status: 0 stopped by a signal, 2 usage error or a store or port that "
        "cannot be opened. See docs/serve.md.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8083, help="port to listen on (8083; 0: any)")
    add_store_option(parser)
    add_task_options(parser, mocks=False)
    parser.add_argument(
        "--time-skip",
        action="store_true",
        help="virtual clocks: Wait and Retry delays pass instantly",
    )
    parser.add_argument(
        "--max-request-bytes",
        type=int,
        default=None,
        metavar="N",
        help="refuse request bodies larger than N bytes with 413 (default 2 MiB)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="with a Redis store, run Standard executions in this server as with SQLite, "
        "instead of handing them to the fleet's deciders (asl worker --store)",
    )
    parser.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not fire schedules from this server (by default it fires the store's "
        "schedules, or on a Redis store competes for that with the fleet; see docs/schedules.md)",
    )
    parser.add_argument(
        "--no-metrics", action="store_true", help="do not serve Prometheus metrics at /metrics"
    )
    parser.add_argument(
        "--metrics-port",
        metavar="[HOST:]PORT",
        help="serve the metrics on this port (HOST: --host's) instead of at /metrics; see "
        "docs/metrics.md",
    )
    code = parser.add_argument_group(
        "local code", "what clients may run on this machine (default: nothing but --lambda/--bind)"
    )
    code.add_argument(
        "--allow-python",
        action="append",
        default=[],
        metavar="MODULE",
        help="let python:MODULE... resources run (a module or package prefix; repeatable)",
    )
    code.add_argument(
        "--allow-program",
        action="append",
        default=[],
        metavar="PATH",
        help="let program:run tasks start this executable (repeatable)",
    )
    code.add_argument(
        "--allow-local-code",
        action="store_true",
        help="let every python: and program: resource run (a single trusted user only)",
    )
    access = parser.add_argument_group("access", "who may call the API (see docs/serve.md)")
    access.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests whose Host header is NAME ('*': any; repeatable)",
    )
    access.add_argument(
        "--credentials",
        metavar="FILE",
        help="require SigV4-signed requests with the keys of this AWS credentials file "
        f"(else ${ENV_KEY} and ${ENV_SECRET}, when set)",
    )
    access.add_argument(
        "--console-actions",
        action="store_true",
        help="let the web console at / stop, redrive and start executions and answer tasks "
        "(by default it only reads; boto3 and other clients are not affected)",
    )
    access.add_argument(
        "--insecure",
        action="store_true",
        help="listen on a non-loopback address without credentials (anyone who reaches it "
        "can use the API)",
    )
    parser.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    """``asl serve``: returns the exit status."""
    return guarded("serve", lambda: _serve(args))


def _serve(args: argparse.Namespace) -> int:
    from runtime.serve import Server, Service
    from runtime.serve.hosts import is_loopback
    from runtime.serve.http import MAX_REQUEST_BYTES
    from runtime.serve.policy import CodePolicy
    from runtime.serve.service import release_thread_caches
    from runtime.serve.sigv4 import load_credentials
    from runtime.stores import open_store, store_location
    from runtime.tasks.aws import resolve_mode

    lambdas = {
        k: _absolute_file(v)
        for k, v in _pairs(args.lambdas, "--lambda", "NAME=MODULE:FUNCTION").items()
    }
    bindings = _pairs(args.bind, "--bind", "RESOURCE=TARGET")
    try:
        policy = CodePolicy.build(
            python=args.allow_python, programs=args.allow_program, local_code=args.allow_local_code
        )
        credentials = load_credentials(args.credentials)
    except ValueError as exc:
        raise UsageError(str(exc))
    if not is_loopback(args.host) and not credentials:
        if not args.insecure:
            raise UsageError(
                f"--host {args.host} is not a loopback address: give credentials "
                f"(--credentials FILE, or ${ENV_KEY} and ${ENV_SECRET}) so only their holders "
                "can call the API, or pass --insecure to let anyone who reaches it"
            )
        print(
            f"asl serve: warning: listening on {args.host} without credentials: anyone who "
            "can reach it can use the API",
            file=sys.stderr,
        )
    location = args.store or os.environ.get("ASL_STORE") or None
    schedules = None if args.no_scheduler else _scheduler_settings()
    aws = resolve_mode(args.aws)
    store = open_store(args.store)
    fleet = None
    if (location or "").startswith(("redis://", "rediss://")) and not args.in_process:
        from runtime.fleet import app as fleet_app

        fleet = fleet_app.make_app()  # Standard executions run on the fleet's deciders
    service = Service(
        store,
        lambdas=lambdas,
        bindings=bindings,
        time_skip=args.time_skip,
        policy=policy,
        aws=aws.value,
        fleet=fleet,
        schedules=schedules,
        console_actions=args.console_actions,
    )
    service.dispatch()  # a bad --lambda or --bind fails here, before listening
    start_tracing(store)
    metrics, stop_metrics = _metrics(args, store, service)
    try:
        server = Server(
            service,
            args.host,
            args.port,
            max_request_bytes=args.max_request_bytes or MAX_REQUEST_BYTES,
            verbose=args.verbose,
            allowed_hosts=args.allowed_host,
            credentials=credentials,
            metrics=metrics,
        )
    except OSError as exc:
        stop_metrics()
        service.close()
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: threading.Thread(target=server.shutdown).start())
    print(
        f"asl serve: listening on {server.url} (store: {store_location(args.store)}; "
        f"AWS calls: {aws.value}{'; executions run on the fleet' if fleet else ''}; "
        f"console: {server.url}/{'' if args.console_actions else ', read-only'})",
        file=sys.stderr,
        flush=True,
    )
    server.serve_forever()
    stop_metrics()
    release_thread_caches()
    print("asl serve: stopped", file=sys.stderr, flush=True)
    return EXIT_OK


def _metrics(args: argparse.Namespace, store: object, service: object) -> tuple[object, object]:
    """``(what GET /metrics answers, stop)`` (docs/metrics.md)."""
    if args.no_metrics:
        return None, lambda: None
    from runtime.observe.exposition import serve_metrics

    try:
        return serve_metrics(store, service.express, args.metrics_port, args.host)
    except (ValueError, OSError) as exc:
        raise UsageError(f"--metrics-port {args.metrics_port}: {exc}")


def _scheduler_settings() -> object:
    """The scheduler's settings: its clock from ``$ASL_SCHEDULER_CLOCK`` (a testing aid)."""
    from runtime.schedules.firing import clock_from_env
    from runtime.serve.schedules import SchedulerSettings

    try:
        return SchedulerSettings(clock=clock_from_env())
    except ValueError as exc:
        raise UsageError(str(exc))
