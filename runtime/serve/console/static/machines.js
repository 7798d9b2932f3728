// State machines: the list, and one machine (its definition with line numbers, its graph, its
// recent executions, and "Start execution" when actions are enabled).

import { all, consoleApi, sfn } from './api.js';
import { formDialog } from './dialogs.js';
import { graphPanel } from './graphview.js';
import { rowsHtml } from './executions.js';
import { badge, errorBox, esc, executionLink, h, machineLink, pretty, section, tableHtml, tail, when } from './ui.js';

export async function renderList(main) {
  main.replaceChildren(h('h1', { tabindex: '-1' }, 'State machines'));
  try {
    const machines = await all('ListStateMachines', 'stateMachines');
    const rows = machines.map((m) => [
      `<a href="${esc(machineLink(m.stateMachineArn))}">${esc(m.name)}</a>`,
      esc(m.type), `<span class="num">${esc(when(m.creationDate))}</span>`]);
    main.insertAdjacentHTML('beforeend', tableHtml(['Name', 'Type', 'Created'], rows, { empty: 'No state machines yet.' }));
  } catch (error) {
    main.append(errorBox(error, 'Could not list state machines'));
  }
  return null;
}

/** A definition as numbered lines (the numbers are CSS counters: copying takes the text only). */
function definitionView(text) {
  const lines = pretty(text).split('\n');
  return h('pre', { class: 'definition', tabindex: '0', 'aria-label': 'Definition',
    html: lines.map((line) => `<span class="line">${esc(line)}</span>`).join('\n') });
}

function startButton(machine) {
  return h('button', {
    type: 'button', class: 'primary', id: 'start-execution',
    onclick: () => formDialog({
      title: `Start an execution of ${machine.name}`,
      fields: [
        { name: 'name', label: 'Name (optional)', hint: 'Unique for this machine; a UUID when empty.' },
        { name: 'input', label: 'Input (JSON)', type: 'json', value: '{}', rows: 10 },
      ],
      submit: 'Start',
      run: (v) => sfn('StartExecution', {
        stateMachineArn: machine.stateMachineArn,
        input: v.input.trim() || '{}',
        ...(v.name.trim() ? { name: v.name.trim() } : {}),
      }),
    }).then((started) => {
      if (started?.executionArn) location.hash = executionLink(started.executionArn);
    }),
  }, 'Start execution');
}

export async function renderOne(main, route, ctx) {
  const arn = route.arg;
  try {
    const [machine, drawn, recent] = await Promise.all([
      sfn('DescribeStateMachine', { stateMachineArn: arn }),
      consoleApi('DescribeStateMachineGraph', { stateMachineArn: arn }).catch((error) => ({ error })),
      sfn('ListExecutions', { stateMachineArn: arn, maxResults: 50 }),
    ]);
    const graphBox = h('div');
    const executions = h('table', { class: 'grid executions' },
      h('thead', {}, h('tr', {}, ...['Name', 'State machine', 'Status', 'Started', 'Duration'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', { html: recent.executions.length ? rowsHtml(recent.executions.map((e) => ({ ...e, stateMachineName: machine.name }))) : '<tr><td colspan="5" class="empty">No executions yet.</td></tr>' }));
    main.replaceChildren(
      h('header', {},
        h('div', { class: 'title-row' },
          h('h1', { tabindex: '-1' }, machine.name, ' ', h('span', { html: badge(machine.status || 'ACTIVE') })),
          h('div', { class: 'actions' }, ctx.settings.actions ? startButton(machine) : null)),
        h('dl', { class: 'facts inline' },
          h('dt', {}, 'Type'), h('dd', {}, machine.type),
          h('dt', {}, 'Created'), h('dd', {}, when(machine.creationDate)),
          h('dt', {}, 'Role'), h('dd', {}, h('code', {}, machine.roleArn || '')),
          h('dt', {}, 'ARN'), h('dd', { class: 'wide' }, h('code', { class: 'arn' }, machine.stateMachineArn)))),
      section('Graph', graphBox),
      section('Recent executions', executions,
        h('p', {}, h('a', { href: `#/executions?machine=${encodeURIComponent(machine.name)}` }, `All executions of ${machine.name} »`))),
      section('Definition', definitionView(machine.definition)));
    if (drawn.error) graphBox.replaceChildren(errorBox(drawn.error, 'Could not draw the graph'));
    else await graphPanel(graphBox).update(drawn.graph, null);
  } catch (error) {
    main.replaceChildren(errorBox(error, `Could not show ${tail(arn)}`));
  }
  return null;
}
