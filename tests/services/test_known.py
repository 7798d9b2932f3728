"""The list of known differences stays true to the cases and to FINDINGS.md."""

from __future__ import annotations

import re
from pathlib import Path

from tests.services.cases import load_cases
from tests.services.known import FINDINGS, KNOWN

FINDINGS_MD = Path(__file__).with_name("FINDINGS.md")


def test_every_known_case_exists_and_names_findings_that_exist() -> None:
    ids = {case.id for case in load_cases()}
    assert set(KNOWN) <= ids
    assert {finding for found in KNOWN.values() for finding in found} == set(FINDINGS)


def test_every_finding_is_written_up() -> None:
    text = FINDINGS_MD.read_text()
    written = set(re.findall(r"^### (E\d+)\.", text, re.M))
    written |= set(re.findall(r"^- \*\*(M\d+)\*\*", text, re.M))
    assert written == set(FINDINGS)
