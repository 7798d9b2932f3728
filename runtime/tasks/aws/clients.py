"""boto3 clients for one :class:`~runtime.tasks.aws.AwsMode`: one per (service, region), made on
first use and shared by every thread.

Clients do not retry on their own unless the AWS configuration asks for it (``AWS_MAX_ATTEMPTS``
/ ``max_attempts``): a definition's ``Retry`` decides, as on AWS. Every response keeps its HTTP
headers as received (``ResponseMetadata["RawHeaders"]``), for ``SdkHttpMetadata``. boto3 (and,
for ``moto``, moto) is imported on first use, never for machines that call no AWS service.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Mapping
from typing import Any

from runtime.core.arns import REGION
from runtime.handlers.loading import ConfigurationError
from runtime.tasks.aws import AwsMode, embedded

READ_TIMEOUT = 905.0  # the longest Lambda run (900 s) and a margin; TimeoutSeconds cuts shorter
MAX_CONNECTIONS = 64


class AwsClients:
    """The boto3 clients of one mode (``moto`` or ``aws``)."""

    def __init__(self, mode: AwsMode, credentials: Mapping[str, str] | None = None) -> None:
        """``credentials``: STS credentials (``AccessKeyId``, ``SecretAccessKey``,
        ``SessionToken``) to sign with instead of boto3's configured ones."""
        if mode is AwsMode.OFF:
            raise ValueError("AwsClients needs --aws moto or aws")
        if importlib.util.find_spec("boto3") is None:
            raise ConfigurationError(
                f"--aws {mode.value} calls AWS through boto3: pip install boto3"
            )
        if mode is AwsMode.MOTO:
            embedded.start()
        self.mode = mode
        self._credentials = dict(credentials) if credentials is not None else None
        self._lock = threading.Lock()
        self._session: Any = None
        self._clients: dict[tuple[str, str], Any] = {}

    @property
    def region(self) -> str:
        """The configured region (``AWS_REGION``, ``~/.aws/config``...), else us-east-1."""
        with self._lock:
            return self._boto_session().region_name or REGION

    def credentials(self) -> Any:
        """The credentials calls are signed with (botocore's frozen ones), or None."""
        with self._lock:
            found = self._boto_session().get_credentials()
        return None if found is None else found.get_frozen_credentials()

    def client(self, service: str, region: str | None = None) -> Any:
        """The botocore client of ``service`` (boto3's name, e.g. ``stepfunctions``)."""
        region = region or self.region
        key = (service, region)
        with self._lock:  # creating clients is not thread-safe; using them is
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._new_client(service, region)
            return client

    def _boto_session(self) -> Any:
        if self._session is None:
            import boto3

            keys = self._credentials or {}
            self._session = boto3.session.Session(
                aws_access_key_id=keys.get("AccessKeyId"),
                aws_secret_access_key=keys.get("SecretAccessKey"),
                aws_session_token=keys.get("SessionToken"),
            )
        return self._session

    def _new_client(self, service: str, region: str) -> Any:
        from botocore.config import Config

        session = self._boto_session()
        core = session._session  # the botocore session: the configured retry settings
        retries: dict[str, Any] | None = None
        if core.get_config_variable("max_attempts") is None:
            retries = {"mode": core.get_config_variable("retry_mode") or "standard"}
            retries["total_max_attempts"] = 1
        config = Config(
            read_timeout=READ_TIMEOUT,
            max_pool_connections=MAX_CONNECTIONS,
            retries=retries,
            user_agent_extra="asl-engine",
            # the embedded AWS answers default endpoints only: AWS_ENDPOINT_URL must not lead away
            ignore_configured_endpoint_urls=self.mode is AwsMode.MOTO,
        )
        client = session.client(service, region_name=region, config=config)
        client.meta.events.register("after-call", keep_headers)
        return client


def keep_headers(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
    """Keep the response headers as received (botocore lower-cases its copy)."""
    if http_response is not None and isinstance(parsed, dict):
        metadata = parsed.setdefault("ResponseMetadata", {})
        metadata["RawHeaders"] = list(http_response.headers.items())


__all__ = ["AwsClients", "keep_headers"]
