// The state machine graph: ELK's layered layout of the Graph JSON (Map and Parallel as compound
// nodes), drawn as SVG, coloured by an Overlay, with pan/zoom and keyboard navigation.
//
//   const view = await drawGraph(container, graph, overlay, { onSelect: (id) => ... });
//   view.update(overlay);   // re-colour (no new layout)
//   view.select(id); view.fit(); view.destroy();
//
// Graph and Overlay are the JSON of runtime.graph (see docs/graph.md). ELK and svg-pan-zoom are
// the vendored copies beside this file (window.ELK, window.svgPanZoom), loaded on first use
// unless the page already has them (asl graph --format html inlines them).

const SVG = "http://www.w3.org/2000/svg";
const FONT = "12px system-ui, -apple-system, 'Segoe UI', sans-serif";
const SMALL_FONT = "10px system-ui, -apple-system, 'Segoe UI', sans-serif";
const HEADER = 30; // a group's header band
const MAX_TEXT = 260; // widest node text before it is cut

export const STATUSES = [
  "succeeded",
  "failed",
  "caught",
  "retried",
  "running",
  "not_reached",
  "aborted",
  "timed_out",
];
const STATUS_TEXT = {
  succeeded: "Succeeded",
  failed: "Failed",
  caught: "Caught",
  retried: "Retried",
  running: "Running",
  not_reached: "Not reached",
  aborted: "Aborted",
  timed_out: "Timed out",
};

const vendorBase = new URL("./vendor/", import.meta.url);
const loading = {};

function loadGlobal(file, name) {
  if (window[name]) return Promise.resolve(window[name]);
  if (!loading[name]) {
    loading[name] = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL(file, vendorBase).href;
      script.onload = () => resolve(window[name]);
      script.onerror = () => reject(new Error(`could not load ${script.src}`));
      document.head.appendChild(script);
    });
  }
  return loading[name];
}

let measureContext = null;
function textWidth(text, font = FONT) {
  if (!measureContext) measureContext = document.createElement("canvas").getContext("2d");
  measureContext.font = font;
  return measureContext.measureText(text).width;
}

function clip(text, font = FONT, max = MAX_TEXT) {
  if (textWidth(text, font) <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (textWidth(text.slice(0, mid) + "…", font) <= max) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo) + "…";
}

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  if (parent) parent.appendChild(node);
  return node;
}

// --- Graph JSON -> ELK graph ------------------------------------------------------------------

const LAYOUT = {
  "elk.algorithm": "layered",
  "elk.direction": "DOWN",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.layered.spacing.nodeNodeBetweenLayers": "36",
  "elk.spacing.nodeNode": "28",
  "elk.spacing.edgeNode": "14",
  "elk.spacing.edgeEdge": "10",
  "elk.spacing.edgeLabel": "4",
  "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
  "elk.layered.crossingMinimization.strategy": "LAYER_SWEEP",
  "elk.layered.mergeEdges": "false",
  "elk.edgeLabels.inline": "false",
};
const GROUP_LAYOUT = { ...LAYOUT, "elk.padding": `[top=${HEADER + 10},left=14,bottom=14,right=14]` };

