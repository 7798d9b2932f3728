"""TestState checks a mocked result against the operation the AWS route calls for the resource
(``runtime.tasks.aws.route.operation_of``): every service name Step Functions uses, not a
hand-kept table's few."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.teststate import TestStateError, test_state


def task(resource: str) -> dict[str, Any]:
    return {"Type": "Task", "Resource": resource, "End": True}


@pytest.mark.parametrize(
    ("resource", "result", "message"),
    [
        # Cost Explorer: aws-sdk's "costexplorer" is boto3's "ce"
        (
            "arn:aws:states:::aws-sdk:costexplorer:getCostAndUsage",
            {"ResultsByTime": "not a list"},
            "Field 'ResultsByTime' must be an array",
        ),
        # API Gateway's SDK actions have shapes (only apigateway:invoke has none)
        (
            "arn:aws:states:::aws-sdk:apigateway:getRestApi",
            {"Name": 5},
            "Field 'Name' must be a string",
        ),
        # Classic Load Balancing: "elasticloadbalancing" is boto3's "elb", in another partition
        (
            "arn:aws-cn:states:::aws-sdk:elasticloadbalancing:describeLoadBalancers",
            {"LoadBalancerDescriptions": {}},
            "Field 'LoadBalancerDescriptions' must be an array",
        ),
    ],
)
def test_a_result_of_the_wrong_shape_is_refused(
    resource: str, result: dict[str, Any], message: str
) -> None:
    with pytest.raises(TestStateError) as refused:
        test_state(task(resource), input={}, mock_result=result)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:states:::apigateway:invoke",
        "arn:aws:states:::http:invoke",
        "arn:aws:states:::glue:startJobRun.sync",
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    ],
)
def test_results_without_an_sdk_shape_are_not_checked(resource: str) -> None:
    answer = test_state(task(resource), input={}, mock_result={"StatusCode": "not a number"})
    assert answer["status"] == "SUCCEEDED"
