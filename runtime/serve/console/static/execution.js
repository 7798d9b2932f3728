// One execution: its header (error and cause first when it failed), the graph coloured by what
// happened with the selected state's details, a timeline of states, Map and Parallel counts,
// a Distributed Map's child executions, and the event table; polled while it runs.

import { consoleApi, sfn } from './api.js';
import { formDialog } from './dialogs.js';
import { graphPanel, nodes } from './graphview.js';
import { badge, duration, errorBox, esc, executionLink, h, machineLink, ms, poll, pretty, section, span, tableHtml, tail, when } from './ui.js';

const EVENT_PAGE = 200;
const ACTIVE = new Set(['RUNNING', 'PENDING_REDRIVE']);
const TIMELINE_ROWS = 300;

function header(execution, mapRunArn, ctx, refresh) {
  const facts = [
    ['State machine', h('a', { href: machineLink(execution.stateMachineArn) }, tail(execution.stateMachineArn))],
    ['Started', when(execution.startDate)],
    ['Stopped', when(execution.stopDate) || '—'],
    ['Duration', span(execution.startDate, execution.stopDate)],
  ];
  if (execution.redriveCount) facts.push(['Redriven', `${execution.redriveCount} time(s), last ${when(execution.redriveDate)}`]);
  if (mapRunArn) facts.push(['Map Run', h('span', { id: 'parent-link' }, tail(mapRunArn))]);
  facts.push(['ARN', h('code', { class: 'arn' }, execution.executionArn)]);
  const failed = execution.error || execution.cause;
  return h('header', { class: 'execution-header' },
    h('div', { class: 'title-row' },
      h('h1', { tabindex: '-1' }, execution.name, ' ', h('span', { html: badge(execution.status) })),
      actions(execution, ctx, refresh)),
    h('dl', { class: 'facts inline' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { class: k === 'ARN' ? 'wide' : null }, v)])),
    failed ? h('div', { class: 'error-box failure', role: 'alert', id: 'execution-error' },
      h('strong', {}, execution.error || 'Error'), h('pre', {}, pretty(execution.cause || ''))) : null);
}

function actions(execution, ctx, refresh) {
  if (!ctx.settings.actions) return h('div', { class: 'actions' });
  const buttons = [];
  if (execution.status === 'RUNNING') {
    buttons.push(h('button', {
      type: 'button', class: 'danger', id: 'stop-execution',
      onclick: () => formDialog({
        title: 'Stop this execution?',
        message: `${execution.name} will end as ABORTED; its running tasks are not called back.`,
        fields: [
          { name: 'error', label: 'Error (optional)' },
          { name: 'cause', label: 'Cause (optional)', type: 'textarea', rows: 3 },
        ],
        submit: 'Stop execution',
        danger: true,
        run: (v) => sfn('StopExecution', { executionArn: execution.executionArn, ...(v.error ? { error: v.error } : {}), ...(v.cause ? { cause: v.cause } : {}) }),
      }).then((done) => done && refresh()),
    }, 'Stop'));
  }
  if (['FAILED', 'TIMED_OUT', 'ABORTED'].includes(execution.status)) {
    buttons.push(h('button', {
      type: 'button', id: 'redrive-execution',
      onclick: () => formDialog({
        title: 'Redrive this execution?',
        message: 'It restarts from the states that did not succeed, keeping what succeeded.',
        submit: 'Redrive',
        run: () => sfn('RedriveExecution', { executionArn: execution.executionArn }),
      }).then((done) => done && refresh()),
    }, 'Redrive'));
  }
  return h('div', { class: 'actions' }, ...buttons);
}

function timelineHtml(timeline, stop) {
  if (!timeline?.length) return '<p class="meta">No state has started yet.</p>';
  const t0 = Math.min(...timeline.map((t) => t.start));
  const t1 = Math.max(...timeline.map((t) => t.end ?? stop ?? Date.now()), t0 + 1);
  const rows = timeline.slice(0, TIMELINE_ROWS).map((t) => {
    const end = t.end ?? stop ?? Date.now();
    const left = ((t.start - t0) / (t1 - t0)) * 100;
    const width = Math.max(0.4, ((end - t.start) / (t1 - t0)) * 100);
    const retries = t.retries ? ` · ${t.retries} retr${t.retries === 1 ? 'y' : 'ies'}` : '';
    return `<li><button type="button" class="tl-name" data-select="${esc(t.id)}">${esc(t.name)}</button>` +
      `<span class="tl-track"><span class="tl-bar state-${esc(t.status)}" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></span></span>` +
      `<span class="tl-info">+${esc(duration(t.start - t0))} · ${esc(duration(end - t.start))}${esc(retries)}</span></li>`;
  });
  const more = timeline.length > TIMELINE_ROWS ? `<p class="meta">First ${TIMELINE_ROWS} of ${timeline.length} states shown.</p>` : '';
  return `<ol class="timeline">${rows.join('')}</ol>${more}`;
}

