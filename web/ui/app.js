// The lkm dashboard: a hash router over a few views, the token prompt, the connection
// indicator and the page-wide error handling.

import { getToken, onConnection, setToken, setTokenPrompt } from './api.js';
import { errorText, fill, h, notify } from './dom.js';
import * as clusters from './views/clusters.js';
import * as create from './views/create.js';
import * as cluster from './views/cluster.js';
import * as operations from './views/operations.js';
import * as compare from './views/compare.js';
import { access } from './views/access.js';
import * as templates from './views/templates.js';

// #/path/segments?query → the view that shows it.
const routes = [
  { pattern: /^\/?$/, view: clusters, nav: 'clusters' },
  { pattern: /^\/clusters\/?$/, view: clusters, nav: 'clusters' },
  { pattern: /^\/create\/?$/, view: create, nav: 'create' },
  { pattern: /^\/clusters\/([^/]+)\/?$/, view: cluster, nav: 'clusters', params: ['cluster'] },
  { pattern: /^\/templates\/?$/, view: templates, nav: 'templates' },
  { pattern: /^\/templates\/([^/]+)\/?$/, view: templates, nav: 'templates', params: ['template'] },
  { pattern: /^\/operations\/?$/, view: operations, nav: 'operations' },
  { pattern: /^\/operations\/([^/]+)\/?$/, view: operations, nav: 'operations', params: ['operation'] },
  { pattern: /^\/compare\/?$/, view: compare, nav: 'compare' },
  { pattern: /^\/access\/?$/, view: access, nav: 'access' },
];

let unmount = null;

function route() {
  const hash = location.hash.replace(/^#/, '');
  const [path, query = ''] = hash.split('?');
  const match = routes.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  if (unmount) {
    try {
      unmount();
    } catch (e) {
      console.error(e);
    }
    unmount = null;
  }
  const main = document.getElementById('view');
  document.querySelectorAll('[data-nav]').forEach((a) => a.classList.toggle('active', a.dataset.nav === match?.r.nav));
  if (!match) {
    fill(main, h('section.card', h('h1', 'Not found'), h('p', `Nothing here at #${hash}. `, h('a', { href: '#/clusters' }, 'Back to the clusters'))));
    return;
  }
  const params = {};
  (match.r.params || []).forEach((name, i) => {
    params[name] = decodeURIComponent(match.m[i + 1]);
  });
  const q = Object.fromEntries(new URLSearchParams(query));
  const root = h('div.view', { 'data-view': match.r.nav });
  fill(main, root);
  try {
    unmount = match.r.view.mount(root, params, q) || null;
  } catch (e) {
    fill(root, h('div.error-box', { role: 'alert' }, `This page failed: ${errorText(e)}`));
  }
}

// ---- token prompt -------------------------------------------------------------------------

function promptForToken(reason) {
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  document.getElementById('token-reason').textContent = reason
    ? `lkm answered: ${reason}`
    : 'Set the token this page sends to lkm.';
  input.value = '';
  return new Promise((resolve) => {
    const submit = document.getElementById('token-submit');
    const cancel = document.getElementById('token-cancel');
    const clear = document.getElementById('token-clear');
    const done = (value) => {
      submit.removeEventListener('click', onSubmit);
      cancel.removeEventListener('click', onCancel);
      clear.removeEventListener('click', onClear);
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const onSubmit = (ev) => {
      ev.preventDefault();
      const t = input.value.trim();
      if (!t) {
        input.focus();
        return;
      }
      setToken(t);
      done(t);
    };
    const onCancel = (ev) => {
      ev.preventDefault();
      done(null);
    };
    const onClear = (ev) => {
      ev.preventDefault();
      setToken('');
      notify('info', 'The token was forgotten.');
      done(null);
    };
    submit.addEventListener('click', onSubmit);
    cancel.addEventListener('click', onCancel);
    clear.addEventListener('click', onClear);
    dialog.addEventListener('cancel', onCancel);
    if (!dialog.open) dialog.showModal();
    input.focus();
  });
}

function tokenButton() {
  const btn = document.getElementById('token-button');
  btn.textContent = getToken() ? 'Token ✓' : 'Token';
}

// ---- start --------------------------------------------------------------------------------

function start() {
  setTokenPrompt(async (reason) => {
    const t = await promptForToken(reason);
    tokenButton();
    if (!t) notify('error', `Not signed in: ${reason || 'lkm needs a token'}`, { key: 'auth' });
    else document.querySelector('[data-key="auth"]')?.remove();
    return t;
  });
  document.getElementById('token-button').addEventListener('click', async () => {
    const t = await promptForToken('');
    tokenButton();
    if (t) route();
  });
  tokenButton();

  const indicator = document.getElementById('connection');
  onConnection((error) => {
    indicator.classList.toggle('down', !!error);
    indicator.classList.toggle('up', !error);
    indicator.title = error ? errorText(error) : `Connected to ${location.host}`;
    indicator.textContent = error ? 'offline' : '';
    if (error) notify('error', errorText(error), { key: 'connection' });
    else document.querySelector('[data-key="connection"]')?.remove();
  });

  // Nothing fails silently: an error no view caught is shown too.
  window.addEventListener('unhandledrejection', (ev) => {
    if (ev.reason?.name === 'AbortError') return;
    notify('error', `Unexpected error: ${errorText(ev.reason)}`);
  });
  window.addEventListener('error', (ev) => {
    notify('error', `Unexpected error: ${ev.message}`);
  });

  window.addEventListener('hashchange', route);
  route();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
