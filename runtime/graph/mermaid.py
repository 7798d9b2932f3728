"""Graph JSON as a Mermaid flowchart (``flowchart TD``), groups as subgraphs, coloured by an
overlay with a classDef per status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.graph.style import COLOURS, all_nodes, status_of, taken

_SHAPES = {
    "Start": ('(("', '"))'),
    "End": ('((("', '")))'),
    "Choice": ('{"', '"}'),
    "Succeed": ('(["', '"])'),
    "Fail": ('(["', '"])'),
    "Wait": ('[/"', '"/]'),
}


def render_mermaid(graph: Mapping[str, Any], overlay: Mapping[str, Any] | None = None) -> str:
    """The Mermaid text of a graph (coloured when ``overlay`` is given)."""
    ids = {node["id"]: f"n{i}" for i, node in enumerate(all_nodes(graph))}
    lines = ["flowchart TD"]
    _scope(graph, ids, lines, "  ")
    _edges(graph, ids, lines, taken(overlay))
    if overlay is not None:
        lines.extend(_colours(graph, ids, overlay))
    return "\n".join(lines) + "\n"


def _label(text: str) -> str:
    return (
        text.replace("&", "#amp;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
        .replace("\n", " ")
    )


def _scope(graph: Mapping[str, Any], ids: dict[str, str], lines: list[str], pad: str) -> None:
    for node in graph["nodes"]:
        mid = ids[node["id"]]
        if node.get("groups"):
            kind = "Map" if node["type"] == "Map" else "Parallel"
            lines.append(f'{pad}subgraph {mid}["{_label(node["name"])} · {kind}"]')
            if node["type"] == "Map":
                _scope(node["groups"][0], ids, lines, pad + "  ")
            else:
                for i, group in enumerate(node["groups"]):
                    lines.append(f'{pad}  subgraph {mid}_b{i}["Branch {i + 1}"]')
                    _scope(group, ids, lines, pad + "    ")
                    lines.append(f"{pad}  end")
            lines.append(f"{pad}end")
            continue
        opening, closing = _SHAPES.get(node["type"], ('["', '"]'))
        text = " " if node["type"] in ("Start", "End") else _label(node["name"])
        lines.append(f"{pad}{mid}{opening}{text}{closing}")


def _edges(
    graph: Mapping[str, Any], ids: dict[str, str], lines: list[str], done: set[tuple[str, str]]
) -> None:
    for node in graph["nodes"]:
        for group in node.get("groups") or ():
            _edges(group, ids, lines, done)
    for edge in graph["edges"]:
        arrow = (
            "-.->"
            if edge["kind"] == "catch"
            else "==>"
            if done
            and (
                edge["source"],
                edge["target"],
            )
            in done
            else "-->"
        )
        label = f'|"{_label(edge["label"])}"|' if edge["label"] else ""
        lines.append(f"  {ids[edge['source']]} {arrow}{label} {ids[edge['target']]}")


def _colours(
    graph: Mapping[str, Any], ids: dict[str, str], overlay: Mapping[str, Any]
) -> list[str]:
    lines = [
        f"  classDef {status} fill:{fill},stroke:{stroke},stroke-width:2px"
        for status, (fill, stroke) in COLOURS.items()
    ]
    for node in all_nodes(graph):
        status = status_of(node, overlay)
        if status is None:
            continue
        if node.get("groups"):
            fill, stroke = COLOURS[status]
            lines.append(f"  style {ids[node['id']]} fill:{fill},stroke:{stroke},stroke-width:2px")
        else:
            lines.append(f"  class {ids[node['id']]} {status}")
    return lines
