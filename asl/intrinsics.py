"""Intrinsic functions (``States.Format(...)`` and friends) for JSONPath states.

:func:`compile_intrinsic` tokenizes and parses an intrinsic call once, checks function names,
argument counts and the types of literal arguments, and returns one small generated function per
call (nested calls are called by their parent). Calls whose arguments are all literals (and
which are not random) are evaluated at compile time.

The compiled getter is ``fn(data, context, variables, rng=None)``: the optional fourth argument
is a :class:`random.Random` used by ``States.UUID`` and unseeded ``States.MathRandom``; when it is
``None`` the operating system's randomness is used (no hidden global seed state).

Runtime failures raise ``StatesError("States.IntrinsicFailure", cause)``; a path argument that
selects nothing raises :class:`~asl.errors.PathNotFound` for the caller to word.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any

from .errors import INTRINSIC_FAILURE, ExpressionError, StatesError
from .types import JSON, Variables

__all__ = ["FUNCTIONS", "IntrinsicGetter", "compile_intrinsic", "is_intrinsic"]

MAX_NESTING = 10
"""Calls nest at most this deep (the outermost call counts as one)."""
MAX_RANGE_ITEMS = 1000
MAX_ENCODE_CHARS = 10_000

IntrinsicGetter = Callable[..., JSON]
"""``fn(data, context, variables, rng=None) -> value``; a :data:`asl.types.Getter`."""

_Rng = random.Random | None
_Node = Callable[[JSON, JSON, Variables, _Rng], JSON]
_SYSTEM_RANDOM = random.SystemRandom()  # stateless: reads os.urandom on every draw

# --------------------------------------------------------------------------------------------
# Value kinds (bit flags) used for argument checks.

K_NULL, K_BOOL, K_INT, K_FLOAT, K_STR, K_ARRAY, K_OBJECT = (1 << i for i in range(7))
K_NUM = K_INT | K_FLOAT
K_ANY = K_NULL | K_BOOL | K_NUM | K_STR | K_ARRAY | K_OBJECT
_KIND_WORDS = {
    K_NULL: "null",
    K_BOOL: "a boolean",
    K_INT: "an integer",
    K_FLOAT: "a number",
    K_NUM: "a number",
    K_STR: "a string",
    K_ARRAY: "an array",
    K_OBJECT: "an object",
}


def _kind(value: JSON) -> int:
    if value is None:
        return K_NULL
    t = type(value)
    if t is str:
        return K_STR
    if t is bool:
        return K_BOOL
    if t is int:
        return K_INT
    if t is float:
        return K_INT if value.is_integer() else K_FLOAT
    if t is list:
        return K_ARRAY
    if t is dict:
        return K_OBJECT
    return 0  # not a JSON value: matches no expectation


def _describe(value: JSON) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{_KIND_WORDS.get(_kind(value), 'a value')} ({text})"


def _fail(name: str, detail: str) -> StatesError:
    return StatesError(INTRINSIC_FAILURE, f"Invalid arguments in {name}: {detail}")


# --------------------------------------------------------------------------------------------
# Java-style rendering (AWS runs on the JVM: Format prints Map/List.toString, doubles as Java).


def _java_double(x: float) -> str:
    """``Double.toString``: ``1.0``, ``0.001``, ``1.0E7``, ``1.0E-4``."""
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign, digits, exp = Decimal(repr(x)).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    point = len(digits) + int(exp)  # decimal point position relative to the digit string
    mag = abs(x)
    if 1e-3 <= mag < 1e7:
        if point <= 0:
            text = "0." + "0" * -point + ds
        elif point >= len(ds):
            text = ds + "0" * (point - len(ds)) + ".0"
        else:
            text = ds[:point] + "." + ds[point:]
    else:
        text = ds[0] + "." + (ds[1:] or "0") + "E" + str(point - 1)
    return "-" + text if sign else text


def _java_str(value: JSON) -> str:
    """``String.valueOf`` of the Java object AWS builds from a JSON value."""
    t = type(value)
    if t is str:
        return value
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    if t is float:
        return _java_double(value)
    if t is list:
        return "[" + ", ".join(map(_java_str, value)) + "]"
    if t is dict:
        return "{" + ", ".join(f"{k}={_java_str(v)}" for k, v in value.items()) + "}"
    return str(value)


def _to_json(value: JSON) -> str:
    """Compact JSON text as Jackson writes it (doubles in Java notation, no ASCII escaping)."""
    t = type(value)
    if t is str:
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    if t is float:
        return _java_double(value)
    if t is int:
        return str(value)
    if t is list:
        return "[" + ",".join(map(_to_json, value)) + "]"
    if t is dict:
        return (
            "{"
            + ",".join(
                json.dumps(str(k), ensure_ascii=False) + ":" + _to_json(v) for k, v in value.items()
            )
            + "}"
        )
    raise TypeError(f"not a JSON value: {value!r}")


def _java_round(x: int | float) -> int:
    """``Math.round``: half up towards positive infinity (-0.5 -> 0, -1.5 -> -1)."""
    if type(x) is int:
        return x
    f = math.floor(x)
    return int(f) + 1 if x - f >= 0.5 else int(f)


def _json_key(value: JSON) -> Any:
    """A hashable key equal for equal JSON values (1 == 1.0, true != 1)."""
    t = type(value)
    if t is float and value.is_integer():
        return ("n", int(value))
    if t is int:
        return ("n", value)
    if t is list:
        return ("a", tuple(map(_json_key, value)))
    if t is dict:
        return ("o", frozenset((k, _json_key(v)) for k, v in value.items()))
    return (t.__name__, value)


def _clone(value: JSON) -> JSON:
    t = type(value)
    if t is list:
        return [_clone(v) for v in value]
    if t is dict:
        return {k: _clone(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------------------------
# The functions. Each takes the (already type-checked) argument list and the random source.


def _format_parts(name: str, parts: Sequence[str], values: Sequence[JSON]) -> str:
    if len(parts) - 1 != len(values):
        raise _fail(
            name,
            f"the format string has {len(parts) - 1} placeholder(s) but {len(values)} "
            "argument(s) were given",
        )
    out = [parts[0]]
    for value, part in zip(values, parts[1:], strict=True):
        out.append(_java_str(value))
        out.append(part)
    return "".join(out)


def _f_format(args: list, rng: _Rng) -> str:
    return _format_parts("States.Format", args[0].split("{}"), args[1:])


def _f_string_to_json(args: list, rng: _Rng) -> JSON:
    text = args[0]
    if not text.strip():
        return None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise _fail("States.StringToJson", f"the string is not valid JSON ({exc})")
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise _fail(
            "States.StringToJson",
            "the string is not valid JSON (a lone surrogate escape, such as \\ud800, is not "
            "Unicode text)",
        )
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _has_lone_surrogate(value: JSON) -> bool:
    """Whether a string (or key) in ``value`` holds a lone UTF-16 surrogate, without recursion."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and not node.isascii():
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def _reject_constant(name: str) -> None:
    raise ValueError(f"invalid JSON token {name}")


