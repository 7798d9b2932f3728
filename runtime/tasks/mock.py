"""Mocked task responses in AWS Step Functions Local's mock configuration format.

::

    {"StateMachines": {"Orders": {"TestCases": {"RetryPath": {"Charge": "ChargeFlaky"}}}},
     "MockedResponses": {"ChargeFlaky": {
         "0":   {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
         "1-2": {"Return": {"StatusCode": 200, "Payload": {"ok": true}}}}}}

A test case maps state names to mocked responses. Each mocked response maps zero-based
invocation numbers (``"0"``) or inclusive ranges (``"1-2"``) to one ``Return`` (the task result)
or ``Throw`` (``Error`` and optional ``Cause``). The keys must cover 0, 1, 2... without gaps.
Invocations are counted per state within one execution (retries, loops and Map iterations all
count); once the numbered responses run out, the last one repeats. States the test case does not
name fall through to the other routes, as they reach the real service in Step Functions Local.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asl.errors import StatesError
from runtime.core.interpreter import TaskRequest
from runtime.handlers.loading import ConfigurationError


@dataclass(frozen=True, slots=True)
class MockedResponse:
    """One numbered response: a value to return, or an error to throw."""

    value: Any = None
    error: str | None = None
    cause: str | None = None

    def apply(self) -> Any:
        if self.error is not None:
            raise StatesError(self.error, self.cause)
        return self.value


@dataclass(frozen=True, slots=True)
class MockTestCase:
    """A test case: per state name, its responses by invocation number."""

    machine: str
    name: str
    states: Mapping[str, tuple[MockedResponse, ...]]


class MockConfig:
    """A validated mock configuration file."""

    def __init__(self, raw: Any, source: str = "mock config") -> None:
        self.source = source
        problems: list[str] = []
        self.responses = _responses(raw, problems)
        known = raw.get("MockedResponses") if isinstance(raw, Mapping) else None
        names = set(known) if isinstance(known, Mapping) else set()
        self.machines = _machines(raw, names, problems)
        if problems:
            shown = "\n  ".join(problems[:20])
            raise ConfigurationError(f"{source} is not a valid mock configuration:\n  {shown}")

    @classmethod
    def load(cls, source: str | Path | Mapping[str, Any]) -> MockConfig:
        """Read a config from a file path or take an already parsed mapping."""
        if not isinstance(source, (str, os.PathLike)):
            return cls(source)  # already parsed
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"mock config {str(path)!r}: cannot read it ({exc.strerror}).")
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(f"mock config {str(path)!r} is not valid JSON: {exc}")
        return cls(raw, f"mock config {str(path)!r}")

    def test_case(self, machine: str | None, case: str | None) -> MockTestCase:
        """The test case to run.

        Either name may be omitted when only one exists; a machine name the file does not know
        is ignored when the file describes a single machine (the CLI names machines after files).
        """
        names = sorted(self.machines)
        if machine is None or (machine not in self.machines and len(names) == 1):
            if len(names) != 1:
                raise ConfigurationError(
                    f"{self.source} describes {len(names)} state machines "
                    f"({', '.join(names) or 'none'}); name the one to run."
                )
            machine = names[0]
        if machine not in self.machines:
            raise ConfigurationError(
                f"{self.source} has no state machine {machine!r}; it has: "
                f"{', '.join(names) or 'none'}."
            )
        cases = self.machines[machine]
        if case is None:
            if len(cases) != 1:
                raise ConfigurationError(
                    f"{self.source}: state machine {machine!r} has test cases "
                    f"{', '.join(sorted(cases)) or '(none)'}; pick one with --test-case."
                )
            case = next(iter(cases))
        if case not in cases:
            raise ConfigurationError(
                f"{self.source}: state machine {machine!r} has no test case {case!r}; it has: "
                f"{', '.join(sorted(cases)) or 'none'}."
            )
        states = {state: self.responses[ref] for state, ref in cases[case].items()}
        return MockTestCase(machine, case, states)


class MockResponder:
    """Answers task requests for the states a test case mocks, counting invocations."""

    def __init__(self, case: MockTestCase) -> None:
        self.case = case
        self._counts: dict[tuple[str, str], int] = {}

    def handles(self, request: TaskRequest) -> bool:
        return request.state_name in self.case.states

    def respond(self, request: TaskRequest) -> Any:
        """The mocked result for this invocation of the request's state (or its error)."""
        responses = self.case.states[request.state_name]
        execution = str((request.context.get("Execution") or {}).get("Id", ""))
        key = (execution, request.state_name)
        n = self._counts.get(key, 0)
        self._counts[key] = n + 1
        return responses[min(n, len(responses) - 1)].apply()


