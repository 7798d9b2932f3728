"""JSONata expressions (``QueryLanguage: JSONata``): compile once, evaluate against ``$states``.

Engine: ``jsonatapy`` (a Rust JSONata 2.x), chosen over ``jsonata-python`` for correctness of
null/undefined handling and ``$now`` plus a 10-30x speed-up (see ``bench/jsonata_engines.py``).

How an expression runs
    ``"{% expr %}"`` is compiled as ``($states := $$; <AWS functions used>; expr)`` and evaluated
    with the ``$states`` object as the input document (``jsonatapy`` reads the input lazily, so a
    large state input costs nothing until touched) and the workflow variables the text refers to
    bound as ``$name``. ``$eval`` is bound to ``null`` (calling it fails with T1006, as on AWS).
    The AWS additions ``$partition``, ``$range``, ``$hash``, ``$random``, ``$uuid`` and ``$parse``
    (plus ``$now``, ``$millis`` and ``$encodeUrl``, which the engine gets wrong) are JSONata lambdas
    over Python host functions, defined only in expressions that name them.

Threads
    A ``jsonatapy`` expression may only be used by the thread that compiled it, so compiled code
    lives in a per-thread cache keyed by the expression text: every thread parses an expression
    once (a few microseconds), evaluation never parses. Evaluators and template builders are
    therefore safe to share between threads.

Results
    Plain JSON values; integral numbers are ints (``1.0`` -> ``1``), a non-finite top-level number
    becomes ``"Infinity"``/``"-Infinity"``/``"NaN"`` as AWS writes it. Results may share objects
    with ``states`` and ``variables``: callers must not mutate them (copy first if needed).
    Errors are :class:`StatesError` ``States.QueryEvaluationError`` whose cause is AWS's sentence
    without the ``An error occurred while executing the state ...`` prefix, which the runtime adds.

Clock and randomness
    ``$now``/``$millis`` read ``clock`` (milliseconds since the epoch, default: the system clock)
    once per evaluation; ``$random``/``$uuid`` draw from ``rng`` (default: the ``random`` module).
"""

from __future__ import annotations

import contextvars
import ctypes
import hashlib
import json
import math
import random as _random
import re
import threading
import time
import urllib.parse
import uuid as _uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from .errors import QUERY_EVALUATION_ERROR, ExpressionError, StatesError
from .types import JSON, Variables

__all__ = [
    "EVALUATION_TIMEOUT_MS",
    "CompiledJsonata",
    "JsonataSyntaxError",
    "TemplateBuilder",
    "clear_thread_cache",
    "compile_jsonata",
    "compile_jsonata_template",
    "is_jsonata",
    "json_type_name",
    "jsonata_body",
    "template_has_jsonata",
    "unexpected_type_error",
]

EVALUATION_TIMEOUT_MS = 5_000
"""Longest one evaluation may run before it fails (guards against non-terminating recursion)."""

Clock = Callable[[], int]
"""Milliseconds since the epoch, read at most once per evaluation."""


# --------------------------------------------------------------------------------------------
# Recognising and compiling expressions


def is_jsonata(value: object) -> bool:
    """Whether ``value`` is a JSONata expression string: exactly ``{%`` ... ``%}``."""
    return (
        isinstance(value, str)
        and len(value) >= 4
        and value.startswith("{%")
        and value.endswith("%}")
    )


def jsonata_body(text: str) -> str:
    """The expression inside the ``{% %}`` delimiters, stripped, as AWS quotes it in causes."""
    return text[2:-2].strip()


class JsonataSyntaxError(ExpressionError):
    """A ``{% %}`` string that is not a well-formed JSONata expression.

    ``code`` is the JSONata error code (``S0202``...), ``detail`` the engine's sentence without it,
    ``position`` the character offset in ``expression`` where parsing stopped, when known.
    """

    def __init__(
        self, expression: str, detail: str, code: str | None = None, position: int | None = None
    ) -> None:
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"Invalid JSONata expression '{expression}'{where}: {detail}")
        self.expression = expression
        self.detail = detail
        self.code = code
        self.position = position


@lru_cache(maxsize=8192)
def compile_jsonata(text: str, field: str = "") -> CompiledJsonata:
    """Compile ``"{% expr %}"`` (delimiters included) once; raise :class:`JsonataSyntaxError`.

    ``field`` names the ASL field for error causes (``Output``, ``Items``, ``Assign/total``...).
    """
    if not is_jsonata(text):
        raise ExpressionError(
            f"A JSONata expression must start with '{{%' and end with '%}}': {text!r}"
        )
    return CompiledJsonata(text, field)


