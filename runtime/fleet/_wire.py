"""The former name of :mod:`runtime.fleet.wire`, kept while the decider's modules move over."""

from runtime.fleet.wire import (
    HEARTBEAT_HEADER,
    HEARTBEAT_TTL,
    PREFIX_HEADER,
    PUBLISH_OUTCOME,
    REPLY_HEADER,
    RESULT_TTL,
    Keys,
)

__all__ = [
    "HEARTBEAT_HEADER",
    "HEARTBEAT_TTL",
    "PREFIX_HEADER",
    "PUBLISH_OUTCOME",
    "REPLY_HEADER",
    "RESULT_TTL",
    "Keys",
]
