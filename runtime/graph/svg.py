"""Graph JSON as a standalone SVG, laid out by grandalf (a layered layout in pure Python).

Each group (a Map's item processor, a Parallel's branches) is laid out on its own first, then
drawn as one box inside its parent's layout, so nesting needs no compound-graph support.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from runtime.graph.style import CATCH, colours, header, status_of, taken

_CHAR = 7.0  # average width of a 12px character
_HEADER = 28
_PAD = 14
_GAP = 30  # between connected components and between branches


@dataclass
class _Box:
    """A laid-out node or group: size, and what to draw inside it (relative coordinates)."""

    node: Mapping[str, Any]
    w: float
    h: float
    x: float = 0.0  # top-left, relative to the parent box's content
    y: float = 0.0
    inner: _Layout | None = None  # a Map's processor, or a Parallel's branches side by side
    branches: list[tuple[float, float, _Layout]] = field(default_factory=list)


@dataclass
class _Layout:
    boxes: list[_Box]
    edges: list[tuple[Mapping[str, Any], list[tuple[float, float]]]]
    w: float
    h: float


class _View:
    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy = (0.0, 0.0)


class _EdgeView:
    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.points = [(float(x), float(y)) for x, y in points]


def render_svg(graph: Mapping[str, Any], overlay: Mapping[str, Any] | None = None) -> str:
    """A standalone SVG document of a graph (coloured when ``overlay`` is given)."""
    layout = _layout(graph)
    out: list[str] = []
    margin = 16
    w, h = layout.w + 2 * margin, layout.h + 2 * margin
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.0f} {h:.0f}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="12">'
    )
    out.append(
        "<defs>"
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#7d8793"/></marker>'
        '<marker id="arrow-catch" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{CATCH}"/></marker>'
        "</defs>"
    )
    out.append(f'<rect width="{w:.0f}" height="{h:.0f}" fill="#fbfbfc"/>')
    _draw(layout, margin, margin, overlay, taken(overlay), out)
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- layout -------------------------------------------------------------------------------------


def _size(node: Mapping[str, Any]) -> tuple[float, float]:
    if node["type"] in ("Start", "End"):
        return 22.0, 22.0
    text = max(len(node["name"]), len(node["detail"]) * 0.85)
    return max(90.0, min(text, 40) * _CHAR + 28), 46.0 if node["detail"] else 34.0


def _layout(graph: Mapping[str, Any]) -> _Layout:
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout
    from grandalf.routing import route_with_lines

    boxes: dict[str, _Box] = {}
    vertices: dict[str, Vertex] = {}
    for node in graph["nodes"]:
        box = _group_box(node) if node.get("groups") else _Box(node, *_size(node))
        boxes[node["id"]] = box
        vertex = Vertex(node["id"])
        vertex.view = _View(box.w, box.h)
        vertices[node["id"]] = vertex
    edges = []
    for edge in graph["edges"]:
        if edge["source"] == edge["target"]:
            continue
        e = Edge(vertices[edge["source"]], vertices[edge["target"]], data=edge)
        e.view = _EdgeView()
        edges.append(e)
    whole = Graph(list(vertices.values()), edges)
    laid: list[tuple[float, float, float, float]] = []  # each component's bounds
    offset = 0.0
    for component in whole.C:
        sug = SugiyamaLayout(component)
        sug.xspace, sug.yspace = 28, 44
        sug.route_edge = route_with_lines
        roots = [v for v in component.sV if v.data.endswith("#start")] or None
        sug.init_all(roots=roots)
        sug.draw()
        xs = [v.view.xy[0] - v.view.w / 2 for v in component.sV]
        ys = [v.view.xy[1] - v.view.h / 2 for v in component.sV]
        x0, y0 = min(xs), min(ys)
        x1 = max(v.view.xy[0] + v.view.w / 2 for v in component.sV)
        dx, dy = offset - x0, -y0
        for v in component.sV:
            box = boxes[v.data]
            box.x = v.view.xy[0] - v.view.w / 2 + dx
            box.y = v.view.xy[1] - v.view.h / 2 + dy
        for e in component.sE:
            e.view.points = [(x + dx, y + dy) for x, y in e.view.points]
        y1 = max(v.view.xy[1] + v.view.h / 2 for v in component.sV)
        laid.append((offset, 0.0, offset + x1 - x0, y1 - y0))
        offset += x1 - x0 + _GAP
    w = max((b[2] for b in laid), default=0.0)
    h = max((b[3] for b in laid), default=0.0)
    drawn = [
        (e.data, _clip(e.view.points, boxes[e.data["source"]], boxes[e.data["target"]]))
        for e in edges
    ]
    return _Layout(list(boxes.values()), drawn, w, h)


def _group_box(node: Mapping[str, Any]) -> _Box:
    if node["type"] == "Map":
        inner = _layout(node["groups"][0])
        box = _Box(node, inner.w + 2 * _PAD, inner.h + _HEADER + 2 * _PAD, inner=inner)
    else:
        x, height, branches = float(_PAD), 0.0, []
        for group in node["groups"]:
            laid = _layout(group)
            branches.append((x, float(_HEADER + _PAD + 16), laid))
            x += laid.w + _GAP
            height = max(height, laid.h)
        box = _Box(node, x - _GAP + _PAD, height + _HEADER + 2 * _PAD + 16, branches=branches)
    box.w = max(box.w, len(header(node, None)) * _CHAR + 60)
    return box


def _clip(
    points: list[tuple[float, float]], source: _Box, target: _Box
) -> list[tuple[float, float]]:
    """The edge from the bottom of its source to the top of its target."""
    if len(points) < 2:
        points = [
            (source.x + source.w / 2, source.y + source.h),
            (target.x + target.w / 2, target.y),
        ]
    first, last = points[0], points[-1]
    start = (first[0], source.y + source.h) if first[1] >= source.y else (first[0], source.y)
    end = (
        (last[0], target.y)
        if last[1] <= target.y + target.h / 2
        else (last[0], target.y + target.h)
    )
    return [start, *points[1:-1], end]


# --- drawing ------------------------------------------------------------------------------------


def _draw(
    layout: _Layout,
    ox: float,
    oy: float,
    overlay: Mapping[str, Any] | None,
    done: set[tuple[str, str]],
    out: list[str],
) -> None:
    for edge, points in layout.edges:
        _edge(edge, [(x + ox, y + oy) for x, y in points], overlay, done, out)
    for box in layout.boxes:
        _box(box, ox + box.x, oy + box.y, overlay, done, out)


def _edge(
    edge: Mapping[str, Any],
    points: list[tuple[float, float]],
    overlay: Mapping[str, Any] | None,
    done: set[tuple[str, str]],
    out: list[str],
) -> None:
    catch = edge["kind"] == "catch"
    colour = CATCH if catch else "#7d8793"
    width = 1.3
    if overlay is not None:
        ran = (edge["source"], edge["target"]) in done
        colour = (CATCH if catch else "#2b3440") if ran else "#c3c8ce"
        width = 2.0 if ran else 1.2
    dash = (
        ' stroke-dasharray="5 4"'
        if catch
        else ' stroke-dasharray="2 3"'
        if (edge["kind"] == "default")
        else ""
    )
    path = " ".join(f"{'L' if i else 'M'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))
    marker = "arrow-catch" if catch else "arrow"
    out.append(
        f'<g class="edge kind-{edge["kind"]}" data-source={quoteattr(edge["source"])} '
        f'data-target={quoteattr(edge["target"])}><path d="{path}" fill="none" '
        f'stroke="{colour}" stroke-width="{width}"{dash} marker-end="url(#{marker})"/>'
    )
    if edge["label"]:
        mid = points[len(points) // 2 - 1] if len(points) > 2 else points[0]
        end = points[len(points) // 2]
        x, y = (mid[0] + end[0]) / 2, (mid[1] + end[1]) / 2
        text = edge["label"] if len(edge["label"]) <= 40 else edge["label"][:39] + "…"
        w = len(text) * 6 + 8
        out.append(
            f'<rect x="{x - w / 2:.1f}" y="{y - 8:.1f}" width="{w:.0f}" height="15" rx="3" '
            'fill="#fff" stroke="#d5dbe1"/>'
            f'<text x="{x:.1f}" y="{y + 3:.1f}" text-anchor="middle" font-size="10" '
            f'fill="{CATCH if catch else "#404850"}">{escape(text)}</text>'
        )
    out.append("</g>")


def _box(
    box: _Box,
    x: float,
    y: float,
    overlay: Mapping[str, Any] | None,
    done: set[tuple[str, str]],
    out: list[str],
) -> None:
    node = box.node
    status = status_of(node, overlay)
    fill, stroke = colours(node, overlay)
    cls = f"node type-{node['type'].lower()}" + (f" state-{status}" if status else "")
    out.append(f'<g class="{cls}" data-state-id={quoteattr(node["id"])}>')
    out.append(f"<title>{escape(_title(node, overlay))}</title>")
    if node["type"] in ("Start", "End"):
        r = box.w / 2
        out.append(f'<circle cx="{x + r:.1f}" cy="{y + r:.1f}" r="{r - 1:.1f}" fill="#16191f"/>')
        if node["type"] == "End":
            out.append(
                f'<circle cx="{x + r:.1f}" cy="{y + r:.1f}" r="{r - 4:.1f}" fill="none" '
                'stroke="#fff" stroke-width="2"/>'
            )
    elif box.inner is not None or box.branches:
        dash = ' stroke-dasharray="6 3"' if node["type"] == "Map" else ""
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="8" '
            f'fill="#f0f4fa" fill-opacity="0.6" stroke="{stroke}" stroke-width="1.5"{dash}/>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{box.w:.1f}" height="{_HEADER}" rx="8" '
            f'fill="{fill if status else "#e8edf4"}" stroke="{stroke}" stroke-width="1.5"/>'
            f'<text x="{x + 10:.1f}" y="{y + 18:.1f}" font-weight="bold">'
            f"{escape(header(node, overlay))}</text>"
        )
        if box.inner is not None:
            _draw(box.inner, x + _PAD, y + _HEADER + _PAD, overlay, done, out)
        for i, (bx, by, laid) in enumerate(box.branches):
            out.append(
                f'<rect x="{x + bx - 6:.1f}" y="{y + by - 20:.1f}" width="{laid.w + 12:.1f}" '
                f'height="{laid.h + 26:.1f}" rx="6" fill="#fff" fill-opacity="0.6" '
                'stroke="#c3cad3" stroke-dasharray="3 3"/>'
                f'<text x="{x + bx:.1f}" y="{y + by - 7:.1f}" font-size="10" fill="#5f6b7a">'
                f"Branch {i + 1}</text>"
            )
            _draw(laid, x + bx, y + by, overlay, done, out)
    else:
        rx = 14 if node["type"] == "Choice" else 17 if node["type"] in ("Succeed", "Fail") else 6
        width = 2.2 if status else 1.3
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" '
            f'rx="{rx}" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>'
        )
        name_y = y + (18 if node["detail"] else box.h / 2 + 4)
        out.append(
            f'<text x="{x + box.w / 2:.1f}" y="{name_y:.1f}" text-anchor="middle" '
            f'font-weight="bold" fill="#16191f">{escape(_cut(node["name"]))}</text>'
        )
        if node["detail"]:
            out.append(
                f'<text x="{x + box.w / 2:.1f}" y="{y + 34:.1f}" text-anchor="middle" '
                f'font-size="10" fill="#5f6b7a">{escape(_cut(node["detail"]))}</text>'
            )
        if node.get("retry"):
            out.append(
                f'<circle cx="{x + box.w - 8:.1f}" cy="{y:.1f}" r="8" fill="#fff" '
                'stroke="#b58900"/>'
                f'<text x="{x + box.w - 8:.1f}" y="{y + 4:.1f}" text-anchor="middle" '
                'font-size="11" fill="#b58900">↻</text>'
            )
    out.append("</g>")


def _cut(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _title(node: Mapping[str, Any], overlay: Mapping[str, Any] | None) -> str:
    lines = [f"{node['name']} ({node['type']})"]
    if node.get("detail"):
        lines.append(node["detail"])
    for retrier in node.get("retry") or ():
        lines.append(
            f"Retry {', '.join(retrier['errors'])}: {retrier['maxAttempts']}× every "
            f"{retrier['interval']}s ×{retrier['backoff']}"
        )
    state = (overlay or {}).get("states", {}).get(node["id"])
    if state:
        lines.append(f"Status: {state['status']}")
        for key in ("retries", "error", "cause"):
            if state.get(key):
                lines.append(f"{key.capitalize()}: {str(state[key])[:300]}")
    return "\n".join(lines)
