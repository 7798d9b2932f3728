"""``asl validate``: check definitions, and the state machines of CloudFormation/SAM templates.

Exit codes: 0 every file valid, 1 some definition invalid, 2 a usage error, a PATH that matches
nothing, or a file that cannot be read or parsed (2 wins over 1). Problems go to stdout in the
chosen format, the summary to stderr. See docs/cli-validate.md.
"""

from __future__ import annotations

import argparse
import glob
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TextIO

from asl.cloudformation import (
    EmbeddedMachine,
    find_state_machines,
    is_template,
    parse_definition_file,
)
from asl.diagnostics import Diagnostic, Severity
from asl.source import MAX_SOURCE_BYTES, Source, SourceError, check_size, parse_source
from asl.types import JSON
from runtime.cli.entry import EXIT_FAILED, EXIT_OK, EXIT_USAGE

FORMATS = ("text", "json", "github", "sarif")
EXTENSIONS = (".json", ".yaml", ".yml")
ASL_EXTENSIONS = (".asl.json", ".asl.yaml", ".asl.yml")
READ_ERROR = "ASL006"
NOT_JSON_TEXT = "ASL009"
"""A value no JSON text can carry (a lone surrogate, NaN): the file is unreadable, status 2."""
DOCS_URI = "docs/diagnostics.md"
"""Where each code is explained (``#asl201`` anchors); SARIF rules link to it."""
_SKIP_DIRS = frozenset({"node_modules", "__pycache__"})

Validator = Callable[..., list[Diagnostic]]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``asl validate``."""
    parser = subparsers.add_parser(
        "validate",
        help="check state machine definitions and CloudFormation/SAM templates",
        description="Check Amazon States Language definitions (JSON or YAML) and the state "
        "machines in CloudFormation/SAM templates, as AWS would when creating them.",
        epilog="Exit status: 0 all valid, 1 some definition invalid, 2 usage error or a file "
        "that cannot be read or parsed.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a file, a directory (searched for .json/.yaml/.yml definitions and templates) "
        "or a glob such as 'machines/**/*.asl.json'",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--type",
        dest="state_machine_type",
        type=str.upper,
        choices=("STANDARD", "EXPRESS"),
        help="check as this machine type (default: the template's type, else STANDARD)",
    )
    parser.set_defaults(func=run)


@dataclass(slots=True)
class Problem:
    """A diagnostic, located in its file, and the template resource it belongs to if any."""

    diagnostic: Diagnostic
    machine: str | None = None

    @property
    def message(self) -> str:
        text = self.diagnostic.message
        return f"[{self.machine}] {text}" if self.machine else text


@dataclass(slots=True)
class FileReport:
    """What was found in one file."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    unreadable: bool = False

    @property
    def valid(self) -> bool:
        return not any(p.diagnostic.severity is Severity.ERROR for p in self.problems)

    def add(
        self,
        diagnostic: Diagnostic,
        source: Source | None = None,
        *,
        machine: str | None = None,
        prefix: str = "",
    ) -> None:
        """Record a diagnostic: its pointer prefixed, its position looked up, its AWS code
        filled in from the code table when it has none."""
        changes: dict = {}
        if prefix:
            changes["pointer"] = prefix + diagnostic.pointer
        if diagnostic.line is None and source is not None:
            position = source.position(changes.get("pointer", diagnostic.pointer))
            if position is not None:
                changes["line"], changes["column"] = position
        if diagnostic.aws_code is None:
            code = _codes().get(diagnostic.code)
            if code is not None and code.aws_code:
                changes["aws_code"] = code.aws_code
        self.problems.append(Problem(replace(diagnostic, **changes), machine))

    def extend(self, diagnostics: Iterable[Diagnostic], *, machine: str | None = None) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic, machine=machine)


