"""moto's server in a process of its own on 127.0.0.1, and the AWS configuration that points
boto3 (the engine's and a test's own) at it over real HTTP.

One server serves a whole test session; :meth:`MotoServer.reset` empties it. Its account is the
engine's, 111111111111 (``MOTO_ACCOUNT_ID``), so ARNs written for local runs resolve on it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

ACCOUNT = "111111111111"
REGION = "us-east-1"

# Variables that would send boto3 elsewhere or change how it retries and signs.
AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "ASL_AWS",
    "ASL_LAMBDA",
    "ASL_S3_LOCAL_ROOT",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """A running ``python -m moto.server``; :attr:`url` is its endpoint."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> MotoServer:
        env = {**os.environ, "MOTO_ACCOUNT_ID": ACCOUNT, "AWS_DEFAULT_REGION": REGION}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1).read()
                return self
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__()
                    raise RuntimeError(f"moto server did not start on {self.url}") from None
                time.sleep(0.05)

    def __exit__(self, *_: Any) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def reset(self) -> None:
        """Drop every resource the server holds."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).read()

    def environment(self, tmp_dir: str) -> dict[str, str]:
        """Variables that point boto3 at this server with fake credentials and no user config
        (set them with :func:`configure`, or pass them to a subprocess)."""
        missing = os.path.join(tmp_dir, "no-aws-config")
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": missing,
            "AWS_SHARED_CREDENTIALS_FILE": missing,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(self, service: str) -> Any:
        """A boto3 client of the test's own on this server."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@contextmanager
def running() -> Iterator[MotoServer]:
    """A moto server for the duration of the block."""
    with MotoServer() as server:
        yield server


def configure(env: MutableMapping[str, str], server: MotoServer, tmp_dir: str) -> None:
    """Point ``env`` (``os.environ`` through monkeypatch, or a subprocess's) at ``server``."""
    for name in AWS_VARIABLES:
        env.pop(name, None)
    env.update(server.environment(tmp_dir))
