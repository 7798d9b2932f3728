"""The example machines of state_machines/ as (name, definition), and histories made by running
purpose-made machines for real (runtime.execute)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"


def example_machines() -> list[tuple[str, Any]]:
    """Every state machine under state_machines/: definition files and templates' machines."""
    from asl.cloudformation import parse_definition_file
    from runtime.templates import read_template

    out: list[tuple[str, Any]] = []
    folder = ROOT / "state_machines"
    for path in sorted(folder.rglob("*.asl.json")):
        text = path.read_text()
        if "${" not in text:  # a DefinitionUri file is drawn through its template
            out.append((str(path.relative_to(folder)), text))
    for path in sorted(folder.rglob("template.yaml")):
        template = read_template(path.read_text(), str(path))
        for machine in template.machines():
            name = f"{path.relative_to(folder)}#{machine.logical_id}"
            if machine.definition_uri:
                uri = Path(template.folder) / machine.definition_uri
                source = parse_definition_file(uri.read_text(), machine.substitutions)
                out.append((name, source.value))
            else:
                out.append((name, machine.definition))
    return out


def task(name: str, **more: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": LAMBDA + name, **more}


EVERYTHING = {
    "StartAt": "P",
    "States": {
        "P": {
            "Type": "Parallel",
            "ResultPath": "$.p",
            "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                {
                    "StartAt": "B",
                    "States": {
                        "B": task(
                            "flaky",
                            Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}],
                            End=True,
                        )
                    },
                },
            ],
            "Next": "M",
        },
        "M": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "StartAt": "C",
                "States": {
                    "C": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$", "NumericGreaterThan": 1, "Next": "Bad"}],
                        "Default": "Ok",
                    },
                    "Ok": {"Type": "Succeed"},
                    "Bad": task(
                        "bad", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], End=True
                    ),
                    "Caught": {"Type": "Pass", "End": True},
                },
            },
            "Next": "Last",
        },
        "Last": {"Type": "Wait", "Seconds": 5, "End": True},
    },
}


def run_everything() -> Any:
    """EVERYTHING run for real: B fails once then succeeds; items 2 and 3 fail and are caught."""
    import runtime

    calls = {"flaky": 0}

    def flaky(event: Any, context: Any) -> Any:
        calls["flaky"] += 1
        if calls["flaky"] < 2:
            raise RuntimeError("boom")
        return {"ok": True}

    def bad(event: Any, context: Any) -> Any:
        raise ValueError("nope")

    return runtime.execute(
        EVERYTHING, {"items": [1, 2, 3]}, time_skip=True, lambdas={"flaky": flaky, "bad": bad}
    )
