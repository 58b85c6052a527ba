// Clusters overview: every cluster with its live status (polled, reconciled with the runtime
// through GET /clusters/{id}/status), environment, tags, endpoints, disk use and actions.

import { get, num, seg } from '../api.js';
import { every, errorBox, fill, fmtBytes, h, select } from '../dom.js';
import { clusterActions, clusterStatus, endpointList, listClusters, statusBadge, tagChips } from './common.js';

const POLL_MS = 2000;

export function mount(root) {
  const envFilter = select({ 'aria-label': 'Environment', id: 'env-filter' }, [{ value: '', label: 'All environments' }], '');
  const search = h('input', { type: 'search', placeholder: 'Filter by name or tag', 'aria-label': 'Filter', id: 'cluster-filter' });
  const summary = h('span.muted.summary');
  const body = h('tbody');
  const errors = h('div');
  const table = h('table.data.clusters', { id: 'clusters-table' },
    h('thead', h('tr', ['Name', 'Status', 'Environment', 'Tags', 'Endpoints', 'Disk', 'Services', ''].map((t) => h('th', t)))),
    body);
  const empty = h('div.empty', { hidden: true },
    h('p', 'No clusters yet.'),
    h('a.btn.primary', { href: '#/create' }, 'Create one from a template'));

  fill(root,
    h('div.toolbar', h('h1', 'Clusters'), summary, h('span.grow'), envFilter, search,
      h('a.btn.primary', { href: '#/create' }, 'New cluster')),
    errors,
    h('section.card.flush', table, empty));

  let clusters = [];
  const statuses = new Map(); // cluster id → GetClusterStatusResponse or {error}
  let lastRender = '';

  const render = () => {
    const envs = [...new Set(clusters.map((c) => c.environment).filter(Boolean))].sort();
    const current = envFilter.value;
    const envKey = envs.join(',');
    if (envFilter.dataset.envs !== envKey) {
      envFilter.dataset.envs = envKey;
      fill(envFilter, h('option', { value: '' }, 'All environments'), envs.map((e) => h('option', { value: e, selected: e === current }, e)));
    }
    const needle = search.value.trim().toLowerCase();
    const shown = clusters.filter((c) => (!envFilter.value || c.environment === envFilter.value) &&
      (!needle || c.name.includes(needle) || Object.entries(c.tags || {}).some(([k, v]) => `${k}=${v}`.toLowerCase().includes(needle))));
    const counts = {};
    clusters.forEach((c) => {
      const s = statuses.get(c.id)?.status ? clusterStatus(statuses.get(c.id)) : clusterStatus(c);
      counts[s] = (counts[s] || 0) + 1;
    });
    // Re-render only when something shown changed (keeps focus and hover steady).
    const key = JSON.stringify([shown, [...statuses.entries()], envFilter.value, needle]);
    if (key === lastRender) return;
    lastRender = key;
    summary.textContent = clusters.length
      ? `${clusters.length} cluster${clusters.length === 1 ? '' : 's'} · ${Object.entries(counts).map(([s, n]) => `${n} ${s.toLowerCase()}`).join(' · ')}`
      : '';
    empty.hidden = clusters.length > 0;
    table.hidden = clusters.length === 0;
    fill(body, shown.map((c) => row(c, statuses.get(c.id))));
  };

  const row = (c, st) => {
    // The live status (reconciled with the runtime) when we have it, else the registry's.
    const live = st && !st.error ? st : null;
    const status = live ? clusterStatus(live) : clusterStatus(c);
    const message = (live ? live.statusMessage : c.statusMessage) || '';
    const services = live?.services || [];
    const up = services.filter((s) => s.state === 'running').length;
    return h('tr', { 'data-cluster': c.name, 'data-status': status },
      h('td', h('a.name', { href: `#/clusters/${encodeURIComponent(c.name)}` }, c.name),
        c.description ? h('div.muted.small', c.description) : null,
        c.externalBootstrapServers ? h('div.muted.small', 'external cluster') : h('div.muted.small', c.templateId ? `from ${c.templateId}` : '')),
      h('td', statusBadge(status), message ? h('div.status-message.small', message) : null,
        st?.error ? h('div.error-text.small', `status unavailable: ${st.error}`) : null),
      h('td', c.environment || '—'),
      h('td', tagChips(c.tags)),
      h('td', endpointList(live?.endpoints && Object.keys(live.endpoints).length ? live.endpoints : c.endpoints, { compact: true })),
      h('td.num', { 'data-disk': live ? num(live.diskUsageBytes) : '' }, live ? fmtBytes(num(live.diskUsageBytes)) : '—'),
      h('td', services.length ? `${up}/${services.length} running` : h('span.muted', live ? (live.runtime === 'none' ? 'registry only' : '—') : '…')),
      h('td.right', clusterActions({ ...c, status: live?.status || c.status }, { onChange: refresh })));
  };

  let running = false;
  const refresh = async () => {
    if (running) return;
    running = true;
    try {
      clusters = await listClusters();
      fill(errors);
      const results = await Promise.allSettled(clusters.map((c) => get(`/clusters/${seg(c.id)}/status`)));
      statuses.clear();
      results.forEach((r, i) => {
        statuses.set(clusters[i].id, r.status === 'fulfilled' ? r.value : { error: r.reason?.message || String(r.reason) });
      });
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
  const stop = every(POLL_MS, refresh);
  return stop;
}
