"""``asl graph``: draw a state machine (Mermaid, Graphviz DOT, SVG or a standalone HTML page),
coloured by a stored execution's history with ``--execution``.

Exit codes: 0 drawn, 2 usage error, unreadable or invalid definition, unknown execution or a
store problem. See docs/graph.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from runtime.cli.run import EXIT_OK, UsageError, add_store_option, guarded

FORMATS = ("mermaid", "dot", "svg", "html")
_SUFFIXES = {
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".dot": "dot",
    ".gv": "dot",
    ".svg": "svg",
    ".html": "html",
    ".htm": "html",
}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``asl graph``."""
    p = subparsers.add_parser(
        "graph",
        help="draw a state machine (mermaid, dot, svg, html), coloured by an execution",
        description="Draw a state machine as a Mermaid flowchart, Graphviz DOT, a standalone "
        "SVG or a standalone HTML page (pan, zoom, select; works offline). With --execution, "
        "colour it by what that stored execution did.",
        epilog="Exit status: 0 drawn, 2 usage error, unreadable or invalid definition, unknown "
        "execution or a store problem.",
    )
    p.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="the definition (JSON or YAML) or a CloudFormation/SAM template; may be left out "
        "with --execution (the execution's own definition is drawn)",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        type=str.lower,
        help="the output format (default: from --output's suffix, else mermaid)",
    )
    p.add_argument("--execution", metavar="ID", help="colour by this execution (ARN or name)")
    p.add_argument("--output", "-o", metavar="PATH", help="write here instead of stdout")
    p.add_argument(
        "--resource",
        metavar="LOGICAL_ID",
        help="FILE is a template: draw its state machine LOGICAL_ID (needed when it has several)",
    )
    add_store_option(p)
    p.set_defaults(func=graph)


def graph(args: argparse.Namespace) -> int:
    """``asl graph``: returns the exit status."""
    return guarded("graph", lambda: _graph(args))


def _graph(args: argparse.Namespace) -> int:
    from runtime.graph import build_graph, overlay

    if args.file is None and args.execution is None:
        raise UsageError("give a definition FILE, or --execution ID to draw a stored execution")
    fmt = args.format or _SUFFIXES.get(Path(args.output or "").suffix.lower(), "mermaid")
    coloured = title = None
    definition: str | None = None
    if args.file is not None:
        definition, title = _read_machine(args.file, args.resource)
    if args.execution is not None:
        record, events, children = _stored(args)
        if definition is None:
            definition = record.definition
        title = f"{record.machine_name} · {record.name}"
    assert definition is not None
    import asl

    machine = asl.load(definition, filename=args.file or (title or "<definition>"))
    drawn = build_graph(machine)
    if args.execution is not None:
        try:
            coloured = overlay(drawn, events, children)
        except ValueError as exc:
            raise UsageError(
                f"execution {args.execution} did not run this definition ({exc}); leave FILE "
                "out to draw the execution's own definition"
            )
    text = _render(fmt, drawn, coloured, title or "State machine")
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror}")
        print(f"asl graph: wrote {args.output} ({fmt})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _render(fmt: str, drawn: dict[str, Any], coloured: Any, title: str) -> str:
    if fmt == "mermaid":
        from runtime.graph.mermaid import render_mermaid

        return render_mermaid(drawn, coloured)
    if fmt == "dot":
        from runtime.graph.dot import render_dot

        return render_dot(drawn, coloured)
    if fmt == "svg":
        from runtime.graph.svg import render_svg

        return render_svg(drawn, coloured)
    from runtime.graph.html import render_html

    return render_html(drawn, coloured, console_assets(), title=title)


def console_assets() -> dict[str, str]:
    """The console's graph.js, graph.css and vendored ELK and svg-pan-zoom, by file name."""
    from runtime.graph.html import ASSETS

    static = Path(__file__).resolve().parent.parent / "serve" / "console" / "static"
    assets = {}
    for name in ASSETS:
        path = static / name if name.startswith("graph.") else static / "vendor" / name
        try:
            assets[name] = path.read_text(encoding="utf-8")
        except OSError:
            raise UsageError(f"the console's {path} is missing: reinstall asl-engine")
    return assets


def _read_machine(path: str, resource: str | None) -> tuple[str | Any, str]:
    """The definition in ``path`` (a template's state machine, when it is a template)."""
    from runtime.cli.run import _read_definition

    text = _read_definition(path)
    name = os.path.basename(path).split(".")[0] or "machine"
    from runtime.templates import TemplateError, read_template

    try:
        template = read_template(text, path)
    except TemplateError as exc:
        raise UsageError(str(exc))
    if template is None:
        if resource:
            raise UsageError(f"--resource is for CloudFormation/SAM templates; {path} is not one")
        return text, name
    from asl.cloudformation import parse_definition_file
    from asl.source import SourceError

    try:
        machine = template.choose(resource)
    except TemplateError as exc:
        raise UsageError(str(exc))
    if machine.definition_uri:
        uri = os.path.join(template.folder, machine.definition_uri)
        try:
            source = parse_definition_file(
                _read_definition(uri), machine.substitutions, filename=uri
            )
        except SourceError as exc:
            raise UsageError(f"{uri}:{exc.line}:{exc.column}: {exc.message}")
        return source.value, machine.logical_id
    if machine.definition is None:
        raise UsageError(f"{path}: state machine {machine.logical_id} has no definition to draw")
    return machine.definition, machine.logical_id


def _stored(args: argparse.Namespace) -> tuple[Any, list[Any], list[Any]]:
    """The execution's record, history and Distributed Map children, from the store."""
    from runtime.stores import ExecutionNotFound, open_store, store_location

    store = open_store(args.store, create=False)
    try:
        record = store.get(args.execution)
        return record, store.events(record.execution_arn), store.children(record.execution_arn)
    except ExecutionNotFound as exc:
        raise ExecutionNotFound(f"{exc} ({store_location(args.store)})")
    finally:
        store.close()
