// The front page: the most recent executions of every machine, filtered and paged through the
// URL hash, live-updated by polling (rows rebuilt only when something changed).

import { all, consoleApi } from './api.js';
import { badge, errorBox, esc, executionLink, h, link, machineLink, poll, span, tail, when } from './ui.js';

export const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
const SINCE = { '': 'any time', '15m': 'last 15 minutes', '1h': 'last hour', '24h': 'last 24 hours', '7d': 'last 7 days' };
const UNIT = { m: 60, h: 3600, d: 86400 };
export const SIZES = [25, 100, 250, 500, 1000];
const DEFAULT_SIZE = 100;

/** "1h" -> epoch seconds one hour ago (undefined for any time). */
function sinceSeconds(spec) {
  const match = /^(\d+)([mhd])$/.exec(spec || '');
  return match ? Math.floor(Date.now() / 1000) - Number(match[1]) * UNIT[match[2]] : undefined;
}

/** The rows of a page of executions, as one HTML string. */
export function rowsHtml(executions) {
  const out = new Array(executions.length);
  for (let i = 0; i < executions.length; i++) {
    const e = executions[i];
    const machine = e.stateMachineName || tail(e.stateMachineArn);
    out[i] = `<tr data-arn="${esc(e.executionArn)}"><td><a href="${esc(executionLink(e.executionArn))}">${esc(e.name)}</a></td>` +
      `<td><a href="${esc(machineLink(e.stateMachineArn))}">${esc(machine)}</a></td>` +
      `<td>${badge(e.status)}</td><td class="num">${esc(when(e.startDate))}</td>` +
      `<td class="num">${esc(span(e.startDate, e.stopDate))}</td></tr>`;
  }
  return out.join('');
}

/** Sets a tbody's rows and returns the time it took (ms), layout included. */
export function renderRows(tbody, executions, empty) {
  const started = performance.now();
  tbody.innerHTML = executions.length ? rowsHtml(executions) : `<tr><td colspan="5" class="empty">${esc(empty)}</td></tr>`;
  void tbody.offsetHeight; // the layout, so the figure covers what the user waits for
  return performance.now() - started;
}

function filterForm(query, machines) {
  const select = (name, label, options, value) => h('label', {}, label,
    h('select', { name }, ...options.map(([v, text]) => h('option', { value: v, selected: String(v) === String(value) }, text))));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter executions' },
    select('status', 'Status', [['', 'any'], ...STATUSES.map((s) => [s, s])], query.status || ''),
    h('label', {}, 'Machine', h('input', { name: 'machine', list: 'machine-names', value: query.machine || '', placeholder: 'any', size: 18 })),
    h('datalist', { id: 'machine-names' }, ...machines.map((m) => h('option', { value: m }))),
    select('since', 'Started', Object.entries(SINCE), query.since || ''),
    select('size', 'Page size', SIZES.map((s) => [s, s]), query.size || DEFAULT_SIZE),
    h('button', { type: 'submit' }, 'Apply'));
  form.addEventListener('change', (event) => {
    if (event.target.tagName === 'SELECT') form.requestSubmit();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    if (Number(data.size) === DEFAULT_SIZE) delete data.size;
    location.hash = link('executions', data);
  });
  return form;
}

export async function render(main, route) {
  const query = route.query;
  const size = Math.min(1000, Number(query.size) || DEFAULT_SIZE);
  const params = () => {
    const p = { maxResults: size };
    if (query.status) p.statusFilter = query.status;
    if (query.machine) p.stateMachineName = query.machine;
    const since = sinceSeconds(query.since);
    if (since !== undefined) p.since = since;
    if (query.token) p.nextToken = query.token;
    return p;
  };
  const tbody = h('tbody');
  const status = h('p', { class: 'meta', 'aria-live': 'polite' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const live = h('input', { type: 'checkbox', checked: true, id: 'live' });
  const table = h('table', { class: 'grid executions', id: 'executions' },
    h('thead', {}, h('tr', {}, ...['Name', 'State machine', 'Status', 'Started', 'Duration'].map((x) => h('th', { scope: 'col' }, x)))),
    tbody);
  main.replaceChildren(
    h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, 'Executions'),
      h('label', { class: 'live' }, live, ' Live')),
    filterForm(query, []),
    status, table, pager);
  all('ListStateMachines', 'stateMachines').then((list) => {
    const names = document.getElementById('machine-names');
    if (names) names.replaceChildren(...list.map((m) => h('option', { value: m.name })));
  }).catch(() => {});

  let signature = null;
  const load = async () => {
    const fetched = performance.now();
    const page = await consoleApi('ListRecentExecutions', params());
    const executions = page.executions || [];
    const running = executions.some((e) => e.status === 'RUNNING');
    const next = JSON.stringify([executions, page.nextToken]) + (running ? Date.now() : '');
    if (next === signature) return;
    signature = next;
    const focused = document.activeElement?.closest?.('tr[data-arn]')?.dataset.arn;
    const took = renderRows(tbody, executions, 'No executions match these filters.');
    if (focused) tbody.querySelector(`tr[data-arn="${CSS.escape(focused)}"] a`)?.focus();
    table.dataset.renderMs = took.toFixed(1);
    table.dataset.rows = executions.length;
    window.aslRender = { rows: executions.length, renderMs: took, totalMs: performance.now() - fetched };
    status.textContent = `${executions.length} execution${executions.length === 1 ? '' : 's'} on this page · ` +
      `updated ${new Date().toLocaleTimeString()}`;
    pager.replaceChildren(
      query.token ? h('a', { href: link('executions', { ...query, token: '' }), class: 'button' }, '« Newest') : '',
      page.nextToken ? h('a', { href: link('executions', { ...query, token: page.nextToken }), class: 'button' }, 'Older »') : '');
  };
  try {
    await load();
  } catch (error) {
    main.append(errorBox(error, 'Could not list executions'));
    return null;
  }
  const stop = poll(() => (live.checked ? load() : null), 2000);
  return stop;
}
