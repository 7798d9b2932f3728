"""What the drawings share: status colours (the console's graph.css has the same) and walks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# status -> (fill, stroke)
COLOURS: Mapping[str, tuple[str, str]] = {
    "succeeded": ("#e3f5e6", "#2e9e44"),
    "failed": ("#fde7e3", "#d13212"),
    "caught": ("#fff0db", "#e07b00"),
    "retried": ("#fdf6d8", "#b58900"),
    "running": ("#e1ecfd", "#1f6feb"),
    "not_reached": ("#f4f5f6", "#9aa0a6"),
    "aborted": ("#e8e9eb", "#5f6368"),
    "timed_out": ("#f3e6f8", "#8e44ad"),
}
PLAIN = ("#ffffff", "#5f6b7a")
CATCH = "#d1731b"


def status_of(node: Mapping[str, Any], overlay: Mapping[str, Any] | None) -> str | None:
    """A node's status in the overlay: None without one (or for Start/End)."""
    if overlay is None or node["type"] in ("Start", "End"):
        return None
    state = overlay.get("states", {}).get(node["id"])
    return state["status"] if state else "not_reached"


def colours(node: Mapping[str, Any], overlay: Mapping[str, Any] | None) -> tuple[str, str]:
    status = status_of(node, overlay)
    return COLOURS[status] if status else PLAIN


def header(node: Mapping[str, Any], overlay: Mapping[str, Any] | None) -> str:
    """A Map or Parallel group's title, with its item or branch counts when coloured."""
    kind = "Parallel"
    if node["type"] == "Map":
        kind = "Distributed Map" if node.get("distributed") else "Map"
    text = f"{node['name']} · {kind}"
    state = (overlay or {}).get("states", {}).get(node["id"]) or {}
    items = state.get("items")
    if items:
        noun = "items" if node["type"] == "Map" else "branches"
        counts = ", ".join(
            f"{items[k]} {k}" for k in ("succeeded", "failed", "running", "aborted") if items[k]
        )
        text += f" · {items['total']} {noun}" + (f" ({counts})" if counts else "")
    return text


def taken(overlay: Mapping[str, Any] | None) -> set[tuple[str, str]]:
    return {(s, t) for s, t in (overlay or {}).get("edges", ())}


def all_nodes(graph: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every node of a graph and of its groups."""
    for node in graph["nodes"]:
        yield node
        for group in node.get("groups") or ():
            yield from all_nodes(group)


def anchors(node: Mapping[str, Any]) -> tuple[str, str]:
    """A group node's ``(entry, exit)`` pseudo-nodes, where edges to and from it attach."""
    group = node["groups"][0]
    ids = {n["id"] for n in group["nodes"]}
    end = f"{group['id']}#end"
    return f"{group['id']}#start", end if end in ids else f"{group['id']}#start"