class CompiledJsonata:
    """A compiled JSONata expression: ``fn(states, variables, rng=None, *, clock=None) -> value``.

    ``source`` is the original string, ``expression`` its body, ``field`` the ASL field it sits in.
    """

    __slots__ = (
        "_bound",
        "_hosts",
        "_key",
        "_probe_key",
        "_uses_run",
        "expression",
        "field",
        "source",
    )

    def __init__(self, source: str, field: str = "") -> None:
        self.source = source
        self.field = field
        self.expression = body = jsonata_body(source)
        _check_syntax(body)
        names = _referenced_names(body)
        functions = sorted(names & _PRELUDE.keys())
        defs = "".join(_PRELUDE[name] + "; " for name in functions)
        self._key = f"($states := $$; {defs}{body}\n)"
        self._probe_key = f"($states := $$; {defs}$type({body}\n))"
        self._hosts = frozenset(_HOSTS_OF[name] for name in functions)
        self._uses_run = bool(functions)
        # Workflow variables are bound only when named; ``eval`` is refused unless it is a variable.
        self._bound = tuple(sorted(names - {"states"}))
        try:
            _compiled(self._key, self._hosts)  # parse the wrapped form on this thread now
        except ValueError as exc:
            raise JsonataSyntaxError(body, _PARSE_PREFIX.sub("", str(exc))) from None

    def __repr__(self) -> str:
        return f"CompiledJsonata({self.source!r}, field={self.field!r})"

    def __call__(
        self,
        states: Mapping[str, JSON],
        variables: Variables,
        rng: _random.Random | None = None,
        *,
        clock: Clock | None = None,
    ) -> JSON:
        """Evaluate; raise ``StatesError(States.QueryEvaluationError)`` on failure or undefined."""
        if not self._uses_run:
            return self._evaluate(_as_dict(states), variables)
        token = _RUN.set(_Run(rng, clock))
        try:
            return self._evaluate(_as_dict(states), variables)
        finally:
            _RUN.reset(token)

    def _bindings(self, variables: Variables) -> dict[str, Any]:
        bindings: dict[str, Any] = {}
        for name in self._bound:
            if name in variables:
                bindings[name] = variables[name]
            elif name == "eval":
                bindings[name] = None
        return bindings

    def _evaluate(self, states: dict[str, Any], variables: Variables) -> JSON:
        bindings = self._bindings(variables) if self._bound else {}
        result = self._run(self._key, states, bindings)
        if result is None:
            kind = self._run(self._probe_key, states, bindings)
            if kind is None:
                raise self._error("returned nothing (undefined).")
            if kind == "function":
                raise self._error("returned an unsupported result type.")
            if kind != "null":  # a second run disagreed (random): read the first kind of result
                return _top_level(self._run(self._key, states, bindings))
            return None
        return _top_level(result)

    def _run(self, key: str, states: dict[str, Any], bindings: dict[str, Any]) -> Any:
        expr = _compiled(key, self._hosts)
        try:
            try:
                return expr.evaluate(states, bindings)
            except (TypeError, OverflowError):  # an int beyond 64 bits: read it as a double
                return expr.evaluate(_doubles(states), _doubles(bindings))
        except (KeyboardInterrupt, SystemExit):
            raise
        except StatesError:
            raise
        except BaseException as exc:  # ValueError, or a pyo3 PanicException from the engine
            raise self._failure(_engine_message(exc)) from None

    def _error(self, what: str) -> StatesError:
        return StatesError(QUERY_EVALUATION_ERROR, f"{self._sentence()} {what}")

    def _failure(self, message: str) -> StatesError:
        separator = ". " if _CODED.match(message) else ": "
        cause = f"{self._sentence()} threw an error during evaluation{separator}{message}"
        return StatesError(QUERY_EVALUATION_ERROR, cause)

    def _sentence(self) -> str:
        where = f" specified for the field '{self.field}'" if self.field else ""
        return f"The JSONata expression '{self.expression}'{where}"


