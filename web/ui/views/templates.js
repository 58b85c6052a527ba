// Templates: the built-in ones lkm ships and the caller's own (GET /templates), one template
// with its defaults (GET /templates/{id}), creating one (POST /templates: from a few common
// fields, or a pasted ClusterTemplate in proto3 JSON) and deleting one's own (DELETE
// /templates/{id}, confirmed). lkm refuses to delete a built-in template, and creating or
// deleting needs admin when authentication is on: its refusals are shown as it words them.
// "Create cluster from this template" opens the create view with the template picked.

import { del, enumName, get, post, qs, seg } from '../api.js';
import {
  busy, confirmDialog, errorBox, field, fill, fmtNum, fmtTime, go, h, notify, select,
} from '../dom.js';
import { isAdmin } from './access.js';

const CATEGORIES = ['DEVELOPMENT', 'TESTING', 'STAGING', 'PRODUCTION', 'CUSTOM'];
const ENGINES = [
  { value: 'BROKER_ENGINE_APACHE_KAFKA', label: 'Apache Kafka' },
  { value: 'BROKER_ENGINE_TANSU', label: 'tansu' },
];

const category = (t) => enumName(t?.category, 'TEMPLATE_CATEGORY_').toLowerCase() || '—';
const engine = (k) => enumName(k?.engine, 'BROKER_ENGINE_').toLowerCase().replace('_', ' ') || '—';
const createHref = (id) => `#/create?template=${encodeURIComponent(id)}`;
const viewHref = (id) => `#/templates/${encodeURIComponent(id)}`;

export function mount(root, params, query) {
  if (params.template) return mountDetail(root, params.template);
  return mountList(root, query);
}

// The note shown to a caller lkm says is not an admin (nothing when authentication is off or
// WhoAmI fails: lkm's answer to the call itself says it then).
async function adminNote(box) {
  try {
    const who = await get('/access/whoami');
    if (who.authentication === false || isAdmin(who)) return;
    fill(box, h('div.note-box#templates-admin-note', { 'data-admin-only': 'true' },
      `Creating and deleting templates needs admin${who.principal ? `, and ${who.principal} is not an admin` : ''}: lkm will refuse. `,
      'Listing, viewing and using templates is open to everyone signed in.'));
  } catch {
    // lkm's refusal of the call itself is shown where it happens
  }
}

/** Asks, then deletes template `t`; resolves with true once lkm deleted it. */
async function deleteTemplate(t, result) {
  fill(result);
  const ok = await confirmDialog({
    title: `Delete template ${t.id}?`,
    body: h('div',
      t.isBuiltin
        ? h('p', `${t.name || t.id} is a built-in template: it ships with lkm, which refuses to delete it.`)
        : h('p', `${t.name || t.id} is removed from lkm. Clusters created from it keep their configuration; new clusters can no longer start from it.`),
      h('p.small.muted', 'This cannot be undone.')),
    ok: 'Delete template',
    danger: true,
  });
  if (!ok) return false;
  try {
    await del(`/templates/${seg(t.id)}`);
    fill(result, h('div.success-box', { 'data-deleted': t.id }, `Template ${t.id} deleted.`));
    return true;
  } catch (e) {
    fill(result, h('div', { 'data-refused': t.id }, errorBox(e, `Deleting template ${t.id} failed`)));
    return false;
  }
}

// ---- the list and the new-template form ---------------------------------------------------

