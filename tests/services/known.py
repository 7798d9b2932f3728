"""Cases known to differ from AWS, each with the finding that explains it (tests/services/
FINDINGS.md has the evidence and the proposed fix). They run as strict xfails: a fix makes the
case pass, the xfail fails, and its line here goes.

``E`` findings are the engine's (all fixed now: FINDINGS.md says where); ``M`` findings are
moto's (the emulator answers otherwise than AWS, and nothing in the engine can make it agree).
"""

from __future__ import annotations

FINDINGS: dict[str, str] = {
    "M1": "moto does not check DynamoDB's TableName constraint",
    "M2": "moto does not check Secrets Manager's secret name",
    "M3": "moto accepts a PutEvents Detail that is not a JSON object (and breaks on it)",
    "M4": "moto answers MissingParameter where AWS answers InvalidParameter (SNS FIFO)",
}

# case id (the file name in tests/conformance/services, without .json) -> findings
KNOWN: dict[str, tuple[str, ...]] = {
    "error_handling_test_task_service_dynamodb_TestTaskServiceDynamoDB_test_put_item_invalid"
    "_table_name": ("M1",),
    "error_handling_test_aws_sdk_TestAwsSdk_test_invalid_secret_name": ("M2",),
    "services_test_events_task_service_TestTaskServiceEvents_test_put_events_malformed_detail": (
        "M3",
    ),
    "services_test_sns_task_service_TestTaskServiceSns_test_fifo_message_attribute_input_params0"
    "-True": ("M4",),
}


def known_reason(case_id: str) -> str | None:
    """Why the case is known to fail ("E2, E3: ..."), or None."""
    found = KNOWN.get(case_id)
    if not found:
        return None
    return "; ".join(f"{finding}: {FINDINGS[finding]}" for finding in found)


__all__ = ["FINDINGS", "KNOWN", "known_reason"]