def json_type_name(value: JSON) -> str:
    """The JSON type of ``value`` as AWS names it: null, boolean, number, string, array, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object"


def unexpected_type_error(evaluator: CompiledJsonata, expected: str, value: JSON) -> StatesError:
    """The error for a result of the wrong type (Items not an array...), worded as AWS words it."""
    rendered = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return evaluator._error(
        f"returned an unexpected result type. Expected '{expected}', but was "
        f"'{json_type_name(value)}' for value: {rendered}"
    )


# --------------------------------------------------------------------------------------------
# Templates: JSON values with {% %} strings at any depth (Arguments, Output, Assign, Items...)

TemplateBuilder = Callable[..., JSON]
"""``fn(states, variables, rng=None, *, clock=None) -> value``, as :class:`CompiledJsonata`."""

_Node = Callable[[dict[str, Any], Variables], JSON]


def template_has_jsonata(value: JSON) -> bool:
    """Whether a JSONata expression string appears anywhere in ``value``."""
    if isinstance(value, str):
        return is_jsonata(value)
    if isinstance(value, dict):
        return any(template_has_jsonata(v) for v in value.values())
    if isinstance(value, list):
        return any(template_has_jsonata(v) for v in value)
    return False


def compile_jsonata_template(value: JSON, field: str = "") -> TemplateBuilder:
    """Compile every ``{% %}`` string in ``value`` once and return a builder of the evaluated value.

    Constant parts are returned as they are (the same objects each time, not copies): callers
    must not mutate results. ``field`` is the ASL field, extended with ``/key`` and ``[i]`` in
    error causes (``Output/result``, ``Assign/items[0]``). All expressions of one build share one
    ``$now`` timestamp. Raises :class:`JsonataSyntaxError` for a malformed expression.
    """
    node, constant, uses_run = _compile_node(value, field)
    if constant:

        def build_constant(
            states: Mapping[str, JSON],
            variables: Variables,
            rng: Any = None,
            *,
            clock: Clock | None = None,
        ) -> JSON:
            return value

        return build_constant

    def build(
        states: Mapping[str, JSON],
        variables: Variables,
        rng: _random.Random | None = None,
        *,
        clock: Clock | None = None,
    ) -> JSON:
        if not uses_run:
            return node(_as_dict(states), variables)
        token = _RUN.set(_Run(rng, clock))
        try:
            return node(_as_dict(states), variables)
        finally:
            _RUN.reset(token)

    return build


def _compile_node(value: JSON, field: str) -> tuple[_Node, bool, bool]:
    """(node, is_constant, needs the per-evaluation context)."""
    if isinstance(value, str) and is_jsonata(value):
        evaluator = CompiledJsonata(value, field)
        return evaluator._evaluate, False, evaluator._uses_run
    if isinstance(value, dict):
        members = [(k, *_compile_node(v, f"{field}/{k}" if field else k)) for k, v in value.items()]
        if all(constant for _, _, constant, _ in members):
            return _constant(value), True, False
        items = [
            (k, None if constant else node, v)
            for (k, node, constant, _), v in zip(members, value.values(), strict=True)
        ]

        def build_dict(states: dict[str, Any], variables: Variables) -> JSON:
            return {k: v if node is None else node(states, variables) for k, node, v in items}

        return build_dict, False, any(uses for *_, uses in members)
    if isinstance(value, list):
        parts = [_compile_node(v, f"{field}[{i}]") for i, v in enumerate(value)]
        if all(constant for _, constant, _ in parts):
            return _constant(value), True, False
        elements = [
            (None if constant else node, v)
            for (node, constant, _), v in zip(parts, value, strict=True)
        ]

        def build_list(states: dict[str, Any], variables: Variables) -> JSON:
            return [v if node is None else node(states, variables) for node, v in elements]

        return build_list, False, any(uses for *_, uses in parts)
    return _constant(value), True, False


def _constant(value: JSON) -> _Node:
    return lambda states, variables: value


# --------------------------------------------------------------------------------------------
# Engine plumbing: per-thread compiled expressions, syntax errors, results


_TLS = threading.local()
_RETIRED: list[dict[str, Any]] = []
# Every thread's cache lives until the process ends; even the interpreter's own teardown must not
# drop it (from the main thread), so the list holds one reference nothing ever releases.
ctypes.pythonapi.Py_IncRef(ctypes.py_object(_RETIRED))
_CACHE_LIMIT = 4096


def _compiled(key: str, hosts: frozenset[str]) -> Any:
    """This thread's compiled ``jsonatapy`` expression (one may not cross threads)."""
    try:
        return _TLS.cache[key]
    except AttributeError:
        _TLS.cache = {}
        # Kept for the life of the process: a thread's compiled objects must never be dropped
        # by another thread (the engine forbids it and can crash), which would happen when the
        # thread exits and its thread-local cache is collected elsewhere.
        _RETIRED.append(_TLS.cache)
    except KeyError:
        if len(_TLS.cache) >= _CACHE_LIMIT:
            _TLS.cache.clear()
    expr = _engine().compile(key, timeout=EVALUATION_TIMEOUT_MS)
    for name in hosts:
        expr.register(name, _HOST_FUNCTIONS[name])
    _TLS.cache[key] = expr
    return expr


