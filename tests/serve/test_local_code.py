"""Clients run no local code the operator did not allow: ``python:`` and ``program:`` resources
created, started or tested through boto3 over real HTTP run nothing on a default server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.serve.policy import CodePolicy
from runtime.stores import SqliteStore
from tests.serve.conftest import client, definition, wait_done


def _python_task(marker: Path) -> dict:
    """A Task running ``os.system("touch MARKER")``."""
    return {
        "Type": "Task",
        "Resource": "python:os:system",
        "Parameters": f"touch {marker}",
        "End": True,
    }


def _program_task(marker: Path) -> dict:
    return {
        "Type": "Task",
        "Resource": "program:run",
        "Parameters": {"Command": ["touch", str(marker)]},
        "End": True,
    }


def _python_task_jsonata(marker: Path) -> dict:
    return {
        "Type": "Task",
        "QueryLanguage": "JSONata",
        "Resource": "python:os:system.waitForTaskToken",
        "Arguments": f"{{% 'touch {marker}' %}}",
        "End": True,
    }


TASKS = {
    "python": (_python_task, "--allow-python os"),
    "program": (_program_task, "--allow-program PATH"),
    "python-callback": (_python_task_jsonata, "--allow-python os"),
}


@pytest.mark.parametrize("kind", TASKS)
def test_default_server_refuses_at_create_update_and_teststate(make_server, tmp_path, kind):
    task, flag = TASKS[kind]
    marker = tmp_path / "ran"
    live = make_server()
    body = definition({"Run": task(marker)})
    with pytest.raises(live.sfn.exceptions.InvalidDefinition) as refused:
        live.machine(body)
    message = str(refused.value)
    assert "'Run'" in message and flag in message and "--allow-local-code" in message
    arn = live.machine()  # a harmless machine cannot be updated into a harmful one
    with pytest.raises(live.sfn.exceptions.InvalidDefinition):
        live.sfn.update_state_machine(stateMachineArn=arn, definition=body)
    if not kind.endswith("callback"):  # TestState wants a mock for a callback task anyway
        with pytest.raises(live.sfn.exceptions.InvalidDefinition) as tested:
            live.sfn.test_state(definition=json.dumps(task(marker)), input="{}")
        assert flag in str(tested.value)
    assert not marker.exists()


def _stored_by_trusting_server(store: Path, body: str, **kw: str) -> str:
    """Create a machine on a server started with --allow-local-code, then stop that server."""
    from runtime.serve import Server, Service

    service = Service(SqliteStore(store), policy=CodePolicy(local_code=True), log=print)
    server = Server(service, port=0).start()
    try:
        return client(server.url).create_state_machine(
            definition=body, roleArn="arn:aws:iam::111111111111:role/test", **kw
        )["stateMachineArn"]
    finally:
        server.close()


def test_machine_stored_under_other_flags_fails_at_run_time(make_server, tmp_path):
    marker = tmp_path / "ran"
    store = tmp_path / "s.sqlite3"
    arn = _stored_by_trusting_server(store, definition({"Run": _python_task(marker)}), name="old")
    live = make_server(SqliteStore(store))
    execution = live.sfn.start_execution(stateMachineArn=arn)["executionArn"]
    done = wait_done(live.sfn, execution)
    assert (done["status"], done["error"]) == ("FAILED", "States.Runtime")
    assert "--allow-python os" in done["cause"] and "Refused" in done["cause"]
    assert not marker.exists()


def test_nested_express_child_is_checked(make_server, tmp_path):
    """An Express child runs outside the server's dispatcher: its definition is checked."""
    marker = tmp_path / "ran"
    store = tmp_path / "s.sqlite3"
    body = definition({"Run": _python_task(marker)})
    child = _stored_by_trusting_server(store, body, name="child", type="EXPRESS")
    live = make_server(SqliteStore(store))
    parent = definition(
        {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child},
                "End": True,
            }
        }
    )
    arn = live.sfn.start_execution(stateMachineArn=live.machine(parent, name="parent"))
    done = wait_done(live.sfn, arn["executionArn"])
    assert done["status"] == "FAILED" and "--allow-python os" in done["cause"]
    assert not marker.exists()


def test_program_outside_the_allow_list_fails_at_run_time(make_server, tmp_path):
    marker = tmp_path / "ran"
    live = make_server(policy=CodePolicy.build(programs=["true"]))
    allowed = live.machine(
        definition({"Run": {"Type": "Task", "Resource": "program:run", "End": True}}), name="ok"
    )
    started = live.sfn.start_execution(stateMachineArn=allowed, input='{"Command": ["true"]}')
    assert wait_done(live.sfn, started["executionArn"])["status"] == "SUCCEEDED"
    other = live.machine(definition({"Run": _program_task(marker)}), name="other")
    done = wait_done(live.sfn, live.sfn.start_execution(stateMachineArn=other)["executionArn"])
    assert done["status"] == "FAILED" and "--allow-program" in done["cause"]
    sneaky = {"Command": ["true"], "Env": {"PATH": str(tmp_path)}}  # another `true` on PATH
    (tmp_path / "true").write_text(f"#!/bin/sh\ntouch {marker}\n")
    (tmp_path / "true").chmod(0o755)
    started = live.sfn.start_execution(stateMachineArn=allowed, input=json.dumps(sneaky))
    assert wait_done(live.sfn, started["executionArn"])["status"] == "FAILED"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("kind", "policy"),
    [
        ("python", CodePolicy.build(python=["os"])),
        ("program", CodePolicy.build(programs=["touch"])),
        ("python", CodePolicy(local_code=True)),
        ("program", CodePolicy(local_code=True)),
    ],
)
def test_allowed_code_runs(make_server, tmp_path, kind, policy):
    marker = tmp_path / "ran"
    live = make_server(policy=policy)
    arn = live.machine(definition({"Run": TASKS[kind][0](marker)}))
    done = wait_done(live.sfn, live.sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert done["status"] == "SUCCEEDED" and marker.exists()


def test_operator_bindings_run_without_allow_flags(make_server, tmp_path):
    marker = tmp_path / "ran"
    resource = "arn:aws:states:::sqs:sendMessage"
    live = make_server(bindings={resource: f'program:["touch", "{marker}"]'})
    arn = live.machine(definition({"Send": {"Type": "Task", "Resource": resource, "End": True}}))
    done = wait_done(live.sfn, live.sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert done["status"] == "SUCCEEDED" and marker.exists()


def test_module_prefix_matching():
    policy = CodePolicy.build(python=["handlers"])
    assert policy.refusal("python:handlers:f") is None
    assert policy.refusal("python:handlers.orders:f") is None
    assert policy.refusal("python:handlers_evil:f") is not None
    assert policy.refusal("python:./handlers.py:f") is not None
    with pytest.raises(ValueError, match="--allow-program"):
        CodePolicy.build(programs=["no-such-program-anywhere"])


def test_cli_flags_reach_the_server(serve_process, tmp_path):
    marker = tmp_path / "ran"
    server = serve_process("--store", str(tmp_path / "s.sqlite3"), "--allow-python", "os")
    sfn = client(server.url)
    role = "arn:aws:iam::111111111111:role/test"
    arn = sfn.create_state_machine(
        name="m", definition=definition({"Run": _python_task(marker)}), roleArn=role
    )["stateMachineArn"]
    assert wait_done(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert marker.exists()
    with pytest.raises(sfn.exceptions.InvalidDefinition, match="--allow-program"):
        sfn.create_state_machine(
            name="p", definition=definition({"Run": _program_task(marker)}), roleArn=role
        )
