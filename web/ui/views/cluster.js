// One cluster: its live status, services (containers or processes), endpoints and
// configuration, with an Edit form (description, environment, tags and the broker settings lkm
// lets change: PUT /clusters/{id} with an updateMask naming only what changed); its topics (create, delete, add partitions, change configs), producing and
// browsing records (from the beginning, the newest, an offset, or following live over SSE),
// and its consumer groups with their lag (reset offsets after a dry-run preview, delete).

import { del, enumName, get, num, post, put, qs, request, seg, stream } from '../api.js';
import {
  busy, errorBox, errorText, every, field, fill, fmtBytes, fmtNum, fmtTime, go, h, notify,
  parsePairs, select, confirmDialog,
} from '../dom.js';
import {
  clusterActions, clusterStatus, endpointList, liveIndicator, statusBadge, tagChips, watchClusters,
} from './common.js';

const POLL_MS = 2000;
const STATUS_MS = 10000;

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'topics', label: 'Topics' },
  { id: 'messages', label: 'Messages' },
  { id: 'groups', label: 'Consumer groups' },
];

export function mount(root, params, query) {
  const name = params.cluster;
  const base = `/clusters/${seg(name)}`;
  const tab = TABS.some((t) => t.id === query.tab) ? query.tab : 'overview';
  const cleanups = [];

  const header = h('section.card.cluster-head', h('p.muted', 'Loading…'));
  const tabs = h('nav.tabs', { role: 'tablist' }, TABS.map((t) => h('a', {
    href: `#/clusters/${encodeURIComponent(name)}?tab=${t.id}`,
    role: 'tab', 'data-tab': t.id, class: t.id === tab ? 'active' : '', 'aria-selected': String(t.id === tab),
  }, t.label)));
  const body = h('div.tab-body', { 'data-tab': tab });
  const toolbar = h('div.toolbar', h('a.muted', { href: '#/clusters' }, '← Clusters'), h('h1', name));
  // The Edit form (or what saving it answered), between the header and the tabs.
  const editPanel = h('div#cluster-edit');
  fill(root, toolbar, header, editPanel, tabs, body);

  // ---- header: live status ----
  // The cluster follows lkm's cluster events (GET /events/clusters): its status changes on
  // screen as lkm records it, nothing polled. Services, disk use and the runtime's endpoints
  // (GET {base}/status) are read when the status changes and every STATUS_MS; an older lkm
  // without the stream is polled every POLL_MS as before.
  let cluster = null;
  let status = null;
  let gone = null; // the cluster as it was when lkm said it was deleted
  let polling = false;
  let editing = false;
  let headKey = '';
  const isThis = (c) => c && (c.name === name || c.id === name || (cluster && c.id === cluster.id));
  const renderHead = (error) => {
    if (gone) {
      const key = JSON.stringify(['gone', gone.id]);
      if (key === headKey) return;
      headKey = key;
      fill(header, h('div.warning-box#cluster-gone', { role: 'status', 'data-cluster': gone.name },
        `${name} was deleted (or is no longer visible to you). `, h('a', { href: '#/clusters' }, 'Back to the clusters')));
      return;
    }
    if (!cluster) {
      fill(header, error ? errorBox(error, `Loading ${name} failed`) : h('p.muted', 'Loading…'));
      headKey = '';
      return;
    }
    // The cluster's own status is pushed by lkm (which reconciles it with the runtime when
    // asked for the status); when polling, the status read after the cluster is the newer.
    const live = status && !status.error ? status : null;
    const own = polling && live ? live : cluster;
    const st = clusterStatus(own);
    const key = JSON.stringify([cluster, status, polling, editing, error?.message]);
    if (key === headKey) return;
    headKey = key;
    const msg = own.statusMessage || '';
    fill(header,
      h('div.head-row',
        h('div', h('span#cluster-status', statusBadge(st)), ' ',
          h('span.muted', cluster.externalBootstrapServers ? 'external cluster' : `runtime ${live?.runtime || '…'}`)),
        h('span.grow'),
        h('button.btn.small#edit-cluster', {
          type: 'button', 'data-action': 'edit', 'aria-expanded': String(editing), class: editing ? 'active' : null,
          title: 'Change the description, environment, tags or broker settings', onclick: () => (editing ? closeEdit() : openEdit()),
        }, 'Edit'),
        clusterActions({ ...cluster, status: own.status }, { onChange: () => (polling ? refreshHead() : readStatus()), afterDelete: () => go('/clusters') })),
      msg ? h('div.status-message', msg) : null,
      status?.error ? h('div.error-text.small', `Live status unavailable: ${status.error}`) : null,
      error ? errorBox(error, 'Refreshing failed') : null,
      h('dl.kv.head-kv',
        h('dt', 'Environment'), h('dd', cluster.environment || '—'),
        h('dt', 'Template'), h('dd', cluster.templateId || '—'),
        h('dt', 'Tags'), h('dd#cluster-tags', tagChips(cluster.tags)),
        h('dt', 'Endpoints'), h('dd', endpointList(live?.endpoints && Object.keys(live.endpoints).length ? live.endpoints : cluster.endpoints)),
        h('dt', 'Disk used'), h('dd', { id: 'disk-usage' }, live ? fmtBytes(num(live.diskUsageBytes)) : '—'),
        cluster.description ? [h('dt', 'Description'), h('dd#cluster-description', cluster.description)] : null));
  };
  const shown = () => {
    renderHead(null);
    if (tab === 'overview' && cluster) renderOverview();
  };

  // GET {base}/status, one read at a time (a change while one is on its way reads again).
  let stopped = false;
  let reading = 0; // 0 idle, 1 reading, 2 read again after
  const readStatus = async () => {
    if (stopped || !cluster || gone) return;
    if (reading) {
      reading = 2;
      return;
    }
    reading = 1;
    try {
      try {
        status = await get(`${base}/status`);
      } catch (e) {
        status = { error: errorText(e) };
      }
      if (!stopped && !gone) shown();
    } finally {
      const again = reading === 2;
      reading = 0;
      if (again) readStatus();
    }
  };

  const live = liveIndicator();
  toolbar.append(live.el);
  const stopWatch = watchClusters({
    onSync: async (list) => {
      const c = list.find(isThis);
      if (c) {
        const changed = !cluster || cluster.status !== c.status;
        cluster = c;
        gone = null;
        shown();
        if (changed || !status) readStatus();
        return;
      }
      // Not among the clusters the caller may view: lkm's own words say why.
      cluster = null;
      status = null;
      try {
        await get(base);
        renderHead(new Error(`${name} is not among the clusters lkm shows you`));
      } catch (e) {
        renderHead(e);
      }
    },
    onChange: (c) => {
      if (!isThis(c)) return;
      const changed = !cluster || cluster.status !== c.status;
      cluster = c;
      gone = null;
      shown();
      if (changed) readStatus();
    },
    onDelete: (c) => {
      if (!isThis(c)) return;
      gone = c;
      cluster = null;
      status = null;
      editing = false;
      fill(editPanel);
      renderHead(null);
    },
    onState: (state, error, retryMs) => {
      live.set(state, error, retryMs);
      if (state === 'unsupported' && !polling) {
        polling = true;
        cleanups.push(every(POLL_MS, refreshHead));
      }
    },
  });
  const statusTimer = setInterval(() => {
    if (!polling && !document.hidden) readStatus();
  }, STATUS_MS);
  cleanups.push(() => {
    stopped = true;
    stopWatch();
    clearInterval(statusTimer);
  });

  // Polling (an lkm without /events/clusters).
  let headBusy = false;
  const refreshHead = async () => {
    if (headBusy) return;
    headBusy = true;
    try {
      cluster = await get(base);
      try {
        status = await get(`${base}/status`);
      } catch (e) {
        status = { error: errorText(e) };
      }
      shown();
    } catch (e) {
      headKey = '';
      renderHead(e);
    } finally {
      headBusy = false;
    }
  };
  // ---- the Edit form ----
  // Prefilled from the cluster as it is when opened; saving sends only the fields changed
  // since. The header changes when lkm's cluster event arrives (or, polling, on a re-read).
  const openEdit = () => {
    if (!cluster) return;
    editing = true;
    fill(editPanel, editForm(cluster, {
      onCancel: closeEdit,
      onSaved: (saved) => {
        closeEdit(saved);
        if (polling) refreshHead();
      },
    }));
    shown();
    editPanel.querySelector('input, textarea')?.focus();
  };
  const closeEdit = (result) => {
    editing = false;
    fill(editPanel, result || null);
    shown();
  };

  // ---- overview tab: services and configuration ----
  let overviewKey = '';
  const renderOverview = () => {
    const services = status?.services || [];
    const k = cluster?.kafkaConfig || {};
    const key = JSON.stringify([services, k, status?.checkedAt ? '' : 'x']);
    if (key === overviewKey) return;
    overviewKey = key;
    fill(body,
      h('section.card',
        h('h2', 'Services'),
        services.length
          ? h('table.data#services',
            h('thead', h('tr', ['Service', 'State', 'Health', 'Ports', 'Runtime id', 'Message'].map((t) => h('th', t)))),
            h('tbody', services.map((s) => h('tr', { 'data-service': s.name },
              h('td', s.name), h('td', statusBadge(String(s.state || 'unknown').toUpperCase())),
              h('td', s.health || '—'), h('td', (s.ports || []).join(', ') || '—'),
              h('td', h('code.small', String(s.runtimeId || '').slice(0, 12) || '—')), h('td.small', s.message || '')))))
          : h('p.muted', cluster?.externalBootstrapServers ? 'lkm does not run this cluster.' : 'Nothing is running (the cluster is not started).')),
      h('section.card',
        h('h2', 'Configuration'),
        h('dl.kv',
          h('dt', 'Engine'), h('dd', enumName(k.engine, 'BROKER_ENGINE_') || '—'),
          h('dt', 'Image'), h('dd', k.image || '—'),
          h('dt', 'Brokers'), h('dd', String(k.brokerCount ?? '—')),
          h('dt', 'Heap'), h('dd', k.heapSize || '—'),
          h('dt', 'Default partitions'), h('dd', String(k.numPartitions ?? '—')),
          h('dt', 'Replication factor'), h('dd', String(k.defaultReplicationFactor ?? '—')),
          h('dt', 'Retention'), h('dd', `${k.logRetentionHours ?? '—'} h`),
          h('dt', 'Data directory'), h('dd', h('code', cluster?.dataDirectory || '—')),
          h('dt', 'Created'), h('dd', `${fmtTime(cluster?.createdAt)} by ${cluster?.createdBy || '—'}`)),
        Object.keys(k.customProperties || {}).length
          ? h('div', h('h3', 'Custom broker properties'), h('dl.kv', Object.entries(k.customProperties).map(([p, v]) => [h('dt', h('code', p)), h('dd', v)])))
          : null,
        cluster?.externalBootstrapServers ? null : h('button.btn.small', { type: 'button', id: 'compose-button', onclick: showCompose }, 'docker-compose file')),
      h('div#compose'));
  };
  const showCompose = async () => {
    const box = body.querySelector('#compose');
    try {
      const res = await get(`${base}/compose`);
      fill(box, h('section.card', h('h2', 'docker-compose.yml'), h('pre.code', res.yaml || '')));
    } catch (e) {
      fill(box, errorBox(e, 'The compose file'));
    }
  };

  if (tab === 'topics') cleanups.push(mountTopics(body, name, base));
  if (tab === 'messages') cleanups.push(mountMessages(body, name, base, query));
  if (tab === 'groups') cleanups.push(mountGroups(body, base));

  return () => cleanups.forEach((c) => c());
}

