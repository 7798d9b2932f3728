"""``asl run``: start an execution of a definition file and print how it ended.

Exit codes: 0 SUCCEEDED; 1 FAILED, TIMED_OUT or ABORTED (error and cause on stderr); 2 a usage
error, an unreadable or invalid definition, invalid input JSON, bad task options or a store
problem. Imports stay inside functions so that ``asl`` starts fast. See docs/cli-run.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from typing import IO, Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or input; the CLI prints the message and exits 2."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``asl run``."""
    parser = subparsers.add_parser(
        "run",
        help="run a state machine and print its output",
        description="Run an Amazon States Language state machine locally and print its output. "
        "Standard executions are recorded in a SQLite store (resume, redrive, history).",
        epilog="Exit status: 0 SUCCEEDED, 1 FAILED/TIMED_OUT/ABORTED, 2 usage error, invalid "
        "definition or input, or a store problem.",
    )
    parser.add_argument(
        "file",
        metavar="FILE",
        help="the definition (JSON or YAML), or a CloudFormation/SAM template",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--input", metavar="JSON", help="the execution input as JSON text")
    source.add_argument(
        "--input-file", metavar="F", help="read the input JSON from a file ('-': stdin)"
    )
    parser.add_argument("--name", metavar="N", help="the execution name (default: a UUID)")
    parser.add_argument(
        "--express", action="store_true", help="run as an Express execution (kept in memory)"
    )
    parser.add_argument(
        "--time-skip",
        action="store_true",
        help="virtual clock: Wait and Retry delays pass instantly, timestamps advance as if not",
    )
    parser.add_argument(
        "--format",
        choices=("output", "json"),
        default="output",
        help="print the output JSON (default) or the execution summary as JSON",
    )
    add_task_options(parser)
    from runtime.cli.template import add_options as add_template_options

    add_template_options(parser)
    add_store_option(parser)
    parser.add_argument(
        "--log", metavar="FILE", help="Express: append every event to FILE as JSON Lines"
    )
    parser.add_argument(
        "--detach",
        action="store_true",
        help="submit the execution to the fleet (asl worker --store) and print its ARN without "
        "waiting; needs a Redis store (--store redis://... or $ASL_STORE)",
    )
    parser.set_defaults(func=run)


def add_task_options(parser: argparse.ArgumentParser, *, mocks: bool = True) -> None:
    """``--lambda``, ``--bind``, ``--aws`` and, with ``mocks``, ``--mock-config`` and
    ``--test-case``."""
    parser.add_argument(
        "--lambda",
        dest="lambdas",
        action="append",
        default=[],
        metavar="NAME=MODULE:FUNCTION",
        help="run the Lambda function NAME (or ARN) as a local Python handler (repeatable)",
    )
    parser.add_argument(
        "--bind",
        action="append",
        default=[],
        metavar="RESOURCE=TARGET",
        help="send a Task resource to a local target instead (repeatable)",
    )
    add_aws_option(parser)
    if mocks:
        parser.add_argument("--mock-config", metavar="F", help="a Step Functions Local mock file")
        parser.add_argument("--test-case", metavar="N", help="the test case of --mock-config")


def add_aws_option(parser: argparse.ArgumentParser) -> None:
    """``--aws MODE``: where AWS service calls (and Lambda functions without a handler) go."""
    parser.add_argument(
        "--aws",
        choices=("off", "moto", "aws"),
        metavar="MODE",
        help="where AWS service calls go: off (none: bind or mock them), moto (an embedded AWS "
        "in this process) or aws (boto3's configuration: real AWS, or AWS_ENDPOINT_URL); "
        "default $ASL_AWS, else off. See docs/aws-services.md",
    )


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """``--store``."""
    parser.add_argument(
        "--store",
        metavar="PATH|URL",
        help="the store: an SQLite file or a redis:// URL "
        "(default: $ASL_STORE, else ./.asl/executions.sqlite3)",
    )


def run(args: argparse.Namespace) -> int:
    """``asl run``: returns the exit status."""
    return guarded("run", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from runtime.cli.template import from_template
    from runtime.drivers.run_path import Executions
    from runtime.drivers.runner import RunOptions
    from runtime.stores import MemoryStore, open_store
    from runtime.tasks.aws import resolve_mode

    definition = _read_definition(args.file)
    filename, machine_name = args.file, os.path.basename(args.file).split(".")[0] or "machine"
    template = from_template(args, definition)  # a CloudFormation/SAM template: its machine
    if template is not None:
        machine = template.machine
        definition, filename, machine_name = machine.definition, machine.filename, machine.name
        args.express = args.express or machine.type == "EXPRESS"
        args.lambdas = [*(f"{k}={v}" for k, v in template.lambdas.items()), *args.lambdas]
    options = RunOptions(
        lambdas={
            k: _absolute_file(v)
            for k, v in _pairs(args.lambdas, "--lambda", "NAME=MODULE:FUNCTION").items()
        },
        bindings=_pairs(args.bind, "--bind", "RESOURCE=TARGET"),
        mock_config=os.path.abspath(args.mock_config) if args.mock_config else None,
        test_case=args.test_case,
        time_skip=args.time_skip,
        cwd=os.getcwd(),
        aws=resolve_mode(args.aws).value,
    )
    if args.test_case and not args.mock_config:
        raise UsageError("--test-case needs --mock-config")
    if args.log and not args.express:
        raise UsageError("--log is for Express executions (add --express)")
    input_value = read_input(args.input, args.input_file)
    if args.detach:
        return _detach(args, definition, input_value, filename, machine_name, options)
    if args.express and args.log:
        from runtime.stores.jsonl import JsonlStore

        store = JsonlStore(args.log, keep_events=False)
    elif args.express:  # only the result is printed: no event stays in memory
        store = MemoryStore(keep_events=False)
    else:
        store = open_store(args.store)
    start_tracing(store)
    interrupted = True
    try:
        # What task code prints (a Lambda handler's print goes to CloudWatch Logs on AWS) goes to
        # stderr, so stdout holds only the result.
        with Progress.maybe() as progress, contextlib.redirect_stdout(sys.stderr):
            result = Executions(store, warn=warner("run")).start(
                definition,
                input_value,
                filename=filename,
                name=args.name,
                machine_name=machine_name,
                express=args.express,
                options=options,
                observer=progress,
                keep_history=False,  # (asl run prints the result, never the history)
            )
        interrupted = False
    finally:
        settle_children(suspend=interrupted)
        store.close()
    return report(result, args.format)


def _detach(
    args: argparse.Namespace,
    definition: str,
    input_value: Any,
    filename: str,
    machine_name: str,
    options: Any,
) -> int:
    """``asl run --detach``: store the execution, ask the fleet to run it, print its ARN."""
    import json

    from runtime.drivers import decider_celery
    from runtime.fleet import app as fleet_app
    from runtime.stores import open_store

    location = args.store or os.environ.get("ASL_STORE") or ""
    if not location.startswith(("redis://", "rediss://")):
        raise UsageError(
            "--detach needs the fleet's shared Redis store: --store redis://HOST:PORT/DB "
            "(or $ASL_STORE), the one `asl worker --store` serves"
        )
    if args.log:
        raise UsageError("--log is for in-process Express runs; not with --detach")
    store = open_store(location)
    start_tracing(store)
    try:
        record, created = decider_celery.submit(
            store,
            fleet_app.make_app(),
            definition,
            input_value,
            name=args.name,
            machine_name=machine_name,
            express=args.express,
            options=options,
            filename=filename,
        )
    finally:
        store.close()
    summary = {
        "executionArn": record.execution_arn,
        "name": record.name,
        "startDate": record.start_date.isoformat(),
        "status": record.status,
        "created": created,
    }
    print(json.dumps(summary))
    return EXIT_OK


def settle_children(*, suspend: bool) -> None:
    """Wait for the nested executions this process runs before their store closes; ``suspend``
    (the run was interrupted): end their runs here first, leaving them to ``asl resume``."""
    nested = sys.modules.get("runtime.drivers.nested")  # imported with the run path
    if nested is not None:
        nested.settle(suspend=suspend)


# -- shared with the execution commands ---------------------------------------------------------


def warner(command: str) -> Any:
    """A ``warn`` callback printing ``asl COMMAND: warning: ...`` on stderr."""

    def warn(message: str) -> None:
        print(f"asl {command}: warning: {message}", file=sys.stderr)

    return warn


def start_tracing(store: Any = None, *, celery_worker: bool = False) -> None:
    """OpenTelemetry traces when ``OTEL_TRACES_EXPORTER`` asks for them (docs/tracing.md);
    UsageError when they cannot be made (a missing package, an unknown exporter)."""
    from runtime.observe.tracing_env import TracingError, start

    try:
        start(store, celery_worker=celery_worker)
    except TracingError as exc:
        raise UsageError(str(exc))


def guarded(command: str, body: Any) -> int:
    """Run ``body()``; print expected failures as ``asl COMMAND: message`` and return 2."""
    import asl
    from runtime.drivers.execution import NondeterminismError
    from runtime.drivers.runner import RunError
    from runtime.stores import StoreError

    try:
        return body()
    except asl.DefinitionError as exc:
        for d in exc.diagnostics:
            print(
                f"{exc.filename}:{d.line or 1}:{d.column or 1}: {d.code} {d.message}",
                file=sys.stderr,
            )
        print(f"asl {command}: invalid definition", file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, RunError, StoreError) as exc:
        print(f"asl {command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NondeterminismError as exc:
        print(f"asl {command}: cannot replay the stored history: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        tasks = sys.modules.get("runtime.tasks")  # imported only by commands that run tasks
        if tasks is None or not isinstance(exc, tasks.ConfigurationError):
            raise
        print(f"asl {command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


def report(result: Any, fmt: str) -> int:
    """Print an ExecutionResult as ``asl run`` does; return its exit status."""
    import json

    if fmt == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    elif result.status == "SUCCEEDED":
        print(json.dumps(result.output, ensure_ascii=False))
    if result.status == "SUCCEEDED":
        return EXIT_OK
    text = f"asl: execution {result.name} {result.status}"
    if result.error:
        text += f": {result.error}"
    if result.cause:
        text += f": {result.cause}"
    print(text, file=sys.stderr)
    return EXIT_FAILED


def read_input(text: str | None, path: str | None) -> Any:
    """The execution input from ``--input``, ``--input-file`` or stdin (``{}`` when none)."""
    if text is not None:
        return _parse_json(text, "--input")
    if path is not None:
        if path == "-":
            return _parse_json(sys.stdin.read(), "stdin")
        try:
            with open(path, encoding="utf-8-sig") as handle:
                data = handle.read()
        except OSError as exc:
            raise UsageError(f"cannot read --input-file {path}: {exc.strerror or exc}")
        except UnicodeDecodeError:
            raise UsageError(f"--input-file {path} is not UTF-8 text")
        return _parse_json(data, path)
    stdin = sys.stdin
    if stdin is None or stdin.closed or stdin.isatty():
        return {}
    data = stdin.read()
    return _parse_json(data, "stdin") if data.strip() else {}


def _parse_json(text: str, origin: str) -> Any:
    from runtime.core import jsontext

    try:
        return jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        raise UsageError(f"invalid input JSON ({origin}): {exc}") from None


def _read_definition(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file")
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a definition file")
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read: {exc.strerror or exc}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start})")


def _pairs(items: list[str], flag: str, form: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"{flag} expects {form}, got {item!r}")
        pairs[key] = value
    return pairs


def _absolute_file(spec: str) -> str:
    """``path/to/file.py:fn`` made absolute, so a resume from elsewhere finds the file."""
    module, sep, attr = spec.rpartition(":")
    if sep and (module.endswith(".py") or "/" in module or os.sep in module):
        return f"{os.path.abspath(module)}:{attr}"
    return spec


# -- progress on a terminal -----------------------------------------------------------------------


class Progress:
    """The current state and Map progress on one stderr line, redrawn at most 10 times a second.

    The driver's sink calls it per event (cheap: it only notes what happened); a daemon thread
    draws, after a short delay so quick runs print nothing.
    """

    INTERVAL = 0.1
    DELAY = 0.5

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.events = 0
        self.state: str | None = None
        self.maps: dict[str, tuple[str, list[int]]] = {}  # frame -> (Map name, [done, total])
        self._entered: dict[str, str] = {}  # frame -> the state it last entered
        self._drawn = False
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="asl-progress", daemon=True)

    @classmethod
    def maybe(cls) -> Progress | _NoProgress:
        """A Progress when stderr is a terminal, else a do-nothing stand-in."""
        stream = sys.stderr
        if stream is not None and stream.isatty() and os.environ.get("TERM") != "dumb":
            return cls(stream)
        return _NoProgress()

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        with self._lock:
            if self._drawn:
                self.stream.write("\r\x1b[K")
                self.stream.flush()

    def __call__(self, event: Any) -> None:
        self.events += 1
        kind, details = event.type, event.details or {}
        if kind.endswith("StateEntered"):
            self.state = self._entered[event.frame] = details.get("name", "")
        elif kind == "MapStateStarted":
            name = self._entered.get(event.frame, "")
            self.maps[event.frame] = (name, [0, int(details.get("length", 0))])
        elif kind.startswith("MapIteration") and kind != "MapIterationStarted":
            entry = self.maps.get(event.frame)
            if entry is not None:
                entry[1][0] += 1
        elif kind.startswith("MapState") and kind != "MapStateEntered":
            self.maps.pop(event.frame, None)

    def line(self) -> str:
        text = f"{time.monotonic() - self.started:6.1f}s  {self.events} events"
        if self.state:
            text += f"  state {self.state}"
        if self.maps:
            name, (done, total) = list(self.maps.values())[-1]
            text += f"  map {name} {done}/{total}"
        return text

    def _loop(self) -> None:
        if self._stop.wait(self.DELAY):
            return
        while not self._stop.is_set():
            width = _columns() - 1
            with self._lock:
                self.stream.write("\r\x1b[K" + self.line()[:width])
                self.stream.flush()
                self._drawn = True
            self._stop.wait(self.INTERVAL)


class _NoProgress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        pass


def _columns() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns or 80
    except (OSError, ValueError):
        return 80
