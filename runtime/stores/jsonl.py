"""The optional Express log: an in-memory store that also writes every event as a JSON line."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from runtime.core.events import Event
from runtime.stores.base import ChildAppend, Outcome, StoreError
from runtime.stores.memory import MemoryStore


class JsonlStore(MemoryStore):
    """A :class:`MemoryStore` appending each event to a JSON Lines file as it is stored.

    Each line is the event as GetExecutionHistory shapes it plus ``executionArn``. The log is
    opened for appending, so several runs can share one file. ``keep_events=False``: the events
    go to the file only, not to memory as well.
    """

    def __init__(self, path: str | Path, *, keep_events: bool = True) -> None:
        super().__init__(keep_events=keep_events)
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[str] = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise StoreError(f"cannot open log {self.path}: {exc.strerror or exc}")

    def append(
        self,
        execution_arn: str,
        events: Sequence[Event],
        *,
        expected_last_id: int,
        outcome: Outcome | None = None,
        children: Mapping[str, ChildAppend] | None = None,
    ) -> None:
        super().append(
            execution_arn,
            events,
            expected_last_id=expected_last_id,
            outcome=outcome,
            children=children,
        )
        self._log(execution_arn, events)
        for arn, child in (children or {}).items():
            self._log(arn, child.events)

    def redrive(self, execution_arn: str, event: Event, *, expected_last_id: int) -> None:
        super().redrive(execution_arn, event, expected_last_id=expected_last_id)
        self._log(execution_arn, [event])

    def close(self) -> None:
        self._file.close()

    def _log(self, execution_arn: str, events: Sequence[Event]) -> None:
        lines = "".join(
            json.dumps({"executionArn": execution_arn, **e.to_dict()}, ensure_ascii=False) + "\n"
            for e in events
        )
        try:
            self._file.write(lines)
            self._file.flush()
        except OSError as exc:
            raise StoreError(f"cannot write log {self.path}: {exc.strerror or exc}")