def _responses(raw: Any, problems: list[str]) -> dict[str, tuple[MockedResponse, ...]]:
    if not isinstance(raw, Mapping):
        problems.append("the top level must be an object with StateMachines and MockedResponses")
        return {}
    unknown = sorted(set(raw) - {"StateMachines", "MockedResponses"})
    if unknown:
        problems.append(f"unknown top-level field(s): {', '.join(unknown)}")
    section = raw.get("MockedResponses", {})
    if not isinstance(section, Mapping):
        problems.append("MockedResponses must be an object")
        return {}
    out: dict[str, tuple[MockedResponse, ...]] = {}
    for name, numbered in section.items():
        where = f"MockedResponses.{name}"
        if not isinstance(numbered, Mapping) or not numbered:
            problems.append(f"{where} must be a non-empty object keyed by invocation numbers")
            continue
        spans: list[tuple[int, int, MockedResponse]] = []
        for key, body in numbered.items():
            span = _span(key)
            if span is None:
                problems.append(f'{where}: key {key!r} is not a number ("0") or range ("1-2")')
                continue
            response = _response(body, f"{where}.{key}", problems)
            if response is not None:
                spans.append((*span, response))
        expanded: list[MockedResponse] = []
        for start, end, response in sorted(spans, key=lambda s: s[0]):
            if start != len(expanded):
                problems.append(
                    f"{where}: invocation numbers must run 0, 1, 2... without gaps or overlaps; "
                    f"expected {len(expanded)} next, found {start}"
                )
                break
            expanded.extend([response] * (end - start + 1))
        else:
            if expanded:
                out[name] = tuple(expanded)
    return out


def _machines(
    raw: Any, known: set[str], problems: list[str]
) -> dict[str, dict[str, dict[str, str]]]:
    section = raw.get("StateMachines", {}) if isinstance(raw, Mapping) else {}
    if not isinstance(section, Mapping):
        problems.append("StateMachines must be an object")
        return {}
    machines: dict[str, dict[str, dict[str, str]]] = {}
    for machine, body in section.items():
        where = f"StateMachines.{machine}"
        cases = body.get("TestCases") if isinstance(body, Mapping) else None
        if not isinstance(cases, Mapping):
            problems.append(f"{where} must be an object with a TestCases object")
            continue
        machines[machine] = {}
        for case, states in cases.items():
            if not isinstance(states, Mapping) or not all(
                isinstance(v, str) for v in states.values()
            ):
                problems.append(
                    f"{where}.TestCases.{case} must map state names to mocked response names"
                )
                continue
            for state, ref in states.items():
                if ref not in known:
                    problems.append(
                        f"{where}.TestCases.{case}.{state}: no mocked response named {ref!r} "
                        "in MockedResponses"
                    )
            machines[machine][case] = dict(states)
    return machines


def _span(key: str) -> tuple[int, int] | None:
    first, sep, last = key.strip().partition("-")
    if not first.isdigit() or (sep and not last.isdigit()):
        return None
    start, end = int(first), int(last) if sep else int(first)
    return (start, end) if end >= start else None


def _response(body: Any, where: str, problems: list[str]) -> MockedResponse | None:
    if not isinstance(body, Mapping) or len(set(body) & {"Return", "Throw"}) != 1:
        problems.append(f"{where} must hold exactly one of Return or Throw")
        return None
    if set(body) - {"Return", "Throw"}:
        extra = ", ".join(sorted(set(body) - {"Return", "Throw"}))
        problems.append(f"{where}: unknown field(s) {extra}")
        return None
    if "Return" in body:
        return MockedResponse(value=body["Return"])
    throw = body["Throw"]
    if (
        not isinstance(throw, Mapping)
        or not isinstance(throw.get("Error"), str)
        or not isinstance(throw.get("Cause", ""), str)
        or set(throw) - {"Error", "Cause"}
    ):
        problems.append(f'{where}.Throw must be {{"Error": string, "Cause": string}}')
        return None
    return MockedResponse(error=throw["Error"], cause=throw.get("Cause"))


__all__ = ["MockConfig", "MockResponder", "MockTestCase", "MockedResponse"]
