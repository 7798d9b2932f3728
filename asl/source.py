"""Definition text -> JSON value, keeping where each part of it was written.

``parse_source`` reads JSON or YAML and returns a :class:`Source`: the plain value plus
``position(pointer)``, which maps a JSON Pointer to a 1-based (line, column). Anything that stops
the text from being read raises :class:`SourceError` (with a code, a message and a position);
duplicate keys do not stop it and are returned as diagnostics in ``Source.problems``.

JSON goes through the C ``json`` module; positions come from a small position-aware scanner run
only when a position is first asked for (or when the fast path needs a precise error). YAML goes
through PyYAML's event stream (libyaml when available), built into values without recursion.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable
from json.decoder import scanstring  # type: ignore[attr-defined]  # (absent from typeshed)
from typing import Any, Protocol, cast

from asl.diagnostics import Diagnostic, pointer_join
from asl.types import JSON

__all__ = [
    "MAX_DEPTH",
    "MAX_SOURCE_BYTES",
    "MAX_YAML_VALUES",
    "Source",
    "SourceError",
    "check_size",
    "parse_source",
]

MAX_SOURCE_BYTES = 1024 * 1024
"""Largest text accepted, in UTF-8 bytes: AWS refuses definitions (and CloudFormation templates)
over 1 MB."""

MAX_DEPTH = 256
"""Deepest nesting of objects and arrays accepted. Real definitions stay near 12 levels; the limit
keeps every recursive consumer of the value well inside Python's default recursion limit."""

MAX_YAML_VALUES = 1_000_000
"""Most values a YAML text may expand to once aliases are followed (stops "billion laughs")."""

# Codes of the problems found while reading a file (documented in docs/cli-validate.md).
NOT_JSON_OR_YAML = "ASL001"
DUPLICATE_KEY = "ASL002"
NOT_UTF8 = "ASL003"
TOO_LARGE = "ASL004"
TOO_DEEP = "ASL005"
NOT_JSON_TEXT = "ASL009"


