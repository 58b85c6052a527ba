// Pieces several views share: cluster status, endpoints, tags, and the start/stop/delete
// actions with their confirmations.

import { del, enumName, get, post, qs, seg } from '../api.js';
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