def run(args: argparse.Namespace) -> int:
    """Check every PATH; print the problems and a summary; return the exit status."""
    for stream in (sys.stdout, sys.stderr):  # never fail on a character the terminal lacks
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    checker = _Checker(args.state_machine_type)
    usage_errors = []
    for arg in args.paths:
        if not sum(checker.add(path, explicit) for path, explicit in _expand(arg)):
            usage_errors.append(
                f"no state machine definitions or templates found in {arg!r}"
                if os.path.isdir(arg)
                else f"no files match {arg!r}"
            )
    try:
        reports = checker.check()
    except _NoValidator:
        print("asl validate: the validator (asl.validation) is not installed", file=sys.stderr)
        return EXIT_USAGE
    RENDERERS[args.format](reports, sys.stdout)
    sys.stdout.flush()
    for message in usage_errors:
        print(f"asl validate: {message}", file=sys.stderr)
    print(_summary(reports), file=sys.stderr)
    if usage_errors or any(report.unreadable for report in reports):
        return EXIT_USAGE
    return EXIT_OK if all(report.valid for report in reports) else EXIT_FAILED


# -- finding files --------------------------------------------------------------------------------


def _expand(arg: str) -> Iterator[tuple[str, bool]]:
    """The files a PATH argument names, each with whether it was named explicitly.

    A file (existing or not) is explicit; a directory is searched; a glob (for shells that do not
    expand them) names its matching files, and the directories among its matches are searched.
    """
    if os.path.isdir(arg):
        yield from ((path, False) for path in _walk(arg))
    elif os.path.exists(arg) or not glob.has_magic(arg):
        yield arg, True
    else:
        for match in sorted(glob.glob(arg, recursive=True)):
            if os.path.isdir(match):
                yield from ((path, False) for path in _walk(match))
            else:
                yield match, True


def _walk(directory: str) -> Iterator[str]:
    """Files under ``directory`` with a definition extension, sorted, skipping hidden folders."""
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(files):
            if name.lower().endswith(EXTENSIONS):
                yield os.path.normpath(os.path.join(root, name))


def _syntax(path: str) -> str | None:
    lower = path.lower()
    if lower.endswith(".json"):
        return "json"
    return "yaml" if lower.endswith((".yaml", ".yml")) else None


def _read(path: str) -> bytes:
    """The bytes of a file, refusing one over the size limit without reading it all."""
    try:
        with open(path, "rb") as handle:
            check_size(os.fstat(handle.fileno()).st_size)
            data = handle.read(MAX_SOURCE_BYTES + 1)
    except FileNotFoundError:
        raise SourceError("no such file; check the path", code=READ_ERROR) from None
    except IsADirectoryError:
        raise SourceError("this is a directory, not a file", code=READ_ERROR) from None
    except PermissionError:
        raise SourceError("permission denied; the file cannot be read", code=READ_ERROR) from None
    except OSError as exc:
        raise SourceError(f"the file cannot be read: {exc.strerror}", code=READ_ERROR) from None
    check_size(len(data))  # a pipe, or a file that grew
    return data


def _load(path: str) -> Source:
    return parse_source(_read(path), filename=path, syntax=_syntax(path))


def _error(exc: SourceError) -> Diagnostic:
    return Diagnostic(exc.code, exc.message, line=exc.line, column=exc.column)


# -- checking -------------------------------------------------------------------------------------


class _NoValidator(Exception):
    pass


@dataclass(slots=True)
class _Entry:
    report: FileReport
    source: Source | None = None  # None: the file could not be read
    machines: list[EmbeddedMachine] | None = None  # None: the file is one definition


