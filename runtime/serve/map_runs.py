"""Map Run APIs: DescribeMapRun, ListMapRuns, UpdateMapRun."""

from __future__ import annotations

ACTIONS: dict = {}