def clear_thread_cache() -> None:
    """Drop the expressions compiled on this thread (call it on the thread that compiled them,
    before the process exits, so the engine's teardown has nothing left to drop)."""
    cache = getattr(_TLS, "cache", None)
    if cache:
        cache.clear()


_PARSE_PREFIX = re.compile(r"^(?:Parse error: )?(?:Invalid syntax: )?")
_CODE = re.compile(r"^([STDU]\d{4}): ")
_CODED = re.compile(r"^[A-Z]\d{4}: ")
_TOKEN_CODES = frozenset({"S0201", "S0202", "S0203", "S0204", "S0211"})
_TOKEN_NAMES = {
    "LeftBracket": "[",
    "RightBracket": "]",
    "LeftParen": "(",
    "RightParen": ")",
    "LeftBrace": "{",
    "RightBrace": "}",
    "Comma": ",",
    "Semicolon": ";",
    "Colon": ":",
    "Question": "?",
    "Dot": ".",
    "DotDot": "..",
    "Equal": "=",
    "NotEqual": "!=",
    "LessThan": "<",
    "LessThanOrEqual": "<=",
    "GreaterThan": ">",
    "GreaterThanOrEqual": ">=",
    "Plus": "+",
    "Minus": "-",
    "Star": "*",
    "Slash": "/",
    "Percent": "%",
    "Ampersand": "&",
    "Pipe": "|",
    "Caret": "^",
    "At": "@",
    "Hash": "#",
    "Tilde": "~",
    "ColonEqual": ":=",
    "TildeArrow": "~>",
    "ChainArrow": "~>",
    "Bang": "!",
}
_TOKEN = re.compile(
    r"\b(" + "|".join(sorted(_TOKEN_NAMES, key=len, reverse=True)) + r")\b"
    r"|Number\(([^)]*)\)|(?:Identifier|Name|Variable|String)\(\"((?:[^\"\\]|\\.)*)\"\)"
)


def _engine() -> Any:
    """The jsonatapy module, imported when the first expression is compiled: a machine written
    in JSONPath never loads it."""
    import jsonatapy

    return jsonatapy


def _check_syntax(body: str) -> None:
    try:
        _engine().compile(body)
    except ValueError as exc:
        message = _PARSE_PREFIX.sub("", str(exc))
        match = _CODE.match(message)
        code = match.group(1) if match else None
        detail = message[match.end() :] if match else message
        if code in _TOKEN_CODES:
            detail = _TOKEN.sub(_token_text, detail)
        raise JsonataSyntaxError(body, detail, code, _syntax_position(body, code)) from None


def _token_text(match: re.Match[str]) -> str:
    if match.group(1):
        return json.dumps(_TOKEN_NAMES[match.group(1)])
    if match.group(2) is not None:
        number = float(match.group(2))
        return str(int(number)) if number.is_integer() else match.group(2)
    return '"' + (match.group(3) or "") + '"'


def _syntax_position(body: str, code: str | None) -> int | None:
    """Where parsing stopped: jsonata-python's parser says, if installed; else end-of-text codes."""
    try:
        import jsonata as jsonata_python  # optional: only used to locate syntax errors
    except ImportError:
        jsonata_python = None
    if jsonata_python is not None:
        try:
            jsonata_python.Jsonata(body)
        except jsonata_python.JException as exc:
            return int(exc.location)
        except Exception:
            pass
    if code in ("S0203", "S0207"):
        return len(body)
    return None