function mountList(root, query) {
  const summary = h('span.muted#templates-summary');
  const catFilter = select({ id: 'tpl-filter-category', 'aria-label': 'Category' },
    [{ value: '', label: 'All categories' }, ...CATEGORIES.map((c) => ({ value: `TEMPLATE_CATEGORY_${c}`, label: c.toLowerCase() }))], '');
  const listError = h('div');
  const actionResult = h('div#template-action-result');
  const adminBox = h('div');
  const body = h('tbody');
  const table = h('table.data#templates-table',
    h('thead', h('tr', ['Template', 'Category', 'Engine', 'Brokers', 'Heap', 'Memory (min / rec.)', 'Disk (min / rec.)', 'Kind', ''].map((x) => h('th', x)))),
    body);
  const formPart = newTemplateForm({ onCreated: () => refresh() });

  fill(root,
    h('div.toolbar', h('h1', 'Templates'), summary, h('span.grow'), catFilter,
      h('button.btn.small', { type: 'button', id: 'templates-refresh', onclick: () => refresh() }, 'Refresh'),
      h('button.btn.primary', { type: 'button', id: 'template-new', onclick: () => formPart.focus() }, 'New template')),
    adminBox,
    listError,
    actionResult,
    h('section.card.flush', table),
    formPart.el);

  let seq = 0;
  const refresh = async () => {
    const mine = (seq += 1);
    try {
      const res = await get(`/templates${qs({ pageSize: 1000, category: catFilter.value })}`);
      if (mine !== seq) return;
      fill(listError);
      const all = res.templates || [];
      const own = all.filter((t) => !t.isBuiltin).length;
      summary.textContent = `${all.length} template${all.length === 1 ? '' : 's'}: ${all.length - own} built-in, ${own} your own`;
      fill(body, all.length ? all.map(row) : h('tr', h('td.muted', { colspan: '9' }, 'No template in this category.')));
      table.dataset.loaded = 'true';
    } catch (e) {
      if (mine !== seq) return;
      fill(listError, errorBox(e, 'Listing the templates failed'));
    }
  };

  const row = (t) => {
    const k = t.defaultKafkaConfig || {};
    return h('tr', { 'data-template': t.id, 'data-builtin': String(!!t.isBuiltin) },
      h('td',
        h('a.name', { href: viewHref(t.id) }, t.name || t.id), ' ', h('span.muted.small', t.id),
        t.description ? h('div.small.muted', t.description) : null),
      h('td', h('span.tag', category(t))),
      h('td', { 'data-engine': enumName(k.engine, 'BROKER_ENGINE_') }, engine(k)),
      h('td.num', String(k.brokerCount ?? '—')),
      h('td', k.heapSize || '—'),
      h('td.num', { 'data-min-memory': t.minMemoryMb ?? 0 }, `${fmtNum(t.minMemoryMb ?? 0)} / ${fmtNum(t.recommendedMemoryMb ?? 0)} MiB`),
      h('td.num', `${fmtNum(t.minDiskGb ?? 0)} / ${fmtNum(t.recommendedDiskGb ?? 0)} GiB`),
      h('td', t.isBuiltin ? h('span.badge.kind-builtin', 'built-in') : h('span.badge.kind-own', 'own')),
      h('td.right', h('span.actions',
        h('a.btn.small', { href: viewHref(t.id), 'data-action': 'view-template' }, 'View'),
        h('a.btn.small', { href: createHref(t.id), 'data-action': 'use-template', title: 'Create a cluster from this template' }, 'Create cluster'),
        h('button.btn.small.danger', {
          type: 'button',
          'data-action': 'delete-template',
          title: t.isBuiltin ? 'Built-in: lkm refuses to delete it' : `Delete ${t.id}`,
          onclick: async () => {
            if (await deleteTemplate(t, actionResult)) notify('success', `Template ${t.id} deleted.`);
            await refresh();
          },
        }, 'Delete'))));
  };

  catFilter.addEventListener('change', () => refresh());
  adminNote(adminBox);
  refresh();
  if (query.from) formPart.startFrom(query.from);
  return () => {};
}

