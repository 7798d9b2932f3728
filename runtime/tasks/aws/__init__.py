"""Where AWS service calls go: the ``--aws`` / ``ASL_AWS`` switch and the boto3 clients it gives.

* ``off`` (the default): nothing calls AWS; a Task that names an AWS service fails with a cause
  that names ``--aws``, ``--bind`` and mocks.
* ``moto``: an embedded, in-process AWS (moto's backends, no server); its state lives as long as
  the process, shared by every execution in it (:mod:`.embedded`).
* ``aws``: boto3's standard configuration: real AWS, or any endpoint through ``AWS_ENDPOINT_URL``
  / ``AWS_ENDPOINT_URL_<SERVICE>`` (LocalStack, a moto server).

``ASL_LAMBDA=aws`` is an alias of ``ASL_AWS=aws`` kept for older setups. See docs/aws-services.md.
"""

from __future__ import annotations

import enum
import os

from runtime.handlers.loading import ConfigurationError

ENV = "ASL_AWS"
LAMBDA_ENV = "ASL_LAMBDA"


class AwsMode(enum.StrEnum):
    """Where AWS calls go."""

    OFF = "off"
    MOTO = "moto"
    AWS = "aws"


def resolve_mode(value: str | AwsMode | None = None) -> AwsMode:
    """The mode ``value`` names, else ``ASL_AWS``, else ``ASL_LAMBDA=aws``, else ``off``.

    Raises :class:`ConfigurationError` for a name that is not a mode.
    """
    if isinstance(value, AwsMode):
        return value
    source = "--aws"
    if value is None:
        value, source = os.environ.get(ENV, ""), ENV
        if not value.strip():
            legacy = os.environ.get(LAMBDA_ENV, "").strip().lower()
            if legacy == "aws":
                return AwsMode.AWS
            if legacy not in ("", "local"):
                raise ConfigurationError(
                    f"{LAMBDA_ENV}={legacy!r}: expected 'local' (the default) or 'aws' "
                    f"(or set {ENV}=off|moto|aws)."
                )
            return AwsMode.OFF
    text = value.strip().lower()
    try:
        return AwsMode(text)
    except ValueError:
        raise ConfigurationError(
            f"{source}={value!r}: expected off (no AWS calls), moto (an embedded AWS in this "
            "process) or aws (boto3's configuration: real AWS, or AWS_ENDPOINT_URL)."
        ) from None


__all__ = ["ENV", "LAMBDA_ENV", "AwsMode", "resolve_mode"]
