"""State machine actions through boto3: success and error cases."""

from __future__ import annotations

import json

import pytest

from tests.serve.conftest import PASS, ROLE, definition

BAD = definition({"A": {"Type": "Pass", "Next": "Missing"}})


def test_create_describe_list_update_delete(live):
    sfn = live.sfn
    arn = live.machine(name="orders")
    assert arn == "arn:aws:states:us-east-1:111111111111:stateMachine:orders"
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["name"] == "orders"
    assert described["type"] == "STANDARD"
    assert described["status"] == "ACTIVE"
    assert described["roleArn"] == ROLE
    assert json.loads(described["definition"]) == json.loads(PASS)
    assert described["creationDate"].year >= 2024
    listed = sfn.list_state_machines()["stateMachines"]
    assert [m["stateMachineArn"] for m in listed] == [arn]

    body = definition({"Q": {"Type": "Pass", "End": True}})
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=body)
    assert updated["revisionId"] != described["revisionId"]
    assert sfn.describe_state_machine(stateMachineArn=arn)["definition"] == body

    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=arn)
    assert sfn.list_state_machines()["stateMachines"] == []


def test_express_type_and_idempotent_create(live):
    sfn = live.sfn
    arn = live.machine(name="fast", type="EXPRESS")
    assert sfn.describe_state_machine(stateMachineArn=arn)["type"] == "EXPRESS"
    again = sfn.create_state_machine(name="fast", definition=PASS, roleArn=ROLE, type="EXPRESS")
    assert again["stateMachineArn"] == arn
    with pytest.raises(sfn.exceptions.StateMachineAlreadyExists):
        sfn.create_state_machine(name="fast", definition=PASS, roleArn=ROLE)


def test_list_pagination(live):
    arns = [live.machine(name=f"m{i}") for i in range(5)]
    paginator = live.sfn.get_paginator("list_state_machines")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert [m["stateMachineArn"] for p in pages for m in p["stateMachines"]] == arns


def test_create_errors(live):
    sfn = live.sfn
    with pytest.raises(sfn.exceptions.InvalidDefinition) as info:
        sfn.create_state_machine(name="bad", definition=BAD, roleArn=ROLE)
    assert "MISSING_TRANSITION_TARGET" in str(info.value)
    assert "/States/A/Next" in str(info.value)
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        sfn.create_state_machine(name="bad", definition="{not json", roleArn=ROLE)
    with pytest.raises(sfn.exceptions.InvalidName):
        sfn.create_state_machine(name="has space", definition=PASS, roleArn=ROLE)
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.create_state_machine(name="ok", definition=PASS, roleArn="not-a-role")
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn.create_state_machine(name="ok", definition=PASS, roleArn=ROLE, type="WEIRD")


def test_describe_update_delete_errors(live):
    sfn = live.sfn
    missing = "arn:aws:states:us-east-1:111111111111:stateMachine:nope"
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=missing)
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_state_machine(stateMachineArn="arn:nope")
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_state_machine(
            stateMachineArn="arn:aws:states:us-east-1:111111111111:activity:a"
        )
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.update_state_machine(stateMachineArn=missing, definition=PASS)
    arn = live.machine()
    with pytest.raises(sfn.exceptions.MissingRequiredParameter):
        sfn.update_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        sfn.update_state_machine(stateMachineArn=arn, definition=BAD)
    sfn.delete_state_machine(stateMachineArn=missing)  # deleting twice is not an error
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.delete_state_machine(stateMachineArn="arn:aws:states:x")


def test_validate_definition(live):
    sfn = live.sfn
    ok = sfn.validate_state_machine_definition(definition=PASS)
    assert (ok["result"], ok["diagnostics"], ok["truncated"]) == ("OK", [], False)
    failed = sfn.validate_state_machine_definition(definition=BAD)
    assert failed["result"] == "FAIL"
    codes = {(d["code"], d["location"]) for d in failed["diagnostics"]}
    assert ("MISSING_TRANSITION_TARGET", "/States/A/Next") in codes
    assert all(d["severity"] == "ERROR" and d["message"] for d in failed["diagnostics"])
    one = sfn.validate_state_machine_definition(definition=BAD, maxResults=1)
    assert len(one["diagnostics"]) == 1 and one["truncated"] is True
    not_json = sfn.validate_state_machine_definition(definition="{")
    assert not_json["result"] == "FAIL"
    assert not_json["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION"
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn.validate_state_machine_definition(definition=PASS, severity="LOUD")


def test_tags(live):
    sfn = live.sfn
    arn = live.machine(tags=[{"key": "team", "value": "a"}])
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}])
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.list_tags_for_resource(
            resourceArn="arn:aws:states:us-east-1:111111111111:stateMachine:none"
        )