// ---- editing a cluster (PUT /clusters/{id}) -----------------------------------------------

/** `key=value`, one per line (values may hold commas), as an object. */
function parseLines(text, what) {
  const out = {};
  for (const raw of String(text || '').split('\n')) {
    const item = raw.trim();
    if (!item || item.startsWith('#')) continue;
    const i = item.indexOf('=');
    if (i <= 0) throw new Error(`${what} "${item}" is not key=value`);
    out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return out;
}

const pairsText = (obj, sep) => Object.entries(obj || {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(sep);
const sameMap = (a, b) => pairsText(a, '\n') === pairsText(b, '\n');

/** Sets `obj.a.b` from the path `a.b`. */
function setIn(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ||= {});
  o[keys[keys.length - 1]] = value;
}

const isTansuCluster = (c) => enumName(c?.kafkaConfig?.engine, 'BROKER_ENGINE_') === 'TANSU';

/**
 * The fields the form edits. `path`: the field in proto3 JSON (as in the update mask);
 * `kind`: text, int, int64 (a string in JSON), bool, select, tags or lines (key=value maps);
 * `keep`: an empty input keeps the value (the API cannot unset these); `broker`: a broker
 * setting (taken up when the brokers next start); `ports`: changes the cluster's host ports
 * (lkm wants the cluster stopped first).
 */
const EDIT_FIELDS = [
  { id: 'description', path: 'description', label: 'Description', kind: 'text', external: true },
  { id: 'environment', path: 'environment', label: 'Environment', kind: 'text', external: true, hint: 'dev, test, staging, prod or any lowercase label' },
  { id: 'tags', path: 'tags', label: 'Tags', kind: 'tags', external: true, hint: 'key=value, one per line or separated by commas' },
  { id: 'brokers', path: 'kafkaConfig.brokerCount', label: 'Brokers', kind: 'int', keep: true, broker: true, ports: true },
  { id: 'heap', path: 'kafkaConfig.heapSize', label: 'Heap per broker', kind: 'text', keep: true, broker: true, hint: 'e.g. 512M or 1G' },
  { id: 'partitions', path: 'kafkaConfig.numPartitions', label: 'Default partitions', kind: 'int', keep: true, broker: true },
  { id: 'replication', path: 'kafkaConfig.defaultReplicationFactor', label: 'Default replication factor', kind: 'int', keep: true, broker: true },
  { id: 'retention', path: 'kafkaConfig.logRetentionHours', label: 'Log retention (hours)', kind: 'int', keep: true, broker: true },
  { id: 'segment-bytes', path: 'kafkaConfig.logSegmentBytes', label: 'Log segment bytes', kind: 'int64', keep: true, broker: true },
  { id: 'storage', path: 'kafkaConfig.storageEngine', label: 'Storage engine (tansu)', kind: 'select', options: ['sqlite', 'memory'], keep: true, broker: true, only: isTansuCluster },
  { id: 'jmx', path: 'kafkaConfig.jmxEnabled', label: 'JMX on a host port', kind: 'bool', broker: true, ports: true },
  { id: 'rest-proxy', path: 'restProxyConfig.enabled', label: 'REST proxy', kind: 'bool', broker: true, ports: true, only: (c) => !isTansuCluster(c) },
  { id: 'ui', path: 'uiConfig.enabled', label: 'Web UI', kind: 'bool', broker: true, ports: true, only: (c) => !isTansuCluster(c) },
  { id: 'custom-properties', path: 'kafkaConfig.customProperties', label: 'Custom broker properties', kind: 'lines', broker: true, hint: 'key=value, one per line; the list replaces the current one' },
];

function currentValue(c, path) {
  return path.split('.').reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), c);
}