/** The new-template form: a few common fields, or a pasted ClusterTemplate in JSON. */
function newTemplateForm({ onCreated }) {
  const id = h('input', { id: 'tpl-id', required: true, autocomplete: 'off', pattern: '[a-z][a-z0-9-]{0,62}', placeholder: 'e.g. team-dev' });
  const name = h('input', { id: 'tpl-name', autocomplete: 'off', placeholder: 'the id' });
  const description = h('input', { id: 'tpl-description', autocomplete: 'off' });
  const cat = select({ id: 'tpl-category' }, CATEGORIES.map((c) => ({ value: `TEMPLATE_CATEGORY_${c}`, label: c.toLowerCase() })), 'TEMPLATE_CATEGORY_CUSTOM');
  const environment = h('input', { id: 'tpl-environment', autocomplete: 'off', placeholder: 'dev' });
  const tags = h('input', { id: 'tpl-tags', autocomplete: 'off', placeholder: 'single-broker, team' });
  const eng = select({ id: 'tpl-engine' }, ENGINES, 'BROKER_ENGINE_APACHE_KAFKA');
  const brokers = h('input', { id: 'tpl-brokers', type: 'number', min: '1', max: '9', placeholder: '1' });
  const heap = h('input', { id: 'tpl-heap', autocomplete: 'off', placeholder: 'e.g. 512M' });
  const partitions = h('input', { id: 'tpl-partitions', type: 'number', min: '1', placeholder: '3' });
  const replication = h('input', { id: 'tpl-replication', type: 'number', min: '1', placeholder: '1' });
  const retention = h('input', { id: 'tpl-retention', type: 'number', min: '1', placeholder: '168' });
  const restProxy = h('input', { id: 'tpl-rest-proxy', type: 'checkbox', checked: true });
  const ui = h('input', { id: 'tpl-ui', type: 'checkbox', checked: true });
  const minMemory = h('input', { id: 'tpl-min-memory', type: 'number', min: '0', placeholder: '0' });
  const recMemory = h('input', { id: 'tpl-rec-memory', type: 'number', min: '0', placeholder: 'the minimum' });
  const minDisk = h('input', { id: 'tpl-min-disk', type: 'number', min: '0', placeholder: '0' });
  const recDisk = h('input', { id: 'tpl-rec-disk', type: 'number', min: '0', placeholder: 'the minimum' });
  const json = h('textarea', {
    id: 'tpl-json', rows: '16', spellcheck: 'false',
    placeholder: '{\n  "id": "team-dev",\n  "name": "Team dev",\n  "category": "TEMPLATE_CATEGORY_CUSTOM",\n  "defaultKafkaConfig": { "engine": "BROKER_ENGINE_TANSU", "numPartitions": 2 },\n  "defaultRestProxyConfig": { "enabled": false },\n  "defaultUiConfig": { "enabled": false },\n  "minMemoryMb": 128\n}',
  });
  const modeFields = h('input', { type: 'radio', name: 'tpl-mode', id: 'tpl-mode-fields', value: 'fields', checked: true });
  const modeJson = h('input', { type: 'radio', name: 'tpl-mode', id: 'tpl-mode-json', value: 'json' });
  const result = h('div#tpl-result');
  const createBtn = h('button.btn.primary', { type: 'submit', id: 'tpl-create' }, 'Create template');
  const fromFieldsBtn = h('button.btn.small', { type: 'button', id: 'tpl-json-from-fields' }, 'Fill in from the fields');

  // tansu has no internal listener: no REST proxy, no UI.
  const syncEngine = () => {
    const tansu = eng.value === 'BROKER_ENGINE_TANSU';
    for (const box of [restProxy, ui]) {
      box.disabled = tansu;
      if (tansu) box.checked = false;
    }
  };
  eng.addEventListener('change', syncEngine);

  const fieldsBox = h('div#tpl-fields',
    h('div.grid3',
      field('Id', id, 'lowercase letters, digits and -, starting with a letter'),
      field('Name', name),
      field('Category', cat),
      field('Description', description),
      field('Default environment', environment, 'of clusters that name none'),
      field('Tags', tags, 'words, separated by commas')),
    h('h3', 'Kafka defaults'),
    h('div.grid3',
      field('Engine', eng),
      field('Brokers', brokers),
      field('Heap per broker', heap),
      field('Default partitions', partitions),
      field('Default replication factor', replication),
      field('Log retention (hours)', retention)),
    h('div.checks',
      h('label.check', restProxy, ' REST proxy'),
      h('label.check', ui, ' Web UI'),
      h('span.small.muted', ' (Apache Kafka only: tansu has neither)')),
    h('h3', 'Resources a cluster needs'),
    h('div.grid4',
      field('Minimum memory (MiB)', minMemory),
      field('Recommended memory (MiB)', recMemory),
      field('Minimum disk (GiB)', minDisk),
      field('Recommended disk (GiB)', recDisk)),
    h('p.small.muted', 'Empty fields take lkm\'s base defaults. Everything else a template holds (images, threads, retention policy, custom properties…): paste it as JSON.'));
  const jsonBox = h('div#tpl-json-box', { hidden: true },
    field('Template (JSON)', json, 'A ClusterTemplate in proto3 JSON, as GET /templates/{id} answers; "id" is required, unset configuration takes lkm\'s base defaults; isBuiltin, createdAt and updatedAt are set by lkm.'),
    h('div.actions', fromFieldsBtn));

  const el = h('form.card#template-form', { novalidate: true },
    h('h2', 'New template'),
    h('div.radios', h('label.check', modeFields, ' Fill in the common fields'), h('label.check', modeJson, ' Paste a template (JSON)')),
    fieldsBox,
    jsonBox,
    result,
    h('div.actions', createBtn));

  const syncMode = () => {
    fieldsBox.hidden = !modeFields.checked;
    jsonBox.hidden = !modeJson.checked;
  };
  modeFields.addEventListener('change', syncMode);
  modeJson.addEventListener('change', syncMode);

  const int = (input, label) => {
    const v = input.value.trim();
    if (v === '') return undefined;
    if (!/^\d+$/.test(v)) throw new Error(`${label}: "${v}" is not a whole number`);
    return Number(v);
  };
  const fromFields = () => {
    const t = {
      id: id.value.trim(),
      name: name.value.trim(),
      description: description.value.trim(),
      category: cat.value,
      defaultEnvironment: environment.value.trim(),
      tags: tags.value.split(',').map((x) => x.trim()).filter(Boolean),
    };
    const k = { engine: eng.value };
    const setIf = (obj, key, v) => {
      if (v !== undefined && v !== '') obj[key] = v;
    };
    setIf(k, 'brokerCount', int(brokers, 'Brokers'));
    setIf(k, 'heapSize', heap.value.trim());
    setIf(k, 'numPartitions', int(partitions, 'Default partitions'));
    setIf(k, 'defaultReplicationFactor', int(replication, 'Default replication factor'));
    setIf(k, 'logRetentionHours', int(retention, 'Log retention'));
    t.defaultKafkaConfig = k;
    t.defaultRestProxyConfig = { enabled: restProxy.checked };
    t.defaultUiConfig = { enabled: ui.checked };
    setIf(t, 'minMemoryMb', int(minMemory, 'Minimum memory'));
    setIf(t, 'recommendedMemoryMb', int(recMemory, 'Recommended memory'));
    setIf(t, 'minDiskGb', int(minDisk, 'Minimum disk'));
    setIf(t, 'recommendedDiskGb', int(recDisk, 'Recommended disk'));
    return t;
  };
  const fromJson = () => {
    let t;
    try {
      t = JSON.parse(json.value);
    } catch (e) {
      throw new Error(`The JSON is not valid: ${e.message}`);
    }
    if (!t || typeof t !== 'object' || Array.isArray(t)) throw new Error('The JSON is not a template (an object like {"id": …})');
    // A GetTemplate or CreateTemplate body pasted whole.
    if (t.template && typeof t.template === 'object' && !t.id) t = t.template;
    return t;
  };

  fromFieldsBtn.addEventListener('click', () => {
    fill(result);
    try {
      json.value = JSON.stringify(fromFields(), null, 2);
    } catch (e) {
      fill(result, errorBox(e));
    }
  });

  el.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(createBtn, async () => {
      fill(result);
      let t;
      try {
        t = modeJson.checked ? fromJson() : fromFields();
        if (!t.id) throw new Error('give the template an id');
      } catch (e) {
        fill(result, errorBox(e));
        return;
      }
      try {
        const created = await post('/templates', t);
        const tid = created.id || t.id;
        fill(result, h('div.success-box', { 'data-created': tid },
          `Template ${tid} created. `,
          h('a', { href: viewHref(tid) }, 'View it'), ' · ',
          h('a', { href: createHref(tid), id: 'tpl-created-use' }, 'Create a cluster from it')));
        el.querySelectorAll('input:not([type=radio]):not([type=checkbox]), textarea').forEach((x) => {
          x.value = '';
        });
        onCreated?.(created);
      } catch (e) {
        fill(result, errorBox(e, 'Creating the template failed'));
      }
    });
  });

  // Prefilled from an existing template (its JSON, to change and save under a new id).
  const startFrom = async (fromId) => {
    try {
      const t = await get(`/templates/${seg(fromId)}`);
      const copy = { ...t, id: `${t.id}-copy`, name: `${t.name || t.id} (copy)` };
      for (const k of ['isBuiltin', 'createdAt', 'updatedAt']) delete copy[k];
      json.value = JSON.stringify(copy, null, 2);
      modeJson.checked = true;
      syncMode();
      el.scrollIntoView({ block: 'start' });
      json.focus();
    } catch (e) {
      fill(result, errorBox(e, `Reading template ${fromId} failed`));
    }
  };

  const focus = () => {
    el.scrollIntoView({ block: 'start' });
    (modeJson.checked ? json : id).focus();
  };
  syncEngine();
  return { el, focus, startFrom };
}

