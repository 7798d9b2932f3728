"""Fixtures for the examples' tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples.support import ROOT


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test from the repo root, as the READMEs say to (paths in definitions start there)."""
    monkeypatch.chdir(ROOT)
    return ROOT
