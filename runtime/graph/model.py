"""A definition as Graph JSON: states as nodes, transitions as edges, groups for nesting.

Every graph (the machine, a Parallel branch, a Map's item processor) has its own Start and End
pseudo-nodes (``<graph id>#start``/``#end``). Node ids are unique in the whole machine: a state
``A`` of the machine is ``A``, of a Parallel ``P``'s first branch ``P/0/A``, of a Map ``M``'s
item processor ``M/items/A``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from asl import model as m

_SHORT = 48  # longest label text before it is cut with an ellipsis

_OPERATORS = {
    "Equals": "==",
    "LessThan": "<",
    "GreaterThan": ">",
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
}
_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")


def build_graph(machine: m.StateMachine | Mapping[str, Any] | str) -> dict[str, Any]:
    """The Graph JSON of a machine: compiled by ``asl.load``, or a definition to load."""
    if not isinstance(machine, m.StateMachine):
        import asl

        machine = asl.load(machine)
    used: set[str] = set()
    return _scope(machine, "", used)


def _scope(scope: m.StateMachine, gid: str, used: set[str]) -> dict[str, Any]:
    prefix = f"{gid}/" if gid else ""
    ids = {name: _unique(prefix + name, used) for name in scope.states}
    start, end = f"{gid}#start", f"{gid}#end"
    nodes: list[dict[str, Any]] = [_pseudo(start, "Start")]
    edges: list[dict[str, Any]] = [_edge(start, ids[scope.start_at], "next")]
    ends = False
    for name, state in scope.states.items():
        node = _node(ids[name], state, used)
        nodes.append(node)
        for target, kind, label in _transitions(state):
            edges.append(_edge(ids[name], ids.get(target, end) if target else end, kind, label))
            ends = ends or target is None
    if ends:
        nodes.append(_pseudo(end, "End"))
    return {"id": gid, "nodes": nodes, "edges": edges}


def _unique(wanted: str, used: set[str]) -> str:
    candidate, n = wanted, 1
    while candidate in used or candidate.endswith(("#start", "#end")):
        n += 1
        candidate = f"{wanted}~{n}"
    used.add(candidate)
    return candidate


def _pseudo(node_id: str, kind: str) -> dict[str, Any]:
    return {"id": node_id, "name": kind, "type": kind, "detail": "", "retry": [], "groups": []}


def _edge(source: str, target: str, kind: str, label: str = "") -> dict[str, Any]:
    return {"source": source, "target": target, "kind": kind, "label": label}


def _node(node_id: str, state: m.State, used: set[str]) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": node_id,
        "name": state.name,
        "type": state.type,
        "detail": _detail(state),
        "retry": [_retrier(r) for r in getattr(state, "retry", ())],
        "groups": [],
    }
    if isinstance(state, m.ParallelState):
        node["groups"] = [
            _scope(branch, f"{node_id}/{i}", used) for i, branch in enumerate(state.branches)
        ]
    elif isinstance(state, m.MapState):
        node["distributed"] = state.mode == "DISTRIBUTED"
        if state.processor is not None:
            node["groups"] = [_scope(state.processor, f"{node_id}/items", used)]
    return node


def _retrier(retrier: m.Retrier) -> dict[str, Any]:
    return {
        "errors": list(retrier.error_equals),
        "maxAttempts": retrier.max_attempts,
        "interval": retrier.interval_seconds,
        "backoff": retrier.backoff_rate,
    }


def _transitions(state: m.State) -> list[tuple[str | None, str, str]]:
    """``(target or None for the end, kind, label)`` of every way out of a state."""
    out: list[tuple[str | None, str, str]] = []
    if isinstance(state, m.ChoiceState):
        for rule in state.choices:
            out.append((rule.next, "choice", rule_label(rule.raw)))
        if state.default is not None:
            out.append((state.default, "default", "Default"))
    elif state.next is not None:
        out.append((state.next, "next", ""))
    elif state.end or state.type in ("Succeed", "Fail"):
        out.append((None, "next", ""))
    for catcher in getattr(state, "catch", ()):
        out.append((catcher.next, "catch", ", ".join(catcher.error_equals)))
    return out


def _detail(state: m.State) -> str:
    raw = state.raw
    if state.type == "Task":
        resource = raw.get("Resource", "")
        return _resource(resource) if isinstance(resource, str) else _short(json.dumps(resource))
    if state.type == "Wait":
        for key in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath"):
            if key in raw:
                return f"{key} {_text(raw[key])}"
    if state.type == "Fail":
        return " ".join(_text(raw[k]) for k in ("Error", "ErrorPath") if k in raw)
    if isinstance(state, m.MapState):
        label = "Distributed" if state.mode == "DISTRIBUTED" else "Inline"
        return f"{label} Map" + (f" ({state.label})" if state.label else "")
    if isinstance(state, m.ParallelState):
        return f"{len(state.branches)} branches"
    return ""


def _resource(resource: str) -> str:
    """A Task resource, shortened where an ARN says more than needed: ``lambda:Fn``,
    ``sqs:sendMessage``, ``activity:Name``."""
    parts = resource.split(":")
    if resource.startswith("arn:") and len(parts) >= 7:
        service, kind = parts[2], parts[5]
        if service == "states" and kind in ("activity", "stateMachine"):
            return f"{kind}:{parts[6]}"
        if service == "states":
            return ":".join(parts[5:])
        if service == "lambda" and kind == "function":
            return f"lambda:{parts[6]}"
    return resource


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _short(text: str) -> str:
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


def rule_label(rule: Mapping[str, Any]) -> str:
    """A Choice rule in short text: ``$.x > 3``, ``not($.a == "b")``, a JSONata Condition."""
    return _short(_rule(rule))


def _rule(rule: Mapping[str, Any]) -> str:
    if "Condition" in rule:
        condition = rule["Condition"]
        if isinstance(condition, str):
            condition = condition.strip()
            if condition.startswith("{%") and condition.endswith("%}"):
                condition = condition[2:-2].strip()
            return condition
        return json.dumps(condition)
    if "Not" in rule:
        return f"not({_rule(rule['Not'])})"
    for key, word in (("And", " and "), ("Or", " or ")):
        if key in rule:
            return word.join(f"({_rule(r)})" for r in rule[key])
    variable = rule.get("Variable", "$")
    for key, value in rule.items():
        if key in ("Variable", "Next", "Assign", "Output", "Comment"):
            continue
        return _comparison(variable, key, value)
    return "?"


def _comparison(variable: str, key: str, value: Any) -> str:
    if key in _TESTS:
        return f"{key[2:].lower()}({variable})" if value else f"not {key[2:].lower()}({variable})"
    path = key.endswith("Path")
    name = key[:-4] if path else key
    if name == "StringMatches":
        return f"{variable} like {json.dumps(value)}"
    for suffix, symbol in _OPERATORS.items():
        if name.endswith(suffix) and name[: -len(suffix)] in _KINDS:
            shown = value if path else json.dumps(value)
            return f"{variable} {symbol} {shown}"
    return f"{variable} {key} {json.dumps(value)}"


_KINDS = ("String", "Numeric", "Boolean", "Timestamp")