/**
 * The Edit form of cluster `c`: prefilled from it; saving sends PUT /clusters/{id} with the
 * changed fields and an updateMask naming exactly them, and shows lkm's refusal as it words
 * it. `onSaved(resultBox)` once lkm accepted the change; `onCancel()`.
 */
function editForm(c, { onSaved, onCancel }) {
  const external = !!c.externalBootstrapServers;
  const fields = EDIT_FIELDS.filter((f) => (external ? f.external : true) && (!f.only || f.only(c)));
  const inputs = new Map();
  const original = new Map();
  for (const f of fields) {
    const v = currentValue(c, f.path);
    const attrs = { id: `edit-${f.id}`, name: f.id, autocomplete: 'off', 'data-path': f.path };
    let input;
    if (f.kind === 'bool') {
      input = h('input', { ...attrs, type: 'checkbox', checked: !!v });
      original.set(f.id, !!v);
    } else if (f.kind === 'select') {
      input = select(attrs, f.options, v || f.options[0]);
      original.set(f.id, v || f.options[0]);
    } else if (f.kind === 'tags') {
      input = h('textarea', { ...attrs, rows: '3', placeholder: 'team=payments\nowner=me' });
      input.value = pairsText(v, '\n');
      original.set(f.id, v || {});
    } else if (f.kind === 'lines') {
      input = h('textarea', { ...attrs, rows: '3', placeholder: 'log.cleaner.enable=true' });
      input.value = pairsText(v, '\n');
      original.set(f.id, v || {});
    } else {
      const numeric = f.kind === 'int' || f.kind === 'int64';
      input = h('input', { ...attrs, type: numeric ? 'number' : 'text', min: numeric ? '1' : null, value: v === undefined || v === null ? '' : String(v), placeholder: v === undefined ? '' : String(v) });
      original.set(f.id, v === undefined || v === null ? '' : String(v));
    }
    inputs.set(f.id, input);
  }

  // The value a field would be sent with, or undefined when it is unchanged.
  const changedValue = (f) => {
    const input = inputs.get(f.id);
    const was = original.get(f.id);
    switch (f.kind) {
      case 'bool':
        return input.checked === was ? undefined : input.checked;
      case 'select':
        return input.value === was ? undefined : input.value;
      case 'tags': {
        const now = parsePairs(input.value, 'tag');
        return sameMap(now, was) ? undefined : now;
      }
      case 'lines': {
        const now = parseLines(input.value, 'property');
        return sameMap(now, was) ? undefined : now;
      }
      default: {
        const text = input.value.trim();
        if (text === was || (f.keep && text === '')) return undefined;
        if (f.kind === 'int' || f.kind === 'int64') {
          if (!/^-?\d+$/.test(text)) throw new Error(`${f.label}: "${text}" is not a whole number`);
          return f.kind === 'int64' ? text : Number(text);
        }
        return text;
      }
    }
  };
  // {body, mask, changed}: the Cluster with the changed fields and their paths.
  const changes = () => {
    const body = {};
    const changed = [];
    for (const f of fields) {
      const v = changedValue(f);
      if (v === undefined) continue;
      setIn(body, f.path, v);
      changed.push(f);
    }
    return { body, mask: changed.map((f) => f.path), changed };
  };

  const summary = h('p.small#edit-changes', { 'aria-live': 'polite' });
  const error = h('div#edit-error');
  const saveBtn = h('button.btn.primary', { type: 'submit', id: 'edit-save' }, 'Save changes');
  const cancelBtn = h('button.btn.ghost', { type: 'button', id: 'edit-cancel', onclick: () => onCancel() }, 'Cancel');
  const updateSummary = () => {
    try {
      const { changed } = changes();
      summary.dataset.changes = changed.map((f) => f.path).join(',');
      summary.className = 'small';
      fill(summary, changed.length ? `Changes to save: ${changed.map((f) => f.label).join(', ')}.` : 'Nothing changed yet.');
    } catch (e) {
      summary.dataset.changes = '';
      summary.className = 'small error-text';
      fill(summary, e.message);
    }
  };
  const spec = new Map(fields.map((f) => [f.id, f]));
  const byId = (id) => (spec.has(id) ? field(spec.get(id).label, inputs.get(id), spec.get(id).hint) : null);
  const check = (id) => (spec.has(id) ? h('label.check', inputs.get(id), ` ${spec.get(id).label}`) : null);
  const running = ['RUNNING', 'STARTING', 'STOPPING'].includes(clusterStatus(c));

  const form = h('form.card#cluster-edit-form', { novalidate: true, 'data-cluster': c.name },
    h('div.head-row', h('h2', `Edit ${c.name}`), h('span.grow'), cancelBtn),
    h('p.small.muted', 'Prefilled with the cluster as it is now. Only the fields you change are sent (PUT /clusters/{id} with an update mask naming them); lkm checks them and refuses what it cannot do, in its own words.'),
    h('div.grid3', byId('description'), byId('environment'), byId('tags')),
    external ? h('p.small.muted', 'An external cluster: lkm does not run it, so only its description, environment and tags can change.') : [
      h('h3', 'Kafka configuration'),
      h('p.small.muted',
        'Broker settings are taken up when the brokers next start',
        running ? ' (the cluster runs now: restart it for them to apply)' : '',
        '. Brokers, JMX, REST proxy and UI change the cluster\'s host ports: lkm wants the cluster stopped first. An emptied field keeps its value.'),
      h('div.grid4', byId('brokers'), byId('heap'), byId('partitions'), byId('replication'), byId('retention'), byId('segment-bytes'), byId('storage')),
      h('div.checks', check('jmx'), check('rest-proxy'), check('ui')),
      h('div.grid2', byId('custom-properties')),
    ],
    summary,
    error,
    h('div.actions', saveBtn));

  form.addEventListener('input', updateSummary);
  form.addEventListener('change', updateSummary);
  updateSummary();

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(saveBtn, async () => {
      fill(error);
      let req;
      try {
        req = changes();
      } catch (e) {
        fill(error, errorBox(e));
        return;
      }
      if (!req.mask.length) {
        fill(error, h('div.note-box#edit-nothing', 'Nothing changed: there is nothing to save.'));
        return;
      }
      try {
        const saved = await put(`/clusters/${seg(c.name)}${qs({ updateMask: req.mask.join(',') })}`, req.body);
        const broker = req.changed.some((f) => f.broker);
        const nowRunning = ['RUNNING', 'STARTING'].includes(clusterStatus(saved));
        onSaved(h('div.success-box#edit-result', { 'data-mask': req.mask.join(',') },
          `${c.name} saved: ${req.changed.map((f) => f.label).join(', ')}.`,
          broker && nowRunning ? ' The running brokers take up the new broker settings when the cluster is next started.' : ''));
      } catch (e) {
        fill(error, errorBox(e, `Saving ${c.name} failed`));
      }
    });
  });
  return form;
}