function countsHtml(graph, overlay) {
  const rows = nodes(graph).filter((n) => overlay?.states?.[n.id]?.items).map((n) => {
    const items = overlay.states[n.id].items;
    const label = n.type === 'Map' ? (n.distributed ? 'Distributed Map' : 'Map') : n.type;
    return [`<button type="button" class="linkish" data-select="${esc(n.id)}">${esc(n.name)}</button>`, esc(label),
      ...['total', 'succeeded', 'failed', 'running', 'aborted'].map((k) => `<span class="num">${esc(items[k] ?? 0)}</span>`)];
  });
  return rows.length ? tableHtml(['State', 'Kind', 'Items', 'Succeeded', 'Failed', 'Running', 'Aborted'], rows) : '';
}

function eventDetails(event) {
  const rest = {};
  for (const [key, value] of Object.entries(event)) {
    if (!['id', 'previousEventId', 'timestamp', 'type'].includes(key)) Object.assign(rest, value && typeof value === 'object' ? value : { [key]: value });
  }
  return rest;
}

export function eventsRowsHtml(events, t0) {
  return events.map((e) => {
    const details = eventDetails(e);
    const name = details.name || details.resource || '';
    const text = Object.keys(details).length ? pretty(details) : '';
    const body = text ? `<details><summary>${esc(summary(details))}</summary><pre class="json">${esc(text)}</pre></details>` : '';
    return `<tr class="event-${esc(String(e.type).toLowerCase())}" data-id="${esc(e.id)}"><td class="num">${esc(e.id)}</td><td>${esc(e.type)}</td>` +
      `<td>${esc(name)}</td><td class="num">${esc(when(e.timestamp))}</td><td class="num">+${esc(duration(ms(e.timestamp) - t0))}</td><td>${body}</td></tr>`;
  }).join('');
}

function summary(details) {
  if (details.error) return `${details.error}${details.cause ? `: ${String(details.cause).slice(0, 80)}` : ''}`;
  const keys = Object.keys(details).filter((k) => !k.endsWith('Details'));
  return keys.slice(0, 4).join(', ') || 'details';
}

async function loadEvents(arn, atLeast) {
  const events = [];
  let token;
  do {
    const page = await sfn('GetExecutionHistory', { executionArn: arn, maxResults: EVENT_PAGE, ...(token ? { nextToken: token } : {}) });
    events.push(...page.events);
    token = page.nextToken;
  } while (token && events.length < atLeast);
  return { events, token };
}

