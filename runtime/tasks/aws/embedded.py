"""The embedded AWS of ``--aws moto``: moto's in-process backends, started once per process.

Starting it patches botocore for the whole process, so every boto3 client made here, the
engine's and the user's own handlers' alike, talks to the same emulated services and shares
their state until the process ends. Its account is the engine's (``111111111111``, unless
``MOTO_ACCOUNT_ID`` says otherwise) so that ARNs written for local runs resolve. Credentials are
moto's fake ones while it runs; nothing leaves the process for a service moto emulates. Batch
jobs run without Docker (:data:`CONFIG`).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from typing import Any

from runtime.core.arns import ACCOUNT, REGION
from runtime.handlers.loading import ConfigurationError

CONFIG: dict[str, Any] = {"batch": {"use_docker": False}}
"""moto's configuration: Batch jobs run in the embedded AWS itself (they end at once, as moto's
Docker-free Batch ends them), never in Docker containers."""

_lock = threading.Lock()
_mock: Any = None


def available() -> bool:
    """Whether moto is installed."""
    return importlib.util.find_spec("moto") is not None


def start() -> None:
    """Start the embedded AWS (once per process; later calls do nothing).

    Raises :class:`ConfigurationError` when moto is not installed.
    """
    global _mock
    with _lock:
        if _mock is not None:
            return
        if not available():
            raise ConfigurationError(
                "--aws moto runs an embedded AWS through moto: pip install 'asl-engine[moto]'"
            )
        os.environ.setdefault("MOTO_ACCOUNT_ID", ACCOUNT)
        os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
        from moto import mock_aws

        mock = mock_aws(config=CONFIG)
        mock.start()
        _mock = mock


def running() -> bool:
    """Whether the embedded AWS has been started in this process."""
    return _mock is not None


def stop() -> None:
    """Stop the embedded AWS and drop its state (for tests; a process normally keeps it)."""
    global _mock
    with _lock:
        if _mock is not None:
            _mock.stop()
            _mock = None


__all__ = ["available", "running", "start", "stop"]
