"""Cases known to differ from AWS, each with the finding that explains it (tests/services/
FINDINGS.md has the evidence and the proposed fix). They run as strict xfails: a fix makes the
case pass, the xfail fails, and its line here goes.

``E`` findings are the engine's; ``M`` findings are moto's (the emulator answers otherwise than
AWS, and nothing in the engine can make it agree).
"""

from __future__ import annotations

FINDINGS: dict[str, str] = {
    "E1": "MaxItemsPath: a numeric string is refused and -1 is not States.ItemReaderFailed",
    "E2": "SendTaskFailure with neither error nor cause: Catch gets {'Error': ''}, not nulls",
    "E3": "no TaskStateAborted for a Task failing inside a Parallel branch",
    "E4": "runtime.execute's lambdas do not reach nested child executions",
    "E5": "a nested child's ARNs name the engine's account, not the StateMachineArn's",
    "E6": "TimeoutSecondsPath not found: not AWS's 'Invalid path ... No results for path' cause",
    "E7": "aws-sdk:sfn:sendTask* causes lack AWS's '(SDK Attempt Count: 1)'",
    "E8": "(embedded run) an exception raised inside the embedded AWS escapes runtime.execute",
    "M1": "moto does not check DynamoDB's TableName constraint",
    "M2": "moto does not check Secrets Manager's secret name",
    "M3": "moto accepts a PutEvents Detail that is not a JSON object (and breaks on it)",
    "M4": "moto answers MissingParameter where AWS answers InvalidParameter (SNS FIFO)",
}

# case id (the file name in tests/conformance/services, without .json) -> findings
KNOWN: dict[str, tuple[str, ...]] = {
    "assign_test_assign_reference_variables_TestAssignReferenceVariables_test_reference_in_map"
    "_state_max_items_path_MAP_STATE_REFERENCE_IN_MAX_ITEMS_PATH": ("E1",),
    "scenarios_test_base_scenarios_TestBaseScenarios_test_map_item_reader_csv_max_items_paths_-1": (
        "E1",
    ),
    "callback_test_callback_TestCallback_test_sqs_failure_in_wait_for_task_tok_no_error_field"
    "_SQS_WAIT_FOR_TASK_TOKEN_CATCH": ("E2",),
    "callback_test_callback_TestCallback_test_sqs_failure_in_wait_for_task_tok_no_error_field"
    "_SQS_PARALLEL_WAIT_FOR_TASK_TOKEN": ("E2", "E3"),
    "callback_test_callback_TestCallback_test_start_execution_sync_delegate_timeout": ("E4",),
    **{
        "credentials_test_credentials_base_TestCredentialsBase_test_cross_account_states_start"
        f"_sync_execution_SFN_START_EXECUTION_SYNC_ROLE_ARN_{variant}": ("E5",)
        for variant in ("INTRINSIC", "JSONATA", "PATH", "PATH_CONTEXT", "VARIABLE")
    },
    "scenarios_test_base_scenarios_TestBaseScenarios_test_invalid_jsonpath_ST.INVALID_JSONPATH"
    "_IN_TIMEOUTSECONDSPATH": ("E6",),
    "services_test_aws_sdk_task_service_TestTaskServiceAwsSdk_test_sfn_send_task_outcome_with_no"
    "_such_token_state_machine_template1": ("E7",),
    "error_handling_test_task_service_dynamodb_TestTaskServiceDynamoDB_test_put_item_invalid"
    "_table_name": ("M1",),
    "error_handling_test_aws_sdk_TestAwsSdk_test_invalid_secret_name": ("M2",),
    "services_test_events_task_service_TestTaskServiceEvents_test_put_events_malformed_detail": (
        "M3",
        "E8",
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
