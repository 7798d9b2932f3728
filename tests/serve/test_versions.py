"""State machine versions and aliases through boto3 against ``asl serve``: publishing (and its
idempotence), immutable versions, routing by weight, executions recording the version and
alias that ran, the errors AWS answers, a restart, and two servers numbering on one store."""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from runtime.drivers.machines import pick
from tests.serve.conftest import ROLE, client, definition, wait_done


def body(result: str) -> str:
    """A machine whose output says which definition ran."""
    return definition({"P": {"Type": "Pass", "Result": {"ran": result}, "End": True}})


def two_versions(sfn: Any, name: str = "m") -> tuple[str, str, str]:
    """A machine with versions 1 (output "one") and 2 (output "two")."""
    made = sfn.create_state_machine(
        name=name, definition=body("one"), roleArn=ROLE, publish=True, versionDescription="first"
    )
    v2 = sfn.update_state_machine(
        stateMachineArn=made["stateMachineArn"], definition=body("two"), publish=True
    )["stateMachineVersionArn"]
    return made["stateMachineArn"], made["stateMachineVersionArn"], v2


def route(*pairs: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"stateMachineVersionArn": arn, "weight": weight} for arn, weight in pairs]


def ran(sfn: Any, execution: str) -> str:
    return json.loads(wait_done(sfn, execution)["output"])["ran"]


def test_publish_numbers_versions_and_keeps_them_immutable(live):
    sfn = live.sfn
    machine, v1, v2 = two_versions(sfn)
    assert (v1, v2) == (f"{machine}:1", f"{machine}:2")

    # Publishing a revision already published answers its version (AWS's idempotence).
    current = sfn.describe_state_machine(stateMachineArn=machine)["revisionId"]
    again = sfn.publish_state_machine_version(stateMachineArn=machine, revisionId=current)
    assert again["stateMachineVersionArn"] == v2
    unchanged = sfn.update_state_machine(
        stateMachineArn=machine, definition=body("two"), publish=True
    )
    assert unchanged["stateMachineVersionArn"] == v2 and unchanged["revisionId"] == current

    first = sfn.describe_state_machine(stateMachineArn=v1)
    assert first["stateMachineArn"] == v1 and first["name"] == "m"
    assert json.loads(first["definition"])["States"]["P"]["Result"] == {"ran": "one"}
    assert first["description"] == "first"
    assert first["revisionId"] != current
    assert json.loads(sfn.describe_state_machine(stateMachineArn=v2)["definition"]) == json.loads(
        body("two")
    )
    assert "description" not in sfn.describe_state_machine(stateMachineArn=machine)

    first_page = sfn.list_state_machine_versions(stateMachineArn=machine, maxResults=1)
    second_page = sfn.list_state_machine_versions(
        stateMachineArn=machine, maxResults=1, nextToken=first_page["nextToken"]
    )
    assert "nextToken" not in second_page
    listed = [
        v["stateMachineVersionArn"]
        for page in (first_page, second_page)
        for v in page["stateMachineVersions"]
    ]
    assert listed == [v2, v1]  # newest first
    assert [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]] == [machine]

    # Numbers are never reused: version 3 follows a deleted version 2.
    sfn.delete_state_machine_version(stateMachineVersionArn=v2)
    sfn.delete_state_machine_version(stateMachineVersionArn=v2)  # gone already: no error
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=v2)
    sfn.update_state_machine(stateMachineArn=machine, definition=body("three"))
    v3 = sfn.publish_state_machine_version(stateMachineArn=machine, description="third")
    assert v3["stateMachineVersionArn"] == f"{machine}:3"
    assert ran(sfn, sfn.start_execution(stateMachineArn=v1)["executionArn"]) == "one"