# Tokens that may follow ``$`` in a variable name: anything up to an operator or whitespace.
_VARIABLE = re.compile(r"\$([^\s.\[\]{}()\,;:?+\-*/%&|=<>!^~#@$'\"`]+)")


def _referenced_names(body: str) -> set[str]:
    """Every ``$name`` in the text (an over-approximation: strings and locals included)."""
    return set(_VARIABLE.findall(body))


def _engine_message(exc: BaseException) -> str:
    message = str(exc)
    message = _HOST_RAISED.sub("", message)
    if message.startswith("T1006: Attempted to invoke a non-function"):
        return "T1006: Attempted to invoke a non-function"
    return message


_HOST_RAISED = re.compile(r"^host function raised [\w.]+: ")


def _as_dict(states: Mapping[str, JSON]) -> dict[str, Any]:
    return states if type(states) is dict else dict(states)


def _top_level(result: Any) -> JSON:
    if type(result) is float:
        if not math.isfinite(result):
            return "NaN" if math.isnan(result) else ("Infinity" if result > 0 else "-Infinity")
        if result.is_integer() and abs(result) < 1e21:
            return int(result)
    return result


def _doubles(value: Any) -> Any:
    """``value`` with every int outside the signed 64-bit range turned into a float."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value) if not -(2**63) <= value < 2**63 else value
    if isinstance(value, dict):
        return {k: _doubles(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_doubles(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------
# Functions AWS adds to JSONata (and the engine's $now, $millis, $encodeUrl replaced)
#
# Each is a JSONata lambda passing ``$type(arg), arg`` pairs to a Python host function (a host
# function sees undefined, null and functions all as None) and indexing the one-element list the
# host returns: ``[]`` makes the call undefined, ``[None]`` null. Like any JSONata lambda they
# ignore surplus arguments, so that ``$map(strings, $parse)`` works.


class _Run:
    """Per-evaluation state read by host functions: the rng and a lazily read clock."""

    __slots__ = ("_millis", "clock", "rng")

    def __init__(self, rng: _random.Random | None, clock: Clock | None) -> None:
        self.rng = rng
        self.clock = clock
        self._millis: int | None = None

    def millis(self) -> int:
        if self._millis is None:
            self._millis = int(self.clock()) if self.clock else time.time_ns() // 1_000_000
        return self._millis


_RUN: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("asl_jsonata_run", default=None)


def _run() -> _Run:
    run = _RUN.get()
    return run if run is not None else _Run(None, None)


class _HostError(Exception):
    """Raised by a host function; its message is ``CODE: sentence`` as the cause shows it."""


def _signature(function: str, argument: int) -> _HostError:
    return _HostError(
        f'T0410: Argument {argument} of function "{function}" does not match function signature'
    )


def _integer(function: str, argument: int, kind: str | None, value: Any) -> int:
    """A numeric argument rounded towards zero, as AWS reads it."""
    if kind != "number" or not math.isfinite(value):
        raise _signature(function, argument)
    return int(value)


def _partition(ta: str | None, a: Any, tn: str | None, n: Any) -> list[Any]:
    if ta is None:
        return []
    if ta != "array":
        raise _HostError('T0412: Argument 1 of function "partition" must be an array of undefined')
    if not a:
        return []
    if tn is None:
        return [[a]]
    size = _integer("partition", 2, tn, n)
    if size < 0:
        raise _HostError("D3137: Second argument must be zero or greater")
    if size == 0:
        return []
    return [[a[i : i + size] for i in range(0, len(a), size)]]


_RANGE_LIMIT = 10_000_000


def _range(ta: str | None, a: Any, tb: str | None, b: Any, tc: str | None, c: Any) -> list[Any]:
    start = _integer("range", 1, ta, a)
    end = _integer("range", 2, tb, b)
    if tc is None:
        return []
    step = _integer("range", 3, tc, c)
    if step == 0 or (step > 0 and start > end) or (step < 0 and start < end):
        return []
    if start == end:
        return [start]
    if (end - start) // step >= _RANGE_LIMIT:
        raise _HostError(f"D3137: The range would hold more than {_RANGE_LIMIT} elements")
    return [list(range(start, end + (1 if step > 0 else -1), step))]


_HASHES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def _hash(tv: str | None, v: Any, ta: str | None, a: Any) -> list[Any]:
    if tv != "string":
        raise _signature("hash", 1)
    if ta is None:
        return []
    if ta != "string":
        raise _signature("hash", 2)
    if a not in _HASHES:
        raise _HostError(
            f"D3137: Hash algorithm '{a}' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5"
        )
    return [hashlib.new(_HASHES[a], v.encode("utf-8")).hexdigest()]


def _java_random_double(seed: int) -> float:
    """``new java.util.Random(seed).nextDouble()``: what AWS's seeded ``$random`` returns."""
    mask = (1 << 48) - 1
    state = (seed ^ 0x5DEECE66D) & mask
    state = (state * 0x5DEECE66D + 0xB) & mask
    high = state >> (48 - 26)
    state = (state * 0x5DEECE66D + 0xB) & mask
    low = state >> (48 - 27)
    return ((high << 27) + low) * 2.0**-53


