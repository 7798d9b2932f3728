"""State machine versions and aliases."""

from __future__ import annotations

ACTIONS: dict = {}
