// Small DOM helpers shared by the views: element building (text is always set as text, never
// as HTML), formatting, notices, the confirmation dialog, copy buttons and progress bars.

import { ApiError } from './api.js';

/**
 * h('tag.class#id', {attrs, onclick, ...}, ...children). Children: nodes, strings (as text),
 * arrays (flattened), null/false/undefined (skipped).
 */
export function h(spec, attrs, ...children) {
  const m = /^([a-z0-9-]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
  const el = document.createElement(m?.[1] || 'div');
  for (const part of (m?.[2] || '').match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs !== null && attrs !== undefined && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') String(v).split(/\s+/).filter(Boolean).forEach((c) => el.classList.add(c));
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (['value', 'checked', 'selected', 'disabled', 'open', 'required', 'multiple'].includes(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// ---- formatting ---------------------------------------------------------------------------

export function fmtNum(n) {
  const v = Number(n);
  return Number.isFinite(v) ? v.toLocaleString('en-US') : '—';
}

export function fmtBytes(n) {
  let v = Number(n);
  if (!Number.isFinite(v)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function fmtRate(perSecond, unit) {
  const v = Number(perSecond);
  if (!Number.isFinite(v) || v <= 0) return '—';
  if (unit === 'B') return `${fmtBytes(v)}/s`;
  return `${v >= 100 ? fmtNum(Math.round(v)) : v.toFixed(1)} ${unit}/s`;
}

export function fmtDuration(s) {
  if (s === null || s === undefined || !Number.isFinite(s) || s < 0) return '—';
  if (s < 1) return '< 1 s';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

// ---- badges, copy buttons, progress bars --------------------------------------------------

/** A status badge: `kind` is the lowercase status (running, error, …). */
export function badge(text, kind = String(text).toLowerCase()) {
  return h('span.badge', { class: `status-${kind}`, 'data-status': text }, text);
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain http on another host: the old way.
  const ta = h('textarea', { readonly: true, style: { position: 'fixed', top: '-1000px' } });
  ta.value = text;
  document.body.append(ta);
  ta.select();
  const ok = document.execCommand('copy');
  ta.remove();
  if (!ok) throw new Error('the browser refused to copy');
}

export function copyButton(text, label = 'Copy') {
  const btn = h('button.btn.tiny.copy', { type: 'button', title: `Copy ${text}`, 'data-copy': text }, label);
  btn.addEventListener('click', async (ev) => {
    ev.preventDefault();
    ev.stopPropagation();
    try {
      await copyText(text);
      btn.textContent = 'Copied';
      btn.classList.add('done');
    } catch (e) {
      notify('error', `Could not copy to the clipboard: ${e.message}`);
    }
    setTimeout(() => {
      btn.textContent = label;
      btn.classList.remove('done');
    }, 1500);
  });
  return btn;
}

/** A progress bar (0–100) with its label; `update(bar, pct, label)` changes it in place. */
export function progressBar(pct, label, attrs = {}) {
  const bar = h('div.progress', { role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', ...attrs },
    h('div.fill'), h('span.label'));
  updateProgress(bar, pct, label);
  return bar;
}

export function updateProgress(bar, pct, label) {
  const v = Math.max(0, Math.min(100, Number(pct) || 0));
  const shown = v >= 100 ? 100 : Math.floor(v);
  bar.setAttribute('aria-valuenow', String(shown));
  bar.querySelector('.fill').style.width = `${v}%`;
  bar.querySelector('.label').textContent = label ?? `${shown}%`;
  bar.classList.toggle('complete', shown >= 100);
}

// ---- errors and notices -------------------------------------------------------------------

/** How an error reads on screen: lkm's own message, with its code and reason. */
export function errorText(e) {
  if (e instanceof ApiError) {
    const where = e.httpStatus ? `HTTP ${e.httpStatus} · ` : '';
    const reason = e.reason && e.reason !== e.codeName ? ` (${e.reason})` : '';
    return `${e.message} — ${where}${e.codeName}${reason}`;
  }
  return e?.message ? String(e.message) : String(e);
}

/** An inline error box (for a form or a section). */
export function errorBox(e, context) {
  return h('div.error-box', { role: 'alert' },
    context ? h('strong', `${context}: `) : null,
    errorText(e));
}

let noticeSeq = 0;

/**
 * A notice at the top of the page. Errors and warnings stay until dismissed; others fade.
 * `key` replaces an earlier notice with the same key. Returns a function that removes it.
 */
export function notify(kind, message, { key, sticky } = {}) {
  const box = document.getElementById('notices');
  if (!box) return () => {};
  const id = key || `n${(noticeSeq += 1)}`;
  box.querySelector(`[data-key="${CSS.escape(id)}"]`)?.remove();
  const close = () => el.remove();
  const el = h('div.notice', { class: kind, role: kind === 'error' ? 'alert' : 'status', 'data-key': id },
    h('span.text', message),
    h('button.btn.tiny.ghost', { type: 'button', 'aria-label': 'Dismiss', onclick: close }, '×'));
  box.append(el);
  if (!(sticky ?? (kind === 'error' || kind === 'warning'))) setTimeout(close, 5000);
  return close;
}

export function notifyError(e, context) {
  notify('error', context ? `${context}: ${errorText(e)}` : errorText(e));
}

// ---- the confirmation dialog --------------------------------------------------------------

/**
 * Asks for confirmation. `options`: checkboxes [{name, label, checked}]. Resolves with
 * null (cancelled) or {name: checked} for the options.
 */
export function confirmDialog({ title, body, ok = 'OK', danger = false, options = [] }) {
  const dialog = document.getElementById('confirm-dialog');
  const okBtn = document.getElementById('confirm-ok');
  fill(document.getElementById('confirm-title'), title);
  const boxes = options.map((o) => h('input', { type: 'checkbox', name: o.name, checked: !!o.checked }));
  fill(document.getElementById('confirm-body'),
    typeof body === 'string' ? h('p', body) : body,
    options.map((o, i) => h('label.check', boxes[i], ` ${o.label}`)));
  okBtn.textContent = ok;
  okBtn.classList.toggle('danger', danger);
  return new Promise((resolve) => {
    const done = (value) => {
      okBtn.removeEventListener('click', onOk);
      cancel.removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const onOk = (ev) => {
      ev.preventDefault();
      done(Object.fromEntries(options.map((o, i) => [o.name, boxes[i].checked])));
    };
    const onCancel = (ev) => {
      ev.preventDefault();
      done(null);
    };
    const cancel = document.getElementById('confirm-cancel');
    okBtn.addEventListener('click', onOk);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    (danger ? cancel : okBtn).focus();
  });
}

// ---- forms --------------------------------------------------------------------------------

/** `key=value` pairs, one per line or separated by commas, as an object. */
export function parsePairs(text, what = 'entry') {
  const out = {};
  for (const raw of String(text || '').split(/[\n,]/)) {
    const item = raw.trim();
    if (!item) continue;
    const i = item.indexOf('=');
    if (i <= 0) throw new Error(`${what} "${item}" is not key=value`);
    out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return out;
}

/** A labelled form field. */
export function field(label, input, hint) {
  return h('label.field', h('span.label', label), input, hint ? h('span.hint', hint) : null);
}

/** A select with options [{value, label}] or strings. */
export function select(attrs, options, selected) {
  return h('select', attrs, options.map((o) => {
    const opt = typeof o === 'string' ? { value: o, label: o } : o;
    return h('option', { value: opt.value, selected: opt.value === selected }, opt.label);
  }));
}

/** Runs `fn` with `button` disabled and a busy marker; errors go to `onError`. */
export async function busy(button, fn) {
  const was = button?.disabled;
  if (button) {
    button.disabled = true;
    button.classList.add('busy');
  }
  try {
    return await fn();
  } finally {
    if (button) {
      button.disabled = was;
      button.classList.remove('busy');
    }
  }
}

/** Calls `fn` now and then every `ms` after it settles, until the returned stop() is called. */
export function every(ms, fn) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    if (!document.hidden) {
      try {
        await fn();
      } catch {
        // fn shows its own errors
      }
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Navigates to a hash route (`/clusters/x`, …); the same route again shows it anew. */
export function go(path) {
  const target = `#${path}`;
  if (location.hash === target) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = target;
}
