"""JSONPath as AWS Step Functions evaluates it (Jayway semantics), compiled once into closures.

Roots: ``$`` is the data, ``$$`` the context object, ``$name`` the workflow variable ``name``.

* A *definite* path (only ``.name``, ``['name']``, ``[index]``) returns the one value it selects, or
  raises :class:`JsonPathNotFound`.
* An *indefinite* path (wildcard, slice, union, filter, ``..``) returns the list of matches, which
  may be empty; it never raises.
* A trailing Jayway function (``.length()``, ``.min()``...) applies to the value or match list.

Simple definite paths are walked as a tuple of keys and indexes; everything else runs through a
small segment evaluator with Jayway filter expressions (``[?(@.x == 'y' && @.n > 2)]``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from asl.errors import RESULT_PATH_MATCH_FAILURE, ExpressionError, PathNotFound, StatesError
from asl.types import JSON, Getter, Setter, Variables

__all__ = [
    "JsonPathNotFound",
    "ParsedPath",
    "compile_path",
    "compile_reference_path",
    "compile_result_path",
    "is_reference_path",
    "is_valid_path",
    "parse_path",
]

ROOT_DATA = "data"
ROOT_CONTEXT = "context"
ROOT_VARIABLE = "variable"


class JsonPathNotFound(PathNotFound):
    """:class:`PathNotFound` with Jayway's explanation in ``detail``.

    ``detail`` reads like AWS's text after ``Invalid path '<path>' :``, e.g.
    ``No results for path: $['x']`` or ``Missing property in path $['a']``.
    """

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(path)
        self.detail = detail


# --------------------------------------------------------------------------------------------
# Segments


class _Seg:
    """One step of a path: maps a node to the nodes it selects."""

    __slots__ = ()
    definite = False

    def select(self, node: JSON, root: JSON) -> Iterator[JSON]:  # pragma: no cover - abstract
        raise NotImplementedError

    def render(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


class _Key(_Seg):
    __slots__ = ("key",)
    definite = True

    def __init__(self, key: str) -> None:
        self.key = key

    def select(self, node: JSON, root: JSON) -> Iterator[JSON]:
        if isinstance(node, dict) and self.key in node:
            yield node[self.key]

    def render(self) -> str:
        return f"['{self.key}']"


class _Index(_Seg):
    __slots__ = ("index",)
    definite = True

    def __init__(self, index: int) -> None:
        self.index = index

    def select(self, node: JSON, root: JSON) -> Iterator[JSON]:
        if isinstance(node, list) and -len(node) <= self.index < len(node):
            yield node[self.index]

    def render(self) -> str:
        return f"[{self.index}]"


class _Keys(_Seg):
    """``['a','b']``: a union of properties (merged into one object when it is the last step)."""

    __slots__ = ("keys",)

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys

    def select(self, node: JSON, root: JSON) -> Iterator[JSON]:
        if isinstance(node, dict):
            for key in self.keys:
                if key in node:
                    yield node[key]

    def merge(self, node: JSON) -> JSON:
        if not isinstance(node, dict):
            return None
        return {key: node[key] for key in self.keys if key in node}

    def render(self) -> str:
        return "[" + ",".join(f"'{k}'" for k in self.keys) + "]"


class _Indexes(_Seg):
    __slots__ = ("indexes",)

    def __init__(self, indexes: tuple[int, ...]) -> None:
        self.indexes = indexes

    def select(self, node: JSON, root: JSON) -> Iterator[JSON]:
        if isinstance(node, list):
            size = len(node)
            for index in self.indexes:
                if -size <= index < size:
                    yield node[index]

    def render(self) -> str:
        return "[" + ",".join(map(str, self.indexes)) + "]"


class _Wild(_Seg):
    __slots__ = ()

    def select(self, node: JSON, root: JSON) -> Iterator[JSON]:
        if isinstance(node, dict):
            yield from node.values()
        elif isinstance(node, list):
            yield from node

    def render(self) -> str:
        return "[*]"


class _Slice(_Seg):
    __slots__ = ("slice",)

    def __init__(self, start: int | None, stop: int | None, step: int | None) -> None:
        self.slice = slice(start, stop, step)

    def select(self, node: JSON, root: JSON) -> Iterator[JSON]:
        if isinstance(node, list):
            yield from node[self.slice]

    def render(self) -> str:
        s = self.slice
        text = f"{'' if s.start is None else s.start}:{'' if s.stop is None else s.stop}"
        return f"[{text}{'' if s.step is None else ':' + str(s.step)}]"


class _Filter(_Seg):
    __slots__ = ("pred", "text")

    def __init__(self, pred: Callable[[JSON, JSON], bool], text: str) -> None:
        self.pred = pred
        self.text = text

    def select(self, node: JSON, root: JSON) -> Iterator[JSON]:
        pred = self.pred
        if isinstance(node, list):
            for item in node:
                if pred(item, root):
                    yield item
        elif isinstance(node, dict) and pred(node, root):
            yield node

    def render(self) -> str:
        return f"[?({self.text})]"


class _Scan(_Seg):
    """``..step``: apply ``step`` to the node and every container below it (pre-order)."""

    __slots__ = ("inner",)

    def __init__(self, inner: _Seg) -> None:
        self.inner = inner

    def select(self, node: JSON, root: JSON) -> Iterator[JSON]:
        stack = [node]
        inner = self.inner
        while stack:
            current = stack.pop()
            if not isinstance(current, (dict, list)):
                continue
            yield from inner.select(current, root)
            children = current.values() if isinstance(current, dict) else current
            stack.extend(reversed([c for c in children if isinstance(c, (dict, list))]))

    def render(self) -> str:
        inner = self.inner.render()
        return ".." + (inner[2:-2] if isinstance(self.inner, _Key) else inner)


# --------------------------------------------------------------------------------------------
# Jayway functions


def _fn_length(value: JSON) -> JSON:
    if isinstance(value, (list, dict, str)):
        return len(value)
    raise _FunctionError("length")


def _numbers(value: JSON, name: str) -> list[float]:
    if not isinstance(value, list):
        raise _FunctionError(name)
    nums = [v for v in value if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not nums:
        raise _FunctionError(name)
    return nums


def _fn_min(value: JSON) -> JSON:
    return float(min(_numbers(value, "min")))


def _fn_max(value: JSON) -> JSON:
    return float(max(_numbers(value, "max")))


def _fn_sum(value: JSON) -> JSON:
    return float(sum(_numbers(value, "sum")))


def _fn_avg(value: JSON) -> JSON:
    nums = _numbers(value, "avg")
    return sum(nums) / len(nums)


def _fn_stddev(value: JSON) -> JSON:
    nums = _numbers(value, "stddev")
    mean = sum(nums) / len(nums)
    return math.sqrt(sum((n - mean) ** 2 for n in nums) / len(nums))


class _FunctionError(Exception):
    pass


_FUNCTIONS: dict[str, Callable[[JSON], JSON]] = {
    "length": _fn_length,
    "size": _fn_length,
    "min": _fn_min,
    "max": _fn_max,
    "sum": _fn_sum,
    "avg": _fn_avg,
    "stddev": _fn_stddev,
}


# --------------------------------------------------------------------------------------------
# Parsing

_VAR_NAME = re.compile(r"[^\W\d]\w*")
_NAME_STOP = frozenset(".[]() \t\r\n'\"*")
_LENGTH_MINUS = re.compile(r"\s*\(\s*@\.length\s*-\s*([1-9]\d*)\s*\)\s*")
_INT = re.compile(r"\s*(-?\d+)\s*")
_SLICE = re.compile(r"\s*(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d+)?\s*)?")


class ParsedPath:
    """A parsed JSONPath: root kind, variable name, segments and optional trailing function."""

    __slots__ = ("function", "root", "segments", "text", "variable")

    def __init__(
        self,
        text: str,
        root: str,
        variable: str | None,
        segments: tuple[_Seg, ...],
        function: str | None,
    ) -> None:
        self.text = text
        self.root = root
        self.variable = variable
        self.segments = segments
        self.function = function

    @property
    def is_reference(self) -> bool:
        """Only ``.name``, ``['name']`` and ``[index]`` steps, no function."""
        return self.function is None and all(type(s) in (_Key, _Index) for s in self.segments)

    @property
    def is_definite(self) -> bool:
        """Selects at most one value (Jayway: a leaf property union counts as definite)."""
        segs = self.segments
        if all(s.definite for s in segs):
            return True
        return type(segs[-1]) is _Keys and all(s.definite for s in segs[:-1])

    @property
    def steps(self) -> tuple[str | int, ...]:
        """Keys and indexes of a reference path."""
        return tuple(s.key if type(s) is _Key else s.index for s in self.segments)  # type: ignore[attr-defined]


def parse_path(text: str) -> ParsedPath:
    """Parse ``text``; raise :class:`ExpressionError` when it is not a JSONPath AWS accepts.

    Spaces before and after the path are ignored, as Jayway JsonPath (AWS's) trims them:
    ``"$$.Execution.Name "`` is ``$$.Execution.Name``."""
    if not isinstance(text, str):
        raise ExpressionError(f"A JSONPath must be a string, not {type(text).__name__}")
    if text[:1] == " " or text[-1:] == " ":
        text = text.strip(" ")
    if not text.startswith("$"):
        raise ExpressionError(f"The JSONPath '{text}' must start with '$'")
    variable = None
    if text.startswith("$$"):
        root, pos = ROOT_CONTEXT, 2
    else:
        match = _VAR_NAME.match(text, 1)
        if match:
            root, variable, pos = ROOT_VARIABLE, match.group(), match.end()
        else:
            root, pos = ROOT_DATA, 1
    segments, function = _Parser(text, pos).parse()
    return ParsedPath(text, root, variable, segments, function)


class _Parser:
    __slots__ = ("pos", "text")

    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos

    def fail(self, why: str) -> ExpressionError:
        return ExpressionError(
            f"The JSONPath '{self.text}' is invalid: {why} at position {self.pos}"
        )

    def parse(self) -> tuple[tuple[_Seg, ...], str | None]:
        text = self.text
        segments: list[_Seg] = []
        function = None
        while self.pos < len(text):
            if function is not None:
                raise self.fail("a function must be the last step")
            char = text[self.pos]
            if text.startswith("..", self.pos):
                self.pos += 2
                if self.pos < len(text) and text[self.pos] == "[":
                    self.pos += 1
                    segments.append(_Scan(self.bracket()))
                else:
                    seg, function = self.dotted()
                    if seg is None:  # ``name()``: a function
                        raise self.fail("a function cannot follow '..'")
                    segments.append(_Scan(seg))
            elif char == ".":
                self.pos += 1
                if text.startswith("[", self.pos):  # Jayway accepts $.['a'] and $.[0]
                    continue
                seg, function = self.dotted()
                if seg is not None:
                    segments.append(seg)
            elif char == "[":
                self.pos += 1
                segments.append(self.bracket())
            else:
                raise self.fail(f"unexpected character {char!r}")
        if function is not None and function not in _FUNCTIONS:
            raise ExpressionError(f"The JSONPath '{text}' uses an unknown function '{function}()'")
        return tuple(segments), function

    def dotted(self) -> tuple[_Seg | None, str | None]:
        text, start = self.text, self.pos
        if start < len(text) and text[start] == "*":
            self.pos += 1
            return _Wild(), None
        end = start
        while end < len(text) and text[end] not in _NAME_STOP:
            end += 1
        if end == start:
            raise self.fail("expected a property name")
        name = text[start:end]
        self.pos = end
        if text.startswith("()", end):
            self.pos = end + 2
            return None, name
        return _Key(name), None

    def bracket(self) -> _Seg:
        text = self.text
        close = text.find("]", self.pos)
        rest = text[self.pos :].lstrip()
        if rest.startswith(("'", '"')):
            return self.quoted()
        if rest.startswith("?"):
            return self.filter()
        if close < 0:
            raise self.fail("missing ']'")
        body = text[self.pos : close]
        self.pos = close + 1
        if body.strip() == "*":
            return _Wild()
        match = _LENGTH_MINUS.fullmatch(body)
        if match:  # Goessner's script index [(@.length-N)]: the N-th element from the end
            return _Index(-int(match.group(1)))
        if ":" in body:
            match = _SLICE.fullmatch(body)
            if not match:
                raise self.fail(f"invalid slice [{body}]")
            start, stop, step = (int(g) if g else None for g in match.groups())
            if step == 0:
                raise self.fail("slice step cannot be 0")
            return _Slice(start, stop, step)
        parts = body.split(",")
        indexes = []
        for part in parts:
            match = _INT.fullmatch(part)
            if not match:
                raise self.fail(f"invalid array index [{body}]")
            indexes.append(int(match.group(1)))
        return _Index(indexes[0]) if len(indexes) == 1 else _Indexes(tuple(indexes))

    def quoted(self) -> _Seg:
        # Jayway (as AWS runs it): a backslash only protects the next character from ending
        # the name; it is kept as is.
        text, keys = self.text, []
        while True:
            while self.pos < len(text) and text[self.pos].isspace():
                self.pos += 1
            if self.pos >= len(text) or text[self.pos] not in "'\"":
                raise self.fail("expected a quoted property name")
            quote = text[self.pos]
            i = self.pos + 1
            while i < len(text) and text[i] != quote:
                i += 2 if text[i] == "\\" else 1
            if i >= len(text):
                raise self.fail("unterminated quoted property name")
            keys.append(text[self.pos + 1 : i])
            self.pos = i + 1
            while self.pos < len(text) and text[self.pos].isspace():
                self.pos += 1
            if self.pos < len(text) and text[self.pos] == ",":
                self.pos += 1
                continue
            if self.pos < len(text) and text[self.pos] == "]":
                self.pos += 1
                return _Key(keys[0]) if len(keys) == 1 else _Keys(tuple(keys))
            raise self.fail("expected ',' or ']'")

    def filter(self) -> _Seg:
        text = self.text
        start = text.index("?", self.pos) + 1
        while start < len(text) and text[start].isspace():
            start += 1
        if start >= len(text) or text[start] != "(":
            raise self.fail("a filter must look like [?(...)]")
        end = _matching_paren(text, start)
        if end < 0:
            raise self.fail("unbalanced parentheses in filter")
        body = text[start + 1 : end]
        self.pos = end + 1
        while self.pos < len(text) and text[self.pos].isspace():
            self.pos += 1
        if self.pos >= len(text) or text[self.pos] != "]":
            raise self.fail("missing ']' after filter")
        self.pos += 1
        try:
            pred = _FilterParser(body).parse()
        except ExpressionError as exc:
            raise ExpressionError(f"The JSONPath '{text}' has an invalid filter: {exc.message}")
        return _Filter(pred, body)


def _closing(text: str, start: int, opener: str, closer: str, regexes: bool = False) -> int:
    """Index of the ``closer`` matching the ``opener`` at ``start``, skipping quoted strings (and
    ``=~ /regex/`` literals when ``regexes``); -1 when there is none."""
    depth, i, quote = 0, start, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif regexes and c == "/" and depth and _regex_allowed(text, i):
            j = i + 1
            while j < len(text) and text[j] != "/":
                j += 2 if text[j] == "\\" else 1
            i = j
        elif c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _matching_paren(text: str, start: int) -> int:
    return _closing(text, start, "(", ")", regexes=True)


def _regex_allowed(text: str, i: int) -> bool:
    return text[:i].rstrip().endswith("=~")


# --------------------------------------------------------------------------------------------
# Filter expressions (Jayway): @/$ paths, literals, == != < <= > >= =~ in nin subsetof anyof
# noneof size empty, && || ! and parentheses.

_UNDEF: Any = object()
Pred = Callable[[JSON, JSON], bool]
Operand = Callable[[JSON, JSON], JSON]

_FILTER_TOKEN = re.compile(
    r"""\s*(?:
      (?P<op>&&|\|\||==|!=|<=|>=|=~|<|>|!|\(|\))
    | (?P<word>(?:in|nin|subsetof|anyof|noneof|size|empty|contains)(?![\w@$.\[]))
    | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<lit>true|false|null)(?![\w])
    | (?P<bare>[A-Za-z_][\w-]*)
    | (?P<regex>/(?:[^/\\]|\\.)*/[a-z]*)
    | (?P<path>[@$](?:\.\.?[^\s.\[\]()=!<>&|,]+|\.?\[[^\]]*\]|\.\*)*(?:\(\))?)
    | (?P<json>\[)
    )""",
    re.VERBOSE,
)


class _FilterParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[tuple[str, Any]] = []
        self._tokenize()
        self.i = 0

    def _tokenize(self) -> None:
        text, pos = self.text, 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _FILTER_TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ExpressionError(f"unexpected text {text[pos:].strip()!r}")
            kind = m.lastgroup
            value = m.group(kind)  # type: ignore[arg-type]
            if kind == "json":
                start = m.start(kind)
                end = _json_array_end(text, start)
                try:
                    value = json.loads(text[start:end].replace("'", '"'))
                except ValueError:
                    raise ExpressionError(f"invalid array literal {text[start:end]!r}")
                self.tokens.append(("value", value))
                pos = end
                continue
            if kind == "str":
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
                self.tokens.append(("value", value))
            elif kind == "bare":  # lenient: an unquoted word is a string (asl-validator accepts it)
                self.tokens.append(("value", value))
            elif kind == "num":
                self.tokens.append(
                    ("value", float(value) if any(c in value for c in ".eE") else int(value))
                )
            elif kind == "lit":
                self.tokens.append(("value", {"true": True, "false": False, "null": None}[value]))
            else:
                self.tokens.append((kind, value))  # type: ignore[arg-type]
            pos = m.end()

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None:
            raise ExpressionError("unexpected end of filter")
        self.i += 1
        return tok

    def parse(self) -> Pred:
        pred = self.or_expr()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return pred

    def or_expr(self) -> Pred:
        preds = [self.and_expr()]
        while self.peek() == ("op", "||"):
            self.i += 1
            preds.append(self.and_expr())
        if len(preds) == 1:
            return preds[0]
        return lambda item, root: any(p(item, root) for p in preds)

    def and_expr(self) -> Pred:
        preds = [self.unary()]
        while self.peek() == ("op", "&&"):
            self.i += 1
            preds.append(self.unary())
        if len(preds) == 1:
            return preds[0]
        return lambda item, root: all(p(item, root) for p in preds)

    def unary(self) -> Pred:
        tok = self.peek()
        if tok == ("op", "!"):
            self.i += 1
            inner = self.unary()
            return lambda item, root: not inner(item, root)
        if tok == ("op", "("):
            self.i += 1
            inner = self.or_expr()
            if self.take() != ("op", ")"):
                raise ExpressionError("missing ')'")
            return inner
        return self.relation()

    def operand(self) -> Operand:
        kind, value = self.take()
        if kind == "value":

            def constant(item: JSON, root: JSON) -> JSON:
                return value

            return constant
        if kind == "path":
            return _filter_path(value)
        raise ExpressionError(f"unexpected {value!r}")

    def relation(self) -> Pred:
        left = self.operand()
        tok = self.peek()
        if tok is None or tok[0] not in ("op", "word") or tok[1] in ("&&", "||", ")"):
            return lambda item, root: left(item, root) is not _UNDEF
        self.i += 1
        op = tok[1]
        if op == "=~":
            kind, regex = self.take()
            if kind != "regex":
                raise ExpressionError("=~ needs a /regex/")
            body, _, flags = regex[1:].rpartition("/")
            re_flags = (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0)
            re_flags |= re.S if "s" in flags else 0
            try:
                pattern = re.compile(body, re_flags)
            except re.error as exc:
                raise ExpressionError(f"invalid regular expression /{body}/: {exc}")
            return lambda item, root: _regex_match(pattern, left(item, root))
        right = self.operand()
        compare = _RELATIONS.get(op)
        if compare is None:
            raise ExpressionError(f"unknown operator {op!r}")
        return lambda item, root: compare(left(item, root), right(item, root))


def _json_array_end(text: str, start: int) -> int:
    end = _closing(text, start, "[", "]")
    if end < 0:
        raise ExpressionError("unterminated array literal")
    return end + 1


def _filter_path(text: str) -> Operand:
    rel = "$" + text[1:]
    try:
        parsed = parse_path(rel)
    except ExpressionError as exc:
        raise ExpressionError(f"invalid path {text!r} in filter: {exc.message}")
    evaluate = _evaluator(parsed)
    use_root = text[0] == "$"

    def operand(item: JSON, root: JSON) -> JSON:
        try:
            return evaluate(root if use_root else item)
        except (PathNotFound, _FunctionError):
            return _UNDEF

    return operand


def _is_num(v: JSON) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _as_number(v: JSON) -> float | None:
    if _is_num(v):
        return v
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _eq(a: JSON, b: JSON) -> bool:
    if a is _UNDEF or b is _UNDEF:
        return False
    if _is_num(a) or _is_num(b):
        x, y = _as_number(a), _as_number(b)
        return x is not None and y is not None and x == y
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _order(op: Callable[[Any, Any], bool]) -> Callable[[JSON, JSON], bool]:
    def compare(a: JSON, b: JSON) -> bool:
        if _is_num(a) and _is_num(b):
            return op(a, b)
        if isinstance(a, str) and isinstance(b, str):
            return op(a, b)
        return False

    return compare


def _in(a: JSON, b: JSON) -> bool:
    return isinstance(b, list) and any(_eq(a, x) for x in b)


def _size(a: JSON, b: JSON) -> bool:
    return isinstance(a, (list, str)) and _is_num(b) and len(a) == b


def _empty(a: JSON, b: JSON) -> bool:
    if not isinstance(a, (list, str, dict)):
        return False
    return (len(a) == 0) == bool(b)


def _subset(a: JSON, b: JSON) -> bool:
    return isinstance(a, list) and isinstance(b, list) and all(_in(x, b) for x in a)


def _anyof(a: JSON, b: JSON) -> bool:
    return isinstance(a, list) and isinstance(b, list) and any(_in(x, b) for x in a)


def _noneof(a: JSON, b: JSON) -> bool:
    return isinstance(a, list) and isinstance(b, list) and not any(_in(x, b) for x in a)


def _contains(a: JSON, b: JSON) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return b in a
    return isinstance(a, list) and _in(b, a)


_RELATIONS: dict[str, Callable[[JSON, JSON], bool]] = {
    "==": _eq,
    "!=": lambda a, b: not _eq(a, b),
    "<": _order(lambda a, b: a < b),
    "<=": _order(lambda a, b: a <= b),
    ">": _order(lambda a, b: a > b),
    ">=": _order(lambda a, b: a >= b),
    "in": _in,
    "nin": lambda a, b: a is not _UNDEF and not _in(a, b),
    "size": _size,
    "empty": _empty,
    "subsetof": _subset,
    "anyof": _anyof,
    "noneof": _noneof,
    "contains": _contains,
}


def _regex_match(pattern: re.Pattern[str], value: JSON) -> bool:
    if isinstance(value, str):
        return pattern.fullmatch(value) is not None
    if _is_num(value):
        return pattern.fullmatch(json.dumps(value)) is not None
    return False


# --------------------------------------------------------------------------------------------
# Evaluation


def _java_type(value: JSON) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Integer"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, list):
        return "net.minidev.json.JSONArray"
    return "net.minidev.json.JSONObject"


def _jayway_path(segments: tuple[_Seg, ...]) -> str:
    return "$" + "".join(s.render() for s in segments)


def _missing_detail(segments: tuple[_Seg, ...], node: JSON) -> str:
    """Jayway's PathNotFoundException message for a definite path that failed on ``node``."""
    current = "$"
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        if type(seg) is _Key:
            if not isinstance(node, dict):
                return (
                    f"Expected to find an object with property {seg.render()} in path {current} "
                    f"but found '{_java_type(node)}'. This is not a json object according to the "
                    "JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'."
                )
            if seg.key not in node:
                if i == last:
                    break
                return f"Missing property in path {current}{seg.render()}"
            node = node[seg.key]
        elif type(seg) is _Index:
            if node is None:
                return f"The path {current} is null"
            if not isinstance(node, list):
                return (
                    f"Filter: {seg.render()} can only be applied to arrays. "
                    f"Current context is: {json.dumps(node, separators=(',', ':'))}"
                )
            if not -len(node) <= seg.index < len(node):
                break
            node = node[seg.index]
        current += seg.render()
    return f"No results for path: {_jayway_path(segments)}"


Evaluator = Callable[..., JSON]
"""``fn(root, context=None, variables=None) -> value``: a path applied to ``root``. The other two
arguments are ignored, so that for a path on the data the evaluator is the getter itself."""


def _evaluator(parsed: ParsedPath) -> Evaluator:
    """The :data:`Evaluator` of ``parsed``, applied to the value its root designates."""
    segments, text = parsed.segments, parsed.text
    function = _FUNCTIONS[parsed.function] if parsed.function else None
    if parsed.is_reference:
        return _reference(parsed.steps, segments, text)

    definite = parsed.is_definite
    merge = segments[-1] if segments and type(segments[-1]) is _Keys else None

    if definite:
        prefix = segments[:-1] if merge is not None else segments
        steps = tuple(s.key if type(s) is _Key else s.index for s in prefix)  # type: ignore[attr-defined]
        walk = _reference(steps, prefix, text)

        def definite_eval(root: JSON, context: JSON = None, variables: JSON = None) -> JSON:
            value = walk(root)
            if merge is not None:
                value = merge.merge(value)
            if function is not None:
                try:
                    return function(value)
                except _FunctionError:
                    raise _function_failed(text)
            return value

        return definite_eval

    def indefinite_eval(root: JSON, context: JSON = None, variables: JSON = None) -> JSON:
        nodes: list[JSON] = [root]
        for seg in segments:
            out: list[JSON] = []
            for node in nodes:
                out.extend(seg.select(node, root))
            nodes = out
            if not nodes:
                break
        if function is not None:
            try:
                return function(nodes)
            except _FunctionError:
                raise _function_failed(text)
        return nodes

    return indefinite_eval


def _function_failed(text: str) -> JsonPathNotFound:
    detail = f"Aggregation function attempted to calculate value using empty array in path {text}"
    return JsonPathNotFound(text, detail)


def _identity(root: JSON, context: JSON = None, variables: JSON = None) -> JSON:
    return root


def _reference(steps: tuple[str | int, ...], segments: tuple[_Seg, ...], text: str) -> Evaluator:
    """The evaluator walking ``steps`` (keys and indexes), specialised for the common shapes.

    Of JSON values only an object can be indexed by a string: for keys, a failed lookup (missing
    key, or a value that is not an object) is the only check needed.
    """
    if not steps:
        return _identity
    if len(steps) == 1:
        step = steps[0]
        if isinstance(step, str):

            def get_key(root: JSON, context: JSON = None, variables: JSON = None) -> JSON:
                try:
                    return root[step]
                except (KeyError, TypeError):
                    pass
                raise JsonPathNotFound(text, _missing_detail(segments, root))

            return get_key

        def get_index(root: JSON, context: JSON = None, variables: JSON = None) -> JSON:
            if isinstance(root, list) and -len(root) <= step < len(root):
                return root[step]
            raise JsonPathNotFound(text, _missing_detail(segments, root))

        return get_index

    if all(type(step) is str for step in steps):

        def get_keys(root: JSON, context: JSON = None, variables: JSON = None) -> JSON:
            node = root
            try:
                for key in steps:
                    node = node[key]
                return node
            except (KeyError, TypeError):
                pass
            raise JsonPathNotFound(text, _missing_detail(segments, root))

        return get_keys

    def walk(root: JSON, context: JSON = None, variables: JSON = None) -> JSON:
        node = root
        for step in steps:
            if type(step) is str:
                if isinstance(node, dict) and step in node:
                    node = node[step]
                    continue
            elif isinstance(node, list) and -len(node) <= step < len(node):  # type: ignore[operator]
                node = node[step]  # type: ignore[index]
                continue
            raise JsonPathNotFound(text, _missing_detail(segments, root))
        return node

    return walk


def _bind_root(parsed: ParsedPath, evaluate: Evaluator) -> Getter:
    if parsed.root == ROOT_DATA:
        return evaluate
    if parsed.root == ROOT_CONTEXT:
        return lambda data, context, variables: evaluate(context)
    name, text = parsed.variable, parsed.text

    def get_variable(data: JSON, context: JSON, variables: Variables) -> JSON:
        try:
            value = variables[name]  # type: ignore[index]
        except (KeyError, TypeError):
            raise JsonPathNotFound(text, f"The variable '{name}' is not defined")
        return evaluate(value)

    return get_variable


@lru_cache(maxsize=8192)
def compile_path(text: str) -> Getter:
    """Compile a JSONPath (``$...``, ``$$...``, ``$var...``) to ``fn(data, context, variables)``.

    Raises :class:`ExpressionError` for bad syntax; the getter raises :class:`JsonPathNotFound`
    (a :class:`PathNotFound`) when a definite path selects nothing.
    """
    parsed = parse_path(text)
    return _bind_root(parsed, _evaluator(parsed))


@lru_cache(maxsize=8192)
def compile_reference_path(text: str) -> Getter:
    """Like :func:`compile_path` but only ``.name``, ``['name']`` and ``[index]`` steps."""
    parsed = parse_path(text)
    if not parsed.is_reference:
        raise ExpressionError(
            f"The value '{text}' is not a valid reference path: only '.name', \"['name']\" and "
            "'[index]' steps are allowed"
        )
    return _bind_root(parsed, _evaluator(parsed))


def is_valid_path(text: str) -> bool:
    """Whether ``text`` is a JSONPath AWS accepts (any root, any step kind)."""
    try:
        parse_path(text)
    except ExpressionError:
        return False
    return True


def is_reference_path(text: str) -> bool:
    """Whether ``text`` is a reference path (definite: names and indexes only)."""
    try:
        return parse_path(text).is_reference
    except ExpressionError:
        return False


# --------------------------------------------------------------------------------------------
# ResultPath


def _keep_input(state_input: JSON, result: JSON) -> JSON:
    return state_input


def _replace(state_input: JSON, result: JSON) -> JSON:
    return result


_keep_input.growth = _replace.growth = 0  # type: ignore[attr-defined]
_keep_input.levels = _replace.levels = 0  # type: ignore[attr-defined]


def _growth(steps: tuple[str | int, ...]) -> int:
    """At most how many bytes of JSON placing a result along ``steps`` adds besides the result:
    per key, its characters (at most 6 bytes each, escaped), quotes, colon, comma and the braces
    of an object made for it; an index only replaces."""
    return sum(6 * len(step) + 6 for step in steps if type(step) is str)


def _levels(steps: tuple[str | int, ...]) -> int:
    """How many levels down placing a result along ``steps`` puts it, when every step is a key
    (each makes or copies one object); -1 when an index step goes through the input's arrays,
    whose depth the path alone cannot tell."""
    return len(steps) if all(type(step) is str for step in steps) else -1


def _to_json(value: JSON) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=8192)
def compile_result_path(text: str | None) -> Setter:
    """Compile a ResultPath into ``fn(state_input, result) -> new value`` (inputs untouched).

    ``None`` keeps the input, ``$`` returns the result, ``$.a.b`` copies the objects along the
    path, creating missing ones. A placement that is impossible raises
    ``StatesError("States.ResultPathMatchFailure", ...)``. The function's ``growth`` is at most
    how many bytes of JSON the new value has beyond the input's and the result's together, and
    its ``levels`` how many levels down the result goes (-1 when the path indexes arrays).
    """
    if text is None:
        return _keep_input
    parsed = parse_path(text)
    if parsed.root != ROOT_DATA:
        what = "a variable" if parsed.root == ROOT_VARIABLE else "a context object path"
        raise ExpressionError(f"ResultPath cannot contain {what}: '{text}'")
    if not parsed.is_reference:
        raise ExpressionError(f"The ResultPath '{text}' is not a valid reference path")
    steps = parsed.steps
    if not steps:
        return _replace

    def fail(state_input: JSON) -> StatesError:
        return StatesError(
            RESULT_PATH_MATCH_FAILURE,
            f"Unable to apply ReferencePath {text} to input {_to_json(state_input)}",
        )

    if len(steps) == 1 and type(steps[0]) is str:
        key = steps[0]

        def place_key(state_input: JSON, result: JSON) -> JSON:
            if not isinstance(state_input, dict):
                raise fail(state_input)
            return {**state_input, key: result}

        place_key.growth = _growth(steps)  # type: ignore[attr-defined]
        place_key.levels = 1  # type: ignore[attr-defined]
        return place_key

    last = len(steps) - 1

    def place(state_input: JSON, result: JSON) -> JSON:
        if not isinstance(state_input, dict):
            raise fail(state_input)
        top = dict(state_input)
        node: Any = top
        for i, step in enumerate(steps):
            if i == last:
                value = result
            else:
                child = node[step] if _has(node, step) else None
                if isinstance(child, dict):
                    value = dict(child)
                elif isinstance(child, list) and type(steps[i + 1]) is int:
                    value = list(child)
                elif child is None and type(step) is str and type(steps[i + 1]) is str:
                    value = {}
                else:
                    raise fail(state_input)
            if type(step) is str or -len(node) <= step < len(node):  # type: ignore[operator]
                node[step] = value
            else:
                raise fail(state_input)
            node = value
        return top

    place.growth = _growth(steps)  # type: ignore[attr-defined]
    place.levels = _levels(steps)  # type: ignore[attr-defined]
    return place


def _has(node: Any, step: str | int) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(step, int) and -len(node) <= step < len(node)
