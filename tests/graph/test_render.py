"""Every example machine in every format: SVG parses as XML with a node per state, DOT parses
with Graphviz's dot (when installed), Mermaid with mermaid's own parser (when node and the
mermaid and jsdom packages are found: ASL_MERMAID_NODE_MODULES) or else a structural check."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from runtime.cli.graph import console_assets
from runtime.graph import build_graph, overlay
from runtime.graph.dot import render_dot
from runtime.graph.html import render_html
from runtime.graph.mermaid import render_mermaid
from runtime.graph.style import all_nodes
from runtime.graph.svg import render_svg
from tests.graph.examples import EVERYTHING, example_machines, run_everything

EXAMPLES = [*example_machines(), ("everything", EVERYTHING)]
IDS = [name for name, _ in EXAMPLES]
SVG = "{http://www.w3.org/2000/svg}"
MERMAID_MODULES = os.environ.get("ASL_MERMAID_NODE_MODULES", "")


def _states(graph: dict[str, Any]) -> set[str]:
    return {n["id"] for n in all_nodes(graph) if n["type"] not in ("Start", "End")}


@pytest.fixture(scope="module")
def coloured() -> tuple[dict[str, Any], dict[str, Any]]:
    graph = build_graph(EVERYTHING)
    return graph, overlay(graph, run_everything().events)


@pytest.mark.parametrize(("name", "definition"), EXAMPLES, ids=IDS)
def test_svg_is_xml_with_a_node_per_state(name: str, definition: Any) -> None:
    graph = build_graph(definition)
    root = ET.fromstring(render_svg(graph))
    assert root.tag == f"{SVG}svg"
    drawn = {g.get("data-state-id") for g in root.iter(f"{SVG}g") if g.get("data-state-id")}
    assert _states(graph) <= drawn


def test_svg_colours_by_status(coloured: tuple[dict[str, Any], dict[str, Any]]) -> None:
    root = ET.fromstring(render_svg(*coloured))
    classes = {g.get("data-state-id"): g.get("class") for g in root.iter(f"{SVG}g")}
    assert "state-caught" in classes["M/items/Bad"]
    assert "state-retried" in classes["P/1/B"]
    assert "3 items (3 succeeded)" in ET.tostring(root, encoding="unicode")


@pytest.mark.parametrize(("name", "definition"), EXAMPLES, ids=IDS)
def test_dot(name: str, definition: Any, tmp_path: Path) -> None:
    graph = build_graph(definition)
    text = render_dot(graph)
    assert text.startswith("digraph machine {") and text.rstrip().endswith("}")
    for state in _states(graph):
        node = next(n for n in all_nodes(graph) if n["id"] == state)
        anchor = f'"cluster_{state}"' if node.get("groups") else f'"{state}" ['
        assert anchor in text
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: the text was checked, not parsed")
    out = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Warning" not in out.stderr, out.stderr


def test_dot_colours_and_dashes(coloured: tuple[dict[str, Any], dict[str, Any]]) -> None:
    text = render_dot(*coloured)
    assert re.search(r'"M/items/Bad" \[label="Bad[^\]]*fillcolor="#fff0db"', text)
    assert re.search(r'"M/items/Bad" -> "M/items/Caught" \[[^\]]*style=dashed', text)


def _mermaid_parse(paths: list[Path]) -> subprocess.CompletedProcess[str] | None:
    node = shutil.which("node")
    if not node or not (Path(MERMAID_MODULES) / "mermaid").is_dir():
        return None
    script = Path(__file__).with_name("mermaid_parse.mjs")
    args = [node, str(script), MERMAID_MODULES, *map(str, paths)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_mermaid(tmp_path: Path, coloured: tuple[dict[str, Any], dict[str, Any]]) -> None:
    paths = []
    texts = [(name, render_mermaid(build_graph(d))) for name, d in EXAMPLES]
    texts.append(("coloured", render_mermaid(*coloured)))
    for i, (name, text) in enumerate(texts):
        lines = text.splitlines()
        assert lines[0] == "flowchart TD", name
        opened = sum(1 for line in lines if line.strip().startswith("subgraph "))
        assert opened == sum(1 for line in lines if line.strip() == "end"), name
        for line in lines[1:]:
            assert re.match(
                r"\s+(subgraph n\d+(_b\d+)?\[\".*\"\]|end|n\d+\S.*|n\d+ (-->|==>|-\.->)"
                r"(\|\".*\"\|)? n\d+|classDef \w+ .+|class n\d+ \w+|style n\d+ .+)$",
                line,
            ), f"{name}: {line!r}"
        path = tmp_path / f"{i}.mmd"
        path.write_text(text)
        paths.append(path)
    assert "class n" in texts[-1][1] and "classDef caught" in texts[-1][1]
    parsed = _mermaid_parse(paths)
    if parsed is None:
        pytest.skip("mermaid is not installed (ASL_MERMAID_NODE_MODULES): checked structurally")
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr


@pytest.mark.parametrize(("name", "definition"), EXAMPLES[:2], ids=IDS[:2])
def test_html_is_one_standalone_page(name: str, definition: Any) -> None:
    page = render_html(build_graph(definition), None, console_assets(), title="<Orders>")
    assert page.startswith("<!doctype html>")
    assert "&lt;Orders&gt;" in page
    assert "<script src" not in page and "<link" not in page  # nothing to fetch
    assert "export async function drawGraph" in page and "ELK" in page