def _f_json_to_string(args: list, rng: _Rng) -> str:
    return _to_json(args[0])


def _f_array(args: list, rng: _Rng) -> list:
    return list(args)


def _f_array_partition(args: list, rng: _Rng) -> list:
    array, size = args
    if size <= 0:
        raise _fail("States.ArrayPartition", f"the chunk size must be positive, got {size}")
    return [array[i : i + size] for i in range(0, len(array), size)]


def _f_array_contains(args: list, rng: _Rng) -> bool:
    array, needle = args
    key = _json_key(needle)
    return any(_json_key(item) == key for item in array)


def _f_array_range(args: list, rng: _Rng) -> list:
    start, end, step = args
    if step == 0:
        raise _fail("States.ArrayRange", "the step must not be 0")
    count = max(0, (end - start) // step + 1)
    if count > MAX_RANGE_ITEMS:
        raise _fail(
            "States.ArrayRange",
            f"the range has {count} items, more than the limit of {MAX_RANGE_ITEMS}",
        )
    return list(range(start, end + (1 if step > 0 else -1), step))


def _f_array_get_item(args: list, rng: _Rng) -> JSON:
    array, index = args
    if not 0 <= index < len(array):
        raise _fail(
            "States.ArrayGetItem",
            f"the index {index} is out of bounds for an array of length {len(array)}",
        )
    return array[index]


def _f_array_length(args: list, rng: _Rng) -> int:
    return len(args[0])


def _f_array_unique(args: list, rng: _Rng) -> list:
    seen: set = set()
    out = []
    for item in args[0]:
        key = _json_key(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _check_length(name: str, text: str) -> None:
    if len(text) > MAX_ENCODE_CHARS:
        raise _fail(
            name,
            f"the input has {len(text)} characters, more than the limit of {MAX_ENCODE_CHARS}",
        )


def _f_base64_encode(args: list, rng: _Rng) -> str:
    _check_length("States.Base64Encode", args[0])
    return base64.b64encode(args[0].encode("utf-8", "surrogatepass")).decode("ascii")


def _f_base64_decode(args: list, rng: _Rng) -> str:
    text = args[0]
    _check_length("States.Base64Decode", text)
    padded = text + "=" * (-len(text) % 4) if len(text) % 4 != 1 else text
    try:
        raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise _fail("States.Base64Decode", "the input is not valid base64")
    return raw.decode("utf-8", "replace")


_HASHES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def _f_hash(args: list, rng: _Rng) -> str:
    data, algorithm = args
    _check_length("States.Hash", data)
    name = _HASHES.get(algorithm)
    if name is None:
        raise _fail(
            "States.Hash",
            f"unsupported algorithm '{algorithm}' (use one of {', '.join(_HASHES)})",
        )
    return hashlib.new(name, data.encode("utf-8", "surrogatepass")).hexdigest()


def _f_json_merge(args: list, rng: _Rng) -> dict:
    first, second, deep = args
    if deep:
        raise _fail("States.JsonMerge", "only shallow merging is supported; deep must be false")
    merged = dict(first)
    merged.update(second)
    return merged


def _f_math_random(args: list, rng: _Rng) -> int:
    start, end = _java_round(args[0]), _java_round(args[1])
    if end <= start:
        raise _fail(
            "States.MathRandom", f"the end ({end}) must be greater than the start ({start})"
        )
    if len(args) == 3:
        source: random.Random = random.Random(_java_round(args[2]))
    else:
        source = rng if rng is not None else _SYSTEM_RANDOM
    return source.randrange(start, end)


def _f_math_add(args: list, rng: _Rng) -> int:
    a, b = args
    return (a if type(a) is int else _java_round(a)) + (b if type(b) is int else _java_round(b))


@lru_cache(maxsize=256)
def _splitter(delimiters: str) -> re.Pattern[str]:
    return re.compile("[" + re.escape(delimiters) + "]")


def _f_string_split(args: list, rng: _Rng) -> list:
    text, delimiters = args
    if not delimiters:
        return [text] if text else []
    return [piece for piece in _splitter(delimiters).split(text) if piece]


def _f_uuid(args: list, rng: _Rng) -> str:
    source = rng if rng is not None else _SYSTEM_RANDOM
    return str(uuid.UUID(int=source.getrandbits(128), version=4))


class _Spec:
    """One function: implementation, arity, expected kinds per argument."""

    __slots__ = ("fn", "max_args", "min_args", "params", "path_only", "pure", "rest")

    def __init__(
        self,
        fn: Callable[[list, random.Random | None], JSON],
        min_args: int,
        max_args: int | None,
        params: Sequence[int] = (),
        rest: int = K_ANY,
        *,
        pure: bool = True,
        path_only: bool = False,
    ) -> None:
        self.fn = fn
        self.min_args = min_args
        self.max_args = max_args
        self.params = tuple(params)
        self.rest = rest
        self.pure = pure
        self.path_only = path_only

    def kind_at(self, index: int) -> int:
        return self.params[index] if index < len(self.params) else self.rest


FUNCTIONS: dict[str, _Spec] = {
    "States.Format": _Spec(_f_format, 1, None, (K_STR,)),
    "States.StringToJson": _Spec(_f_string_to_json, 1, 1, (K_STR,)),
    "States.JsonToString": _Spec(_f_json_to_string, 1, 1, (K_ANY,), path_only=True),
    "States.Array": _Spec(_f_array, 0, None),
    "States.ArrayPartition": _Spec(_f_array_partition, 2, 2, (K_ARRAY, K_INT)),
    "States.ArrayContains": _Spec(_f_array_contains, 2, 2, (K_ARRAY, K_ANY)),
    "States.ArrayRange": _Spec(_f_array_range, 3, 3, (K_INT, K_INT, K_INT)),
    "States.ArrayGetItem": _Spec(_f_array_get_item, 2, 2, (K_ARRAY, K_INT)),
    "States.ArrayLength": _Spec(_f_array_length, 1, 1, (K_ARRAY,)),
    "States.ArrayUnique": _Spec(_f_array_unique, 1, 1, (K_ARRAY,)),
    "States.Base64Encode": _Spec(_f_base64_encode, 1, 1, (K_STR,)),
    "States.Base64Decode": _Spec(_f_base64_decode, 1, 1, (K_STR,)),
    "States.Hash": _Spec(_f_hash, 2, 2, (K_STR, K_STR)),
    "States.JsonMerge": _Spec(_f_json_merge, 3, 3, (K_OBJECT, K_OBJECT, K_BOOL)),
    "States.MathRandom": _Spec(_f_math_random, 2, 3, (K_NUM, K_NUM, K_NUM), pure=False),
    "States.MathAdd": _Spec(_f_math_add, 2, 2, (K_NUM, K_NUM)),
    "States.StringSplit": _Spec(_f_string_split, 2, 2, (K_STR, K_STR)),
    "States.UUID": _Spec(_f_uuid, 0, 0, pure=False),
}
"""Every intrinsic: ``name -> _Spec(fn, min_args, max_args, argument kinds)``."""


# --------------------------------------------------------------------------------------------
# Tokenizer.

_T_NAME, _T_LPAREN, _T_RPAREN, _T_COMMA, _T_STRING, _T_NUMBER, _T_LITERAL, _T_PATH, _T_END = (
    "name",
    "'('",
    "')'",
    "','",
    "string",
    "number",
    "literal",
    "path",
    "end of text",
)
_KEYWORDS = {"null": None, "true": True, "false": False}
_WHITESPACE = " \t\r\n"
_ESCAPABLE = "'{}\\"


class _Token:
    __slots__ = ("kind", "pos", "text", "value")

    def __init__(self, kind: str, value: Any, pos: int, text: str) -> None:
        self.kind = kind
        self.value = value
        self.pos = pos
        self.text = text


class _Lexer:
    def __init__(self, source: str) -> None:
        self.src = source

    def error(self, message: str, pos: int) -> ExpressionError:
        return ExpressionError(
            f"Invalid intrinsic function {self.src!r}: {message} at character {pos + 1}"
        )

    def tokens(self) -> list[_Token]:
        src, n, i = self.src, len(self.src), 0
        out: list[_Token] = []
        while True:
            while i < n and src[i] in _WHITESPACE:
                i += 1
            if i >= n:
                out.append(_Token(_T_END, None, n, ""))
                return out
            c = src[i]
            if c == "(":
                out.append(_Token(_T_LPAREN, None, i, c))
                i += 1
            elif c == ")":
                out.append(_Token(_T_RPAREN, None, i, c))
                i += 1
            elif c == ",":
                out.append(_Token(_T_COMMA, None, i, c))
                i += 1
            elif c == "'":
                i = self._string(i, out)
            elif c == "$":
                i = self._path(i, out)
            elif c == "-" or c.isdigit():
                i = self._number(i, out)
            elif c.isalpha() or c == "_":
                j = i
                while j < n and (src[j].isalnum() or src[j] in "_."):
                    j += 1
                word = src[i:j]
                if word in _KEYWORDS:
                    out.append(_Token(_T_LITERAL, _KEYWORDS[word], i, word))
                else:
                    out.append(_Token(_T_NAME, word, i, word))
                i = j
            else:
                raise self.error(f"unexpected character {c!r}", i)

    def _string(self, start: int, out: list[_Token]) -> int:
        """A quoted literal; value ``(text, parts)``, ``parts`` split on unescaped ``{}``."""
        src, n = self.src, len(self.src)
        i = start + 1
        chars: list[str] = []
        parts: list[str] = []
        brace_open = False  # the previous character was an unescaped '{'
        while True:
            if i >= n:
                raise self.error("unterminated string literal", start)
            c = src[i]
            if c == "'":
                break
            if c == "\\":
                if i + 1 >= n or src[i + 1] not in _ESCAPABLE:
                    what = "a lone backslash" if i + 1 >= n else f"invalid escape '\\{src[i + 1]}'"
                    raise self.error(f"{what} (only \\', \\{{, \\}} and \\\\ are allowed)", i)
                chars.append(src[i + 1])
                brace_open = False
                i += 2
                continue
            if c == "}" and brace_open:
                chars.pop()
                parts.append("".join(chars))
                chars = []
                brace_open = False
            else:
                chars.append(c)
                brace_open = c == "{"
            i += 1
        parts.append("".join(chars))
        text = "{}".join(parts)
        out.append(_Token(_T_STRING, (text, tuple(parts)), start, src[start : i + 1]))
        return i + 1

    def _number(self, start: int, out: list[_Token]) -> int:
        src, n = self.src, len(self.src)
        i = start + 1 if src[start] == "-" else start

        def digits(j: int) -> int:
            k = j
            while k < n and src[k].isdigit():
                k += 1
            if k == j:
                raise self.error("malformed number", start)
            return k

        i = digits(i)
        is_float = False
        if i < n and src[i] == ".":
            i = digits(i + 1)
            is_float = True
        if i < n and src[i] in "eE":
            j = i + 1
            if j < n and src[j] in "+-":
                j += 1
            i = digits(j)
            is_float = True
        text = src[start:i]
        value: int | float = float(text) if is_float else int(text)
        if is_float and not math.isfinite(value):
            raise self.error("number out of range", start)
        out.append(_Token(_T_NUMBER, value, start, text))
        return i

    def _path(self, start: int, out: list[_Token]) -> int:
        """A path runs to the first ',', ')' or blank outside brackets and quotes."""
        src, n = self.src, len(self.src)
        i = start
        open_brackets: list[str] = []  # expected closers of the '[' and '(' still open
        quote = ""
        while i < n:
            c = src[i]
            if quote:
                if c == "\\":
                    i += 1
                elif c == quote:
                    quote = ""
            elif c == "[":
                open_brackets.append("]")
            elif c == "(":
                open_brackets.append(")")
            elif c in "])":
                if not open_brackets and c == ")":
                    break
                if not open_brackets or open_brackets.pop() != c:
                    raise self.error(f"unbalanced {c!r} in path", i)
            elif open_brackets:
                if c in "'\"":
                    quote = c
            elif c == "," or c in _WHITESPACE:
                break
            i += 1
        if quote or open_brackets:
            raise self.error("unterminated path", start)
        text = src[start:i]
        out.append(_Token(_T_PATH, text, start, text))
        return i


# --------------------------------------------------------------------------------------------
# Parser and compiler: tokens -> call functions.


class _Const:
    """A compile-time value; ``parts`` is set for string literals (Format templates)."""

    __slots__ = ("parts", "value")

    def __init__(self, value: JSON, parts: tuple[str, ...] | None = None) -> None:
        self.value = value
        self.parts = parts


class _Parser:
    def __init__(self, source: str) -> None:
        self.lexer = _Lexer(source)
        self.toks = self.lexer.tokens()
        self.i = 0

    def error(self, message: str, tok: _Token) -> ExpressionError:
        return self.lexer.error(message, tok.pos)

    def next(self) -> _Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str) -> _Token:
        tok = self.next()
        if tok.kind != kind:
            raise self.error(f"expected {kind} but found {tok.text or tok.kind!r}", tok)
        return tok

    def parse(self) -> _Node | _Const:
        first = self.toks[0]
        if first.kind != _T_NAME or first.pos != 0:
            raise self.error("expected a call such as States.Format(...)", first)
        node = self.call(1)
        end = self.next()
        if end.kind != _T_END:
            raise self.error(f"unexpected {end.text!r} after the call", end)
        return node

    def call(self, depth: int) -> _Node | _Const:
        name_tok = self.expect(_T_NAME)
        name = name_tok.value
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise self.error(f"unknown function {name!r}", name_tok)
        if depth > MAX_NESTING:
            raise self.error(f"calls are nested more than {MAX_NESTING} levels deep", name_tok)
        self.expect(_T_LPAREN)
        args: list[_Node | _Const | _Path] = []
        arg_toks: list[_Token] = []
        if self.toks[self.i].kind == _T_RPAREN:
            self.i += 1
        else:
            while True:
                arg_toks.append(self.toks[self.i])
                args.append(self.argument(depth))
                sep = self.next()
                if sep.kind == _T_RPAREN:
                    break
                if sep.kind != _T_COMMA:
                    raise self.error(f"expected ',' or ')' but found {sep.text or sep.kind!r}", sep)
        return _build_call(self, name, spec, args, arg_toks, name_tok)

    def argument(self, depth: int) -> _Node | _Const | _Path:
        tok = self.toks[self.i]
        if tok.kind == _T_NAME:
            if self.toks[self.i + 1].kind != _T_LPAREN:
                raise self.error(f"unexpected word {tok.text!r}", tok)
            return self.call(depth + 1)
        self.i += 1
        if tok.kind == _T_STRING:
            return _Const(tok.value[0], tok.value[1])
        if tok.kind in (_T_NUMBER, _T_LITERAL):
            return _Const(tok.value)
        if tok.kind == _T_PATH:
            return _path_node(self, tok)
        raise self.error(f"expected an argument but found {tok.text or tok.kind!r}", tok)


class _Path:
    """A path argument: its compiled getter ``fn(data, context, variables)``."""

    __slots__ = ("getter",)

    def __init__(self, getter: Callable[[JSON, JSON, Variables], JSON]) -> None:
        self.getter = getter


def _path_node(parser: _Parser, tok: _Token) -> _Path:
    from .jsonpath import compile_path

    try:
        return _Path(compile_path(tok.value))
    except ExpressionError as exc:
        raise parser.error(f"invalid path {tok.value!r} ({exc.message})", tok)


def _build_call(
    parser: _Parser,
    name: str,
    spec: _Spec,
    args: list[_Node | _Const | _Path],
    arg_toks: list[_Token],
    name_tok: _Token,
) -> _Node | _Const:
    count = len(args)
    if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
        if spec.max_args is None:
            want = f"at least {spec.min_args}"
        elif spec.min_args == spec.max_args:
            want = str(spec.min_args)
        else:
            want = f"{spec.min_args} to {spec.max_args}"
        raise parser.error(f"{name} takes {want} argument(s) but {count} were given", name_tok)
    for index, (arg, tok) in enumerate(zip(args, arg_toks, strict=True)):
        expected = spec.kind_at(index)
        if spec.path_only and not isinstance(arg, _Path):
            raise parser.error(f"the argument of {name} must be a path", tok)
        if isinstance(arg, _Const) and not _kind(arg.value) & expected:
            raise parser.error(
                f"argument {index + 1} of {name} must be {_KIND_WORDS.get(expected, 'a value')}, "
                f"not {_describe(arg.value)}",
                tok,
            )
    if name == "States.JsonMerge" and isinstance(args[2], _Const) and args[2].value:
        raise parser.error("only shallow merging is supported: deep must be false", arg_toks[2])
    if name == "States.Hash" and isinstance(args[1], _Const) and args[1].value not in _HASHES:
        raise parser.error(
            f"unsupported hash algorithm {args[1].value!r} (use one of {', '.join(_HASHES)})",
            arg_toks[1],
        )

    fn = spec.fn
    if name == "States.Format" and isinstance(args[0], _Const):
        parts = args[0].parts or (args[0].value,)

        def fn(values: list, rng: _Rng) -> str:
            return _format_parts("States.Format", parts, values[1:])

    if spec.pure and all(isinstance(a, _Const) for a in args):
        values = [_literal(a.value, spec.kind_at(i)) for i, a in enumerate(args)]  # type: ignore[union-attr]
        try:
            return _Const(fn(values, None))
        except StatesError:
            pass  # fails at run time, as AWS would; keep it as a runtime node
    return _call_node(name, spec, fn, args)


def _call_node(
    name: str,
    spec: _Spec,
    fn: Callable[[list, _Rng], JSON],
    args: list[_Node | _Const | _Path],
) -> _Node:
    """``fn(data, context, variables, rng=None)`` evaluating the arguments in order, checking
    their kinds in order, then calling ``fn``.

    The body is generated so that no argument costs a call of its own: literals are inlined
    (as variables of the generated code: only indexes appear in its text) and a value whose type
    is surely right skips the full check. Literals were checked at compile time.
    """
    namespace: dict[str, Any] = {"fn": fn, "_clone": _clone}
    lines = ["def call(data, context, variables, rng=None):"]
    checks = []
    items = []
    for index, arg in enumerate(args):
        expected = spec.kind_at(index)
        if isinstance(arg, _Const):
            value = _literal(arg.value, expected)
            namespace[f"c{index}"] = value
            items.append(f"_clone(c{index})" if isinstance(value, (list, dict)) else f"c{index}")
            continue
        if isinstance(arg, _Path):
            namespace[f"g{index}"] = arg.getter
            lines.append(f"    a{index} = g{index}(data, context, variables)")
        else:
            namespace[f"g{index}"] = arg
            lines.append(f"    a{index} = g{index}(data, context, variables, rng)")
        items.append(f"a{index}")
        if expected != K_ANY:
            namespace[f"t{index}"] = _sure_types(expected)
            namespace[f"check{index}"] = partial(_checked, name, index + 1, expected)
            checks += [
                f"    if type(a{index}) not in t{index}:",
                f"        a{index} = check{index}(a{index})",
            ]
    lines += checks
    lines.append(f"    return fn([{', '.join(items)}], rng)")
    exec("\n".join(lines), namespace)
    return namespace["call"]


def _literal(value: JSON, expected: int) -> JSON:
    """A literal argument (its kind checked at compile time) as the function receives it: an
    integral float is made an int where an integer is expected."""
    return int(value) if expected == K_INT and type(value) is float else value


def _sure_types(expected: int) -> frozenset[type]:
    """The types whose values are always of an ``expected`` kind, without conversion."""
    types = {t for t, kind in _TYPE_KINDS.items() if kind & expected}
    if expected & K_NUM == K_NUM:
        types.add(float)
    return frozenset(types)


_TYPE_KINDS = {
    type(None): K_NULL,
    bool: K_BOOL,
    int: K_INT,
    str: K_STR,
    list: K_ARRAY,
    dict: K_OBJECT,
}


def _checked(name: str, position: int, expected: int, value: JSON) -> JSON:
    """``value`` if it is of an ``expected`` kind (an integral float made an int where an integer
    is expected), else the argument error."""
    if not _kind(value) & expected:
        raise _fail(
            name,
            f"argument {position} must be {_KIND_WORDS.get(expected, 'a value')}, "
            f"not {_describe(value)}",
        )
    if expected == K_INT and type(value) is float:
        return int(value)
    return value


def _const_node(const: _Const) -> _Node:
    value = const.value
    if isinstance(value, (list, dict)):

        def node(data: JSON, context: JSON, variables: Variables, rng: _Rng = None) -> JSON:
            return _clone(value)

    else:

        def node(data: JSON, context: JSON, variables: Variables, rng: _Rng = None) -> JSON:
            return value

    return node


# --------------------------------------------------------------------------------------------
# Public API.

_LOOKS_LIKE_CALL = re.compile(r"States\.[A-Za-z0-9_]+\s*\(")


def is_intrinsic(text: str) -> bool:
    """Whether ``text`` looks like an intrinsic call (``States.Xxx(``); no full parse."""
    return text.startswith("States.") and _LOOKS_LIKE_CALL.match(text) is not None


@lru_cache(maxsize=8192)
def compile_intrinsic(text: str) -> IntrinsicGetter:
    """Compile an intrinsic call into ``fn(data, context, variables, rng=None) -> value``.

    Raises :class:`ExpressionError` for syntax errors, unknown functions, wrong argument counts
    and literal arguments of the wrong type. ``rng`` (a :class:`random.Random`) drives
    ``States.UUID`` and unseeded ``States.MathRandom``; ``None`` means OS randomness.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"An intrinsic function must be a string, not {type(text).__name__}")
    root = _Parser(text).parse()
    getter = _const_node(root) if isinstance(root, _Const) else root
    getter.__doc__ = f"Compiled intrinsic {text!r}."
    return getter
