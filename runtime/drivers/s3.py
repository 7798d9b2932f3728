"""S3 access for Distributed Map: real S3 through boto3, or a local folder standing in for it.

The Host carries out a Map Run's calls here (:func:`call`) and records their answers.

With ``ASL_S3_LOCAL_ROOT=/path`` set, every bucket is a folder: bucket ``B`` key ``K`` is the file
``/path/B/K``. Bucket names follow S3's rules and every path resolves inside the root (no ``..``,
no symlink leading out), so nothing outside it is read, listed or written. Otherwise boto3 talks
to S3 with its standard configuration (credentials, region, ``AWS_ENDPOINT_URL`` /
``AWS_ENDPOINT_URL_S3`` for an emulator). boto3 is imported only on the
first real S3 call, never for machines that do not touch S3.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path
from typing import Any

from runtime.core.map_io import GET_OBJECT, LIST_OBJECTS, PUT_OBJECT, S3Request

LOCAL_ROOT_ENV = "ASL_S3_LOCAL_ROOT"
_DEFAULT_REGION = "us-east-1"


class S3Error(Exception):
    """An S3 read or write failed; the message is the cause the execution reports."""


def local_root() -> Path | None:
    """The folder standing in for S3 (``ASL_S3_LOCAL_ROOT``), or None for real S3."""
    value = os.environ.get(LOCAL_ROOT_ENV)
    return Path(value).resolve() if value else None


def get_object(bucket: str, key: str, version_id: str | None = None) -> bytes:
    """The object's bytes."""
    root = local_root()
    if root is not None:
        return _get_local(root, bucket, key)
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id:
        kwargs["VersionId"] = version_id
    response = _call("get_object", **kwargs)
    return response["Body"].read()


def list_objects(bucket: str, prefix: str = "") -> list[dict[str, Any]]:
    """Object metadata under ``prefix`` as Distributed Map items: Etag, Key, LastModified, Size,
    StorageClass (LastModified in epoch seconds), sorted by key."""
    root = local_root()
    if root is not None:
        return _list_local(root, bucket, prefix)
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if token:
            kwargs["ContinuationToken"] = token
        page = _call("list_objects_v2", **kwargs)
        for obj in page.get("Contents", []):
            items.append(
                {
                    "Etag": obj["ETag"],
                    "Key": obj["Key"],
                    "LastModified": int(obj["LastModified"].timestamp()),
                    "Size": obj["Size"],
                    "StorageClass": obj.get("StorageClass", "STANDARD"),
                }
            )
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return items


