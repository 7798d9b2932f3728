"""The MachineStore contract (``asl serve``'s state machines), against every backend."""

from __future__ import annotations

from runtime.stores import Store
from runtime.stores.contracts import MachineRecord


def machine(name: str, created: float = 1.0, **more) -> MachineRecord:
    return MachineRecord(
        arn=f"arn:aws:states:us-east-1:111111111111:stateMachine:{name}",
        name=name,
        definition='{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}',
        type="STANDARD",
        role_arn="arn:aws:iam::111111111111:role/r",
        creation_date=created,
        revision_id="r1",
        **more,
    )


def test_add_get_and_clash(store: Store) -> None:
    first = machine("a", tags={"k": "v"})
    stored, created = store.add_machine(first)
    assert created and stored == first
    again, created = store.add_machine(machine("a", created=5.0))
    assert not created and again == first
    assert store.get_machine(first.arn) == first
    assert store.get_machine(first.arn + "x") is None


def test_list_oldest_first_put_and_delete(store: Store) -> None:
    for i, name in enumerate(["c", "a", "b"]):
        store.add_machine(machine(name, created=10.0 + i))
    assert [r.name for r in store.list_machines()] == ["c", "a", "b"]
    changed = machine("a", created=11.0, description="new")
    changed.revision_id = "r2"
    store.put_machine(changed)
    assert store.get_machine(changed.arn).revision_id == "r2"
    assert store.delete_machine(changed.arn) is True
    assert store.delete_machine(changed.arn) is False
    assert [r.name for r in store.list_machines()] == ["c", "b"]


def test_records_are_copies(store: Store) -> None:
    store.add_machine(machine("a"))
    got = store.get_machine(machine("a").arn)
    got.tags["x"] = "y"
    assert store.get_machine(machine("a").arn).tags == {}


def test_machines_and_executions_do_not_mix(store: Store) -> None:
    """A state machine and an execution of the same name are different things."""
    store.add_machine(machine("run-1"))
    assert store.list() == []
    assert [r.name for r in store.list_machines()] == ["run-1"]