class SourceError(ValueError):
    """The text cannot be read as a JSON value: what is wrong, where (1-based) and a hint."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        *,
        code: str = NOT_JSON_OR_YAML,
    ) -> None:
        super().__init__(message, line, column)
        self.message = message
        self.line = line
        self.column = column
        self.code = code

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"line {self.line}, column {self.column}: {self.message}"


class Source:
    """A parsed text: ``value`` (plain dicts, lists and scalars), the ``text`` it came from, and
    ``problems`` found while reading it that did not stop it (duplicate keys)."""

    __slots__ = ("_blocks", "_positions", "filename", "problems", "syntax", "text", "value")

    def __init__(
        self,
        value: JSON,
        text: str,
        *,
        filename: str = "<string>",
        syntax: str = "json",
        positions: dict[str, tuple[int, int]] | None = None,
        problems: tuple[Diagnostic, ...] = (),
        blocks: dict[str, int] | None = None,
    ) -> None:
        self.value = value
        self.text = text
        self.filename = filename
        self.syntax = syntax
        self.problems = problems
        self._positions = positions
        self._blocks = blocks or {}

    def position(self, pointer: str) -> tuple[int, int] | None:
        """Where ``pointer`` was written: the key of an object member, the start of an array item.

        A pointer that does not exist gives its nearest existing ancestor; ``""`` gives (1, 1);
        a malformed pointer (not starting with ``/``) gives ``None``.
        """
        if pointer and not pointer.startswith("/"):
            return None
        if self._positions is None:
            try:
                self._positions = _scan_json(self.text)[1]
            except SourceError:  # cannot happen for text the fast path accepted; stay total
                self._positions = {}
        positions = self._positions
        while pointer:
            found = positions.get(pointer)
            if found is not None:
                return found
            pointer = pointer[: pointer.rindex("/")]
        return (1, 1)

    def text_origin(self, pointer: str) -> tuple[int, int] | None:
        """Where the text of the string at ``pointer`` starts, when it is a YAML literal block
        (``|``), whose lines are the file's lines minus their indentation: (line of its first
        line, columns removed). Lets positions inside an embedded text (a CloudFormation
        ``DefinitionString``) map back to the file. ``None`` for any other string."""
        line = self._blocks.get(pointer)
        if line is None:
            return None
        lines = self.text.splitlines()[line - 1 :]
        first = next((text for text in lines if text.strip()), "")
        return (line, len(first) - len(first.lstrip(" ")))

    def __repr__(self) -> str:
        return f"Source(filename={self.filename!r}, syntax={self.syntax!r})"


def check_size(size: int) -> None:
    """Raise :class:`SourceError` when a text of ``size`` UTF-8 bytes is over the limit."""
    if size > MAX_SOURCE_BYTES:
        raise SourceError(
            f"the file is {size:,} bytes, over the {MAX_SOURCE_BYTES:,}-byte (1 MiB) limit "
            "(AWS refuses larger definitions); split the machine or move large constants out",
            code=TOO_LARGE,
        )


def parse_source(
    data: str | bytes, *, filename: str = "<string>", syntax: str | None = None
) -> Source:
    """Parse definition text (JSON or YAML) into a :class:`Source`.

    ``syntax`` is ``"json"``, ``"yaml"`` or ``None`` to guess: JSON when the first non-blank
    character is ``{`` or ``[``, YAML otherwise. A UTF-8 byte-order mark is ignored. Raises
    :class:`SourceError` for empty text, syntax errors, bytes that are not UTF-8, text over
    :data:`MAX_SOURCE_BYTES` or nesting deeper than :data:`MAX_DEPTH`. A value that is not an
    object is returned as it is: saying so is the validator's job.
    """
    if syntax not in (None, "json", "yaml"):
        raise ValueError(f"syntax must be 'json', 'yaml' or None, not {syntax!r}")
    text = _decode(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    stripped = text.lstrip(" \t\r\n")
    if not stripped:
        raise SourceError(
            "the file is empty; a definition is a JSON object such as "
            '{"StartAt": "First", "States": {...}}',
            1,
            1,
        )
    if stripped[0].isspace():
        index = len(text) - len(stripped)
        only = "the file holds only blank characters; " if not stripped.strip() else ""
        raise SourceError(
            f"not JSON or YAML: {only}{_odd_space(stripped[0])}",
            *_line_column(text, index),
        )
    guessed = syntax is None
    if guessed:
        syntax = "json" if stripped[0] in "{[" else "yaml"
    if syntax == "json":
        return _parse_json(text, filename)
    return _parse_yaml(text, filename, guessed)


# -- decoding -------------------------------------------------------------------------------------


def _decode(data: str | bytes) -> str:
    if isinstance(data, str):
        # UTF-8 needs at least one byte per character and at most four.
        check_size(len(data))  # a lower bound of its UTF-8 size
        if len(data) * 4 > MAX_SOURCE_BYTES:
            check_size(len(data.encode("utf-8", "surrogatepass")))
        return data
    check_size(len(data))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data, exc.start) from None


def _line_column(text: str, index: int) -> tuple[int, int]:
    """The 1-based (line, column) of character ``index``."""
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


def _odd_space(char: str) -> str:
    """Why a Unicode blank other than space, tab and line breaks stops the text."""
    name = unicodedata.name(char, "a blank character")
    return (
        f"U+{ord(char):04X} ({name}) is not a space in JSON or YAML; replace it with a plain "
        "space or remove it"
    )


def _not_utf8(data: bytes, start: int) -> SourceError:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        what = "the file is UTF-16 (it starts with a UTF-16 byte-order mark)"
        line, column = 1, 1
    else:
        line_start = data.rfind(b"\n", 0, start) + 1
        line = data.count(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", "replace")) + 1
        what = f"byte 0x{data[start]:02x} is not valid UTF-8"
    return SourceError(
        f"{what}; definitions must be UTF-8 text: re-save the file as UTF-8",
        line,
        column,
        code=NOT_UTF8,
    )


# -- JSON: fast path ------------------------------------------------------------------------------


class _NeedsScanner(Exception):
    """The C parser met something only the scanner reports well (duplicates, NaN, depth)."""


def _no_duplicates(pairs: list[tuple[str, JSON]]) -> dict[str, JSON]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _NeedsScanner
    return obj


def _reject_constant(name: str) -> JSON:
    raise _NeedsScanner


def _parse_json(text: str, filename: str) -> Source:
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _json_error(text, exc.msg, exc.pos) from None
    except (_NeedsScanner, RecursionError, ValueError):
        # duplicate keys, NaN/Infinity, too deep for the C parser, integers over Python's digit
        # limit: the scanner finds the spot, or (duplicates) returns the value with diagnostics.
        value, positions, problems = _scan_json(text)
        return Source(
            value, text, filename=filename, syntax="json", positions=positions, problems=problems
        )
    if (text.count("{") + text.count("[") > MAX_DEPTH) and _depth(value) > MAX_DEPTH:
        _scan_json(text)  # raises the located "too deep" error
    return Source(value, text, filename=filename, syntax="json")


def _depth(value: JSON) -> int:
    """Nesting depth of a value, without recursion."""
    deepest = 0
    stack = [(value, 1)]
    children: Iterable[JSON]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


# -- JSON: position-aware scanner -----------------------------------------------------------------


class _AlwaysMatching(Protocol):
    """A pattern that matches the empty string, so ``match`` finds a match at any position."""

    def match(self, string: str, pos: int = 0) -> re.Match[str]: ...


# (a cast: that a pattern matching the empty string never returns None is beyond the types)
_WS = cast(_AlwaysMatching, re.compile(r"[ \t\n\r]*"))
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS = {"t": ("true", True), "f": ("false", False), "n": ("null", None)}
_CLOSE = {"{": "}", "[": "]"}

_JSON_HINTS = (
    ("Expecting property name", "keys need double quotes, and a comma may not come before '}'"),
    ("Expecting ':'", "put a ':' between a key and its value"),
    ("Expecting ','", "a comma is missing between two items, or a bracket is not closed"),
    ("Unterminated string", "a closing double quote is missing"),
    ("Invalid control character", "write tabs and line breaks inside strings as \\t and \\n"),
    ("Invalid \\escape", "write a backslash inside a string as \\\\"),
    ("Invalid \\u", "a \\u escape needs four hexadecimal digits"),
    ("Extra data", "there is text after the end of the JSON value"),
)


def _json_error(text: str, msg: str, pos: int) -> SourceError:
    """A JSON syntax error at character ``pos``, worded for a user."""
    line, column = _line_column(text, pos)
    hint = next((h for prefix, h in _JSON_HINTS if msg.startswith(prefix)), None)
    if hint is None and msg.startswith("Expecting value"):
        rest = text[pos : pos + 1]
        if not rest.strip():
            hint = "the text ends too early: a value or a closing bracket is missing"
        elif rest in "}]":
            hint = "remove the comma before the closing bracket"
        elif rest == "'":
            hint = "JSON strings need double quotes"
        elif rest.isalpha():
            word = re.match(r"\w+", text[pos:])
            hint = f"'{word.group() if word else rest}' is not a JSON value; quote strings"
        else:
            hint = "a JSON value (object, array, string, number, true, false, null) must come here"
    if text[pos : pos + 1].isspace() and not text[pos : pos + 1].isascii():
        hint = _odd_space(text[pos])
    elif not text[pos:].strip() and msg.startswith(("Expecting ','", "Expecting ':'")):
        hint = "the text ends before every bracket is closed"
    message = msg.removesuffix(" at")
    return SourceError(f"not valid JSON: {message[0].lower()}{message[1:]}; {hint}", line, column)


class _Lines:
    """Turns increasing character offsets into (line, column) in one pass over the text."""

    __slots__ = ("line", "line_start", "offset", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.line = 1
        self.line_start = 0
        self.offset = 0

    def at(self, index: int) -> tuple[int, int]:
        newlines = self.text.count("\n", self.offset, index)
        if newlines:
            self.line += newlines
            self.line_start = self.text.rfind("\n", self.offset, index) + 1
        self.offset = index
        return (self.line, index - self.line_start + 1)


def _scan_json(
    text: str,
) -> tuple[JSON, dict[str, tuple[int, int]], tuple[Diagnostic, ...]]:
    """Parse strict JSON without recursion: the value, the position of every member key and array
    item by JSON Pointer, and a diagnostic per duplicate key. Raises :class:`SourceError`."""
    positions: dict[str, tuple[int, int]] = {}
    problems: list[Diagnostic] = []
    lines = _Lines(text)
    stack: list[list] = []  # [container, pointer, pending key or None]
    end = len(text)

    def fail(msg: str, at: int) -> SourceError:
        return _json_error(text, msg, at)

    def read_key(pos: int, frame: list) -> int:
        """Read ``"key" :`` at ``pos`` for the object in ``frame``; return the value's offset."""
        if text.startswith('"', pos):
            try:
                key, after = scanstring(text, pos + 1, True)
            except json.JSONDecodeError as exc:
                raise fail(exc.msg, exc.pos) from None
        else:
            raise fail("Expecting property name enclosed in double quotes", pos)
        pointer = pointer_join(frame[1], key)
        where = lines.at(pos)
        if key in frame[0]:
            problems.append(_duplicate(key, pointer, *where))
        positions[pointer] = where
        frame[2] = key
        after = _WS.match(text, after).end()
        if not text.startswith(":", after):
            raise fail("Expecting ':' delimiter", after)
        return _WS.match(text, after + 1).end()

    pos = _WS.match(text).end()
    while True:
        # a value starts at pos
        char = text[pos : pos + 1]
        if char in ("{", "["):
            if len(stack) >= MAX_DEPTH:
                line, column = lines.at(pos)
                raise SourceError(
                    f"objects and arrays are nested more than {MAX_DEPTH} levels deep; "
                    "flatten the structure",
                    line,
                    column,
                    code=TOO_DEEP,
                )
            pointer = stack[-1][1] if stack else ""
            if stack:
                pointer = pointer_join(pointer, stack[-1][2])
            inner = _WS.match(text, pos + 1).end()
            if text.startswith(_CLOSE[char], inner):
                value: JSON = {} if char == "{" else []
                pos = inner + 1
            elif char == "{":
                frame: list[Any] = [{}, pointer, None]
                stack.append(frame)
                pos = read_key(inner, frame)
                continue
            else:
                stack.append([[], pointer, 0])
                positions[pointer_join(pointer, 0)] = lines.at(inner)
                pos = inner
                continue
        elif char == '"':
            try:
                value, pos = scanstring(text, pos + 1, True)
            except json.JSONDecodeError as exc:
                raise fail(exc.msg, exc.pos) from None
        elif char in _LITERALS:
            word, value = _LITERALS[char]
            if not text.startswith(word, pos):
                raise fail("Expecting value", pos)
            pos += len(word)
        else:
            match = _NUMBER.match(text, pos)
            if match is None or match.end() == pos:
                if text.startswith(("NaN", "Infinity", "-Infinity"), pos):
                    raise SourceError(
                        "not valid JSON: NaN and Infinity are not JSON numbers; use a number "
                        "or a string",
                        *lines.at(pos),
                    )
                raise fail("Expecting value", pos)
            number = match.group()
            try:
                value = float(number) if match.group(1) or match.group(2) else int(number)
            except ValueError:  # over Python's int-digits limit
                raise SourceError(
                    f"not valid JSON: a number with {len(number):,} digits is too long",
                    *lines.at(pos),
                ) from None
            pos = match.end()

        # a value ended at pos: attach it to its container, then read what follows
        while True:
            if not stack:
                pos = _WS.match(text, pos).end()
                if pos != end:
                    raise fail("Extra data", pos)
                return value, positions, tuple(problems)
            frame = stack[-1]
            container = frame[0]
            if isinstance(container, dict):
                container[frame[2]] = value
            else:
                container.append(value)
            pos = _WS.match(text, pos).end()
            char = text[pos : pos + 1]
            if char == ",":
                pos = _WS.match(text, pos + 1).end()
                if isinstance(container, dict):
                    pos = read_key(pos, frame)
                else:
                    frame[2] = len(container)
                    positions[pointer_join(frame[1], frame[2])] = lines.at(pos)
                break
            if char == ("}" if isinstance(container, dict) else "]"):
                stack.pop()
                value = container
                pos += 1
                continue
            where = "object" if isinstance(container, dict) else "array"
            raise fail(f"Expecting ',' delimiter or end of {where}", pos)


# -- YAML -----------------------------------------------------------------------------------------

_YAML = "tag:yaml.org,2002:"
_YAML_HINTS = (
    ("mapping values are not allowed", "a value containing ': ' needs quotes"),
    ("found undefined alias", "define the anchor (&name) before using the alias (*name)"),
    ("could not find expected ':'", "a key is missing its ':' or a quote is not closed"),
    ("found unexpected end of stream", "a quote or bracket is not closed"),
)
_CFN_UNPREFIXED = frozenset({"Ref", "Condition"})


def _parse_yaml(text: str, filename: str, guessed: bool) -> Source:
    import yaml  # only YAML files pay for the import

    if not text.isascii():  # libyaml cannot even read a lone surrogate
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise SourceError(
                f"U+{ord(text[exc.start]):04X} is a lone surrogate, not Unicode text; write the "
                "character itself",
                *_line_column(text, exc.start),
                code=NOT_JSON_TEXT,
            ) from None

    builder = _YamlBuilder(yaml)
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        if "nesting depth" in problem:  # libyaml's own limit (PyYAML >= 6.0.4), above ours
            upto = mark.index if mark else len(text)
            raise _too_deep_yaml(text, builder.index, len(builder.stack), upto) from None
        hint = next((h for prefix, h in _YAML_HINTS if problem.startswith(prefix)), None)
        if mark and hint is None and text[mark.index : mark.index + 1] == "\t":
            hint = "indent YAML with spaces, not tabs"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        message = f"not valid YAML: {problem}{context}" + (f"; {hint}" if hint else "")
        raise SourceError(message, *(_mark(mark) if mark else (None, None))) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        index = min(max(exc.position, 0), len(text))
        character = chr(exc.character) if isinstance(exc.character, int) else exc.character
        raise SourceError(
            f"not valid YAML: character {character!r} is not allowed in YAML text; "
            "remove it or write it as an escape inside a double-quoted string",
            *_line_column(text, index),
        ) from None
    except yaml.YAMLError as exc:
        raise SourceError(f"not valid YAML: {exc}") from None
    if builder.documents == 0 or not builder.done:
        raise SourceError(
            "the file holds no YAML document, only comments or blank lines; a definition is a "
            "mapping such as 'StartAt: First'",
            1,
            1,
        )
    if guessed and builder.plain_root:
        # a bare word or sentence: neither a JSON value nor a YAML mapping
        rest = text.lstrip(" \t\r\n")
        index = len(text) - len(rest)
        raise SourceError(
            f"not JSON or YAML: unrecognized text {rest.split(None, 1)[0][:40]!r}; a definition "
            "is a JSON object starting with '{' or a YAML mapping of keys to values",
            *_line_column(text, index),
        )
    return Source(
        builder.root,
        text,
        filename=filename,
        syntax="yaml",
        positions=builder.positions,
        problems=tuple(builder.problems),
        blocks=builder.blocks,
    )


def _too_deep(what: str, line: int | None, column: int | None) -> SourceError:
    return SourceError(
        f"{what} are nested more than {MAX_DEPTH} levels deep; flatten the structure",
        line,
        column,
        code=TOO_DEEP,
    )


_FLOW = re.compile(r"[\[\]{}\"'#]")


def _too_deep_yaml(text: str, start: int, depth: int, upto: int) -> SourceError:
    """The error for YAML flow collections nested deeper than :data:`MAX_DEPTH`, placed where the
    nesting first passes it (as the event builder places it), whichever parser stopped first.

    Reads brackets from ``start`` (after the last event built, ``depth`` levels deep) up to
    ``upto`` (where the parser stopped), skipping quoted scalars and comments; falls back to
    ``upto`` when the text there is not plain flow nesting."""
    pos = start
    while True:
        match = _FLOW.search(text, pos, upto)
        if match is None:
            break
        char, pos = match.group(), match.end()
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                upto = match.start()
                break
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif char == "#":
            newline = text.find("\n", pos, upto)
            pos = upto if newline < 0 else newline
        else:  # a quoted scalar: skip to its closing quote
            close = text.find(char, pos, upto)
            pos = upto if close < 0 else close + 1
    return _too_deep("mappings and sequences", *_line_column(text, upto))


def _mark(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


class _Frame:
    """A YAML mapping or sequence being built."""

    __slots__ = ("anchor", "container", "count_at_start", "key", "pointer", "start_mark", "tag")

    def __init__(self, container, pointer, event, tag, count_at_start) -> None:
        self.container = container
        self.pointer = pointer
        self.start_mark = event.start_mark
        self.anchor = event.anchor
        self.tag = tag
        self.count_at_start = count_at_start
        self.key = _NO_KEY


_NO_KEY = object()
_MERGE = object()


class _YamlBuilder:
    """Builds YAML parser events into plain values and key positions, without recursion.

    Keys stay the text written (YAML 1.1 would turn a key such as ``On`` into a boolean); values
    resolve as PyYAML's SafeLoader does, except timestamps, which stay strings. CloudFormation
    short tags become their long form (``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``).
    """

    def __init__(self, yaml) -> None:
        self.yaml = yaml
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.constructor.SafeConstructor()
        self.positions: dict[str, tuple[int, int]] = {}
        self.blocks: dict[str, int] = {}  # pointer of a literal block string -> its first line
        self.problems: list[Diagnostic] = []
        self.anchors: dict[str, tuple[JSON, int]] = {}  # name -> (value, values it expands to)
        self.stack: list[_Frame] = []
        self.root: JSON = None
        self.done = False
        self.plain_root = False
        self.count = 0
        self.documents = 0
        self.index = 0  # where the last event read ends
        self.handlers = {
            yaml.ScalarEvent: self.scalar,
            yaml.MappingStartEvent: self.start,
            yaml.SequenceStartEvent: self.start,
            yaml.MappingEndEvent: self.end,
            yaml.SequenceEndEvent: self.end,
            yaml.AliasEvent: self.alias,
            yaml.DocumentStartEvent: self.document,
        }

    def feed(self, event) -> None:
        self.index = event.end_mark.index
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _expects_key(self) -> bool:
        return (
            bool(self.stack)
            and isinstance(self.stack[-1].container, dict)
            and self.stack[-1].key is _NO_KEY
        )

    def document(self, event) -> None:
        self.documents += 1
        if self.documents > 1:
            raise SourceError(
                "the file holds a second YAML document (after '---'); put one definition per file",
                *_mark(event.start_mark),
            )

    def scalar(self, event) -> None:
        if self._expects_key():
            if event.tag is None and not event.style and event.value == "<<":
                self.stack[-1].key = _MERGE
                return
            if event.anchor:
                self.anchors[event.anchor] = (event.value, 1)
            self._key(event.value, event.start_mark)
            return
        value = self._scalar_value(event)
        if event.style == "|":
            pointer = self._next_pointer()
            if isinstance(value, dict):  # !Sub |
                pointer = pointer_join(pointer, next(iter(value)))
            self.blocks[pointer] = event.start_mark.line + 2
        if not self.stack:
            self.plain_root = isinstance(value, str) and not event.style and event.tag is None
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self._add(value, event.start_mark, 1)

    def alias(self, event) -> None:
        if event.anchor not in self.anchors:
            raise SourceError(
                f"not valid YAML: alias *{event.anchor} names no anchor defined before it (an "
                "alias cannot sit inside the collection it names)",
                *_mark(event.start_mark),
            )
        value, size = self.anchors[event.anchor]
        if self._expects_key():
            if not isinstance(value, str):
                raise SourceError("not valid YAML: keys must be strings", *_mark(event.start_mark))
            self._key(value, event.start_mark)
            return
        self._add(value, event.start_mark, size)

    def start(self, event) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise _too_deep("mappings and sequences", *_mark(event.start_mark))
        if self._expects_key():
            raise SourceError(
                "not valid YAML here: keys must be strings, not mappings or sequences",
                *_mark(event.start_mark),
            )
        pointer = self._next_pointer()
        is_map = isinstance(event, self.yaml.MappingStartEvent)
        tag = event.tag if event.tag and not event.tag.startswith(_YAML) else None
        frame = _Frame({} if is_map else [], pointer, event, tag, self.count)
        self.stack.append(frame)

    def end(self, event) -> None:
        frame = self.stack.pop()
        value = frame.container
        if frame.tag:
            value = _cfn_tag(frame.tag, value)
        size = self.count - frame.count_at_start + 1
        self.count = frame.count_at_start
        if frame.anchor:
            self.anchors[frame.anchor] = (value, size)
        self._add(value, frame.start_mark, size)

    def _next_pointer(self) -> str:
        """The pointer of the value about to be added."""
        if not self.stack:
            return ""
        parent = self.stack[-1]
        if isinstance(parent.container, list):
            return pointer_join(parent.pointer, len(parent.container))
        return pointer_join(parent.pointer, "<<" if parent.key is _MERGE else str(parent.key))

    def _key(self, key: str, mark) -> None:
        frame = self.stack[-1]
        pointer = pointer_join(frame.pointer, key)
        line, column = _mark(mark)
        if key in frame.container:
            self.problems.append(_duplicate(key, pointer, line, column))
        self.positions[pointer] = (line, column)
        frame.key = key

    def _add(self, value: JSON, mark, size: int) -> None:
        self.count += size
        if self.count > MAX_YAML_VALUES:
            raise SourceError(
                f"the YAML expands to more than {MAX_YAML_VALUES:,} values once aliases are "
                "followed; use fewer aliases",
                *_mark(mark),
                code=TOO_LARGE,
            )
        if not self.stack:
            self.root = value
            self.done = True
            return
        frame = self.stack[-1]
        container = frame.container
        if isinstance(container, list):
            self.positions[pointer_join(frame.pointer, len(container))] = _mark(mark)
            container.append(value)
            return
        key, frame.key = frame.key, _NO_KEY
        if key is not _MERGE:
            container[key] = value
            return
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(source, dict) for source in sources):
            raise SourceError(
                "not valid YAML: a merge key ('<<') needs a mapping or a list of mappings",
                *_mark(mark),
            )
        for source in sources:
            for name, item in source.items():
                container.setdefault(name, item)

    def _scalar_value(self, event) -> JSON:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.resolver.resolve(self.yaml.ScalarNode, event.value, event.implicit)
        if not tag.startswith(_YAML):
            return _cfn_tag(tag, event.value)
        kind = tag[len(_YAML) :]
        if kind not in ("null", "bool", "int", "float"):
            return event.value  # str, timestamp, binary...: the text as written
        node = self.yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
        try:
            value = getattr(self.constructor, f"construct_yaml_{kind}")(node)
        except (ValueError, KeyError, self.yaml.YAMLError):
            raise SourceError(
                f"not valid YAML: {event.value[:40]!r} is not a valid {kind}",
                *_mark(event.start_mark),
            ) from None
        if kind == "float" and not math.isfinite(value):
            raise SourceError(
                f"{event.value!r} is not a JSON number; use a finite number",
                *_mark(event.start_mark),
            )
        return value


def _cfn_tag(tag: str, value: JSON) -> JSON:
    """A CloudFormation short-form tag in its long form: ``!Sub x`` -> ``{"Fn::Sub": "x"}``.

    Other local tags follow the same rule (``!Foo x`` -> ``{"Fn::Foo": "x"}``); global tags
    (``tag:...``) are dropped, keeping the plain value.
    """
    if not tag.startswith("!") or len(tag) < 2:
        return value
    name = tag[1:]
    if name == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {name if name in _CFN_UNPREFIXED else f"Fn::{name}": value}


def _duplicate(key: str, pointer: str, line: int, column: int) -> Diagnostic:
    return Diagnostic(
        DUPLICATE_KEY,
        f'duplicate key "{key}": parsers disagree on which value wins (the last one is used '
        "here); remove or rename one of them",
        pointer,
        line=line,
        column=column,
    )
