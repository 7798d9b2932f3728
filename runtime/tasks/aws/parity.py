"""Where boto3 and the AWS SDK for Java (which Step Functions calls AWS with) differ, so that a
Task's request and result are Step Functions' and not boto3's: request members the Java SDK sets
where boto3 sets none, and result members that AWS gives a Task only when its request asks for
them although boto3 asks on its own (or an emulator answers with them anyway).
"""

from __future__ import annotations

from typing import Any

JAVA_DEFAULTS: dict[tuple[str, str], dict[str, Any]] = {
    # the Java SDK uploads the (JSON text) body Step Functions writes as a string
    ("s3", "PutObject"): {"ContentType": "text/plain; charset=UTF-8"},
}
"""Request members the AWS SDK for Java sets where boto3 sets none."""
_S3_LISTINGS = ("ListObjects", "ListObjectsV2", "ListObjectVersions", "ListMultipartUploads")
_S3_CHECKSUMS = (
    "ChecksumCRC32",
    "ChecksumCRC32C",
    "ChecksumCRC64NVME",
    "ChecksumSHA1",
    "ChecksumSHA256",
    "ChecksumType",
)
_DYNAMODB_ITEMS = (
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
)
_DYNAMODB_ASKS = (
    ("ReturnConsumedCapacity", ("ConsumedCapacity",)),
    ("ReturnItemCollectionMetrics", ("ItemCollectionMetrics",)),
)
UNASKED: dict[tuple[str, str], tuple[tuple[str, tuple[str, ...]], ...]] = {
    # boto3 adds EncodingType=url to S3 listings (and S3 echoes it); the Java SDK does not
    **{("s3", op): (("EncodingType", ("EncodingType",)),) for op in _S3_LISTINGS},
    # boto3 asks S3 for checksums when it reads an object; the Java SDK does not
    ("s3", "GetObject"): (("ChecksumMode", _S3_CHECKSUMS),),
    ("s3", "HeadObject"): (("ChecksumMode", _S3_CHECKSUMS),),
    # DynamoDB reports capacity and item collections only when asked (moto always does)
    **{("dynamodb", op): _DYNAMODB_ASKS for op in _DYNAMODB_ITEMS},
}
"""Result members AWS gives a Task only when its request asks for them: ``(service, operation)``
-> pairs of (the request member that asks, the result members), dropped unless that member is
set (and not ``NONE``)."""


def add_java_defaults(key: tuple[str, str], arguments: dict[str, Any]) -> None:
    """Set the request members the Java SDK sets for ``(service, operation)``, unless given."""
    for name, value in JAVA_DEFAULTS.get(key, {}).items():
        arguments.setdefault(name, value)


def drop_unasked(key: tuple[str, str], arguments: dict[str, Any], result: dict[str, Any]) -> None:
    """Drop the result members of ``(service, operation)`` the request did not ask for."""
    for asker, members in UNASKED.get(key, ()):
        if arguments.get(asker) in (None, "NONE"):
            for name in members:
                result.pop(name, None)


__all__ = ["JAVA_DEFAULTS", "UNASKED", "add_java_defaults", "drop_unasked"]
