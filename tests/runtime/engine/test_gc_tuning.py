"""The collector's thresholds are raised once per process, never lowered, and can be left."""

from __future__ import annotations

import gc

import pytest

from runtime.drivers import gc as _gc


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch):
    saved = gc.get_threshold()
    monkeypatch.setattr(_gc, "_done", False)
    yield
    gc.set_threshold(*saved)


@pytest.mark.parametrize(
    ("before", "env", "after"),
    [
        ((700, 10, 10), None, _gc.THRESHOLDS),
        ((2000, 10, 10), None, _gc.THRESHOLDS),
        ((50_000, 5, 500), None, (50_000, 100, 500)),  # never lowered
        ((700, 10, 10), "off", (700, 10, 10)),
        ((700, 10, 10), "0", (700, 10, 10)),
        ((0, 10, 10), None, (0, 10, 10)),  # collection switched off stays off
    ],
)
def test_thresholds(
    fresh: None, monkeypatch: pytest.MonkeyPatch, before: tuple, env: str | None, after: tuple
) -> None:
    if env is None:
        monkeypatch.delenv("ASL_GC_TUNING", raising=False)
    else:
        monkeypatch.setenv("ASL_GC_TUNING", env)
    gc.set_threshold(*before)
    _gc.tune_collector()
    assert gc.get_threshold() == after


def test_only_once(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASL_GC_TUNING", raising=False)
    gc.set_threshold(700, 10, 10)
    _gc.tune_collector()
    gc.set_threshold(700, 10, 10)  # the application changes them afterwards: its choice stands
    _gc.tune_collector()
    assert gc.get_threshold() == (700, 10, 10)
