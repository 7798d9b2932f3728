// Modal forms (native <dialog>: focus stays inside, Escape cancels): confirmations, inputs,
// and the credentials prompt.

import { h } from './ui.js';

/** A JSON text's problem, or '' when it parses. */
export function jsonProblem(text) {
  try {
    JSON.parse(text);
    return '';
  } catch (error) {
    return `Not valid JSON: ${error.message}`;
  }
}

/**
 * A modal form. fields: [{name, label, type: 'text'|'password'|'textarea'|'json', value,
 * required, hint}]. `run(values)` does the work (an error thrown is shown in the dialog and the
 * dialog stays open); resolves with run's result, or null when cancelled.
 */
export function formDialog({ title, message = '', fields = [], submit = 'OK', danger = false, run = (v) => v }) {
  return new Promise((resolve) => {
    const problem = h('div', { class: 'error-box', role: 'alert', hidden: true });
    const inputs = fields.map((field) => {
      const id = `field-${field.name}`;
      const multi = field.type === 'textarea' || field.type === 'json';
      const input = multi
        ? h('textarea', { id, name: field.name, rows: field.rows || 8, spellcheck: 'false', class: field.type === 'json' ? 'code' : '' })
        : h('input', { id, name: field.name, type: field.type || 'text', autocomplete: field.autocomplete || 'off' });
      input.value = field.value ?? '';
      const hint = field.hint ? h('small', { class: 'hint' }, field.hint) : null;
      return { field, input, row: h('div', { class: 'field' }, h('label', { for: id }, field.label), input, hint) };
    });
    const ok = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, submit);
    const cancel = h('button', { type: 'button', value: 'cancel' }, 'Cancel');
    const form = h('form', { method: 'dialog' },
      h('h2', {}, title),
      message ? h('p', {}, message) : null,
      ...inputs.map((x) => x.row),
      problem,
      h('div', { class: 'buttons' }, cancel, ok));
    const dialog = h('dialog', { class: 'modal', 'aria-label': title }, form);
    let done = false;
    const finish = (value) => {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    cancel.addEventListener('click', () => finish(null));
    dialog.addEventListener('cancel', () => finish(null));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const values = {};
      for (const { field, input } of inputs) {
        const value = input.value;
        const bad = (field.required && !value.trim() && `${field.label} is required`) ||
          (field.type === 'json' && value.trim() && jsonProblem(value));
        if (bad) {
          problem.textContent = bad;
          problem.hidden = false;
          input.focus();
          return;
        }
        values[field.name] = value;
      }
      ok.disabled = true;
      try {
        finish(await run(values));
      } catch (error) {
        problem.textContent = `${error.code ? `${error.code}: ` : ''}${error.message || error}`;
        problem.hidden = false;
      } finally {
        ok.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    (inputs[0]?.input || ok).focus();
  });
}

/** Asks for an access key id and secret (the server checks SigV4); null when cancelled. */
export function askCredentials(refused = '') {
  return formDialog({
    title: 'Sign in to asl serve',
    message: `${refused ? `${refused} ` : ''}This server checks AWS Signature V4: enter one of the access keys ` +
      'it was started with. They are kept for this tab only (sessionStorage).',
    fields: [
      { name: 'accessKeyId', label: 'Access key ID', required: true },
      { name: 'secretAccessKey', label: 'Secret access key', type: 'password', required: true },
      { name: 'region', label: 'Region', value: 'us-east-1', required: true },
    ],
    submit: 'Sign in',
  });
}
