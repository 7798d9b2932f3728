"""The two places a world is built: moto's server over HTTP, and the embedded AWS of
``--aws moto`` (only ever inside a subprocess: it patches botocore for its whole process)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.moto_server import REGION, MotoServer


class HttpSandbox:
    """boto3 clients on a moto server; the callback hub of the execution's store."""

    def __init__(self, server: MotoServer, hub: Any, machines: Path) -> None:
        self.server = server
        self.hub = hub
        self.machines = machines

    def client(self, service: str, **options: Any) -> Any:
        import boto3

        credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        return boto3.client(
            service,
            endpoint_url=self.server.url,
            region_name=REGION,
            **{**credentials, **options},
        )


class EmbeddedSandbox:
    """boto3 clients of this process, answered by the embedded AWS once it runs."""

    def __init__(self, hub: Any, machines: Path) -> None:
        from runtime.tasks.aws import embedded

        if not embedded.running():
            raise RuntimeError("start the embedded AWS (in a subprocess) before building in it")
        self.hub = hub
        self.machines = machines

    def client(self, service: str, **options: Any) -> Any:
        import boto3

        return boto3.client(service, region_name=REGION, **options)


__all__ = ["EmbeddedSandbox", "HttpSandbox"]