class _Checker:
    """Reads files as they are added, then validates them all, so that a definition file a SAM
    template names in DefinitionUri is checked once, with the template's substitutions."""

    def __init__(self, state_machine_type: str | None) -> None:
        self.state_machine_type = state_machine_type
        self.entries: list[_Entry] = []
        self.seen: set[str] = set()
        self._validate: Validator | None = None

    def add(self, path: str, explicit: bool) -> bool:
        """Read and parse ``path``; return whether it is to be checked. A file found by searching
        a directory is skipped unless it looks like a definition or a template."""
        key = os.path.realpath(path)
        if key in self.seen:
            return True
        report = FileReport(path)
        if explicit or path.lower().endswith(ASL_EXTENSIONS):
            try:
                source = _load(path)
            except SourceError as exc:
                source = exc
        else:
            source = _sniff(path)
            if source is None:
                return False
        if isinstance(source, SourceError):
            report.add(_error(source))
            report.unreadable = True
            entry = _Entry(report)
        else:
            machines = find_state_machines(source.value) if is_template(source.value) else None
            if machines == []:
                if not explicit:
                    return False
                print(f"asl validate: {path}: a template with no state machine", file=sys.stderr)
            entry = _Entry(report, source, machines)
        self.seen.add(key)
        self.entries.append(entry)
        return True

    def check(self) -> list[FileReport]:
        """Validate everything added; one report per file, in the order added."""
        referenced = {
            os.path.realpath(_uri_path(entry.report.path, machine))
            for entry in self.entries
            for machine in entry.machines or ()
            if machine.definition_uri
        }
        reports = []
        for entry in self.entries:
            if entry.machines is None and os.path.realpath(entry.report.path) in referenced:
                continue  # checked with its template
            reports.append(entry.report)
            if entry.source is None:
                continue
            entry.report.extend(_outside_machines(entry.source.problems, entry.machines))
            if entry.machines is None:
                self._validate_into(entry.report, entry.source, entry.source.value)
            else:
                reports.extend(self._check_template(entry.report, entry.source, entry.machines))
        return reports

    def _check_template(
        self, report: FileReport, source: Source, machines: list[EmbeddedMachine]
    ) -> list[FileReport]:
        """Check each machine of a template; return the reports of its DefinitionUri files."""
        others = []
        for machine in machines:
            for diagnostic in machine.problems:
                report.add(diagnostic, source, machine=machine.logical_id)
            if machine.definition_uri:
                others.append(self._check_uri(report.path, machine))
            elif machine.definition is not None or not machine.problems:  # `Definition: null` too
                self._validate_into(report, source, machine.definition, machine)
        return others

    def _check_uri(self, template: str, machine: EmbeddedMachine) -> FileReport:
        """Check the file a SAM DefinitionUri names, with the template's substitutions."""
        report = FileReport(_uri_path(template, machine))
        try:
            source = parse_definition_file(
                _read(report.path),
                machine.substitutions,
                filename=report.path,
                syntax=_syntax(report.path),
            )
        except SourceError as exc:
            report.add(_error(exc), machine=machine.logical_id)
            report.unreadable = True
            return report
        report.extend(source.problems, machine=machine.logical_id)
        self._validate_into(report, source, source.value, machine, in_template=False)
        return report

    def _validate_into(
        self,
        report: FileReport,
        source: Source,
        definition: JSON,
        machine: EmbeddedMachine | None = None,
        *,
        in_template: bool = True,
    ) -> None:
        """Validate ``definition`` and add what is found to ``report``, located in ``source``."""
        if self._validate is None:
            try:
                from asl.validation import validate_definition
            except ModuleNotFoundError as exc:
                if exc.name != "asl.validation":
                    raise
                raise _NoValidator from None
            self._validate = validate_definition
        kind = self.state_machine_type or (machine and machine.state_machine_type) or "STANDARD"
        name = machine.logical_id if machine else None
        prefix = machine.pointer if machine and in_template else ""
        origin = None
        if machine and in_template and machine.text_source and machine.text_pointer:
            origin = source.text_origin(machine.text_pointer)
        for diagnostic in self._validate(definition, state_machine_type=kind):
            if origin is not None and diagnostic.line is None:
                # inside a DefinitionString written as a YAML block: its lines are the file's
                inner = machine.text_source.position(diagnostic.pointer)
                diagnostic = diagnostic.located(origin[0] + inner[0] - 1, origin[1] + inner[1])
            report.add(diagnostic, source, machine=name, prefix=prefix)
            if diagnostic.code == NOT_JSON_TEXT:
                report.unreadable = True


def _outside_machines(
    problems: Iterable[Diagnostic], machines: list[EmbeddedMachine] | None
) -> Iterator[Diagnostic]:
    """A template's reading problems, those outside every state machine's definition as
    warnings: a duplicate key in ``Parameters`` is no state machine's problem (AWS never sees
    it; CloudFormation decides)."""
    if machines is None:
        yield from problems
        return
    inside = tuple(machine.pointer for machine in machines)
    for problem in problems:
        pointer = problem.pointer
        if problem.severity is Severity.ERROR and not any(
            pointer == base or pointer.startswith(base + "/") for base in inside
        ):
            problem = replace(problem, severity=Severity.WARNING)
        yield problem


