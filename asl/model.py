"""The typed, immutable model of a state machine, with every expression compiled.

A :class:`StateMachine` is built once by :func:`asl.load`; running a state only calls the compiled
callables stored here. JSONPath states carry :data:`~asl.types.Getter` / :data:`Setter` callables,
JSONata states carry :class:`Jsonata` templates; which pipeline applies is ``state.query_language``.
Names are snake_case; AWS spellings live only in ``raw`` (the state's JSON object).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asl.errors import error_matches
from asl.types import JSON, Getter, Predicate, Setter, Variables

JSONPATH = "JSONPath"
JSONATA = "JSONata"

JsonataBuilder = Callable[..., JSON]
"""A compiled JSONata template: ``fn(states, variables, rng=None)``."""


# --- values that may be literal, read from a path, or computed by JSONata ---------------------


@dataclass(frozen=True, slots=True)
class Const:
    """A literal field value (``"Seconds": 10``)."""

    value: JSON

    def resolve(self, data: JSON, context: JSON, variables: Variables, states: Any = None) -> JSON:
        return self.value


@dataclass(frozen=True, slots=True)
class FromPath:
    """A value read through a reference path (``"SecondsPath": "$.delay"``)."""

    path: str
    getter: Getter

    def resolve(self, data: JSON, context: JSON, variables: Variables, states: Any = None) -> JSON:
        return self.getter(data, context, variables)


@dataclass(frozen=True, slots=True)
class FromJsonata:
    """A value computed by a JSONata expression or template (``"Seconds": "{% $x %}"``)."""

    text: JSON
    builder: JsonataBuilder

    def resolve(self, data: JSON, context: JSON, variables: Variables, states: Any = None) -> JSON:
        return self.builder(states, variables)


Dynamic = Const | FromPath | FromJsonata


# --- error handling -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval_seconds: float = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: float | None = None
    jitter_strategy: str = "NONE"

    def delay(self, attempt: int) -> float:
        """The un-jittered delay before retry number ``attempt`` (1-based)."""
        delay = self.interval_seconds * self.backoff_rate ** (attempt - 1)
        if self.max_delay_seconds is not None:
            delay = min(delay, self.max_delay_seconds)
        return delay


@dataclass(frozen=True, slots=True)
class Catcher:
    error_equals: tuple[str, ...]
    next: str
    result_path: Setter | None = None  # JSONPath; None with has_result_path=False means "$"
    output: JsonataBuilder | None = None  # JSONata
    assign: Callable[..., JSON] | None = None


# --- states -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    """Fields every state type has. ``pointer`` is the JSON Pointer of the state's object."""

    name: str
    type: str
    pointer: str
    query_language: str = JSONPATH
    comment: str | None = None
    next: str | None = None
    end: bool = False
    # JSONPath I/O
    input_path: Getter | None = None  # None: "$"
    input_path_null: bool = False  # "InputPath": null -> {}
    output_path: Getter | None = None
    output_path_null: bool = False
    # JSONata I/O
    output: JsonataBuilder | None = None
    # Variables: JSONPath Assign is a Getter over the state's result; JSONata a template builder.
    assign: Callable[..., JSON] | None = None
    raw: Mapping[str, JSON] = field(default_factory=dict, repr=False, compare=False)
    # Derived from the fields above when the state is made:
    is_jsonata: bool = field(init=False, repr=False, compare=False)
    reads_context: bool = field(init=False, repr=False, compare=False)
    """Whether the state's own fields may read the context object (``$$``, ``$states``):
    a state whose fields cannot is run without building its context."""
    draws_random: bool = field(init=False, repr=False, compare=False)
    """Whether the state's own fields may draw random numbers (``States.UUID``,
    ``States.MathRandom``, ``$random()``, ``$uuid()``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_jsonata", self.query_language == JSONATA)
        texts = list(_strings(self.raw))
        known = bool(self.raw)  # a state made without its JSON: assume the worst
        object.__setattr__(
            self,
            "reads_context",
            not known or any("$$" in t or "$states" in t for t in texts),
        )
        object.__setattr__(
            self,
            "draws_random",
            not known or any("andom" in t or "UUID" in t or "uuid" in t for t in texts),
        )


def _passes_through(state: State) -> bool:
    """A JSONPath state that neither selects its input or output nor assigns variables."""
    return (
        not state.is_jsonata
        and state.input_path is None
        and not state.input_path_null
        and state.output_path is None
        and not state.output_path_null
        and state.assign is None
    )


_IMMEDIATE_TYPES = frozenset({"Pass", "Choice", "Succeed", "Fail"})


def _assigns(raw: Mapping[str, Any]) -> bool:
    """Whether a state's JSON has an ``Assign``: its own, a Catcher's or a Choice rule's."""
    if "Assign" in raw:
        return True
    entries = [*(raw.get("Catch") or ()), *(raw.get("Choices") or ())]
    return any(isinstance(entry, Mapping) and "Assign" in entry for entry in entries)