def test_executions_record_the_version_and_alias_they_ran(live):
    sfn = live.sfn
    machine, v1, v2 = two_versions(sfn)
    alias = sfn.create_state_machine_alias(
        name="prod", routingConfiguration=route((v1, 100), (v2, 0)), description="live"
    )["stateMachineAliasArn"]
    assert alias == f"{machine}:prod"

    by_alias = [sfn.start_execution(stateMachineArn=alias)["executionArn"] for _ in range(20)]
    by_version = sfn.start_execution(stateMachineArn=v2)["executionArn"]
    plain = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert {ran(sfn, arn) for arn in by_alias} == {"one"}  # weight 0 never runs
    assert ran(sfn, by_version) == "two" and ran(sfn, plain) == "two"

    described = sfn.describe_execution(executionArn=by_alias[0])
    assert described["stateMachineArn"] == machine
    assert described["stateMachineVersionArn"] == v1
    assert described["stateMachineAliasArn"] == alias
    described = sfn.describe_execution(executionArn=by_version)
    assert described["stateMachineVersionArn"] == v2 and "stateMachineAliasArn" not in described
    described = sfn.describe_execution(executionArn=plain)
    assert "stateMachineVersionArn" not in described and "stateMachineAliasArn" not in described
    for_execution = sfn.describe_state_machine_for_execution(executionArn=by_alias[0])
    assert for_execution["stateMachineArn"] == machine
    assert (
        for_execution["revisionId"] == sfn.describe_state_machine(stateMachineArn=v1)["revisionId"]
    )
    assert json.loads(for_execution["definition"]) == json.loads(body("one"))

    def listed(arn: str) -> set[str]:
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=arn)
        return {e["executionArn"] for p in pages for e in p["executions"]}

    assert listed(machine) == {*by_alias, by_version, plain}
    assert listed(v1) == set(by_alias)
    assert listed(v2) == {by_version}
    assert listed(alias) == set(by_alias)
    item = sfn.list_executions(stateMachineArn=alias, maxResults=1)["executions"][0]
    assert (item["stateMachineVersionArn"], item["stateMachineAliasArn"]) == (v1, alias)

    shown = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert shown["name"] == "prod" and shown["description"] == "live"
    assert shown["routingConfiguration"] == route((v1, 100), (v2, 0))
    assert [
        a["stateMachineAliasArn"]
        for a in sfn.list_state_machine_aliases(stateMachineArn=machine)["stateMachineAliases"]
    ] == [alias]
    assert (
        sfn.list_state_machine_aliases(stateMachineArn=v2)["stateMachineAliases"][0][
            "stateMachineAliasArn"
        ]
        == alias
    )


def test_an_alias_splits_starts_by_weight(live):
    """50/50 over 1,000 starts: the count of version 1 lies within 5 standard deviations of
    500 (the chance that a fair split falls outside is below 1e-6)."""
    sfn = live.sfn
    _, v1, v2 = two_versions(sfn)
    alias = sfn.create_state_machine_alias(name="canary", routingConfiguration=route((v1, 100)))[
        "stateMachineAliasArn"
    ]
    updated = sfn.update_state_machine_alias(
        stateMachineAliasArn=alias, routingConfiguration=route((v1, 50), (v2, 50))
    )
    assert updated["updateDate"]
    starts, share = 1000, 0.5
    for _ in range(starts):
        sfn.start_execution(stateMachineArn=alias)

    def count(arn: str) -> int:
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=arn)
        return sum(len(p["executions"]) for p in pages)

    ones, twos = count(v1), count(v2)
    assert ones + twos == starts
    bound = 5 * math.sqrt(starts * share * (1 - share))
    assert abs(ones - starts * share) <= bound, (ones, twos)


@pytest.mark.parametrize(
    ("roll", "expected"),
    [(0, "a"), (29, "a"), (30, "b"), (99, "b")],
)
def test_pick_gives_each_version_its_share_of_the_rolls(roll, expected):
    assert pick(route(("a", 30), ("b", 70)), roll) == expected
    assert pick(route(("a", 100), ("b", 0)), roll) == "a"


def _stale_publish(sfn: Any, ctx: dict[str, str]) -> Any:
    stale = sfn.describe_state_machine(stateMachineArn=ctx["machine"])["revisionId"]
    sfn.update_state_machine(stateMachineArn=ctx["machine"], definition=body("later"))
    return sfn.publish_state_machine_version(stateMachineArn=ctx["machine"], revisionId=stale)


def creating(name: str, *pairs: tuple[str, int]) -> Callable[[Any, dict[str, str]], Any]:
    """CreateStateMachineAlias routing to the context's ARNs named in ``pairs``."""
    return lambda sfn, c: sfn.create_state_machine_alias(
        name=name, routingConfiguration=route(*((c[key], weight) for key, weight in pairs))
    )