function toElk(graph, info, edgeInfo) {
  const children = [];
  const edges = [];
  for (const node of graph.nodes) {
    info.set(node.id, node);
    if (node.type === "Start" || node.type === "End") {
      children.push({ id: node.id, width: 22, height: 22 });
    } else if (node.groups && node.groups.length) {
      const inner =
        node.type === "Map"
          ? toElk(node.groups[0], info, edgeInfo)
          : {
              children: node.groups.map((group, i) => ({
                id: `group:${group.id}`,
                layoutOptions: GROUP_LAYOUT,
                labels: [{ text: `Branch ${i + 1}` }],
                ...toElk(group, info, edgeInfo),
              })),
              edges: [],
            };
      const title = headerText(node, null);
      children.push({
        id: node.id,
        layoutOptions: {
          ...GROUP_LAYOUT,
          "elk.nodeSize.minimum": `(${Math.min(textWidth(title) + 120, 420)}, 60)`,
          "elk.nodeSize.constraints": "MINIMUM_SIZE",
          ...(node.type === "Parallel" ? { "elk.direction": "RIGHT" } : {}),
        },
        ...inner,
      });
    } else {
      const name = clip(node.name);
      const detail = node.detail ? clip(node.detail, SMALL_FONT) : "";
      const width = Math.max(textWidth(name), detail ? textWidth(detail, SMALL_FONT) : 0);
      children.push({ id: node.id, width: Math.max(90, width + 34), height: detail ? 46 : 34 });
    }
  }
  for (const [i, edge] of graph.edges.entries()) {
    const id = `edge:${graph.id}:${i}`;
    edgeInfo.set(id, edge);
    const labels = edge.label
      ? [
          {
            text: clip(edge.label, SMALL_FONT, 180),
            width: textWidth(clip(edge.label, SMALL_FONT, 180), SMALL_FONT) + 8,
            height: 14,
          },
        ]
      : [];
    edges.push({ id, sources: [edge.source], targets: [edge.target], labels });
  }
  return { children, edges };
}

// --- drawing ----------------------------------------------------------------------------------

function headerText(node, state) {
  const kind = node.type === "Map" ? (node.distributed ? "Distributed Map" : "Map") : "Parallel";
  let text = `${node.name} · ${kind}`;
  const items = state && state.items;
  if (items && items.total !== undefined) {
    const noun = node.type === "Map" ? "items" : "branches";
    const parts = [];
    for (const key of ["succeeded", "failed", "running", "aborted"]) {
      if (items[key]) parts.push(`${items[key]} ${key}`);
    }
    text += ` · ${items.total} ${noun}` + (parts.length ? ` (${parts.join(", ")})` : "");
  }
  return text;
}

function retryText(node) {
  return node.retry
    .map((r) => `Retry ${r.errors.join(", ")}: ${r.maxAttempts}× every ${r.interval}s ×${r.backoff}`)
    .join("\n");
}

function drawNode(parent, elkNode, node, view) {
  const g = el("g", {
    class: `node type-${node.type.toLowerCase()}`,
    transform: `translate(${elkNode.x},${elkNode.y})`,
    "data-state-id": node.id,
    tabindex: node.type === "Start" || node.type === "End" ? null : "-1",
    role: "button",
    "aria-label": `${node.name} (${node.type})`,
  }, parent);
  const w = elkNode.width;
  const h = elkNode.height;
  view.boxes.set(node.id, { x: view.origin.x + elkNode.x, y: view.origin.y + elkNode.y, w, h });
  view.nodes.set(node.id, g);
  const title = el("title", {}, g);
  view.titles.set(node.id, title);
  if (node.type === "Start" || node.type === "End") {
    el("circle", { cx: w / 2, cy: h / 2, r: w / 2 - 1, class: "pseudo" }, g);
    if (node.type === "End") el("circle", { cx: w / 2, cy: h / 2, r: w / 2 - 5, class: "pseudo-inner" }, g);
    title.textContent = node.name;
    return g;
  }
  const shape = node.type === "Choice" ? 14 : node.type === "Succeed" || node.type === "Fail" ? 17 : 6;
  el("rect", { class: "box", width: w, height: h, rx: shape, ry: shape }, g);
  const name = el("text", { class: "name", x: w / 2, y: node.detail ? 18 : h / 2 + 4 }, g);
  name.textContent = clip(node.name);
  if (node.detail) {
    const detail = el("text", { class: "detail", x: w / 2, y: 34 }, g);
    detail.textContent = clip(node.detail, SMALL_FONT);
  }
  if (node.retry && node.retry.length) {
    const badge = el("g", { class: "retry-badge", transform: `translate(${w - 8},-6)` }, g);
    el("circle", { r: 8 }, badge);
    const t = el("text", { y: 4 }, badge);
    t.textContent = "↻";
  }
  el("text", { class: "retries", x: 4, y: -4 }, g);
  return g;
}

