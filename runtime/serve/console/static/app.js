// The console's shell: settings, navigation and the hash router. Each page module renders into
// <main> and may return a function that stops its polling when the user leaves the page.

import { consoleApi, forgetCredentials, hasCredentials } from './api.js';
import * as execution from './execution.js';
import * as executions from './executions.js';
import * as machines from './machines.js';
import * as tables from './tables.js';
import { errorBox, h } from './ui.js';

const PAGES = {
  executions: { title: 'Executions', list: executions.render, one: execution.render },
  machines: { title: 'State machines', list: machines.renderList, one: machines.renderOne },
  activities: { title: 'Activities', list: tables.renderActivities },
  tasks: { title: 'Pending tasks', list: tables.renderTasks },
  schedules: { title: 'Schedules', list: tables.renderSchedules, when: (s) => s.schedules },
  fleet: { title: 'Fleet', list: tables.renderFleet, when: (s) => s.fleet },
};
const DEFAULTS = { actions: false, fleet: false, schedules: false, version: '' };

/** The route in the hash: #/executions/<arn>?status=FAILED -> {page, arg, query}. */
export function parseRoute(hash) {
  const [path, search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page, ...rest] = path.split('/');
  return {
    page: page || 'executions',
    arg: rest.length ? decodeURIComponent(rest.join('/')) : '',
    query: Object.fromEntries(new URLSearchParams(search)),
  };
}

async function settings() {
  try {
    return { ...DEFAULTS, ...(await consoleApi('GetConsoleSettings', {})) };
  } catch (error) {
    console.warn('GetConsoleSettings failed; read-only defaults', error);
    return { ...DEFAULTS, problem: error };
  }
}

function nav(ctx) {
  const links = Object.entries(PAGES)
    .filter(([, page]) => !page.when || page.when(ctx.settings))
    .map(([key, page]) => h('li', {}, h('a', { href: `#/${key}`, 'data-page': key }, page.title)));
  const signOut = hasCredentials()
    ? h('button', { type: 'button', class: 'quiet', onclick: () => { forgetCredentials(); location.reload(); } }, 'Sign out')
    : null;
  return h('nav', { class: 'top', 'aria-label': 'Console' },
    h('a', { class: 'brand', href: '#/executions' }, 'asl console'),
    h('ul', {}, ...links),
    h('span', { class: 'mode', title: ctx.settings.actions ? 'Started with --console-actions' : 'Start asl serve with --console-actions to stop, redrive, start and answer tasks here' },
      ctx.settings.actions ? 'actions enabled' : 'read-only'),
    ctx.settings.version ? h('span', { class: 'version' }, `v${ctx.settings.version}`) : null,
    signOut);
}

async function main() {
  const ctx = { settings: await settings() };
  const header = document.getElementById('top');
  const root = document.getElementById('main');
  header.replaceChildren(nav(ctx));
  document.body.dataset.actions = String(Boolean(ctx.settings.actions));
  let leave = null;
  let serial = 0;
  const route = async () => {
    const current = ++serial;
    const field = root.contains(document.activeElement) ? document.activeElement.name : '';
    if (leave) leave();
    leave = null;
    const r = parseRoute(location.hash);
    const page = PAGES[r.page];
    for (const a of header.querySelectorAll('a[data-page]')) {
      if (a.dataset.page === r.page) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    root.setAttribute('aria-busy', 'true');
    root.dataset.page = r.page + (r.arg ? '-one' : '');
    let stop = null;
    try {
      if (!page) root.replaceChildren(errorBox(new Error(`No page ${r.page}`)));
      else {
        document.title = `${page.title} · asl console`;
        stop = await (r.arg && page.one ? page.one : page.list)(root, r, ctx);
      }
    } catch (error) {
      root.replaceChildren(errorBox(error));
    }
    if (current !== serial) {
      if (stop) stop();
      return;
    }
    leave = stop;
    root.removeAttribute('aria-busy');
    if (current > 1 && (document.activeElement === document.body || !root.contains(document.activeElement))) {
      // (not on the first page: Tab starts at "Skip to content") a filter changed: the focus
      // stays on that filter; a new page: on its heading
      const again = field && root.querySelector(`[name="${CSS.escape(field)}"]`);
      (again || root.querySelector('h1'))?.focus({ preventScroll: true });
    }
  };
  window.addEventListener('hashchange', route);
  document.querySelector('.skip')?.addEventListener('click', (event) => {
    event.preventDefault();
    root.focus();
  });
  if (ctx.settings.problem) root.before(errorBox(ctx.settings.problem, 'Console settings'));
  await route();
}

main();
