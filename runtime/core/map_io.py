"""What a Distributed Map asks of its Host: child executions, and the Map Run's S3 calls.

A child execution's events go to a history of its own (:class:`ChildExecution`); the Host
stores it beside its parent's and, on replay, hands back how a child that already ended ended
(:class:`ChildEnd`) instead of running it again. ``ItemReader`` and ``ResultWriter`` I/O is an
:class:`S3Request` the Host carries out and records, so a replay never repeats it; a failed call
raises :class:`IOFailed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

GET_OBJECT = "getObject"
LIST_OBJECTS = "listObjectsV2"
PUT_OBJECT = "putObject"


@dataclass(slots=True, frozen=True)
class ChildExecution:
    """A Distributed Map child execution: every event of frame ``key`` and of the frames under
    it (all ``detached``) belongs to this execution's own history."""

    key: str
    arn: str
    name: str
    parent_arn: str
    map_run_arn: str
    state_machine_arn: str
    """The children's state machine: ``<parent machine ARN>/<Label>``."""
    express: bool = False


@dataclass(slots=True, frozen=True)
class ChildEnd:
    """How a child execution recorded by an earlier run ended: the replay takes it as it is."""

    status: str  # SUCCEEDED, FAILED, TIMED_OUT or ABORTED
    output: Any = None
    error: str | None = None
    cause: str | None = None
    start_date: datetime | None = None
    stop_date: datetime | None = None


@dataclass(slots=True, frozen=True)
class S3Request:
    """One S3 call of a Map Run. The answer is the object's bytes (``getObject``), the listed
    objects as Distributed Map items (``listObjectsV2``: Etag, Key, LastModified, Size,
    StorageClass) or None (``putObject``)."""

    map_run_arn: str
    stream: str
    """The Map Run's key (its children's frame-key prefix): where the answers are recorded."""
    parent_arn: str
    """The execution running the Map Run."""
    action: str  # GET_OBJECT, LIST_OBJECTS or PUT_OBJECT
    bucket: str
    key: str = ""
    version_id: str | None = None
    prefix: str = ""
    body: bytes | None = None


class IOFailed(Exception):
    """An S3 call failed; the message is the cause the Map Run reports."""
