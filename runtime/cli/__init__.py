"""Every ``asl`` command: argument parsing, output and exit codes. The only layer that prints.

The parser and dispatch live in :mod:`runtime.cli.entry` (not ``main``: a submodule of that name
would replace this function as the package's ``main`` once imported).
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``asl`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    from runtime.cli.entry import main as run

    return run(argv)


__all__ = ["main"]