def _sniff(path: str) -> Source | SourceError | None:
    """A searched file's parse result, or ``None`` when it is no definition or template."""
    try:
        if os.path.getsize(path) > MAX_SOURCE_BYTES:
            return None
        data = _read(path)
    except (OSError, SourceError):
        return None
    if b"States" not in data and b"StateMachine" not in data:
        return None
    try:
        source = parse_source(data, filename=path, syntax=_syntax(path))
    except SourceError as exc:
        return exc
    value = source.value
    if isinstance(value, dict) and ("States" in value or "StartAt" in value):
        return source
    return source if is_template(value) else None


def _uri_path(template: str, machine: EmbeddedMachine) -> str:
    return os.path.normpath(os.path.join(os.path.dirname(template), machine.definition_uri))


@cache
def _codes() -> dict:
    """The validator's table of codes (title, AWS code), if it is installed."""
    try:
        from asl.rules import CODES
    except ImportError:
        return {}
    return CODES


# -- output ---------------------------------------------------------------------------------------


def _summary(reports: list[FileReport]) -> str:
    invalid = sum(not report.valid for report in reports)
    unreadable = sum(report.unreadable for report in reports)
    problems = sum(len(report.problems) for report in reports)
    files = len(reports)
    text = f"{files} file{'s' * (files != 1)} checked, {invalid} invalid"
    if unreadable:
        text += f", {unreadable} could not be read"
    return text + f" ({problems} problem{'s' * (problems != 1)})"


def _render_text(reports: list[FileReport], out: TextIO) -> None:
    for report in reports:
        for problem in report.problems:
            d = problem.diagnostic
            out.write(f"{report.path}:{d.line or 1}:{d.column or 1}: {d.code} {problem.message}\n")


def _render_json(reports: list[FileReport], out: TextIO) -> None:
    document = [
        {
            "file": report.path,
            "valid": report.valid,
            "problems": [
                {**problem.diagnostic.to_dict(), "machine": problem.machine}
                for problem in report.problems
            ],
        }
        for report in reports
    ]
    out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _escape_github(text: str, *, property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property else text


def _render_github(reports: list[FileReport], out: TextIO) -> None:
    for report in reports:
        for problem in report.problems:
            d = problem.diagnostic
            level = "warning" if d.severity is Severity.WARNING else "error"
            props = [f"file={_escape_github(report.path, property=True)}"]
            if d.line is not None:
                props += [f"line={d.line}", f"col={d.column}"]
            props.append(f"title={d.code}")
            out.write(f"::{level} {','.join(props)}::{_escape_github(problem.message)}\n")


def _uri(path: str) -> str:
    from pathlib import Path
    from urllib.parse import quote

    absolute = Path(path).resolve()
    try:
        return quote(absolute.relative_to(Path.cwd()).as_posix())
    except ValueError:
        return absolute.as_uri()


def _render_sarif(reports: list[FileReport], out: TextIO) -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        tool_version = version("asl-engine")
    except PackageNotFoundError:
        tool_version = "0"
    codes = _codes()
    rules: dict[str, dict] = {}
    results = []
    for report in reports:
        uri = _uri(report.path)
        for problem in report.problems:
            d = problem.diagnostic
            level = "warning" if d.severity is Severity.WARNING else "error"
            if d.code not in rules:
                rules[d.code] = {
                    "id": d.code,
                    "shortDescription": {"text": _title(codes, d.code)},
                    "helpUri": f"{DOCS_URI}#{d.code.lower()}",
                    "defaultConfiguration": {"level": level},
                }
            location: dict = {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}}
            if d.line is not None:
                location["region"] = {"startLine": d.line, "startColumn": d.column or 1}
            result = {
                "ruleId": d.code,
                "ruleIndex": list(rules).index(d.code),
                "level": level,
                "message": {"text": problem.message},
                "locations": [{"physicalLocation": location}],
                "properties": {"pointer": d.pointer, "awsCode": d.aws_code},
            }
            if problem.machine:
                result["properties"]["stateMachine"] = problem.machine
            results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "asl validate",
                        "version": tool_version,
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }
    out.write(json.dumps(sarif, indent=2, ensure_ascii=False) + "\n")


def _title(codes: dict, code: str) -> str:
    known = codes.get(code)
    return known.title if known is not None else code


RENDERERS: dict[str, Callable[[list[FileReport], TextIO], None]] = {
    "text": _render_text,
    "json": _render_json,
    "github": _render_github,
    "sarif": _render_sarif,
}