// ---- topics -------------------------------------------------------------------------------

function mountTopics(body, clusterName, base) {
  const list = h('tbody');
  const listError = h('div');
  const internal = h('input', { type: 'checkbox', id: 'show-internal' });
  const formError = h('div');
  const tname = h('input', { id: 'topic-name', required: true, autocomplete: 'off', placeholder: 'orders' });
  const tparts = h('input', { id: 'topic-partitions', type: 'number', min: '1', placeholder: 'cluster default' });
  const trf = h('input', { id: 'topic-replication', type: 'number', min: '1', placeholder: 'cluster default' });
  const tconfigs = h('input', { id: 'topic-configs', autocomplete: 'off', placeholder: 'retention.ms=3600000, cleanup.policy=compact' });
  const createBtn = h('button.btn.primary', { type: 'submit', id: 'create-topic' }, 'Create topic');
  const details = h('div#topic-details');
  const form = h('form.card#topic-form', { novalidate: true },
    h('h2', 'New topic'),
    h('div.grid4', field('Name', tname), field('Partitions', tparts), field('Replication factor', trf), field('Configs', tconfigs, 'key=value, separated by commas')),
    formError, h('div.actions', createBtn));

  fill(body,
    form,
    h('section.card.flush',
      h('div.card-head', h('h2', 'Topics'), h('span.grow'), h('label.check.small', internal, ' show internal topics'),
        h('button.btn.small', { type: 'button', onclick: () => refresh() }, 'Refresh')),
      listError,
      h('table.data#topics-table', h('thead', h('tr', ['Topic', 'Partitions', 'Replication', 'Messages', 'Configs', ''].map((t) => h('th', t)))), list)),
    details);

  let lastKey = '';
  const refresh = async () => {
    try {
      const res = await get(`${base}/topics${qs({ includeInternal: internal.checked ? 'true' : '' })}`);
      fill(listError);
      const topics = (res.topics || []).sort((a, b) => a.name.localeCompare(b.name));
      const key = JSON.stringify(topics);
      if (key === lastKey) return;
      lastKey = key;
      fill(list, topics.length ? topics.map(topicRow) : h('tr', h('td.muted', { colspan: '6' }, 'No topics yet.')));
    } catch (e) {
      lastKey = '';
      fill(listError, errorBox(e, 'Listing topics failed'));
    }
  };

  const topicRow = (t) => h('tr', { 'data-topic': t.name },
    h('td', h('a', { href: '#', onclick: (ev) => { ev.preventDefault(); showTopic(t.name); } }, t.name), t.internal ? h('span.tag', 'internal') : null),
    h('td.num', String(t.partitions)),
    h('td.num', String(t.replicationFactor)),
    h('td.num', { 'data-count': num(t.messageCount) }, fmtNum(num(t.messageCount))),
    h('td.small', Object.entries(t.configs || {}).map(([k, v]) => h('div', h('code', `${k}=${v}`)))),
    h('td.right', h('span.actions',
      h('a.btn.small', { href: `#/clusters/${encodeURIComponent(clusterName)}?tab=messages&topic=${encodeURIComponent(t.name)}` }, 'Messages'),
      h('button.btn.small', { type: 'button', 'data-action': 'configure-topic', onclick: () => showTopic(t.name) }, 'Configure'),
      t.internal ? null : h('button.btn.small.danger', { type: 'button', 'data-action': 'delete-topic', onclick: () => deleteTopic(t.name) }, 'Delete'))));

  // One topic: its partitions, its configs (with where each comes from) and the forms that
  // change them. The list (ListTopics) names only the configs set on the topic; the
  // description (GetTopic) has every config, so a config absent from the list is a default.
  let shownTopic = null;
  const showTopic = async (topic, results = {}) => {
    shownTopic = topic;
    try {
      const [t, listed] = await Promise.all([
        get(`${base}/topics/${seg(topic)}`),
        get(`${base}/topics${qs({ includeInternal: 'true' })}`).catch(() => null),
      ]);
      if (shownTopic !== topic) return;
      const overrides = listed ? ((listed.topics || []).find((x) => x.name === topic)?.configs || {}) : null;
      renderTopic(t, overrides, results);
      if (!results.config && !results.partitions) details.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      fill(details, errorBox(e, `Describing ${topic} failed`));
    }
  };

  const renderTopic = (t, overrides, results) => {
    const configs = Object.entries(t.configs || {}).sort(([a], [b]) => {
      const oa = overrides && a in overrides ? 0 : 1;
      const ob = overrides && b in overrides ? 0 : 1;
      return oa - ob || a.localeCompare(b);
    });
    const setInput = h('input', { id: 'config-set', autocomplete: 'off', placeholder: 'retention.ms=3600000, cleanup.policy=compact' });
    const deleteInput = h('input', { id: 'config-delete', autocomplete: 'off', placeholder: 'retention.ms' });
    const configResult = h('div#config-result', results.config || null);
    const applyBtn = h('button.btn.primary', { type: 'submit', id: 'config-apply' }, 'Apply config changes');
    const addTo = (input, text) => {
      const items = input.value.split(',').map((x) => x.trim()).filter(Boolean);
      const key = text.split('=')[0];
      input.value = [...items.filter((x) => x.split('=')[0].trim() !== key), text].join(', ');
      input.focus();
    };
    const source = (k) => {
      if (!overrides) return h('span.muted', 'unknown');
      return k in overrides ? h('span.tag.source-topic', 'set on the topic') : h('span.muted', 'default');
    };
    const configForm = h('form#config-form', { novalidate: true },
      h('div.grid2',
        field('Set', setInput, 'key=value, separated by commas'),
        field('Return to default', deleteInput, 'keys, separated by commas')),
      configResult,
      h('div.actions', applyBtn));
    const totalInput = h('input', { id: 'partitions-total', type: 'number', min: String(t.partitions + 1), value: String(t.partitions + 1) });
    const addBtn = h('button.btn.primary', { type: 'submit', id: 'partitions-add' }, 'Add partitions');
    const partitionsResult = h('div#partitions-result', results.partitions || null);
    const partitionsForm = h('form.inline-form#partitions-form', { novalidate: true },
      field('New partition count', totalInput, `now ${t.partitions}; partitions can be added, never removed`),
      addBtn);

    fill(details, h('section.card#topic-detail', { 'data-topic': t.name, 'data-partitions': t.partitions },
      h('h2', `Topic ${t.name}`),
      h('p.muted.small', `${t.partitions} partition${t.partitions === 1 ? '' : 's'}, replication factor ${t.replicationFactor}, ${fmtNum(num(t.messageCount))} messages`),
      h('table.data', h('thead', h('tr', ['Partition', 'Leader', 'Replicas', 'In sync', 'Low watermark', 'High watermark', 'Messages'].map((x) => h('th', x)))),
        h('tbody', (t.partitionDetails || []).map((p) => h('tr',
          h('td.num', String(p.partition)), h('td.num', String(p.leader)), h('td', (p.replicas || []).join(', ')),
          h('td', (p.inSyncReplicas || []).join(', ')), h('td.num', fmtNum(num(p.lowWatermark))), h('td.num', fmtNum(num(p.highWatermark))),
          h('td.num', fmtNum(num(p.highWatermark) - num(p.lowWatermark))))))),
      h('h3', 'Add partitions'),
      partitionsForm,
      partitionsResult,
      h('h3', 'Configs'),
      overrides && !Object.keys(overrides).length && configs.length
        ? h('p.muted.small', 'The broker marks no config as set on the topic: every value reads as a default (some brokers, e.g. tansu, do so even for configs set on the topic).')
        : null,
      configs.length
        ? h('table.data.compact#topic-config-table',
          h('thead', h('tr', ['Config', 'Value', 'Source', ''].map((x) => h('th', x)))),
          h('tbody', configs.map(([k, v]) => h('tr', { 'data-config': k, 'data-source': overrides ? (k in overrides ? 'topic' : 'default') : 'unknown' },
            h('td', h('code', k)), h('td.config-value', v), h('td', source(k)),
            h('td.right', h('span.actions',
              h('button.btn.tiny', { type: 'button', 'data-action': 'edit-config', onclick: () => addTo(setInput, `${k}=${v}`) }, 'Edit'),
              overrides && k in overrides
                ? h('button.btn.tiny', { type: 'button', 'data-action': 'reset-config', onclick: () => addTo(deleteInput, k) }, 'To default')
                : null))))))
        : h('p.muted', 'The broker reports no configs for this topic.'),
      configForm));

    configForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      busy(applyBtn, async () => {
        fill(configResult);
        let set;
        let del;
        try {
          set = parsePairs(setInput.value, 'config');
          del = deleteInput.value.split(',').map((x) => x.trim()).filter(Boolean);
          if (!Object.keys(set).length && !del.length) throw new Error('name a config to set or to return to its default');
        } catch (e) {
          fill(configResult, errorBox(e));
          return;
        }
        const ok = await confirmDialog({
          title: `Change the configs of ${t.name}?`,
          body: h('div',
            h('p', `On ${clusterName}, topic ${t.name}:`),
            h('ul',
              Object.entries(set).map(([k, v]) => h('li', 'set ', h('code', k), ` to ${v}${k in (t.configs || {}) ? ` (now ${t.configs[k]})` : ''}`)),
              del.map((k) => h('li', 'return ', h('code', k), ' to its default'))),
            h('p.small.muted', 'Configs not named keep their values.')),
          ok: 'Apply',
        });
        if (!ok) return;
        try {
          await request('PATCH', `${base}/topics/${seg(t.name)}/configs`, { set, delete: del });
          const what = [...Object.entries(set).map(([k, v]) => `${k}=${v}`), ...del.map((k) => `${k} to its default`)].join(', ');
          lastKey = '';
          refresh();
          await showTopic(t.name, { config: h('div.success-box', `Configs of ${t.name} changed: ${what}.`) });
        } catch (e) {
          fill(configResult, errorBox(e, `Changing the configs of ${t.name} failed`));
        }
      });
    });

    partitionsForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      busy(addBtn, async () => {
        fill(partitionsResult);
        const total = Number(totalInput.value);
        if (!Number.isInteger(total) || totalInput.value === '') {
          fill(partitionsResult, errorBox(new Error('give the new partition count (a whole number)')));
          return;
        }
        const ok = await confirmDialog({
          title: `Add partitions to ${t.name}?`,
          body: h('div',
            h('p', `${t.name} on ${clusterName} goes from ${t.partitions} to ${total} partition${total === 1 ? '' : 's'}.`),
            h('p.small.muted', 'Partitions cannot be removed again. Records with a key may go to another partition than before.')),
          ok: 'Add partitions',
        });
        if (!ok) return;
        try {
          const res = await post(`${base}/topics/${seg(t.name)}/partitions`, { partitions: total });
          lastKey = '';
          refresh();
          await showTopic(t.name, { partitions: h('div.success-box', `${t.name} now has ${res.partitions ?? total} partitions.`) });
        } catch (e) {
          fill(partitionsResult, errorBox(e, `Adding partitions to ${t.name} failed`));
        }
      });
    });
  };

  const deleteTopic = async (topic) => {
    const ok = await confirmDialog({ title: `Delete topic ${topic}?`, body: `Every record of ${topic} on ${clusterName} is deleted. This cannot be undone.`, ok: 'Delete topic', danger: true });
    if (!ok) return;
    try {
      await del(`${base}/topics/${seg(topic)}`);
      notify('success', `Topic ${topic} deleted.`);
      if (shownTopic === topic) {
        shownTopic = null;
        fill(details);
      }
    } catch (e) {
      notify('error', `Deleting topic ${topic} failed: ${errorText(e)}`);
    }
    refresh();
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(createBtn, async () => {
      fill(formError);
      try {
        const req = { name: tname.value.trim(), configs: parsePairs(tconfigs.value, 'config') };
        if (!req.name) throw new Error('give the topic a name');
        if (tparts.value) req.partitions = Number(tparts.value);
        if (trf.value) req.replicationFactor = Number(trf.value);
        const t = await post(`${base}/topics`, req);
        notify('success', `Topic ${t.name} created with ${t.partitions} partition${t.partitions === 1 ? '' : 's'}.`);
        tname.value = '';
        lastKey = '';
        await refresh();
      } catch (e) {
        fill(formError, errorBox(e, 'Creating the topic failed'));
      }
    });
  });
  internal.addEventListener('change', () => {
    lastKey = '';
    refresh();
  });
  return every(5000, refresh);
}

