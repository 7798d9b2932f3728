"""EventBridge Scheduler's API (schedules and schedule groups)."""

from __future__ import annotations

ACTIONS: dict = {}
