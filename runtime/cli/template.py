"""``asl run TEMPLATE``: the template options of ``asl run`` and the step that turns a
CloudFormation/SAM template into a run (see :mod:`runtime.templates`, docs/cli-run.md)."""

from __future__ import annotations

import argparse
from typing import Any


def add_options(parser: argparse.ArgumentParser) -> None:
    """``--resource`` and ``--parameter``."""
    parser.add_argument(
        "--resource",
        metavar="LOGICAL_ID",
        help="FILE is a CloudFormation/SAM template: run its state machine LOGICAL_ID (needed "
        "when it has several)",
    )
    parser.add_argument(
        "--parameter",
        dest="parameters",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="FILE is a template: the value of its parameter KEY (repeatable; others take their "
        "Default)",
    )


def from_template(args: argparse.Namespace, text: str) -> Any:
    """The :class:`runtime.templates.PreparedRun` of ``asl run``'s FILE when it is a template
    (its resources created in the ``--aws`` backend, its functions bound), else None."""
    from runtime.cli.run import UsageError, _pairs, warner

    template = None
    if "Resources" in text:  # else a definition, and runtime.templates is not even imported
        from runtime.templates import read_template

        template = read_template(text, args.file)
    if template is None:
        if args.resource or args.parameters:
            raise UsageError(
                f"--resource and --parameter are for CloudFormation/SAM templates; {args.file} "
                "is a state machine definition"
            )
        return None
    from runtime.templates import prepare

    prepared = prepare(
        template,
        resource=args.resource,
        parameters=_pairs(args.parameters, "--parameter", "KEY=VALUE"),
        aws=args.aws,
    )
    warn = warner("run")
    for warning in prepared.warnings:
        warn(warning)
    return prepared


__all__ = ["add_options", "from_template"]
