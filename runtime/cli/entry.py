"""The ``asl`` command: a thin dispatcher over one module per subcommand.

Each subcommand module exposes ``add_parser(subparsers)`` (which registers its arguments and sets
``func``) and is listed in ``_COMMANDS``. Exit codes: 0 success, 1 the checked thing failed
(invalid definition, failed execution), 2 usage error or unreadable input.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

_COMMANDS = (
    "runtime.cli.validate",
    "runtime.cli.run",
    "runtime.cli.executions",
    "runtime.cli.worker",
    "runtime.cli.serve",
    "runtime.cli.task",
    "runtime.cli.test_state",
    "runtime.cli.schedule",
    "runtime.cli.graph",
)

# Which module registers each subcommand, so that a command imports only its own module.
_MODULE_OF = {
    "validate": "runtime.cli.validate",
    "run": "runtime.cli.run",
    "executions": "runtime.cli.executions",
    "describe": "runtime.cli.executions",
    "history": "runtime.cli.executions",
    "resume": "runtime.cli.executions",
    "redrive": "runtime.cli.executions",
    "stop": "runtime.cli.executions",
    "prune": "runtime.cli.executions",
    "schedule": "runtime.cli.schedule",
    "graph": "runtime.cli.graph",
    "worker": "runtime.cli.worker",
    "serve": "runtime.cli.serve",
    "task": "runtime.cli.task",
    "test-state": "runtime.cli.test_state",
}


def version() -> str:
    """The installed asl-engine's version, from the package metadata."""
    from importlib import metadata

    try:
        return metadata.version("asl-engine")
    except metadata.PackageNotFoundError:
        return "unknown (not installed as a package: pip install -e .)"


class _Version(argparse.Action):
    """``--version``: print ``asl-engine <version>`` on stdout and exit 0 (metadata read lazily)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"asl-engine {version()}")
        parser.exit(EXIT_OK)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2 with a hint, never a traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(
    command: str | None = None, *, subcommands: bool = True
) -> argparse.ArgumentParser:
    """The argument parser: with ``command``, only that subcommand's module is imported; with
    ``subcommands=False``, none."""
    parser = _Parser(prog="asl", description="Validate and run Amazon States Language machines.")
    parser.add_argument("--version", action=_Version, help="print asl-engine's version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    only = _MODULE_OF.get(command) if command else None
    for name in (only,) if only else _COMMANDS if subcommands else ():
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``asl`` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(first, subcommands=first is not None or "--version" not in args_list)
    args = parser.parse_args(args_list)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from runtime.drivers import verdicts as _verdicts

    _verdicts.enabled = True  # an unchanged definition is not validated again (see _verdicts)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("asl: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    finally:
        _verdicts.enabled = False


if __name__ == "__main__":
    sys.exit(main())