// ---- messages: produce and browse ---------------------------------------------------------

function payloadOf(text, format) {
  if (format === 'json') {
    try {
      return { json: JSON.parse(text) };
    } catch (e) {
      throw new Error(`the value is not valid JSON: ${e.message}`);
    }
  }
  return { text };
}

function showPayload(p) {
  if (!p) return h('span.muted', 'null');
  if ('text' in p) return h('span.payload', p.text);
  if ('json' in p) return h('code.payload', JSON.stringify(p.json));
  if ('binary' in p) {
    const bytes = atob(p.binary || '').length;
    return h('span.payload.binary', { title: p.binary }, `binary, ${fmtNum(bytes)} bytes: ${String(p.binary).slice(0, 48)}${p.binary.length > 48 ? '…' : ''}`);
  }
  return h('span.muted', '—');
}

function headerText(headers) {
  return (headers || []).map((hd) => {
    let v = '';
    try {
      v = atob(hd.value || '');
    } catch {
      v = hd.value;
    }
    return `${hd.key}=${v}`;
  }).join(', ');
}

function utf8Base64(s) {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  bytes.forEach((b) => {
    bin += String.fromCharCode(b);
  });
  return btoa(bin);
}

function mountMessages(body, clusterName, base, query) {
  const topicSelects = [];
  const topicSelect = (id) => {
    const s = h('select', { id, required: true }, h('option', { value: '' }, 'Loading topics…'));
    topicSelects.push(s);
    return s;
  };

  // produce
  const pTopic = topicSelect('produce-topic');
  const pKey = h('input', { id: 'produce-key', autocomplete: 'off', placeholder: 'optional' });
  const pValue = h('textarea', { id: 'produce-value', rows: '4', placeholder: 'Hello, Kafka' });
  const pFormat = select({ id: 'produce-format' }, [{ value: 'text', label: 'text' }, { value: 'json', label: 'JSON' }], 'text');
  const pPartition = h('input', { id: 'produce-partition', type: 'number', min: '0', placeholder: 'by key' });
  const pHeaders = h('input', { id: 'produce-headers', autocomplete: 'off', placeholder: 'source=dashboard' });
  const pResult = h('div#produce-result');
  const produceBtn = h('button.btn.primary', { type: 'submit', id: 'produce-button' }, 'Produce');
  const produceForm = h('form.card#produce-form', { novalidate: true },
    h('h2', 'Produce a message'),
    h('div.grid2', field('Topic', pTopic), field('Partition', pPartition)),
    field('Key', pKey),
    field('Value', pValue),
    h('div.grid2', field('Value format', pFormat), field('Headers', pHeaders, 'key=value, separated by commas')),
    h('div.actions', produceBtn), pResult);

  // browse
  const bTopic = topicSelect('browse-topic');
  const bPartition = h('input', { id: 'browse-partition', type: 'number', min: '0', placeholder: 'all' });
  const bFrom = select({ id: 'browse-from' }, [
    { value: 'beginning', label: 'the beginning' },
    { value: 'newest', label: 'the end (newest records)' },
    { value: 'offset', label: 'an offset' },
  ], query.from || 'beginning');
  const bOffset = h('input', { id: 'browse-offset', type: 'number', min: '0', value: '0' });
  const offsetField = field('Offset', bOffset);
  const bMax = h('input', { id: 'browse-max', type: 'number', min: '1', max: '10000', value: '50' });
  const readBtn = h('button.btn.primary', { type: 'submit', id: 'browse-button' }, 'Read');
  const followBtn = h('button.btn', { type: 'button', id: 'follow-button' }, 'Follow live');
  const bInfo = h('div.muted.small#browse-info');
  const bError = h('div');
  const records = h('tbody', h('tr', h('td.muted', { colspan: '6' }, 'Read a topic, or follow it live.')));
  const browseForm = h('form.card#browse-form', { novalidate: true },
    h('h2', 'Browse messages'),
    h('div.grid4', field('Topic', bTopic), field('Partition', bPartition), field('From', bFrom), offsetField),
    h('div.grid4', field('At most', bMax)),
    h('div.actions', followBtn, readBtn));

  fill(body,
    h('div.columns', produceForm, browseForm),
    h('section.card.flush',
      h('div.card-head', h('h2', 'Records'), h('span.grow'), bInfo),
      bError,
      h('table.data#records-table',
        h('thead', h('tr', ['Partition', 'Offset', 'Timestamp', 'Key', 'Value', 'Headers'].map((t) => h('th', t)))),
        records)));

  const syncFrom = () => {
    offsetField.hidden = bFrom.value !== 'offset';
  };
  bFrom.addEventListener('change', syncFrom);
  syncFrom();

  const loadTopics = async () => {
    try {
      const res = await get(`${base}/topics`);
      const names = (res.topics || []).map((t) => t.name).sort();
      for (const s of topicSelects) {
        const current = s.value || query.topic || '';
        fill(s, names.length ? names.map((n) => h('option', { value: n, selected: n === current }, n)) : h('option', { value: '' }, 'No topics — create one first'));
      }
    } catch (e) {
      for (const s of topicSelects) fill(s, h('option', { value: '' }, 'Topics unavailable'));
      fill(bError, errorBox(e, 'Listing topics failed'));
    }
  };

  const recordRow = (r, fresh) => h('tr', { 'data-offset': num(r.offset), 'data-partition': r.partition, class: fresh ? 'fresh' : '' },
    h('td.num', String(r.partition)), h('td.num', fmtNum(num(r.offset))), h('td.small', fmtTime(r.timestamp)),
    h('td', showPayload(r.key)), h('td', showPayload(r.value)), h('td.small', headerText(r.headers)));

  // produce
  produceForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(produceBtn, async () => {
      fill(pResult);
      try {
        if (!pTopic.value) throw new Error('choose a topic');
        const rec = { value: payloadOf(pValue.value, pFormat.value) };
        if (pKey.value) rec.key = { text: pKey.value };
        if (pPartition.value !== '') rec.partition = Number(pPartition.value);
        const hdrs = parsePairs(pHeaders.value, 'header');
        if (Object.keys(hdrs).length) rec.headers = Object.entries(hdrs).map(([key, v]) => ({ key, value: utf8Base64(v) }));
        const res = await post(`${base}/produce`, { topic: pTopic.value, records: [rec] });
        const r = (res.results || [])[0] || {};
        if (r.error) throw new Error(`the broker refused the record: ${r.error}`);
        fill(pResult, h('div.success-box', `Produced to ${pTopic.value} partition ${r.partition} at offset ${fmtNum(num(r.offset))}.`));
      } catch (e) {
        fill(pResult, errorBox(e, 'Producing failed'));
      }
    });
  });

  // read
  // Reads return as soon as they reached the end of what is there; the longer wait only
  // matters for a slow broker.
  const consume = (params) => get(`${base}/consume${qs({ maxWait: '10s', ...params })}`);
  browseForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    stopFollowing();
    busy(readBtn, async () => {
      fill(bError);
      try {
        if (!bTopic.value) throw new Error('choose a topic');
        const max = Math.max(1, Math.min(10000, Number(bMax.value) || 50));
        const partition = bPartition.value === '' ? undefined : Number(bPartition.value);
        let recs = [];
        if (bFrom.value === 'newest') {
          // The newest `max` records: read each partition from `max` before its end.
          const t = await get(`${base}/topics/${seg(bTopic.value)}`);
          const parts = (t.partitionDetails || []).filter((p) => partition === undefined || p.partition === partition);
          const results = await Promise.all(parts.map((p) => consume({
            topic: bTopic.value, partition: p.partition, startFrom: 'START_FROM_OFFSET',
            offset: Math.max(num(p.lowWatermark), num(p.highWatermark) - max), maxRecords: max,
          })));
          recs = results.flatMap((r) => r.records || [])
            .sort((a, b) => String(b.timestamp).localeCompare(String(a.timestamp)) || num(b.offset) - num(a.offset))
            .slice(0, max);
        } else {
          const res = await consume({
            topic: bTopic.value, partition,
            startFrom: bFrom.value === 'offset' ? 'START_FROM_OFFSET' : 'START_FROM_BEGINNING',
            offset: bFrom.value === 'offset' ? Number(bOffset.value) || 0 : undefined,
            maxRecords: max,
          });
          recs = res.records || [];
        }
        fill(records, recs.length ? recs.map((r) => recordRow(r, false)) : h('tr', h('td.muted', { colspan: '6' }, 'No records.')));
        bInfo.textContent = `${recs.length} record${recs.length === 1 ? '' : 's'} from ${bTopic.value}, read at ${new Date().toLocaleTimeString()}`;
      } catch (e) {
        fill(bError, errorBox(e, 'Reading failed'));
      }
    });
  });

  // follow (SSE: /consume/stream)
  let follow = null;
  const stopFollowing = () => {
    if (follow) follow.abort();
    follow = null;
    followBtn.textContent = 'Follow live';
    followBtn.classList.remove('active');
  };
  followBtn.addEventListener('click', async () => {
    if (follow) {
      stopFollowing();
      bInfo.textContent = 'Stopped following.';
      return;
    }
    fill(bError);
    if (!bTopic.value) {
      fill(bError, errorBox(new Error('choose a topic')));
      return;
    }
    const ctrl = new AbortController();
    follow = ctrl;
    followBtn.textContent = 'Stop following';
    followBtn.classList.add('active');
    const topic = bTopic.value;
    const waiting = h('td.muted', { colspan: '6' }, `Connecting to ${topic}…`);
    fill(records, h('tr.waiting', waiting));
    bInfo.textContent = `Following ${topic} live`;
    let count = 0;
    const partition = bPartition.value === '' ? undefined : Number(bPartition.value);
    try {
      await stream(`${base}/consume/stream${qs({ topic, partition, startFrom: 'START_FROM_END' })}`, (msg) => {
        const recs = msg.records || [];
        if (!recs.length) return;
        records.querySelector('tr.waiting')?.remove();
        for (const r of recs) records.prepend(recordRow(r, true));
        count += recs.length;
        while (records.children.length > 500) records.lastChild.remove();
        bInfo.textContent = `Following ${topic} live: ${count} new record${count === 1 ? '' : 's'}`;
      }, {
        signal: ctrl.signal,
        // From here on every new record arrives (lkm fixed the end offsets before answering).
        onOpen: () => {
          waiting.textContent = `Waiting for new records on ${topic}…`;
          waiting.parentElement?.setAttribute('data-open', '');
        },
      });
      if (follow === ctrl) bInfo.textContent = `The stream of ${topic} ended.`;
    } catch (e) {
      if (e?.name !== 'AbortError') fill(bError, errorBox(e, `Following ${topic} failed`));
    } finally {
      if (follow === ctrl) stopFollowing();
    }
  });

  loadTopics();
  return () => stopFollowing();
}

