"""Checking the AWS Signature Version 4 of requests against the operator's credentials.

The signature of a received request is computed again with botocore's own signer
(:class:`botocore.auth.SigV4Auth`) over the headers the client says it signed, and compared with
:func:`hmac.compare_digest`. As AWS answers: an unknown access key is
``UnrecognizedClientException``, a wrong signature or a request dated more than five minutes
from now ``InvalidSignatureException``, a request without a signature
``MissingAuthenticationTokenException``.
"""

from __future__ import annotations

import configparser
import hmac
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from runtime.serve.errors import ApiError

SERVICE = "states"
MAX_SKEW_SECONDS = 300.0
ENV_KEY = "ASL_SERVE_ACCESS_KEY_ID"
ENV_SECRET = "ASL_SERVE_SECRET_ACCESS_KEY"
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/\s,]+)/(?P<date>\d{8})/(?P<region>[^/\s,]+)/"
    r"(?P<service>[^/\s,]+)/aws4_request\s*,\s*SignedHeaders=(?P<headers>[a-z0-9;_.-]+)\s*,"
    r"\s*Signature=(?P<signature>[0-9a-f]{64})\s*$"
)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


def load_credentials(path: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Access key id -> secret from an AWS credentials file (every profile), else from
    ``$ASL_SERVE_ACCESS_KEY_ID``/``$ASL_SERVE_SECRET_ACCESS_KEY``; ``{}`` when neither is
    given. ValueError for a file that cannot be read or holds no keys."""
    if path is None:
        key, secret = os.environ.get(ENV_KEY), os.environ.get(ENV_SECRET)
        if bool(key) != bool(secret):
            raise ValueError(f"set both {ENV_KEY} and {ENV_SECRET}, or neither")
        return {key: secret} if key and secret else {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with Path(path).open(encoding="utf-8") as fh:
            parser.read_file(fh)
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise ValueError(f"cannot read the credentials file {str(path)!r}: {exc}")
    found = {}
    for section in parser.sections():
        key = parser.get(section, "aws_access_key_id", fallback="").strip()
        secret = parser.get(section, "aws_secret_access_key", fallback="").strip()
        if key and secret:
            found[key] = secret
    if not found:
        raise ValueError(
            f"the credentials file {str(path)!r} has no profile with aws_access_key_id and "
            "aws_secret_access_key"
        )
    return found


class Verifier:
    """Checks requests against ``credentials`` (access key id -> secret key)."""

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self._credentials = dict(credentials)

    def check(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        now: datetime | None = None,
        *,
        service: str = SERVICE,
    ) -> None:
        """Raise :class:`ApiError` unless the request carries a valid signature for
        ``service`` (the signing name: ``states``, or ``scheduler`` for EventBridge Scheduler).

        ``headers`` maps lower-case names to values (repeated headers joined with ``,``).
        """
        header = headers.get("authorization")
        if not header:
            raise ApiError("MissingAuthenticationTokenException", "Missing Authentication Token")
        match = _AUTH.match(header)
        if match is None:
            raise _incomplete()
        secret = self._credentials.get(match["key"])
        if secret is None:
            raise ApiError(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        stamp = headers.get("x-amz-date", "")
        try:
            moment = datetime.strptime(stamp, _AMZ_DATE).replace(tzinfo=UTC)
        except ValueError:
            raise _incomplete()
        if match["date"] != stamp[:8] or match["service"] != service:
            raise _mismatch()
        now = now or datetime.now(UTC)
        if abs((now - moment).total_seconds()) > MAX_SKEW_SECONDS:
            raise ApiError(
                "InvalidSignatureException",
                f"Signature expired: {stamp} is now earlier than "
                f"{now.strftime(_AMZ_DATE)} - 5 min.",
                403,
            )
        signed = match["headers"].split(";")
        if "host" not in signed or any(name not in headers for name in signed):
            raise _mismatch()
        expected = _signature(
            method, target, {n: headers[n] for n in signed}, body, stamp, match, secret
        )
        if not hmac.compare_digest(expected, match["signature"]):
            raise _mismatch()


def _signature(
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
    stamp: str,
    match: re.Match[str],
    secret: str,
) -> str:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"http://{headers['host']}{target if target.startswith('/') else '/' + target}"
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    request.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials(match["key"], secret), match["service"], match["region"])
    canonical = signer.canonical_request(request)
    return str(signer.signature(signer.string_to_sign(request, canonical), request))


def _mismatch() -> ApiError:
    return ApiError(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method.",
        403,
    )


def _incomplete() -> ApiError:
    return ApiError(
        "IncompleteSignatureException",
        "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
        "parameters, and an X-Amz-Date header.",
        403,
    )


__all__ = ["ENV_KEY", "ENV_SECRET", "MAX_SKEW_SECONDS", "SERVICE", "Verifier", "load_credentials"]