// ---- one template -------------------------------------------------------------------------

const KAFKA_LABELS = [
  ['engine', 'Engine', (v) => enumName(v, 'BROKER_ENGINE_')],
  ['image', 'Image'],
  ['brokerCount', 'Brokers'],
  ['heapSize', 'Heap per broker'],
  ['numPartitions', 'Default partitions'],
  ['defaultReplicationFactor', 'Default replication factor'],
  ['logRetentionHours', 'Log retention (hours)'],
  ['logSegmentBytes', 'Log segment bytes', (v) => fmtNum(v)],
  ['numNetworkThreads', 'Network threads'],
  ['numIoThreads', 'I/O threads'],
  ['socketSendBufferBytes', 'Socket send buffer (bytes)', (v) => fmtNum(v)],
  ['socketReceiveBufferBytes', 'Socket receive buffer (bytes)', (v) => fmtNum(v)],
  ['jmxEnabled', 'JMX', (v) => (v ? 'yes' : 'no')],
  ['storageEngine', 'Storage engine (tansu)'],
];

/** A definition list of the scalars of `obj` named in `labels` (those it has). */
function kvList(id, obj, labels) {
  const rows = labels.filter(([key]) => obj?.[key] !== undefined && obj?.[key] !== null && obj?.[key] !== '');
  if (!rows.length) return h('p.muted', 'none');
  return h(`dl.kv#${id}`, rows.map(([key, label, fmt]) => [
    h('dt', label), h('dd', { 'data-key': key }, fmt ? fmt(obj[key]) : String(obj[key]))]));
}