ERRORS: list[tuple[str, str, Callable[[Any, dict[str, str]], Any]]] = [
    (
        "start an unknown version",
        "StateMachineDoesNotExist",
        lambda sfn, c: sfn.start_execution(stateMachineArn=c["machine"] + ":9"),
    ),
    (
        "start an unknown alias",
        "StateMachineDoesNotExist",
        lambda sfn, c: sfn.start_execution(stateMachineArn=c["machine"] + ":nope"),
    ),
    (
        "describe an unknown alias",
        "ResourceNotFound",
        lambda sfn, c: sfn.describe_state_machine_alias(stateMachineAliasArn=c["machine"] + ":x"),
    ),
    (
        "update an unknown alias",
        "ResourceNotFound",
        lambda sfn, c: sfn.update_state_machine_alias(
            stateMachineAliasArn=c["machine"] + ":x", description="d"
        ),
    ),
    (
        "weights summing to 99",
        "ValidationException",
        creating("a", ("v1", 70), ("v2", 29)),
    ),
    (
        "a weight over 100",
        "ValidationException",
        creating("a", ("v1", 101)),
    ),
    (
        "three versions",
        "ValidationException",
        creating("a", ("v1", 50), ("v2", 25), ("v1", 25)),
    ),
    (
        "the same version twice",
        "ValidationException",
        creating("a", ("v1", 50), ("v1", 50)),
    ),
    (
        "a state machine ARN for a version",
        "ValidationException",
        creating("a", ("machine", 100)),
    ),
    (
        "an unknown version",
        "ResourceNotFound",
        creating("a", ("unknown_version", 100)),
    ),
    (
        "an alias name of digits",
        "ValidationException",
        creating("123", ("v1", 100)),
    ),
    (
        "the alias's name with other routes",
        "ConflictException",
        creating("prod", ("v2", 100)),
    ),
    (
        "delete a version an alias routes to",
        "ConflictException",
        lambda sfn, c: sfn.delete_state_machine_version(stateMachineVersionArn=c["v1"]),
    ),
    ("publish a stale revisionId", "ConflictException", _stale_publish),
    (
        "versionDescription without publish",
        "ValidationException",
        lambda sfn, c: sfn.update_state_machine(
            stateMachineArn=c["machine"], definition=body("x"), versionDescription="d"
        ),
    ),
    (
        "update a version (immutable)",
        "StateMachineDoesNotExist",
        lambda sfn, c: sfn.update_state_machine(stateMachineArn=c["v1"], definition=body("x")),
    ),
    (
        "describe an alias as a state machine",
        "ValidationException",
        lambda sfn, c: sfn.describe_state_machine(stateMachineArn=c["alias"]),
    ),
    (
        "list executions of an unknown version",
        "ResourceNotFound",
        lambda sfn, c: sfn.list_executions(stateMachineArn=c["machine"] + ":5"),
    ),
]


@pytest.mark.parametrize(("case", "code", "call"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(live, case, code, call):
    sfn = live.sfn
    machine, v1, v2 = two_versions(sfn)
    alias = sfn.create_state_machine_alias(name="prod", routingConfiguration=route((v1, 100)))
    ctx = {
        "machine": machine,
        "v1": v1,
        "v2": v2,
        "alias": alias["stateMachineAliasArn"],
        "unknown_version": f"{machine}:7",
    }
    with pytest.raises(ClientError) as info:
        call(sfn, ctx)
    assert info.value.response["Error"]["Code"] == code, case


def test_deleting_the_state_machine_deletes_its_versions_and_aliases(live):
    sfn = live.sfn
    machine, v1, _ = two_versions(sfn)
    alias = sfn.create_state_machine_alias(name="prod", routingConfiguration=route((v1, 100)))
    sfn.delete_state_machine(stateMachineArn=machine)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=v1)
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias["stateMachineAliasArn"])
    assert live.service.machines.list_machines() == []
    sfn.create_state_machine(name="m", definition=body("new"), roleArn=ROLE)
    assert sfn.list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"] == []


