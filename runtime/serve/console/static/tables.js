// The simple tables: activities, pending task tokens (send success/failure when actions are
// enabled), schedules (EventBridge Scheduler's API) and the fleet's workers and queues.

import { all, consoleApi, scheduler, sfn } from './api.js';
import { formDialog } from './dialogs.js';
import { badge, errorBox, esc, executionLink, h, poll, tableHtml, tail, when } from './ui.js';

async function simple(main, title, load) {
  const body = h('div', { class: 'table-box' });
  main.replaceChildren(h('h1', { tabindex: '-1' }, title), body);
  let shown = '';
  const refresh = async () => {
    const html = await load();
    if (html !== shown) body.innerHTML = shown = html;
  };
  try {
    await refresh();
  } catch (error) {
    body.replaceChildren(errorBox(error, `Could not load ${title.toLowerCase()}`));
    return null;
  }
  return { body, refresh };
}

export async function renderActivities(main) {
  await simple(main, 'Activities', async () => {
    const activities = await all('ListActivities', 'activities');
    return tableHtml(['Name', 'ARN', 'Created'],
      activities.map((a) => [esc(a.name), `<code>${esc(a.activityArn)}</code>`, `<span class="num">${esc(when(a.creationDate))}</span>`]),
      { empty: 'No activities.' });
  });
  return null;
}

function taskActions(task) {
  if (!task.taskToken) return '';
  const token = esc(task.taskToken);
  return `<button type="button" data-succeed="${token}">Send success</button> ` +
    `<button type="button" class="danger" data-fail="${token}">Send failure</button>`;
}

export async function renderTasks(main, route, ctx) {
  const view = await simple(main, 'Pending tasks', async () => {
    const { tasks = [] } = await consoleApi('ListPendingTasks', {});
    const headers = ['Execution', 'State', 'Kind', 'Activity', 'Status', 'Created', 'Deadline'];
    const rows = tasks.map((t) => [
      `<a href="${esc(executionLink(t.executionArn))}">${esc(tail(t.executionArn))}</a>`,
      esc(t.stateName), esc(t.kind), esc(t.activity ? tail(t.activity) : ''), badge(t.status),
      `<span class="num">${esc(when(t.created))}</span>`, `<span class="num">${esc(when(t.deadline))}</span>`,
      ...(ctx.settings.actions ? [taskActions(t)] : [])]);
    return tableHtml(ctx.settings.actions ? [...headers, 'Actions'] : headers, rows, { empty: 'No task is waiting.' });
  });
  if (!view) return null;
  view.body.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    const done = () => view.refresh();
    if (button.dataset.succeed) {
      formDialog({
        title: 'Send task success',
        fields: [{ name: 'output', label: 'Output (JSON)', type: 'json', value: '{}', required: true }],
        submit: 'Send success',
        run: (v) => sfn('SendTaskSuccess', { taskToken: button.dataset.succeed, output: v.output }),
      }).then(done);
    } else if (button.dataset.fail) {
      formDialog({
        title: 'Send task failure',
        fields: [
          { name: 'error', label: 'Error' },
          { name: 'cause', label: 'Cause', type: 'textarea', rows: 3 },
        ],
        submit: 'Send failure',
        danger: true,
        run: (v) => sfn('SendTaskFailure', { taskToken: button.dataset.fail, ...(v.error ? { error: v.error } : {}), ...(v.cause ? { cause: v.cause } : {}) }),
      }).then(done);
    }
  });
  return poll(view.refresh, 3000);
}

export async function renderSchedules(main) {
  await simple(main, 'Schedules', async () => {
    const schedules = [];
    let token;
    do {
      const page = await scheduler('schedules', { MaxResults: 100, NextToken: token });
      schedules.push(...(page.Schedules || []));
      token = page.NextToken;
    } while (token && schedules.length < 1000);
    return tableHtml(['Name', 'Group', 'State', 'Target', 'Created', 'Modified'],
      schedules.map((s) => [esc(s.Name), esc(s.GroupName), badge(s.State), `<code>${esc(s.Target?.Arn || '')}</code>`,
        `<span class="num">${esc(when(s.CreationDate))}</span>`, `<span class="num">${esc(when(s.LastModificationDate))}</span>`]),
      { empty: 'No schedules.' });
  });
  return null;
}

export async function renderFleet(main) {
  const view = await simple(main, 'Fleet', async () => {
    const fleet = await consoleApi('ListFleet', {});
    if (!fleet.fleet) return '<p class="meta">This server runs its executions itself (no Celery fleet: start it with a Redis store and workers to see them here).</p>';
    const queues = (fleet.queues || []).map((q) => (typeof q === 'string' ? { name: q } : q));
    const queueKeys = [...new Set(queues.flatMap((q) => Object.keys(q)))];
    return '<h2>Workers</h2>' + tableHtml(['Worker', 'Active tasks', 'Processed', 'Queues'],
      (fleet.workers || []).map((w) => [esc(w.name), `<span class="num">${esc(w.active)}</span>`, `<span class="num">${esc(w.processed)}</span>`,
        esc((w.queues || []).map((q) => (typeof q === 'string' ? q : q.name)).join(', '))]),
      { empty: 'No worker answered.' }) +
      '<h2>Queues</h2>' + tableHtml(queueKeys.length ? queueKeys : ['Queue'],
      queues.map((q) => queueKeys.map((k) => esc(typeof q[k] === 'object' ? JSON.stringify(q[k]) : q[k]))),
      { empty: 'No queues.' });
  });
  return view ? poll(view.refresh, 5000) : null;
}
