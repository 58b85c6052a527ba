// Pieces several views share: cluster status, endpoints, tags, the start/stop/delete
// actions with their confirmations, and following the clusters as they change (the
// /events/clusters stream) with its "live" indicator.

import { ApiError, del, enumName, get, post, qs, seg, stream } from '../api.js';
import { badge, confirmDialog, copyButton, errorText, go, h, notify } from '../dom.js';

export const clusterStatus = (c) => enumName(c?.status, 'CLUSTER_STATUS_') || 'UNSPECIFIED';

export function statusBadge(status) {
  const s = String(status || 'UNSPECIFIED');
  return badge(s, s.toLowerCase());
}

/** Every cluster (one page of up to 1000). */
export async function listClusters(filter = {}) {
  const res = await get(`/clusters${qs({ pageSize: 1000, ...filter })}`);
  return res.clusters || [];
}

// ---- following the clusters (GET /events/clusters, gRPC WatchClusters) --------------------

// Waits before reconnecting, one per failed attempt in a row (the last one repeats).
const BACKOFF_MS = [1000, 2000, 5000, 10000];

/**
 * Follows the clusters the caller may view as they change, over the Server-Sent Events of
 * GET /events/clusters: first a snapshot (SNAPSHOT each, then SYNCED), then every change.
 *
 * - `onSync(clusters)`: the complete list, replacing whatever was known (on connecting, on
 *   reconnecting, and when lkm sends a fresh snapshot to a watcher that fell behind);
 * - `onChange(cluster)`: created, updated or its status changed;
 * - `onDelete(cluster)`: deleted, or no longer in the caller's view;
 * - `onState(state, error, retryMs)`: 'connecting', 'live' (synced), 'reconnecting' (the
 *   stream failed or ended: tried again after a backoff of 1 s, 2 s, 5 s, then every 10 s;
 *   the list shown is kept meanwhile) or 'unsupported' (an older lkm without the stream:
 *   404 or 501; nothing more is tried, the caller polls instead).
 *
 * Returns stop(): closes the stream, cancels a pending reconnect.
 */
export function watchClusters({ onSync, onChange, onDelete, onState }, { environment } = {}) {
  const ctrl = new AbortController();
  let stopped = false;
  let timer = null;
  let failures = 0;
  const path = `/events/clusters${qs({ environment })}`;

  const connect = async () => {
    if (stopped) return;
    onState?.(failures ? 'reconnecting' : 'connecting', null, 0);
    let pending = new Map(); // the snapshot being received (null once synced)
    let error;
    try {
      await stream(path, (ev) => {
        const type = enumName(ev.type, 'CLUSTER_EVENT_TYPE_');
        const c = ev.cluster;
        if (type === 'SNAPSHOT' && c) {
          if (!pending) pending = new Map();
          pending.set(c.id, c);
        } else if (type === 'SYNCED') {
          const list = [...(pending || new Map()).values()];
          pending = null;
          failures = 0;
          onSync?.(list);
          onState?.('live', null, 0);
        } else if (type === 'CHANGED' && c) {
          if (pending) pending.set(c.id, c);
          else onChange?.(c);
        } else if (type === 'DELETED' && c) {
          if (pending) pending.delete(c.id);
          else onDelete?.(c);
        }
      }, { signal: ctrl.signal });
      error = new Error('lkm ended the event stream');
    } catch (e) {
      if (stopped || e?.name === 'AbortError') return;
      if (e instanceof ApiError && (e.httpStatus === 404 || e.httpStatus === 501)) {
        onState?.('unsupported', e, 0);
        return;
      }
      error = e;
    }
    if (stopped) return;
    const wait = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
    failures += 1;
    onState?.('reconnecting', error, wait);
    timer = setTimeout(connect, wait);
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    ctrl.abort();
  };
}

const LIVE_TEXT = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  polling: 'polling',
};

/**
 * The small indicator of how a view follows the clusters: `el` to place, `set(state, error,
 * retryMs)` with the states of watchClusters ('unsupported' shows as 'polling').
 */
export function liveIndicator() {
  const el = h('span.live-indicator#live-indicator', { role: 'status', 'data-state': 'connecting' }, LIVE_TEXT.connecting);
  const set = (state, error, retryMs) => {
    const s = state === 'unsupported' ? 'polling' : state;
    el.dataset.state = s;
    el.textContent = LIVE_TEXT[s] || s;
    el.title = {
      connecting: 'Connecting to lkm\'s cluster events…',
      live: 'Live: changes are pushed by lkm as they happen (GET /events/clusters)',
      reconnecting: `The cluster events stopped${error ? ` (${errorText(error)})` : ''}; ${retryMs ? `trying again in ${Math.round(retryMs / 1000)} s` : 'trying again'}. The list shown may be out of date.`,
      polling: `This lkm has no cluster event stream${error ? ` (${errorText(error)})` : ''}: the page asks every few seconds instead.`,
    }[s] || '';
  };
  return { el, set };
}

