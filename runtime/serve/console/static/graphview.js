// The graph panel shared by the execution and state machine pages: graph.js's drawGraph
// (helper module; a plain list of states stands in when it cannot be loaded) beside the
// details of the selected state.

import { badge, duration, esc, h, pretty, when } from './ui.js';

let graphModule = null;

async function loadGraph() {
  if (graphModule === null) {
    graphModule = import('./graph.js').catch((error) => {
      console.warn('graph.js could not be loaded; showing a list of states', error);
      return {};
    });
  }
  return graphModule;
}

/** Every node of a graph and its groups, depth first, without Start/End pseudo-nodes. */
export function nodes(graph, out = []) {
  for (const node of graph?.nodes || []) {
    if (node.type === 'Start' || node.type === 'End') continue;
    out.push(node);
    for (const group of node.groups || []) nodes(group, out);
  }
  return out;
}

function fallback(container, graph, overlay, onSelect) {
  const states = overlay?.states || {};
  const list = h('ol', { class: 'state-list' }, ...nodes(graph).map((node) => {
    const status = states[node.id]?.status || (overlay ? 'not_reached' : '');
    return h('li', {}, h('button', {
      type: 'button',
      class: `state-node ${status ? `state-${status}` : ''}`,
      'data-state-id': node.id,
      onclick: () => onSelect(node.id),
    }, `${node.name} (${node.type})`));
  }));
  container.replaceChildren(list);
  return {};
}

function itemsText(items) {
  if (!items) return '';
  const parts = ['succeeded', 'failed', 'running', 'aborted'].filter((k) => items[k]).map((k) => `${items[k]} ${k}`);
  return `${items.total ?? 0} item${items.total === 1 ? '' : 's'}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function detailsHtml(node, state) {
  const rows = [['Type', esc(node?.type || '')]];
  if (node?.detail) rows.push(['Detail', `<code>${esc(node.detail)}</code>`]);
  if (state) {
    rows.push(['Status', badge(state.status)]);
    if (state.entered > 1) rows.push(['Entered', esc(state.entered)]);
    if (state.retries) rows.push(['Retries', esc(state.retries)]);
    if (state.started) rows.push(['Started', esc(when(state.started))]);
    if (state.ended) rows.push(['Ended', esc(when(state.ended))]);
    if (state.started) rows.push(['Duration', esc(duration((state.ended || Date.now()) - state.started))]);
    if (state.items) rows.push([node?.type === 'Parallel' ? 'Branches' : 'Items', esc(itemsText(state.items))]);
  }
  if (node?.retry?.length) {
    rows.push(['Retry', esc(node.retry.map((r) => `${r.errors.join(', ')}: ${r.maxAttempts}× every ${r.interval}s ×${r.backoff}`).join('; '))]);
  }
  let html = `<dl class="facts">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
  if (state?.error || state?.cause) {
    html += `<div class="error-box"><strong>${esc(state.error || '')}</strong><pre>${esc(pretty(state.cause))}</pre></div>`;
  }
  for (const key of ['input', 'output']) {
    if (state && state[key] != null) html += `<h4>${key === 'input' ? 'Input' : 'Output'}</h4><pre class="json">${esc(pretty(state[key]))}</pre>`;
  }
  return html;
}

/**
 * A graph panel in `container`: returns {update(graph, overlay), select(id)}. onSelect(id) is
 * called when a state is chosen (click, Enter in the graph, or select()).
 */
export function graphPanel(container, { onSelect = () => {} } = {}) {
  const canvas = h('div', { class: 'graph-canvas', id: 'graph' });
  const side = h('aside', { class: 'state-details', id: 'state-details', 'aria-live': 'polite' },
    h('p', { class: 'meta' }, 'Select a state to see its details.'));
  container.replaceChildren(h('div', { class: 'graph-panel' }, canvas, side));
  let graph = null;
  let overlay = null;
  let selected = null;
  let handle = null;
  let drawn = '';

  const show = (id) => {
    selected = id;
    const node = nodes(graph).find((n) => n.id === id);
    const state = overlay?.states?.[id];
    side.innerHTML = `<h3>${esc(node?.name || id)}</h3>${detailsHtml(node, state)}`;
    for (const el of canvas.querySelectorAll('.selected')) el.classList.remove('selected');
    canvas.querySelector(`[data-state-id="${CSS.escape(id)}"]`)?.classList.add('selected');
    onSelect(id);
  };

  const draw = async () => {
    const module = await loadGraph();
    canvas.replaceChildren();
    try {
      handle = module.drawGraph
        ? (await module.drawGraph(canvas, graph, overlay || undefined, { onSelect: show })) || {}
        : fallback(canvas, graph, overlay, show);
    } catch (error) {
      console.error('drawGraph failed', error);
      handle = fallback(canvas, graph, overlay, show);
    }
    canvas.dataset.drawn = 'true';
  };

  return {
    async update(nextGraph, nextOverlay) {
      const key = JSON.stringify([nextGraph, nextOverlay?.states && Object.entries(nextOverlay.states).map(([k, s]) => [k, s.status, s.entered, s.retries, s.items])]);
      const sameGraph = graph !== null && JSON.stringify(graph) === JSON.stringify(nextGraph);
      graph = nextGraph;
      overlay = nextOverlay;
      if (key !== drawn) {
        drawn = key;
        if (sameGraph && typeof handle?.update === 'function') handle.update(overlay);
        else await draw();
      }
      if (selected) show(selected);
    },
    select(id) {
      if (typeof handle?.select === 'function') handle.select(id);
      show(id);
    },
  };
}