// ---- consumer groups ----------------------------------------------------------------------

const RESET_TO = [
  { value: 'OFFSET_RESET_EARLIEST', label: 'the earliest offset' },
  { value: 'OFFSET_RESET_LATEST', label: 'the latest offset (skip everything)' },
  { value: 'OFFSET_RESET_OFFSET', label: 'an offset' },
  { value: 'OFFSET_RESET_TIMESTAMP', label: 'a point in time' },
];

function mountGroups(body, base) {
  const list = h('div#groups');
  const error = h('div');
  const actionResult = h('div#group-action-result');
  const resetPanel = h('div#reset-panel');
  fill(body,
    h('section.card',
      h('div.card-head', h('h2', 'Consumer groups'), h('span.grow'), h('button.btn.small', { type: 'button', onclick: () => refresh() }, 'Refresh')),
      actionResult, error, list),
    resetPanel);
  const open = new Set();
  let lastKey = '';
  let rows = [];
  let resetGroup = null;
  let seq = 0; // the latest listing wins (a click may start one while the poll's is on its way)
  const refresh = async () => {
    const mine = (seq += 1);
    try {
      const res = await get(`${base}/groups`);
      const groups = (res.groups || []).sort((a, b) => a.groupId.localeCompare(b.groupId));
      // Lag is in each group's description.
      const described = await Promise.allSettled(groups.map((g) => get(`${base}/groups/${seg(g.groupId)}`)));
      if (mine !== seq) return;
      fill(error);
      rows = groups.map((g, i) => (described[i].status === 'fulfilled' ? { ...g, ...described[i].value } : { ...g, describeError: errorText(described[i].reason) }));
      const key = JSON.stringify([rows, [...open], resetGroup]);
      if (key === lastKey) return;
      lastKey = key;
      if (!rows.length) {
        fill(list, h('p.muted', 'No consumer groups. Reading with a group id (or any Kafka consumer in a group) creates one.'));
        return;
      }
      fill(list, h('table.data#groups-table',
        h('thead', h('tr', ['Group', 'State', 'Protocol', 'Members', 'Total lag', ''].map((t) => h('th', t)))),
        h('tbody', rows.map((g) => [
          h('tr', { 'data-group': g.groupId, class: resetGroup === g.groupId ? 'selected' : null },
            h('td', g.groupId), h('td', g.state || '—'), h('td', [g.protocolType, g.protocol].filter(Boolean).join(' / ') || '—'),
            h('td.num', String((g.members || []).length)),
            h('td.num', { class: num(g.totalLag) > 0 ? 'lagging' : '', 'data-lag': num(g.totalLag) }, fmtNum(num(g.totalLag))),
            h('td.right', h('span.actions',
              h('button.btn.small', {
                type: 'button',
                'data-action': 'group-partitions',
                onclick: () => {
                  if (open.has(g.groupId)) open.delete(g.groupId);
                  else open.add(g.groupId);
                  lastKey = '';
                  refresh();
                },
              }, open.has(g.groupId) ? 'Hide' : 'Partitions'),
              h('button.btn.small', { type: 'button', 'data-action': 'reset-group', onclick: () => openReset(g.groupId) }, 'Reset offsets'),
              h('button.btn.small.danger', { type: 'button', 'data-action': 'delete-group', onclick: () => deleteGroup(g.groupId) }, 'Delete')))),
          g.membersError || g.describeError
            ? h('tr.note', h('td.small.muted', { colspan: '6' }, g.describeError ? `Not described: ${g.describeError}` : `Members: ${g.membersError}`))
            : null,
          open.has(g.groupId) ? h('tr.detail', h('td', { colspan: '6' }, h('table.data.compact',
            h('thead', h('tr', ['Topic', 'Partition', 'Committed', 'High watermark', 'Lag'].map((t) => h('th', t)))),
            h('tbody', (g.offsets || []).map((o) => h('tr', { 'data-topic': o.topic, 'data-partition': o.partition },
              h('td', o.topic), h('td.num', String(o.partition)),
              h('td.num', { 'data-committed': num(o.committedOffset) }, num(o.committedOffset) < 0 ? 'none' : fmtNum(num(o.committedOffset))),
              h('td.num', fmtNum(num(o.highWatermark))), h('td.num', { class: num(o.lag) > 0 ? 'lagging' : '' }, fmtNum(num(o.lag))))))),
            (g.members || []).length ? h('p.small', `Members: ${g.members.map((m) => `${m.clientId || m.memberId} (${m.clientHost || '?'})`).join(', ')}`) : null)) : null,
        ]))));
    } catch (e) {
      if (mine !== seq) return;
      lastKey = '';
      fill(error, errorBox(e, 'Listing consumer groups failed'));
    }
  };
  const again = () => {
    lastKey = '';
    return refresh();
  };

  const deleteGroup = async (group) => {
    fill(actionResult);
    const ok = await confirmDialog({
      title: `Delete consumer group ${group}?`,
      body: h('div',
        h('p', `The group and its committed offsets are deleted. Consumers that join ${group} later start where their auto.offset.reset setting says.`),
        h('p.small.muted', 'lkm refuses while the group has active members: stop its consumers first.')),
      ok: 'Delete group',
      danger: true,
    });
    if (!ok) return;
    try {
      await del(`${base}/groups/${seg(group)}`);
      fill(actionResult, h('div.success-box', { 'data-deleted': group }, `Consumer group ${group} deleted.`));
      open.delete(group);
      if (resetGroup === group) closeReset();
    } catch (e) {
      fill(actionResult, errorBox(e, `Deleting consumer group ${group} failed`));
    }
    await again();
  };

  const closeReset = () => {
    resetGroup = null;
    fill(resetPanel);
    lastKey = '';
  };

  // Reset: the form, a dry run showing the offsets it would set next to the committed ones,
  // then the reset itself (confirmed) with exactly the previewed request.
  const openReset = async (group) => {
    fill(actionResult);
    resetGroup = group;
    lastKey = '';
    refresh();
    const g = rows.find((r) => r.groupId === group) || { groupId: group };
    const groupTopics = [...new Set((g.offsets || []).map((o) => o.topic))];
    let clusterTopics = [];
    try {
      clusterTopics = ((await get(`${base}/topics`)).topics || []).map((t) => t.name);
    } catch {
      // the group's own topics are still offered
    }
    if (resetGroup !== group) return;
    const names = [...new Set([...groupTopics, ...clusterTopics.sort()])];
    const topic = h('select', { id: 'reset-topic' }, names.length
      ? names.map((n) => h('option', { value: n }, groupTopics.includes(n) ? n : `${n} (no offsets of the group)`))
      : h('option', { value: '' }, 'No topics'));
    const partition = h('input', { id: 'reset-partition', type: 'number', min: '0', placeholder: 'all' });
    const to = select({ id: 'reset-to' }, RESET_TO, 'OFFSET_RESET_EARLIEST');
    const offset = h('input', { id: 'reset-offset', type: 'number', min: '0', value: '0' });
    const when = h('input', { id: 'reset-timestamp', type: 'datetime-local', step: '1' });
    const offsetField = field('Offset', offset, 'kept within each partition\'s watermarks');
    const whenField = field('Time', when, 'the first record at or after it (local time)');
    const previewBtn = h('button.btn', { type: 'button', id: 'reset-preview' }, 'Preview (dry run)');
    const applyBtn = h('button.btn.primary', { type: 'submit', id: 'reset-apply', disabled: true }, 'Reset offsets');
    const closeBtn = h('button.btn.ghost', { type: 'button', id: 'reset-close' }, 'Close');
    const result = h('div#reset-result');
    let planned = null;

    const syncTo = () => {
      offsetField.hidden = to.value !== 'OFFSET_RESET_OFFSET';
      whenField.hidden = to.value !== 'OFFSET_RESET_TIMESTAMP';
    };
    const invalidate = () => {
      planned = null;
      applyBtn.disabled = true;
      fill(result);
    };
    const requestBody = () => {
      if (!topic.value) throw new Error('choose a topic');
      const req = { topic: topic.value, to: to.value };
      if (partition.value !== '') {
        const p = Number(partition.value);
        if (!Number.isInteger(p) || p < 0) throw new Error('the partition is a whole number, 0 or more');
        req.partition = p;
      }
      if (to.value === 'OFFSET_RESET_OFFSET') {
        if (offset.value === '' || !/^\d+$/.test(offset.value)) throw new Error('give the offset (a whole number, 0 or more)');
        req.offset = offset.value;
      }
      if (to.value === 'OFFSET_RESET_TIMESTAMP') {
        const d = new Date(when.value);
        if (!when.value || Number.isNaN(d.getTime())) throw new Error('give the date and time');
        req.timestamp = d.toISOString();
      }
      return req;
    };
    const describeTo = (req) => {
      if (req.to === 'OFFSET_RESET_OFFSET') return `offset ${req.offset}`;
      if (req.to === 'OFFSET_RESET_TIMESTAMP') return `the first record at or after ${fmtTime(req.timestamp)}`;
      return req.to === 'OFFSET_RESET_LATEST' ? 'the latest offset' : 'the earliest offset';
    };
    const offsetsTable = (id, offsets, before, beforeLabel) => h(`table.data.compact#${id}`,
      h('thead', h('tr', ['Partition', beforeLabel, 'New offset', 'High watermark', 'Lag after'].map((x) => h('th', x)))),
      h('tbody', offsets.map((o) => {
        const was = before.get(o.partition);
        return h('tr', { 'data-partition': o.partition, 'data-new-offset': num(o.committedOffset) },
          h('td.num', String(o.partition)),
          h('td.num', was === undefined || was < 0 ? 'none' : fmtNum(was)),
          h('td.num.hl', fmtNum(num(o.committedOffset))),
          h('td.num', fmtNum(num(o.highWatermark))),
          h('td.num', { class: num(o.lag) > 0 ? 'lagging' : '' }, fmtNum(num(o.lag))));
      })));
    const committedNow = async (t) => {
      try {
        const d = await get(`${base}/groups/${seg(group)}`);
        return new Map((d.offsets || []).filter((o) => o.topic === t).map((o) => [o.partition, num(o.committedOffset)]));
      } catch {
        return new Map();
      }
    };

    const form = h('form.card#reset-form', { novalidate: true, 'data-group': group },
      h('div.head-row', h('h2', `Reset the offsets of ${group}`), h('span.grow'), closeBtn),
      h('p.small.muted', 'Moves the group\'s committed offsets on one topic. The group must have no active members (stop its consumers first). Preview first: the dry run changes nothing.'),
      h('div.grid4', field('Topic', topic), field('Partition', partition, 'empty: every partition'), field('Reset to', to), h('div', offsetField, whenField)),
      h('div.actions', previewBtn, applyBtn),
      result);
    fill(resetPanel, form);
    syncTo();
    [topic, partition, offset, when].forEach((el) => el.addEventListener('input', invalidate));
    topic.addEventListener('change', invalidate);
    to.addEventListener('change', () => {
      syncTo();
      invalidate();
    });
    closeBtn.addEventListener('click', () => {
      closeReset();
      refresh();
    });

    previewBtn.addEventListener('click', () => busy(previewBtn, async () => {
      invalidate();
      try {
        const req = requestBody();
        const [res, before] = await Promise.all([
          post(`${base}/groups/${seg(group)}/reset`, { ...req, dryRun: true }),
          committedNow(req.topic),
        ]);
        const offsets = res.offsets || [];
        fill(result, h('div.preview#reset-plan', { 'data-group': group, 'data-topic': req.topic },
          h('h3', `Dry run: ${group} on ${req.topic} to ${describeTo(req)}`),
          offsets.length ? offsetsTable('reset-preview-table', offsets, before, 'Committed now') : h('p.muted', 'No partition to reset.'),
          h('p.small.muted', 'Nothing was changed. "Reset offsets" commits these offsets.')));
        planned = JSON.stringify(req);
        applyBtn.disabled = !offsets.length;
      } catch (e) {
        fill(result, errorBox(e, 'The preview failed'));
      }
    }));

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      // Applied (or failed): a new preview comes first again.
      busy(applyBtn, async () => {
        let req;
        try {
          req = requestBody();
          if (planned !== JSON.stringify(req)) throw new Error('preview the reset first (the form changed since the preview)');
        } catch (e) {
          fill(result, errorBox(e));
          return;
        }
        const ok = await confirmDialog({
          title: `Reset ${group} on ${req.topic}?`,
          body: `The committed offsets of ${group} on ${req.topic}${req.partition === undefined ? '' : ` partition ${req.partition}`} move to ${describeTo(req)}, as previewed. Its consumers continue from there.`,
          ok: 'Reset offsets',
        });
        if (!ok) return;
        const before = await committedNow(req.topic);
        try {
          const res = await post(`${base}/groups/${seg(group)}/reset`, { ...req, dryRun: false });
          planned = null;
          applyBtn.disabled = true;
          fill(result, h('div#reset-done', { 'data-group': group, 'data-topic': req.topic },
            h('div.success-box', `The offsets of ${group} on ${req.topic} were reset to ${describeTo(req)}.`),
            offsetsTable('reset-done-table', res.offsets || [], before, 'Committed before')));
        } catch (e) {
          fill(result, errorBox(e, 'The reset failed'));
        }
        await again();
      }).finally(() => {
        applyBtn.disabled = !planned;
      });
    });
  };

  return every(5000, refresh);
}
