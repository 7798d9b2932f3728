"""``asl serve``: a Step Functions–compatible service (AWS JSON 1.0) over the local engine.

``Server(Service(store)).start()`` serves in a background thread; ``asl serve`` in the
foreground. See docs/serve.md.
"""

from __future__ import annotations

from runtime.serve.errors import ApiError
from runtime.serve.http import Server
from runtime.serve.service import Service

__all__ = ["ApiError", "Server", "Service"]
