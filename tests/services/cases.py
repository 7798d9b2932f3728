"""The AWS-recorded service executions (``tests/conformance/services``), one :class:`ServiceCase`
each, and the names the recording used for the machine and the execution."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import conformance_dir
from tests.runtime.conformance.test_execution_cases import key_replacements

_UID_NAME = re.compile(r"_u(\d{7})$")


@dataclass(frozen=True)
class ServiceCase:
    """One recorded execution and where it came from."""

    path: Path
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def test(self) -> str:
        """The LocalStack test function that recorded it (``test_send_message``)."""
        node = self.data["source"]["node_id"].rsplit("::", 1)[1]
        return node.split("[", 1)[0]

    @property
    def param(self) -> str | None:
        """The test's parameter id (``SQS_PARALLEL_WAIT_FOR_TASK_TOKEN``), if parametrised."""
        node = self.data["source"]["node_id"]
        return node[node.index("[") + 1 : -1] if "[" in node else None

    @property
    def definition(self) -> dict[str, Any]:
        return dict(self.data["definition"])

    @property
    def express(self) -> bool:
        return self.data.get("state_machine_type") == "EXPRESS"

    @property
    def expected(self) -> dict[str, Any]:
        return dict(self.data["expected"])

    @cached_property
    def literal_replacements(self) -> list[tuple[str, str]]:
        """The recorder's ``RegexTransformer`` pairs (every one is a literal name or value)."""
        return [
            (t["args"][0], t["args"][1])
            for t in self.data.get("snapshot_transformers", [])
            if t.get("type") == "RegexTransformer"
        ]

    @cached_property
    def masked_keys(self) -> dict[str, str]:
        """``JsonpathTransformer`` masks as {key: replacement} (``$..TaskToken``...)."""
        return key_replacements(self.data)

    @property
    def presets(self) -> set[str]:
        """LocalStack's transformer presets the recording used (``transform.dynamodb_api``)."""
        return {
            t["type"]
            for t in self.data.get("snapshot_transformers", [])
            if t["type"].startswith("transform.")
        }

    @cached_property
    def machine_names(self) -> list[str]:
        """The recorded state machine names, oldest first: children before the parent."""
        names = [p for p, r in self.literal_replacements if r == "<ArnPart_0idx>"]
        return sorted(names, key=lambda n: _UID_NAME.search(n)[1] if _UID_NAME.search(n) else "")

    @property
    def machine_name(self) -> str:
        """The executed machine's name: the newest one the test created."""
        return self.machine_names[-1] if self.machine_names else "statemachine"

    @property
    def execution_name(self) -> str | None:
        return next((p for p, r in self.literal_replacements if r == "<ExecArnPart_0idx>"), None)

    @property
    def expected_events(self) -> list[str] | None:
        """The event types in order, unless the recording re-ordered them."""
        if any("re-ordered" in c for c in self.data.get("caveats", [])):
            return None
        return self.data.get("expected_events") or None


def load_cases() -> list[ServiceCase]:
    """Every service case, sorted by file name."""
    folder = conformance_dir() / "services"
    return [ServiceCase(p, json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))]


def case_params(skips: dict[str, str]) -> list[Any]:
    """Every case as a pytest parameter named by its id: those in ``skips`` skipped with their
    reason, those with a known finding (:mod:`tests.services.known`) strict xfails."""
    from tests.services.known import known_reason

    params = []
    for case in load_cases():
        marks: list[Any] = []
        if case.id in skips:
            marks.append(pytest.mark.skip(reason=skips[case.id]))
        elif known_reason(case.id):
            reason = known_reason(case.id)  # a difference, not a broken world or harness
            marks.append(pytest.mark.xfail(raises=AssertionError, strict=True, reason=reason))
        params.append(pytest.param(case, id=case.id[:120], marks=marks))
    return params


def case_by_id(case_id: str) -> ServiceCase:
    path = conformance_dir() / "services" / f"{case_id}.json"
    return ServiceCase(path, json.loads(path.read_text()))


__all__ = ["ServiceCase", "case_by_id", "case_params", "load_cases"]
