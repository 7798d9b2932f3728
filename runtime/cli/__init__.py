"""Every ``asl`` command: argument parsing, output and exit codes. The only layer that prints."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``asl`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    from runtime.cli.main import main as run

    return run(argv)


__all__ = ["main"]