def test_a_restarted_server_keeps_versions_and_aliases(serve_process, tmp_path):
    store = tmp_path / "store.sqlite3"
    first = serve_process("--store", str(store))
    sfn = client(first.url)
    machine, v1, v2 = two_versions(sfn)
    alias = sfn.create_state_machine_alias(name="prod", routingConfiguration=route((v2, 100)))[
        "stateMachineAliasArn"
    ]
    first.stop()

    second = serve_process("--store", str(store))
    sfn = client(second.url)
    versions = sfn.list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [v2, v1]
    assert sfn.describe_state_machine_alias(stateMachineAliasArn=alias)[
        "routingConfiguration"
    ] == route((v2, 100))
    execution = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    assert ran(sfn, execution) == "two"
    assert sfn.describe_execution(executionArn=execution)["stateMachineVersionArn"] == v2
    sfn.update_state_machine(stateMachineArn=machine, definition=body("three"))
    published = sfn.publish_state_machine_version(stateMachineArn=machine)
    assert published["stateMachineVersionArn"] == f"{machine}:3"


def test_two_servers_on_one_redis_store_never_share_a_version_number(redis_url, make_server):
    """Two servers publish at once on one Redis store (as a fleet's serves do): every version
    gets its own number, 1 to 20."""
    from runtime.stores import RedisStore
    from tests.support.redis_server import own_prefix, with_prefix

    with own_prefix(redis_url) as prefix:
        url = with_prefix(redis_url, prefix)
        servers = [make_server(RedisStore(url)) for _ in range(2)]
        machine = servers[0].machine(body("0"), name=f"shared-{uuid.uuid4().hex[:6]}")
        published: list[str] = []
        barrier = threading.Barrier(2)

        def publish_ten(live: Any, tag: str) -> None:
            sfn = client(live.url)
            barrier.wait()
            for i in range(10):
                out = sfn.update_state_machine(
                    stateMachineArn=machine, definition=body(f"{tag}{i}"), publish=True
                )
                published.append(out["stateMachineVersionArn"])

        threads = [
            threading.Thread(target=publish_ten, args=(live, tag))
            for live, tag in zip(servers, "ab", strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(published, key=lambda arn: int(arn.rsplit(":", 1)[1])) == [
            f"{machine}:{n}" for n in range(1, 21)
        ]
        execution = servers[1].sfn.start_execution(stateMachineArn=published[0])["executionArn"]
        assert wait_done(servers[1].sfn, execution)["stateMachineVersionArn"] == published[0]


@pytest.mark.parametrize("qualifier", ["1", "prod"])
def test_a_nested_execution_of_a_version_or_alias_runs_that_version(live, qualifier):
    sfn = live.sfn
    machine, v1, _ = two_versions(sfn, name="child")
    sfn.create_state_machine_alias(name="prod", routingConfiguration=route((v1, 100)))
    call = {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": f"{machine}:{qualifier}"},
        "End": True,
    }
    parent = live.machine(definition({"Call": call}), name="parent")
    done = wait_done(sfn, sfn.start_execution(stateMachineArn=parent)["executionArn"])
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"])["Output"] == {"ran": "one"}  # not the latest, "two"


def test_start_sync_execution_through_an_alias(live):
    sfn = live.sfn
    made = sfn.create_state_machine(
        name="fast", definition=body("one"), roleArn=ROLE, type="EXPRESS", publish=True
    )
    sfn.update_state_machine(stateMachineArn=made["stateMachineArn"], definition=body("two"))
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=route((made["stateMachineVersionArn"], 100))
    )["stateMachineAliasArn"]
    out = sfn.start_sync_execution(stateMachineArn=alias)
    assert out["status"] == "SUCCEEDED" and json.loads(out["output"]) == {"ran": "one"}
    assert out["stateMachineArn"] == made["stateMachineArn"]


def test_records_stored_before_versions_read_as_state_machines():
    from runtime.stores.contracts import MACHINE, MachineRecord

    old = json.dumps(
        {
            "arn": "arn:aws:states:us-east-1:111111111111:stateMachine:old",
            "name": "old",
            "definition": body("old"),
            "type": "STANDARD",
            "role_arn": ROLE,
            "creation_date": 1.0,
            "revision_id": "r",
        }
    )
    record = MachineRecord.from_json(old)
    assert (record.kind, record.version, record.routing, record.deleted) == (MACHINE, 0, [], False)