function drawGroup(parent, elkNode, node, view) {
  const g = el("g", {
    class: `node group type-${node.type.toLowerCase()}`,
    transform: `translate(${elkNode.x},${elkNode.y})`,
    "data-state-id": node.id,
    tabindex: "-1",
    role: "button",
    "aria-label": `${node.name} (${node.type})`,
  }, parent);
  view.boxes.set(node.id, {
    x: view.origin.x + elkNode.x,
    y: view.origin.y + elkNode.y,
    w: elkNode.width,
    h: HEADER,
  });
  view.nodes.set(node.id, g);
  view.titles.set(node.id, el("title", {}, g));
  el("rect", { class: "group-box", width: elkNode.width, height: elkNode.height, rx: 8, ry: 8 }, g);
  el("rect", { class: "group-header", width: elkNode.width, height: HEADER, rx: 8, ry: 8 }, g);
  const header = el("text", { class: "group-title", x: 10, y: HEADER / 2 + 4 }, g);
  header.textContent = headerText(node, null);
  view.headers.set(node.id, header);
  if (node.retry && node.retry.length) {
    const badge = el("g", { class: "retry-badge", transform: `translate(${elkNode.width - 12},${HEADER / 2})` }, g);
    el("circle", { r: 8 }, badge);
    el("text", { y: 4 }, badge).textContent = "↻";
  }
  const saved = view.origin;
  view.origin = { x: saved.x + elkNode.x, y: saved.y + elkNode.y };
  drawContents(g, elkNode, view);
  view.origin = saved;
  return g;
}

function drawBranch(parent, elkNode, view) {
  const g = el("g", { class: "branch", transform: `translate(${elkNode.x},${elkNode.y})` }, parent);
  el("rect", { class: "branch-box", width: elkNode.width, height: elkNode.height, rx: 6, ry: 6 }, g);
  const label = el("text", { class: "branch-title", x: 8, y: 16 }, g);
  label.textContent = (elkNode.labels && elkNode.labels[0] && elkNode.labels[0].text) || "";
  const saved = view.origin;
  view.origin = { x: saved.x + elkNode.x, y: saved.y + elkNode.y };
  drawContents(g, elkNode, view);
  view.origin = saved;
}

function drawEdge(parent, elkEdge, edge, view) {
  const g = el("g", { class: `edge kind-${edge.kind}`, "data-source": edge.source, "data-target": edge.target }, parent);
  for (const section of elkEdge.sections || []) {
    const points = [section.startPoint, ...(section.bendPoints || []), section.endPoint];
    const d = points.map((p, i) => `${i ? "L" : "M"}${p.x},${p.y}`).join(" ");
    el("path", { d, "marker-end": `url(#${view.prefix}-arrow)` }, g);
  }
  for (const label of elkEdge.labels || []) {
    const lg = el("g", { class: "edge-label", transform: `translate(${label.x},${label.y})` }, g);
    el("rect", { width: label.width, height: label.height, rx: 3, ry: 3 }, lg);
    const t = el("text", { x: label.width / 2, y: label.height - 3 }, lg);
    t.textContent = label.text;
    el("title", {}, lg).textContent = edge.label;
  }
  const key = `${edge.source}\u0000${edge.target}`;
  if (!view.edges.has(key)) view.edges.set(key, []);
  view.edges.get(key).push(g);
}

function drawContents(parent, elkNode, view) {
  for (const edge of elkNode.edges || []) drawEdge(parent, edge, view.edgeInfo.get(edge.id), view);
  for (const child of elkNode.children || []) {
    if (child.id.startsWith("group:")) drawBranch(parent, child, view);
    else if (child.children && child.children.length) drawGroup(parent, child, view.info.get(child.id), view);
    else drawNode(parent, child, view.info.get(child.id), view);
  }
}

