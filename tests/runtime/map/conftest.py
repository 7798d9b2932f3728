"""S3 for the Distributed Map tests: moto's server over real HTTP, or a local folder.

The ``bucket`` fixture is parametrised over both backends, so every test that uses it runs once
against ``ASL_S3_LOCAL_ROOT`` and once through boto3 against a moto server on a free port.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.drivers import s3 as _s3


class Bucket:
    """One empty bucket, on whichever backend the test runs against."""

    def __init__(self, name: str, client: Any = None, root: Path | None = None) -> None:
        self.name = name
        self.client = client
        self.root = root

    def put(self, key: str, body: str | bytes) -> None:
        data = body.encode() if isinstance(body, str) else body
        if self.client is not None:
            self.client.put_object(Bucket=self.name, Key=key, Body=data)
        else:
            path = self.root / self.name / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    def get(self, key: str) -> bytes:
        if self.client is not None:
            return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
        return (self.root / self.name / key).read_bytes()

    def list_keys(self) -> list[str]:
        if self.client is not None:
            page = self.client.list_objects_v2(Bucket=self.name)
            return sorted(obj["Key"] for obj in page.get("Contents", []))
        base = self.root / self.name
        return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on a free port, for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bucket]:
    """A fresh bucket on the moto server; the engine reaches it through AWS_ENDPOINT_URL."""
    import boto3

    for name in ("ASL_S3_LOCAL_ROOT", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    _s3.reset_client()
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    name = f"bucket-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    yield Bucket(name, client=client)
    _s3.reset_client()


@pytest.fixture
def local_bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    """A bucket folder under ASL_S3_LOCAL_ROOT."""
    monkeypatch.setenv("ASL_S3_LOCAL_ROOT", str(tmp_path))
    (tmp_path / "local-bucket").mkdir()
    return Bucket("local-bucket", root=tmp_path)


@pytest.fixture(params=["local", "s3"])
def bucket(request: pytest.FixtureRequest) -> Bucket:
    """The same bucket interface over a local folder and over moto's S3 server."""
    return request.getfixturevalue("local_bucket" if request.param == "local" else "s3_bucket")
