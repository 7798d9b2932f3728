"""Graph JSON as Graphviz DOT: groups as clusters, Catch edges dashed, statuses as colours."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from runtime.graph.style import CATCH, all_nodes, anchors, colours, header, taken

_SHAPES = {
    "Choice": "diamond",
    "Succeed": 'box, style="rounded,filled"',
    "Fail": 'box, style="rounded,filled"',
    "Wait": "parallelogram",
}


def render_dot(graph: Mapping[str, Any], overlay: Mapping[str, Any] | None = None) -> str:
    """The DOT text of a graph (coloured when ``overlay`` is given)."""
    lines = [
        "digraph machine {",
        "  compound=true; rankdir=TB; newrank=true;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9, color="#7d8793"];',
    ]
    groups = {n["id"]: n for n in all_nodes(graph) if n.get("groups")}
    _scope(graph, overlay, lines, "  ")
    done = taken(overlay)
    _edges(graph, groups, lines, done, overlay is not None)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _scope(
    graph: Mapping[str, Any], overlay: Mapping[str, Any] | None, lines: list[str], pad: str
) -> None:
    for node in graph["nodes"]:
        fill, stroke = colours(node, overlay)
        if node.get("groups"):
            lines.append(f"{pad}subgraph {_q('cluster_' + node['id'])} {{")
            lines.append(
                f'{pad}  label={_q(header(node, overlay))}; style="rounded,filled"; '
                f'fillcolor={_q(fill)}; color={_q(stroke)}; fontname="Helvetica";'
            )
            for i, group in enumerate(node["groups"]):
                if node["type"] == "Parallel":
                    lines.append(f"{pad}  subgraph {_q('cluster_' + group['id'])} {{")
                    lines.append(f'{pad}    label="Branch {i + 1}"; style=dashed; color="#c3cad3";')
                    _scope(group, overlay, lines, pad + "    ")
                    lines.append(f"{pad}  }}")
                else:
                    _scope(group, overlay, lines, pad + "  ")
            lines.append(f"{pad}}}")
        elif node["type"] in ("Start", "End"):
            shape = "circle" if node["type"] == "Start" else "doublecircle"
            lines.append(
                f'{pad}{_q(node["id"])} [label="", shape={shape}, width=0.25, '
                'style=filled, fillcolor="#16191f"];'
            )
        else:
            label = node["name"] + (f"\n{node['detail']}" if node["detail"] else "")
            if node.get("retry"):
                label += "\n↻ Retry"
            shape = _SHAPES.get(node["type"], "box")
            lines.append(
                f"{pad}{_q(node['id'])} [label={_q(label)}, shape={shape}, "
                f"fillcolor={_q(fill)}, color={_q(stroke)}];"
            )


def _edges(
    graph: Mapping[str, Any],
    groups: Mapping[str, Mapping[str, Any]],
    lines: list[str],
    done: set[tuple[str, str]],
    coloured: bool,
) -> None:
    for node in graph["nodes"]:
        for group in node.get("groups") or ():
            _edges(group, groups, lines, done, coloured)
    for edge in graph["edges"]:
        source, target = edge["source"], edge["target"]
        attrs = []
        if source in groups:
            source = anchors(groups[source])[1]
            attrs.append(f"ltail={_q('cluster_' + edge['source'])}")
        if target in groups:
            target = anchors(groups[target])[0]
            attrs.append(f"lhead={_q('cluster_' + edge['target'])}")
        if edge["label"]:
            attrs.append(f"label={_q(edge['label'])}")
        if edge["kind"] == "catch":
            attrs.append(f'style=dashed, color="{CATCH}", fontcolor="{CATCH}"')
        elif edge["kind"] == "default":
            attrs.append("style=dotted")
        if coloured and (edge["source"], edge["target"]) in done:
            attrs.append("penwidth=2.2")
        lines.append(f"  {_q(source)} -> {_q(target)} [{', '.join(attrs)}];")