def _strings(value: Any) -> Iterator[str]:
    """Every string value anywhere in ``value`` (keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


@dataclass(frozen=True, slots=True, kw_only=True)
class WithResult(State):
    """States that produce a result: Pass, Task, Parallel, Map."""

    parameters: Getter | None = None  # JSONPath Parameters / ItemSelector
    arguments: JsonataBuilder | None = None  # JSONata Arguments
    result_selector: Getter | None = None
    result_path: Setter | None = None  # None with result_path_null False: "$"
    result_path_null: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class WithErrors(WithResult):
    """States that may fail and handle it: Task, Parallel, Map (Retry and Catch)."""

    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()
    _handlers: dict[str, tuple[int | None, int | None]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def handlers_for(self, error: str) -> tuple[int | None, int | None]:
        """``(retrier, catcher)``: the indexes of the first Retrier and the first Catcher whose
        ErrorEquals handle ``error`` (None where none does), worked out once per error name."""
        found = self._handlers.get(error)
        if found is None:
            if len(self._handlers) >= _HANDLERS_REMEMBERED:
                self._handlers.clear()
            found = self._handlers[error] = (
                _first_match(self.retry, error),
                _first_match(self.catch, error),
            )
        return found


_HANDLERS_REMEMBERED = 256  # error names per state (a dynamic ErrorPath could make any number)


def _first_match(handlers: Sequence[Retrier | Catcher], error: str) -> int | None:
    for index, handler in enumerate(handlers):
        if error_matches(handler.error_equals, error):
            return index
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class PassState(WithResult):
    result: JSON = None
    has_result: bool = False
    direct: bool = field(init=False, repr=False, compare=False)
    """Whether the output is simply the result (Parameters, Result or the input): a JSONPath
    state with no InputPath, ResultPath, OutputPath or Assign."""

    def __post_init__(self) -> None:
        State.__post_init__(self)
        object.__setattr__(
            self,
            "direct",
            _passes_through(self) and self.result_path is None and not self.result_path_null,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskState(WithErrors):
    resource: str = ""
    timeout_seconds: Dynamic | None = None
    heartbeat_seconds: Dynamic | None = None
    credentials: Getter | JsonataBuilder | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceRule:
    """One top-level Choice rule: a predicate (JSONPath) or a Condition (JSONata), and its Next."""

    next: str
    predicate: Predicate | None = None
    condition: JsonataBuilder | None = None
    assign: Callable[..., JSON] | None = None
    output: JsonataBuilder | None = None
    raw: Mapping[str, JSON] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceState(State):
    choices: tuple[ChoiceRule, ...] = ()
    default: str | None = None
    direct: bool = field(init=False, repr=False, compare=False)
    """Whether the output is the input and the rules only choose: a JSONPath state with no
    InputPath, OutputPath or Assign (its own or a rule's)."""

    def __post_init__(self) -> None:
        State.__post_init__(self)
        direct = _passes_through(self) and all(rule.assign is None for rule in self.choices)
        object.__setattr__(self, "direct", direct)


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitState(State):
    seconds: Dynamic | None = None
    timestamp: Dynamic | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SucceedState(State):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class FailState(State):
    error: Dynamic | None = None
    cause: Dynamic | None = None
    literal: bool = field(init=False, repr=False, compare=False)
    """Whether Error and Cause are literal strings or absent: nothing to evaluate."""

    def __post_init__(self) -> None:
        State.__post_init__(self)
        literal = all(
            field is None or (type(field) is Const and isinstance(field.value, str))
            for field in (self.error, self.cause)
        )
        object.__setattr__(self, "literal", literal)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParallelState(WithErrors):
    branches: tuple[StateMachine, ...] = ()
    immediate: bool = field(init=False, repr=False, compare=False)
    """Whether every branch is an immediate scope (see :attr:`StateMachine.immediate`)."""

    def __post_init__(self) -> None:
        State.__post_init__(self)
        object.__setattr__(self, "immediate", all(b.immediate for b in self.branches))


@dataclass(frozen=True, slots=True)
class ItemReader:
    resource: str
    parameters: Getter | JsonataBuilder | None
    reader_config: Mapping[str, JSON]
    max_items: Dynamic | None = None


@dataclass(frozen=True, slots=True)
class ItemBatcher:
    max_items_per_batch: Dynamic | None = None
    max_input_bytes_per_batch: Dynamic | None = None
    batch_input: Getter | JsonataBuilder | None = None


@dataclass(frozen=True, slots=True)
class ResultWriter:
    resource: str | None
    parameters: Getter | JsonataBuilder | None
    writer_config: Mapping[str, JSON]


@dataclass(frozen=True, slots=True, kw_only=True)
class MapState(WithErrors):
    processor: StateMachine | None = None
    mode: str = "INLINE"  # INLINE | DISTRIBUTED
    execution_type: str | None = None  # STANDARD | EXPRESS for DISTRIBUTED
    items_path: Getter | None = None  # JSONPath ItemsPath (None: "$")
    items: Dynamic | None = None  # JSONata Items
    item_selector: Getter | JsonataBuilder | None = None
    item_reader: ItemReader | None = None
    item_batcher: ItemBatcher | None = None
    result_writer: ResultWriter | None = None
    max_concurrency: Dynamic | None = None
    tolerated_failure_percentage: Dynamic | None = None
    tolerated_failure_count: Dynamic | None = None
    label: str | None = None


STATE_TYPES: Mapping[str, type[State]] = {
    "Pass": PassState,
    "Task": TaskState,
    "Choice": ChoiceState,
    "Wait": WaitState,
    "Succeed": SucceedState,
    "Fail": FailState,
    "Parallel": ParallelState,
    "Map": MapState,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class StateMachine:
    """A whole machine, a Parallel branch, or a Map item processor."""

    start_at: str
    states: Mapping[str, State]
    query_language: str = JSONPATH
    timeout_seconds: int | None = None
    comment: str | None = None
    version: str | None = None
    pointer: str = ""
    raw: Mapping[str, JSON] = field(default_factory=dict, repr=False, compare=False)
    immediate: bool = field(init=False, repr=False, compare=False)
    """Whether every state of the scope finishes without waiting (Pass, Choice, Succeed, Fail):
    such a scope runs as a plain loop, without coroutines."""

    assigns: bool = field(init=False, repr=False, compare=False)
    """Whether a state of the scope (not of a nested one) assigns variables; a scope that does
    not runs without a variable scope of its own."""

    def __post_init__(self) -> None:
        immediate = all(s.type in _IMMEDIATE_TYPES for s in self.states.values())
        object.__setattr__(self, "immediate", immediate)
        assigns = any(_assigns(s.raw) for s in self.states.values()) or not all(
            s.raw for s in self.states.values()
        )
        object.__setattr__(self, "assigns", assigns)

    def __getitem__(self, name: str) -> State:
        return self.states[name]

    def iter_all_states(self):
        """Every state of this machine and of its nested branches and processors."""
        for state in self.states.values():
            yield state
            if isinstance(state, ParallelState):
                for branch in state.branches:
                    yield from branch.iter_all_states()
            elif isinstance(state, MapState) and state.processor is not None:
                yield from state.processor.iter_all_states()
