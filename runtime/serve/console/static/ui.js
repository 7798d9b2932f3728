// Small DOM and formatting helpers shared by the console's pages.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for innerHTML (element content and quoted attributes). */
export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** An element: h('a', {href: '#/x', class: 'link'}, 'text', child...). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'html') node.innerHTML = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** A date as milliseconds: AWS's JSON protocol sends epoch seconds; strings are parsed. */
export function ms(date) {
  if (date === undefined || date === null || date === '') return null;
  if (typeof date === 'number') return date < 1e11 ? date * 1000 : date;
  const parsed = Date.parse(date);
  return Number.isNaN(parsed) ? null : parsed;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** A local date and time, e.g. 2025-03-01 14:02:07.123. */
export function when(date) {
  const t = ms(date);
  if (t === null) return '';
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A duration in milliseconds, short: 850 ms, 12.3 s, 4 min 05 s, 2 h 03 min. */
export function duration(millis) {
  if (millis === null || millis === undefined || Number.isNaN(millis)) return '';
  if (millis < 1000) return `${Math.max(0, Math.round(millis))} ms`;
  const s = millis / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${pad(Math.floor(s % 60))} s`;
  return `${Math.floor(m / 60)} h ${pad(m % 60)} min`;
}

/** The time between two dates (up to now while it runs). */
export function span(start, stop) {
  const a = ms(start);
  if (a === null) return '';
  return duration((ms(stop) ?? Date.now()) - a);
}

/** A status badge's HTML: RUNNING, SUCCEEDED, FAILED, ... */
export function badge(status) {
  const s = String(status || '');
  return `<span class="badge status-${esc(s.toLowerCase())}">${esc(s)}</span>`;
}

/** The last part of an ARN (an execution's or a machine's name). */
export function tail(arn) {
  return String(arn || '').split(':').pop();
}

/** Pretty JSON for display: a JSON text or a value; text that is not JSON is shown as it is. */
export function pretty(value) {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') return JSON.stringify(value, null, 2);
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

/** A route link: the hash for a page and its arguments. */
export function link(path, query) {
  const q = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v != null)).toString() : '';
  return `#/${path}${q ? `?${q}` : ''}`;
}

export const executionLink = (arn) => link(`executions/${encodeURIComponent(arn)}`);
export const machineLink = (arn) => link(`machines/${encodeURIComponent(arn)}`);

/** A message box for an error (an ApiError or any Error). */
export function errorBox(error, what = '') {
  const code = error && error.code ? `${error.code}: ` : '';
  return h('div', { class: 'error-box', role: 'alert' }, what ? `${what}: ` : '', code, String(error?.message || error));
}

/** A section with a heading. */
export function section(title, ...children) {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}

/** A table from rows of HTML cells (built as one string: fast for thousands of rows). */
export function tableHtml(headers, rows, { empty = 'Nothing here yet.', cls = '' } = {}) {
  const head = headers.map((x) => `<th scope="col">${esc(x)}</th>`).join('');
  const body = rows.length
    ? rows.map((cells) => `<tr>${cells.map((c) => `<td>${c ?? ''}</td>`).join('')}</tr>`).join('')
    : `<tr><td colspan="${headers.length}" class="empty">${esc(empty)}</td></tr>`;
  return `<table class="grid ${esc(cls)}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Calls fn every `every` ms while the tab is visible, one call at a time, until stopped. */
export function poll(fn, every = 2000) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    timer = null;
    if (stopped) return;
    if (document.visibilityState !== 'hidden') {
      try {
        await fn();
      } catch (error) {
        console.warn('poll failed', error);
      }
    }
    if (!stopped) timer = setTimeout(tick, every);
  };
  const onVisible = () => {
    if (document.visibilityState === 'visible' && timer !== null && !stopped) {
      clearTimeout(timer);
      tick();
    }
  };
  document.addEventListener('visibilitychange', onVisible);
  timer = setTimeout(tick, every);
  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  };
}
