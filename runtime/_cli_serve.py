"""``asl serve``: a Step Functions–compatible endpoint (AWS JSON 1.0) for boto3 and the AWS CLI.

Listens on 127.0.0.1:8083 by default (loopback: there is no authentication). State machines and
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

from runtime._cli_run import (
    EXIT_OK,
    UsageError,
    _absolute_file,
    _pairs,
    add_store_option,
    add_task_options,
    guarded,
)

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


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
    parser.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    """``asl serve``: returns the exit status."""
    return guarded("serve", lambda: _serve(args))


def _serve(args: argparse.Namespace) -> int:
    from runtime.serve import Server, Service
    from runtime.serve.http import MAX_REQUEST_BYTES
    from runtime.serve.service import release_thread_caches
    from runtime.store import open_store, store_location

    lambdas = {
        k: _absolute_file(v)
        for k, v in _pairs(args.lambdas, "--lambda", "NAME=MODULE:FUNCTION").items()
    }
    bindings = _pairs(args.bind, "--bind", "RESOURCE=TARGET")
    if args.host not in _LOOPBACK:
        print(
            f"asl serve: warning: listening on {args.host}: anyone who can reach it can run "
            "your state machines (there is no authentication)",
            file=sys.stderr,
        )
    location = args.store or os.environ.get("ASL_STORE") or None
    store = open_store(args.store)
    service = Service(
        store,
        location=location,
        lambdas=lambdas,
        bindings=bindings,
        time_skip=args.time_skip,
    )
    service.dispatch()  # a bad --lambda or --bind fails here, before listening
    try:
        server = Server(
            service,
            args.host,
            args.port,
            max_request_bytes=args.max_request_bytes or MAX_REQUEST_BYTES,
            verbose=args.verbose,
        )
    except OSError as exc:
        service.close()
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: threading.Thread(target=server.shutdown).start())
    print(
        f"asl serve: listening on {server.url} (store: {store_location(args.store)})",
        file=sys.stderr,
        flush=True,
    )
    server.serve_forever()
    release_thread_caches()
    print("asl serve: stopped", file=sys.stderr, flush=True)
    return EXIT_OK
