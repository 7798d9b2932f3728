"""A standalone HTML page of a graph: the console's graph.js, ELK and svg-pan-zoom inline.

The page works offline, in one file. The scripts are passed in (``assets``) by the caller that
can read the console's static files, so this module stays pure.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

ASSETS = ("elk.bundled.js", "svg-pan-zoom.min.js", "graph.js", "graph.css")
"""The files :func:`render_html` needs, by name: ``vendor/`` holds the first two."""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
html, body {{ margin: 0; height: 100%; font: 14px system-ui, sans-serif; }}
body {{ display: flex; flex-direction: column; }}
header {{ padding: 6px 12px; border-bottom: 1px solid #d5dbe1; display: flex; gap: 12px;
  align-items: baseline; }}
header h1 {{ font-size: 16px; margin: 0; }}
header .status {{ font-weight: 600; }}
header .help {{ color: #5f6b7a; font-size: 12px; margin-left: auto; }}
main {{ flex: 1; display: flex; min-height: 0; }}
#graph {{ flex: 1; }}
#details {{ width: 340px; overflow: auto; border-left: 1px solid #d5dbe1; padding: 8px 12px;
  font-size: 12px; }}
#details pre {{ white-space: pre-wrap; word-break: break-all; background: #f4f5f6; padding: 6px; }}
{css}
</style>
</head>
<body>
<header><h1>{title}</h1><span class="status">{status}</span>
<span class="help">drag to pan, wheel or +/- to zoom, 0 to fit, arrows and Enter to select</span>
</header>
<main><div id="graph"></div><aside id="details">Select a state to see its details.</aside></main>
<script type="application/json" id="graph-data">{data}</script>
<script>{elk}</script>
<script>{panzoom}</script>
<script type="module">
{graph_js}
const data = JSON.parse(document.getElementById("graph-data").textContent);
const details = document.getElementById("details");
function show(id) {{
  const state = (data.overlay && data.overlay.states[id]) || null;
  details.replaceChildren();
  const h = document.createElement("h2");
  h.textContent = id;
  details.append(h);
  if (!state) {{ details.append("Not reached."); return; }}
  for (const key of ["status", "entered", "retries", "error", "cause", "input", "output"]) {{
    if (state[key] === null || state[key] === undefined || state[key] === 0) continue;
    const label = document.createElement("div");
    label.textContent = key;
    const value = document.createElement("pre");
    value.textContent = String(state[key]);
    details.append(label, value);
  }}
}}
window.aslGraph = await drawGraph(document.getElementById("graph"), data.graph, data.overlay,
  {{ onSelect: show }});
document.body.dataset.ready = "true";
</script>
</body>
</html>
"""


def render_html(
    graph: Mapping[str, Any],
    overlay: Mapping[str, Any] | None,
    assets: Mapping[str, str],
    *,
    title: str = "State machine",
) -> str:
    """The page: ``assets`` maps each name of :data:`ASSETS` to the file's text."""
    missing = [name for name in ASSETS if name not in assets]
    if missing:
        raise ValueError(f"render_html needs the console's files {', '.join(missing)}")
    data = json.dumps({"graph": graph, "overlay": overlay}, ensure_ascii=False)
    status = (overlay or {}).get("status") or ""
    return _PAGE.format(
        title=html.escape(title),
        status=html.escape(str(status)),
        css=_inline(assets["graph.css"], "</style"),
        data=data.replace("</", "<\\/"),
        elk=_inline(assets["elk.bundled.js"], "</script"),
        panzoom=_inline(assets["svg-pan-zoom.min.js"], "</script"),
        graph_js=_inline(assets["graph.js"], "</script"),
    )


def _inline(text: str, closer: str) -> str:
    """Text safe inside its element: no early closing tag."""
    if closer in text.lower():
        raise ValueError(f"an inlined asset contains {closer!r}")
    return text
