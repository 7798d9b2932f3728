"""A Lambda-compatible endpoint on 127.0.0.1 and an AWS configuration that points boto3 at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.lambda_server import LambdaServer

_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
)


@pytest.fixture(scope="module")
def server() -> Iterator[LambdaServer]:
    with LambdaServer() as running:
        yield running


@pytest.fixture
def lambda_server(
    server: LambdaServer, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> Iterator[LambdaServer]:
    """The endpoint, emptied, with boto3 configured for it through the standard variables."""
    server.clear()
    for name in _AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    missing = tmp_path / "no-aws-config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(missing))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(missing))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", server.url)
    monkeypatch.delenv("ASL_LAMBDA", raising=False)
    yield server
    server.clear()
