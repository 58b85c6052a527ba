// Clusters overview: every cluster with its status, environment, tags, endpoints, disk use and
// actions. The list follows lkm's cluster events (GET /events/clusters): new clusters appear,
// statuses change and deleted clusters disappear as it happens, with nothing polled. What
// only GET /clusters/{id}/status knows (services, disk use, the runtime's endpoints) is read
// when a cluster's status changes and every STATUS_MS. An older lkm without the stream is
// polled every POLL_MS as before.

import { get, num, seg } from '../api.js';
import { every, errorBox, fill, fmtBytes, h, select } from '../dom.js';
import {
  clusterActions, clusterStatus, endpointList, listClusters, liveIndicator, statusBadge, tagChips,
  watchClusters,
} from './common.js';

const POLL_MS = 2000;
const STATUS_MS = 15000;

export function mount(root) {
  const envFilter = select({ 'aria-label': 'Environment', id: 'env-filter' }, [{ value: '', label: 'All environments' }], '');
  const search = h('input', { type: 'search', placeholder: 'Filter by name or tag', 'aria-label': 'Filter', id: 'cluster-filter' });
  const summary = h('span.muted.summary');
  const body = h('tbody');
  const errors = h('div');
  const live = liveIndicator();
  const table = h('table.data.clusters', { id: 'clusters-table' },
    h('thead', h('tr', ['Name', 'Status', 'Environment', 'Tags', 'Endpoints', 'Disk', 'Services', ''].map((t) => h('th', t)))),
    body);
  const empty = h('div.empty', { hidden: true },
    h('p', 'No clusters yet.'),
    h('a.btn.primary', { href: '#/create' }, 'Create one from a template'));

  fill(root,
    h('div.toolbar', h('h1', 'Clusters'), live.el, summary, h('span.grow'), envFilter, search,
      h('a.btn.primary', { href: '#/create' }, 'New cluster')),
    errors,
    h('section.card.flush', table, empty));

  const clusters = new Map(); // cluster id → Cluster (from the stream, or the list when polling)
  const statuses = new Map(); // cluster id → GetClusterStatusResponse or {error}
  let polling = false; // an older lkm: no event stream
  let loaded = false;
  let lastRender = '';

  // The status shown: the cluster's own (pushed by lkm, which reconciles it with the runtime
  // when asked for the status); when polling, the status read after the list, being newer.
  const shownStatus = (c, st) => {
    const liveSt = polling && st && !st.error ? st : null;
    return { status: clusterStatus(liveSt || c), message: (liveSt ? liveSt.statusMessage : c.statusMessage) || '', raw: liveSt?.status || c.status };
  };

  const render = () => {
    const all = [...clusters.values()].sort((a, b) => a.name.localeCompare(b.name));
    const envs = [...new Set(all.map((c) => c.environment).filter(Boolean))].sort();
    const current = envFilter.value;
    const envKey = envs.join(',');
    if (envFilter.dataset.envs !== envKey) {
      envFilter.dataset.envs = envKey;
      fill(envFilter, h('option', { value: '' }, 'All environments'), envs.map((e) => h('option', { value: e, selected: e === current }, e)));
    }
    const needle = search.value.trim().toLowerCase();
    const shown = all.filter((c) => (!envFilter.value || c.environment === envFilter.value) &&
      (!needle || c.name.includes(needle) || Object.entries(c.tags || {}).some(([k, v]) => `${k}=${v}`.toLowerCase().includes(needle))));
    const counts = {};
    all.forEach((c) => {
      const s = shownStatus(c, statuses.get(c.id)).status;
      counts[s] = (counts[s] || 0) + 1;
    });
    // Re-render only when something shown changed (keeps focus and hover steady).
    const key = JSON.stringify([shown, shown.map((c) => statuses.get(c.id) || null), all.length, envFilter.value, needle, polling]);
    if (key === lastRender) return;
    lastRender = key;
    summary.textContent = all.length
      ? `${all.length} cluster${all.length === 1 ? '' : 's'} · ${Object.entries(counts).map(([s, n]) => `${n} ${s.toLowerCase()}`).join(' · ')}`
      : '';
    empty.hidden = !loaded || all.length > 0;
    table.hidden = loaded && all.length === 0;
    fill(body, shown.map((c) => row(c, statuses.get(c.id))));
  };

  const row = (c, st) => {
    const liveSt = st && !st.error ? st : null;
    const { status, message, raw } = shownStatus(c, st);
    const services = liveSt?.services || [];
    const up = services.filter((s) => s.state === 'running').length;
    return h('tr', { 'data-cluster': c.name, 'data-status': status },
      h('td', h('a.name', { href: `#/clusters/${encodeURIComponent(c.name)}` }, c.name),
        c.description ? h('div.muted.small', c.description) : null,
        c.externalBootstrapServers ? h('div.muted.small', 'external cluster') : h('div.muted.small', c.templateId ? `from ${c.templateId}` : '')),
      h('td', statusBadge(status), message ? h('div.status-message.small', message) : null,
        st?.error ? h('div.error-text.small', `status unavailable: ${st.error}`) : null),
      h('td', c.environment || '—'),
      h('td', tagChips(c.tags)),
      h('td', endpointList(liveSt?.endpoints && Object.keys(liveSt.endpoints).length ? liveSt.endpoints : c.endpoints, { compact: true })),
      h('td.num', { 'data-disk': liveSt ? num(liveSt.diskUsageBytes) : '' }, liveSt ? fmtBytes(num(liveSt.diskUsageBytes)) : '—'),
      h('td', services.length ? `${up}/${services.length} running` : h('span.muted', liveSt ? (liveSt.runtime === 'none' ? 'registry only' : '—') : '…')),
      h('td.right', clusterActions({ ...c, status: raw }, { onChange: () => (polling ? refresh() : readStatus(c.id)) })));
  };

  // ---- GET /clusters/{id}/status: services, disk use, the runtime's endpoints ----
  let stopped = false;
  const reading = new Map(); // cluster id → true while a read is on its way; 'again' to repeat
  const readStatus = async (id) => {
    if (stopped || !clusters.has(id)) return;
    if (reading.has(id)) {
      reading.set(id, 'again');
      return;
    }
    reading.set(id, true);
    try {
      const st = await get(`/clusters/${seg(id)}/status`).catch((e) => ({ error: e?.message || String(e) }));
      if (stopped || !clusters.has(id)) return;
      statuses.set(id, st);
      render();
    } finally {
      const again = reading.get(id) === 'again';
      reading.delete(id);
      if (again) readStatus(id);
    }
  };
  const readAllStatuses = () => Promise.all([...clusters.keys()].map(readStatus));

  // ---- the event stream ----
  const onSync = (list) => {
    clusters.clear();
    list.forEach((c) => clusters.set(c.id, c));
    for (const id of [...statuses.keys()]) if (!clusters.has(id)) statuses.delete(id);
    loaded = true;
    fill(errors);
    render();
    readAllStatuses();
  };
  const onChange = (c) => {
    const before = clusters.get(c.id);
    clusters.set(c.id, c);
    render();
    if (!before || before.status !== c.status) readStatus(c.id);
  };
  const onDelete = (c) => {
    clusters.delete(c.id);
    statuses.delete(c.id);
    render();
  };

  // ---- polling (an lkm without /events/clusters) ----
  let running = false;
  const refresh = async () => {
    if (running) return;
    running = true;
    try {
      const list = await listClusters();
      fill(errors);
      const results = await Promise.allSettled(list.map((c) => get(`/clusters/${seg(c.id)}/status`)));
      clusters.clear();
      statuses.clear();
      list.forEach((c, i) => {
        clusters.set(c.id, c);
        statuses.set(c.id, results[i].status === 'fulfilled' ? results[i].value : { error: results[i].reason?.message || String(results[i].reason) });
      });
      loaded = true;
      render();
    } catch (e) {
      fill(errors, errorBox(e, 'Listing clusters failed'));
      lastRender = '';
    } finally {
      running = false;
    }
  };

  envFilter.addEventListener('change', render);
  search.addEventListener('input', render);
  const stops = [];
  let statusTimer = null;
  stops.push(watchClusters({
    onSync,
    onChange,
    onDelete,
    onState: (state, error, retryMs) => {
      live.set(state, error, retryMs);
      if (state === 'unsupported' && !polling) {
        polling = true;
        stops.push(every(POLL_MS, refresh));
      }
      if (state === 'live' && !statusTimer) {
        // Disk use and services change without an event: read them now and then.
        statusTimer = setTimeout(function tick() {
          if (!document.hidden) readAllStatuses();
          statusTimer = setTimeout(tick, STATUS_MS);
        }, STATUS_MS);
      }
    },
  }));
  return () => {
    stopped = true;
    clearTimeout(statusTimer);
    stops.forEach((s) => s());
  };
}