const ENDPOINT_LABELS = {
  kafka: 'Bootstrap servers',
  rest_proxy: 'REST proxy',
  ui: 'UI',
  jmx: 'JMX',
};

/** Endpoints with copy buttons; http ones are links too. */
export function endpointList(endpoints, { compact = false } = {}) {
  const keys = Object.keys(endpoints || {}).sort((a, b) => (a === 'kafka' ? -1 : b === 'kafka' ? 1 : a.localeCompare(b)));
  if (!keys.length) return h('span.muted', 'none');
  return h('ul.endpoints', { class: compact ? 'compact' : '' }, keys.map((k) => {
    const v = endpoints[k];
    const isLink = /^https?:\/\//.test(v);
    return h('li', { 'data-endpoint': k },
      h('span.ep-label', ENDPOINT_LABELS[k] || k),
      isLink ? h('a', { href: v, target: '_blank', rel: 'noopener noreferrer' }, h('code', v)) : h('code', v),
      copyButton(v));
  }));
}

export function tagChips(tags) {
  const entries = Object.entries(tags || {}).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return h('span.muted', '—');
  return h('span.tags', entries.map(([k, v]) => h('span.tag', v ? `${k}=${v}` : k)));
}

const stoppable = new Set(['RUNNING', 'STARTING', 'ERROR']);
const startable = new Set(['CREATED', 'STOPPED', 'ERROR', 'UNSPECIFIED']);

/** Starts a cluster (the call returns once its brokers answer). */
export async function startCluster(name, { onDone } = {}) {
  notify('info', `Starting ${name}…`, { key: `start-${name}` });
  try {
    await post(`/clusters/${seg(name)}/start`, {});
    notify('success', `${name} is running.`, { key: `start-${name}` });
  } catch (e) {
    notify('error', `Starting ${name} failed: ${errorText(e)}`, { key: `start-${name}` });
  } finally {
    onDone?.();
  }
}

/**
 * Start / Stop / Delete buttons for a cluster, each asking for confirmation first. Pass the
 * cluster with its live status (GET /clusters/{id}/status) when the page has it.
 */
export function clusterActions(c, { onChange, afterDelete } = {}) {
  const status = clusterStatus(c);
  const external = !!c.externalBootstrapServers;
  const name = c.name;
  const buttons = [];
  if (!external && startable.has(status)) {
    buttons.push(h('button.btn.small', {
      type: 'button', 'data-action': 'start',
      onclick: async () => {
        const ok = await confirmDialog({ title: `Start ${name}?`, body: `Start the brokers of ${name} and wait until they answer.`, ok: 'Start' });
        if (!ok) return;
        onChange?.();
        await startCluster(name, { onDone: onChange });
      },
    }, 'Start'));
  }
  if (!external && stoppable.has(status)) {
    buttons.push(h('button.btn.small', {
      type: 'button', 'data-action': 'stop',
      onclick: async () => {
        const opts = await confirmDialog({
          title: `Stop ${name}?`,
          body: `Clients of ${name} lose their connection. Its data is kept.`,
          ok: 'Stop',
          options: [{ name: 'cleanup', label: 'also remove its containers and network (data is kept)' }],
        });
        if (!opts) return;
        notify('info', `Stopping ${name}…`, { key: `stop-${name}` });
        try {
          await post(`/clusters/${seg(name)}/stop`, { cleanup: opts.cleanup });
          notify('success', `${name} stopped.`, { key: `stop-${name}` });
        } catch (e) {
          notify('error', `Stopping ${name} failed: ${errorText(e)}`, { key: `stop-${name}` });
        }
        onChange?.();
      },
    }, 'Stop'));
  }
  buttons.push(h('button.btn.small.danger', {
    type: 'button', 'data-action': 'delete',
    onclick: async () => {
      const running = !external && stoppable.has(status);
      const opts = await confirmDialog({
        title: `Delete ${name}?`,
        body: external
          ? `${name} is an external cluster: lkm forgets it; the cluster itself is not touched.`
          : `${name} is removed with its containers and ports (stopped first if it runs${running ? ', as it does now' : ''}) and, unless kept, its data directory. This cannot be undone.`,
        ok: 'Delete',
        danger: true,
        options: external ? [] : [{ name: 'keepData', label: 'keep the data directory on disk' }],
      });
      if (!opts) return;
      try {
        // force: the status shown may be a moment old; the user agreed to stop it first.
        await del(`/clusters/${seg(name)}${qs({ force: external ? '' : 'true', keepData: opts.keepData ? 'true' : '' })}`);
        notify('success', `${name} deleted.`);
        if (afterDelete) afterDelete();
        else onChange?.();
      } catch (e) {
        notify('error', `Deleting ${name} failed: ${errorText(e)}`);
        onChange?.();
      }
    },
  }, 'Delete'));
  return h('span.actions', buttons);
}

/** Goes to a cluster's page. */
export const openCluster = (name, tab) => go(`/clusters/${encodeURIComponent(name)}${tab ? `?tab=${tab}` : ''}`);