def _random_fn(ts: str | None, s: Any) -> list[Any]:
    if ts is None:
        rng = _run().rng
        return [rng.random() if rng is not None else _random.random()]
    return [_java_random_double(_integer("random", 1, ts, s))]


def _uuid_fn() -> list[Any]:
    rng = _run().rng
    if rng is None:
        return [str(_uuid.uuid4())]
    return [str(_uuid.UUID(int=rng.getrandbits(128), version=4))]


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_int(text: str) -> int | float:
    value = int(text)
    return value if -(2**63) <= value < 2**63 else float(value)


def _json_float(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**63 else value


def _parse(ts: str | None, s: Any) -> list[Any]:
    if ts is None:
        return []
    if ts != "string":
        raise _signature("parse", 1)
    try:
        value = json.loads(
            s,
            object_pairs_hook=_reject_duplicates,
            parse_int=_json_int,
            parse_float=_json_float,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError):
        raise _HostError("D3137: Invalid JSON") from None
    return [value]


# encodeURI: everything but letters, digits and ;,/?:@&=+$-_.!~*'()# is percent-encoded (UTF-8)
_URI_SAFE = ";,/?:@&=+$-_.!~*'()#"


def _encode_url(ts: str | None, s: Any) -> list[Any]:
    if ts is None:
        return []
    if ts != "string":
        raise _signature("encodeUrl", 1)
    try:
        return [urllib.parse.quote(s, safe=_URI_SAFE, encoding="utf-8", errors="strict")]
    except UnicodeEncodeError:
        raise _HostError(f"D3140: Malformed URL passed to $encodeUrl(): {json.dumps(s)}") from None


_FROM_MILLIS = "$fromMillis($t, $p, $z)"


def _now(tp: str | None, p: Any, tz: str | None, z: Any) -> list[Any]:
    millis = _run().millis()
    if tp is None and tz is None:
        instant = datetime.fromtimestamp(millis / 1000, UTC)
        return [f"{instant:%Y-%m-%dT%H:%M:%S}.{millis % 1000:03d}Z"]
    bindings: dict[str, Any] = {"t": millis}
    if tp is not None:
        bindings["p"] = p
    if tz is not None:
        bindings["z"] = z
    try:
        return [_compiled(_FROM_MILLIS, frozenset()).evaluate(None, bindings)]
    except ValueError as exc:
        raise _HostError(str(exc)) from None


def _millis() -> list[Any]:
    return [_run().millis()]


_HOST_FUNCTIONS: dict[str, Callable[..., list[Any]]] = {
    "__sfn_partition": _partition,
    "__sfn_range": _range,
    "__sfn_hash": _hash,
    "__sfn_random": _random_fn,
    "__sfn_uuid": _uuid_fn,
    "__sfn_parse": _parse,
    "__sfn_encodeUrl": _encode_url,
    "__sfn_now": _now,
    "__sfn_millis": _millis,
}

_PARAMETERS = {
    "partition": 2,
    "range": 3,
    "hash": 2,
    "random": 1,
    "uuid": 0,
    "parse": 1,
    "encodeUrl": 1,
    "now": 2,
    "millis": 0,
}


def _lambda(name: str, parameters: int) -> str:
    params = [f"$a{i}" for i in range(parameters)]
    args = ", ".join(f"$type({p}), {p}" for p in params)
    return f"${name} := function({', '.join(params)}) {{ $__sfn_{name}({args})[0] }}"


_PRELUDE = {name: _lambda(name, count) for name, count in _PARAMETERS.items()}
_HOSTS_OF = {name: f"__sfn_{name}" for name in _PARAMETERS}