function mapRunSection(run) {
  const counts = run.counts || {};
  const tbody = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'More items');
  let token;
  const load = async () => {
    const page = await sfn('ListExecutions', { mapRunArn: run.mapRunArn, maxResults: 100, ...(token ? { nextToken: token } : {}) });
    tbody.insertAdjacentHTML('beforeend', page.executions.map((c) =>
      `<tr><td><a href="${esc(`${executionLink(c.executionArn)}?${new URLSearchParams({ mapRun: run.mapRunArn })}`)}">${esc(c.name)}</a></td><td>${badge(c.status)}</td>` +
      `<td class="num">${esc(when(c.startDate))}</td><td class="num">${esc(span(c.startDate, c.stopDate))}</td></tr>`).join(''));
    token = page.nextToken;
    more.hidden = !token;
  };
  more.addEventListener('click', load);
  const summaryText = Object.entries(counts).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${v}`).join(' · ');
  const node = h('div', { class: 'map-run', 'data-map-run': run.mapRunArn },
    h('h3', {}, `Map Run of ${run.stateId} `, h('span', { html: badge(run.status) })),
    h('p', { class: 'meta' }, summaryText),
    h('table', { class: 'grid map-run-items' },
      h('thead', {}, h('tr', {}, ...['Child execution', 'Status', 'Started', 'Duration'].map((x) => h('th', { scope: 'col' }, x)))),
      tbody),
    more);
  load().catch((error) => node.append(errorBox(error, 'Could not list the Map Run\'s executions')));
  return node;
}

export async function render(main, route, ctx) {
  const arn = route.arg;
  const head = h('div');
  const graphBox = h('div');
  const timeline = h('div', { id: 'timeline' });
  const counts = h('div', { id: 'counts' });
  const mapRuns = h('div', { id: 'map-runs' });
  const io = h('div', { class: 'io' });
  const eventsBody = h('tbody');
  const moreEvents = h('button', { type: 'button', hidden: true }, 'More events');
  main.replaceChildren(head,
    section('Graph', graphBox),
    section('Timeline', timeline),
    h('section', { class: 'panel', id: 'map-section', hidden: true }, h('h2', {}, 'Map and Parallel'), counts, mapRuns),
    section('Input and output', io),
    section('Events', h('table', { class: 'grid events', id: 'events' },
      h('thead', {}, h('tr', {}, ...['#', 'Type', 'Step', 'Time', 'Elapsed', 'Details'].map((x) => h('th', { scope: 'col' }, x)))),
      eventsBody), moreEvents));
  const panel = graphPanel(graphBox);
  main.addEventListener('click', (event) => {
    const id = event.target.closest?.('[data-select]')?.dataset.select;
    if (id) {
      panel.select(id);
      graphBox.scrollIntoView({ block: 'nearest' });
    }
  });

  let eventCount = EVENT_PAGE;
  let eventToken;
  let mapRunsShown = '';
  let stopPolling = null;
  let t0 = 0;
  moreEvents.addEventListener('click', async () => {
    const page = await sfn('GetExecutionHistory', { executionArn: arn, maxResults: EVENT_PAGE, nextToken: eventToken });
    eventsBody.insertAdjacentHTML('beforeend', eventsRowsHtml(page.events, t0));
    eventCount += page.events.length;
    eventToken = page.nextToken;
    moreEvents.hidden = !eventToken;
  });

  const refresh = async () => {
    const [execution, drawn, history] = await Promise.all([
      sfn('DescribeExecution', { executionArn: arn }),
      consoleApi('DescribeExecutionGraph', { executionArn: arn }).catch((error) => ({ error })),
      loadEvents(arn, eventCount),
    ]);
    // a Distributed Map child: its Map Run (from DescribeExecution, or the link that led here)
    const mapRunArn = execution.mapRunArn || route.query.mapRun;
    const focused = document.activeElement?.id;
    head.replaceChildren(header(execution, mapRunArn, ctx, refresh));
    if (focused && head.querySelector(`#${focused}`)) document.getElementById(focused).focus();
    if (mapRunArn) {
      sfn('DescribeMapRun', { mapRunArn }).then((run) => {
        document.getElementById('parent-link')?.replaceChildren(h('a', { href: executionLink(run.executionArn) }, `${tail(run.executionArn)} (parent)`));
      }).catch(() => {});
    }
    t0 = ms(execution.startDate);
    const stop = ms(execution.stopDate);
    if (drawn.error) {
      graphBox.replaceChildren(errorBox(drawn.error, 'Could not draw the graph'));
    } else {
      await panel.update(drawn.graph, drawn.overlay);
      timeline.innerHTML = timelineHtml(drawn.overlay?.timeline, stop);
      counts.innerHTML = countsHtml(drawn.graph, drawn.overlay);
      const runs = drawn.mapRuns || [];
      const key = JSON.stringify(runs.map((r) => [r.mapRunArn, r.status, r.counts]));
      if (key !== mapRunsShown) {
        mapRunsShown = key;
        mapRuns.replaceChildren(...runs.map(mapRunSection));
      }
      document.getElementById('map-section').hidden = !counts.innerHTML && !runs.length;
    }
    io.replaceChildren(
      h('div', {}, h('h3', {}, 'Input'), h('pre', { class: 'json' }, pretty(execution.input))),
      h('div', {}, h('h3', {}, 'Output'), h('pre', { class: 'json' }, execution.output != null ? pretty(execution.output) : '—')));
    const open = new Set([...eventsBody.querySelectorAll('details[open]')].map((d) => d.closest('tr').dataset.id));
    eventsBody.innerHTML = eventsRowsHtml(history.events, t0);
    for (const id of open) eventsBody.querySelector(`tr[data-id="${id}"] details`)?.setAttribute('open', '');
    eventCount = Math.max(EVENT_PAGE, history.events.length);
    eventToken = history.token;
    moreEvents.hidden = !eventToken;
    main.dataset.status = execution.status;
    if (ACTIVE.has(execution.status) && !stopPolling) stopPolling = poll(refresh, 2000);
    if (!ACTIVE.has(execution.status) && stopPolling) {
      stopPolling();
      stopPolling = null;
    }
  };
  try {
    await refresh();
  } catch (error) {
    main.replaceChildren(errorBox(error, `Could not show ${tail(arn)}`));
  }
  return () => stopPolling && stopPolling();
}