function legend(container) {
  const box = document.createElement("div");
  box.className = "graph-legend";
  for (const status of STATUSES) {
    const item = document.createElement("span");
    item.className = `graph-legend-item state-${status}`;
    const swatch = document.createElement("i");
    item.append(swatch, STATUS_TEXT[status]);
    box.appendChild(item);
  }
  container.appendChild(box);
  return box;
}

// --- the view ---------------------------------------------------------------------------------

let counter = 0;

/**
 * Draw a Graph (and colour it by an Overlay) in `container`. Returns a controller:
 * {update(overlay), select(id), focus(id), fit(), destroy(), svg}.
 */
export async function drawGraph(container, graph, overlay = null, { onSelect = null } = {}) {
  const [ELK, svgPanZoom] = await Promise.all([
    loadGlobal("elk.bundled.js", "ELK"),
    loadGlobal("svg-pan-zoom.min.js", "svgPanZoom").catch(() => null),
  ]);
  const info = new Map();
  const edgeInfo = new Map();
  const root = { id: "root", layoutOptions: LAYOUT, ...toElk(graph, info, edgeInfo) };
  const layout = await new ELK().layout(root);

  container.replaceChildren();
  container.classList.add("graph-container");
  const prefix = `asl-graph-${++counter}`;
  const svg = el("svg", {
    class: "asl-graph",
    width: "100%",
    height: "100%",
    viewBox: `-16 -16 ${layout.width + 32} ${layout.height + 56}`, // room for the legend
    role: "application",
    "aria-label": "State machine graph",
    tabindex: "0",
  });
  const defs = el("defs", {}, svg);
  const marker = el("marker", {
    id: `${prefix}-arrow`, viewBox: "0 0 10 10", refX: "9", refY: "5",
    markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse",
  }, defs);
  el("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }, marker);
  const scene = el("g", { class: "scene" }, svg);
  const view = {
    prefix, info, edgeInfo, origin: { x: 0, y: 0 },
    boxes: new Map(), nodes: new Map(), titles: new Map(), headers: new Map(), edges: new Map(),
  };
  drawContents(scene, layout, view);
  container.appendChild(svg);
  const legendBox = legend(container);

  let panZoom = null;
  if (svgPanZoom) {
    panZoom = svgPanZoom(svg, {
      zoomEnabled: true, panEnabled: true, controlIconsEnabled: false, fit: true, center: true,
      minZoom: 0.05, maxZoom: 20, dblClickZoomEnabled: false, zoomScaleSensitivity: 0.25,
    });
    capZoom();
  }
  function capZoom() {
    if (!panZoom) return;
    const real = panZoom.getSizes().realZoom;
    if (real > 1.4) panZoom.zoom((panZoom.getZoom() * 1.4) / real);
    panZoom.center();
  }

  // Selection and keyboard navigation.
  let selected = null;
  let focused = null;
  const order = [...view.nodes.keys()].filter((id) => view.nodes.get(id).getAttribute("tabindex"));

  function focus(id, reveal = true) {
    const g = view.nodes.get(id);
    if (!g) return;
    if (focused) view.nodes.get(focused)?.classList.remove("focused");
    focused = id;
    g.classList.add("focused");
    if (reveal) revealNode(id);
  }
  function revealNode(id) {
    if (!panZoom) return;
    const box = view.boxes.get(id);
    const sizes = panZoom.getSizes();
    const pan = panZoom.getPan();
    const z = sizes.realZoom;
    const left = box.x * z + pan.x;
    const top = box.y * z + pan.y;
    if (left < 0 || top < 0 || left + box.w * z > sizes.width || top + box.h * z > sizes.height) {
      panZoom.pan({
        x: sizes.width / 2 - (box.x + box.w / 2) * z,
        y: sizes.height / 2 - (box.y + box.h / 2) * z,
      });
    }
  }
  function select(id, notify = true) {
    if (selected) view.nodes.get(selected)?.classList.remove("selected");
    selected = id;
    const g = view.nodes.get(id);
    if (g) g.classList.add("selected");
    focus(id);
    if (notify && onSelect) onSelect(id);
  }
  function nearest(dx, dy) {
    if (!focused) return order[0];
    const from = view.boxes.get(focused);
    const cx = from.x + from.w / 2;
    const cy = from.y + from.h / 2;
    let best = null;
    let bestScore = Infinity;
    for (const id of order) {
      if (id === focused) continue;
      const b = view.boxes.get(id);
      const vx = b.x + b.w / 2 - cx;
      const vy = b.y + b.h / 2 - cy;
      const along = vx * dx + vy * dy;
      if (along <= 1) continue;
      const across = Math.abs(vx * dy - vy * dx);
      const score = along + across * 2;
      if (score < bestScore) {
        bestScore = score;
        best = id;
      }
    }
    return best;
  }

  svg.addEventListener("click", (event) => {
    const g = event.target.closest("[data-state-id]");
    if (g && g.getAttribute("tabindex")) select(g.dataset.stateId);
  });
  svg.addEventListener("keydown", (event) => {
    const moves = { ArrowDown: [0, 1], ArrowUp: [0, -1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
    let handled = true;
    if (moves[event.key]) {
      const next = nearest(...moves[event.key]);
      if (next) focus(next);
    } else if (event.key === "Tab") {
      const i = order.indexOf(focused);
      const next = order[(i + (event.shiftKey ? order.length - 1 : 1)) % order.length];
      if ((i === order.length - 1 && !event.shiftKey) || (i === 0 && event.shiftKey)) handled = false;
      else focus(next);
    } else if (event.key === "Enter" || event.key === " ") {
      if (focused) select(focused);
    } else if (event.key === "+" || event.key === "=") {
      panZoom?.zoomIn();
    } else if (event.key === "-" || event.key === "_") {
      panZoom?.zoomOut();
    } else if (event.key === "0") {
      fit();
    } else if (event.key === "Escape") {
      if (selected) view.nodes.get(selected)?.classList.remove("selected");
      selected = null;
    } else {
      handled = false;
    }
    if (handled) event.preventDefault();
  });
  svg.addEventListener("focus", () => {
    if (!focused && order.length) focus(order[0], false);
  });

  function update(next) {
    overlay = next;
    const states = (next && next.states) || {};
    for (const [id, g] of view.nodes) {
      for (const status of STATUSES) g.classList.remove(`state-${status}`);
      const state = states[id];
      const node = info.get(id);
      if (next && node.type !== "Start" && node.type !== "End") {
        g.classList.add(`state-${state ? state.status : "not_reached"}`);
      }
      const lines = [`${node.name} (${node.type})`];
      if (node.detail) lines.push(node.detail);
      if (node.retry && node.retry.length) lines.push(retryText(node));
      if (state) {
        lines.push(`Status: ${STATUS_TEXT[state.status] || state.status}`);
        if (state.retries) lines.push(`Retries: ${state.retries}`);
        if (state.error) lines.push(`Error: ${state.error}`);
        if (state.cause) lines.push(`Cause: ${String(state.cause).slice(0, 300)}`);
      }
      view.titles.get(id).textContent = lines.join("\n");
      const retries = g.querySelector(":scope > text.retries");
      if (retries) retries.textContent = state && state.retries ? `↻ ${state.retries}` : "";
      const header = view.headers.get(id);
      if (header) header.textContent = clip(headerText(node, state), FONT, view.boxes.get(id).w - 30);
    }
    const taken = new Set(((next && next.edges) || []).map(([s, t]) => `${s}\u0000${t}`));
    for (const [key, groups] of view.edges) {
      for (const g of groups) g.classList.toggle("taken", taken.has(key));
    }
    svg.classList.toggle("coloured", Boolean(next));
    legendBox.hidden = !next;
  }

  function fit() {
    if (!panZoom) return;
    panZoom.resize();
    panZoom.fit();
    capZoom();
  }

  update(overlay);
  return {
    svg,
    update,
    select: (id) => select(id, false),
    focus,
    fit,
    destroy() {
      panZoom?.destroy();
      container.replaceChildren();
    },
  };
}