function mapList(obj) {
  const entries = Object.entries(obj || {});
  if (!entries.length) return null;
  return h('dl.kv', entries.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [h('dt', h('code', k)), h('dd', v)]));
}

function mountDetail(root, templateId) {
  const head = h('div.toolbar', h('a.muted', { href: '#/templates' }, '← Templates'), h('h1', templateId));
  const content = h('div.view-body', h('p.muted', 'Loading…'));
  const actionResult = h('div#template-action-result');
  const adminBox = h('div');
  fill(root, head, adminBox, actionResult, content);

  const render = (t) => {
    const k = t.defaultKafkaConfig || {};
    const r = t.defaultRestProxyConfig || {};
    const u = t.defaultUiConfig || {};
    const p = t.defaultRetentionPolicy || {};
    fill(head, h('a.muted', { href: '#/templates' }, '← Templates'), h('h1', t.name || t.id),
      t.isBuiltin ? h('span.badge.kind-builtin', 'built-in') : h('span.badge.kind-own', 'own'),
      h('span.grow'),
      h('a.btn.primary', { href: createHref(t.id), id: 'tpl-use' }, 'Create cluster from this template'),
      h('a.btn', { href: `#/templates?from=${encodeURIComponent(t.id)}`, id: 'tpl-copy', title: 'A new template, starting from this one\'s JSON' }, 'New template from this'),
      h('button.btn.danger', {
        type: 'button', id: 'tpl-delete', 'data-action': 'delete-template',
        title: t.isBuiltin ? 'Built-in: lkm refuses to delete it' : `Delete ${t.id}`,
        onclick: async () => {
          if (await deleteTemplate(t, actionResult)) {
            notify('success', `Template ${t.id} deleted.`);
            go('/templates');
          }
        },
      }, 'Delete'));
    fill(content,
      h('section.card#template-detail', { 'data-template': t.id, 'data-builtin': String(!!t.isBuiltin) },
        t.description ? h('p', t.description) : null,
        h('dl.kv',
          h('dt', 'Id'), h('dd', h('code', t.id)),
          h('dt', 'Category'), h('dd', { 'data-key': 'category' }, category(t)),
          h('dt', 'Kind'), h('dd', t.isBuiltin ? 'built-in: ships with lkm, cannot be changed or deleted' : 'your own'),
          h('dt', 'Default environment'), h('dd', t.defaultEnvironment || 'dev (lkm\'s default)'),
          h('dt', 'Tags'), h('dd', (t.tags || []).length ? h('span.tags', t.tags.map((x) => h('span.tag', x))) : '—'),
          h('dt', 'Version'), h('dd', t.version || '—'),
          t.isBuiltin ? null : [h('dt', 'Created'), h('dd', fmtTime(t.createdAt)), h('dt', 'Updated'), h('dd', fmtTime(t.updatedAt))]),
        h('h3', 'Resources a cluster needs'),
        h('table.data.compact#template-requirements',
          h('thead', h('tr', h('th', ''), h('th.num', 'Minimum'), h('th.num', 'Recommended'))),
          h('tbody',
            h('tr', { 'data-row': 'memory' }, h('th', 'Memory'), h('td.num', `${fmtNum(t.minMemoryMb ?? 0)} MiB`), h('td.num', `${fmtNum(t.recommendedMemoryMb ?? 0)} MiB`)),
            h('tr', { 'data-row': 'disk' }, h('th', 'Disk'), h('td.num', `${fmtNum(t.minDiskGb ?? 0)} GiB`), h('td.num', `${fmtNum(t.recommendedDiskGb ?? 0)} GiB`))))),
      h('div.columns',
        h('section.card',
          h('h2', 'Kafka defaults'),
          kvList('template-kafka', k, KAFKA_LABELS),
          Object.keys(k.customProperties || {}).length ? [h('h3', 'Custom broker properties'), mapList(k.customProperties)] : null),
        h('section.card',
          h('h2', 'REST proxy and UI'),
          h('h3', 'REST proxy'),
          kvList('template-rest-proxy', r, [['enabled', 'Enabled', (v) => (v ? 'yes' : 'no')], ['image', 'Image'], ['heapSize', 'Heap'],
            ['consumerRequestTimeoutMs', 'Consumer request timeout (ms)'], ['producerRequestTimeoutMs', 'Producer request timeout (ms)']]),
          h('h3', 'UI'),
          kvList('template-ui', u, [['enabled', 'Enabled', (v) => (v ? 'yes' : 'no')], ['image', 'Image'], ['heapSize', 'Heap'],
            ['readonlyMode', 'Read-only', (v) => (v ? 'yes' : 'no')]]),
          h('h3', 'Retention policy'),
          kvList('template-retention', p, [['cleanupPolicy', 'Cleanup policy', (v) => enumName(v, 'CLEANUP_POLICY_').toLowerCase()],
            ['logRetentionBytes', 'Retention bytes', (v) => (Number(v) < 0 ? 'unlimited' : fmtNum(v))],
            ['storageQuotaBytes', 'Storage quota (bytes)', (v) => (Number(v) === 0 ? 'none' : fmtNum(v))],
            ['keepDataOnDelete', 'Keep data on delete', (v) => (v ? 'yes' : 'no')]]))),
      h('details.card#template-json',
        h('summary', 'The template as JSON (GET /templates/', t.id, ')'),
        h('pre.code', JSON.stringify(t, null, 2))));
  };

  (async () => {
    try {
      render(await get(`/templates/${seg(templateId)}`));
    } catch (e) {
      fill(content, errorBox(e, `Loading template ${templateId} failed`));
    }
  })();
  adminNote(adminBox);
  return () => {};
}