def put_object(bucket: str, key: str, body: bytes) -> None:
    """Store ``body`` as the object (locally: create the folders it needs)."""
    root = local_root()
    if root is not None:
        _put_local(root, bucket, key, body)
        return
    _call("put_object", Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def call(request: S3Request) -> Any:
    """Carry out a Map Run's S3 call: the answer :class:`~runtime.core.map_io.S3Request` names."""
    if request.action == GET_OBJECT:
        return get_object(request.bucket, request.key, request.version_id)
    if request.action == LIST_OBJECTS:
        return list_objects(request.bucket, request.prefix)
    if request.action == PUT_OBJECT:
        put_object(request.bucket, request.key, request.body or b"")
        return None
    raise S3Error(f"unsupported S3 call: {request.action}")


# --- local folders ------------------------------------------------------------------------------

# S3's rules for bucket names (the reserved prefixes and suffixes only bind creating a bucket).
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")


def check_bucket_name(bucket: str) -> None:
    """Raise ``InvalidBucketName`` unless ``bucket`` follows S3's naming rules."""
    if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket or _IP_ADDRESS.fullmatch(bucket):
        raise S3Error(
            f"InvalidBucketName: The specified bucket is not valid: {bucket!r} (a bucket name "
            "is 3-63 lowercase letters, digits, dots and hyphens, starts and ends with a letter "
            "or digit, has no '..' and is not an IP address)"
        )


def _bucket_dir(root: Path, bucket: str) -> Path:
    """The bucket's folder, resolved; it must be a folder inside ``root`` (not ``root`` itself)."""
    check_bucket_name(bucket)
    try:
        base = (root / bucket).resolve()
        found = base != root and base.is_relative_to(root) and base.is_dir()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop
        found = False
    if not found:
        raise S3Error(f"NoSuchBucket: The specified bucket does not exist: {bucket}")
    return base


def _object_path(root: Path, base: Path, key: str) -> Path | None:
    """The file standing for ``key`` in the bucket folder ``base``, resolved; None when the key
    has an empty, ``.`` or ``..`` segment or a NUL, or resolves (through symlinks) outside
    ``root``."""
    parts = key.split("/")
    if "\0" in key or any(part in ("", ".", "..") for part in parts):
        return None
    try:
        path = base.joinpath(*parts).resolve()
    except (OSError, RuntimeError):
        return None
    return path if path.is_relative_to(root) else None


def _get_local(root: Path, bucket: str, key: str) -> bytes:
    path = _object_path(root, _bucket_dir(root, bucket), key)
    try:
        if path is not None and path.is_file():
            return path.read_bytes()
    except OSError as exc:
        raise S3Error(f"AccessDenied: cannot read s3://{bucket}/{key}: {exc.strerror or exc}")
    raise S3Error(f"NoSuchKey: The specified key does not exist: s3://{bucket}/{key}")


def _put_local(root: Path, bucket: str, key: str, body: bytes) -> None:
    path = _object_path(root, _bucket_dir(root, bucket), key)
    if path is None:
        raise S3Error(
            f"InvalidArgument: s3://{bucket}/{key} cannot be a file under {LOCAL_ROOT_ENV}: "
            "use a key without empty, '.' or '..' segments whose folders are not symlinks "
            "leading out of the root"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    except OSError as exc:
        raise S3Error(f"cannot write s3://{bucket}/{key}: {exc.strerror or exc}") from None


def _list_local(root: Path, bucket: str, prefix: str) -> list[dict[str, Any]]:
    """The bucket folder's files under ``prefix``; symlinked folders are not entered and a
    symlink to a file outside ``root`` is not an object."""
    base = _bucket_dir(root, bucket)
    items = []
    for folder, _dirs, names in os.walk(base):
        for name in names:
            path = Path(folder, name)
            key = path.relative_to(base).as_posix()
            if not key.startswith(prefix):
                continue
            try:
                target = path.resolve()
                if not target.is_relative_to(root) or not target.is_file():
                    continue
                body = target.read_bytes()
                stat = target.stat()
            except (OSError, RuntimeError):
                continue
            items.append(
                {
                    "Etag": '"' + hashlib.md5(body).hexdigest() + '"',
                    "Key": key,
                    "LastModified": int(stat.st_mtime),
                    "Size": stat.st_size,
                    "StorageClass": "STANDARD",
                }
            )
    items.sort(key=lambda item: item["Key"])
    return items


# --- boto3 --------------------------------------------------------------------------------------

_client: Any = None
_client_lock = threading.Lock()


def _call(operation: str, **kwargs: Any) -> Any:
    """Call an S3 client operation, turning boto3's errors into :class:`S3Error`."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        raise S3Error("boto3 is not installed: pip install boto3 (or set ASL_S3_LOCAL_ROOT)")
    try:
        return getattr(_s3_client(), operation)(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "Error")
        raise S3Error(f"{code}: {error.get('Message') or exc}") from None
    except BotoCoreError as exc:
        raise S3Error(str(exc)) from None


def _s3_client() -> Any:
    global _client
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    key = (endpoint, os.environ.get("AWS_REGION"), os.environ.get("AWS_DEFAULT_REGION"))
    with _client_lock:  # calls run in worker threads; build the client once
        if _client is None or _client[0] != key:
            import boto3

            session = boto3.session.Session()
            client = session.client(
                "s3", region_name=session.region_name or _DEFAULT_REGION, endpoint_url=endpoint
            )
            _client = (key, client)
        return _client[1]


def reset_client() -> None:
    """Forget the cached boto3 client (after changing credentials or the endpoint)."""
    global _client
    _client = None
