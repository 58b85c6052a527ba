// Create a cluster from a template: the template picker with each template's resource
// requirements, overrides, a preview (POST /templates/{id}/apply) and auto-start.
//
// lkm's API does not report the host's free memory and disk, so the page shows what a
// template requires and says so; lkm itself compares the two when the cluster is created and
// started (refusing below the minimum, warning below the recommendation), and the page shows
// that answer.

import { enumName, get, post, qs, seg } from '../api.js';
import { busy, errorBox, field, fill, fmtNum, go, h, notify, parsePairs, select } from '../dom.js';
import { startCluster } from './common.js';

export function mount(root) {
  let templates = [];
  let chosen = null;
  const picker = h('div.templates', { id: 'template-picker', role: 'radiogroup', 'aria-label': 'Template' }, h('p.muted', 'Loading templates…'));
  const requirements = h('div#requirements');
  const formError = h('div');
  const preview = h('div#preview');

  const name = h('input', { id: 'cluster-name', name: 'name', required: true, pattern: '[a-z][a-z0-9-]{0,39}', autocomplete: 'off', placeholder: 'e.g. orders-dev' });
  const description = h('input', { id: 'cluster-description', name: 'description', autocomplete: 'off' });
  const environment = h('input', { id: 'cluster-environment', name: 'environment', autocomplete: 'off', placeholder: 'dev' });
  const tags = h('input', { id: 'cluster-tags', name: 'tags', autocomplete: 'off', placeholder: 'team=payments, owner=me' });
  const brokers = h('input', { id: 'kc-brokers', type: 'number', min: '1', max: '9' });
  const heap = h('input', { id: 'kc-heap', placeholder: '' , pattern: '[0-9]+[KkMmGg]?' });
  const partitions = h('input', { id: 'kc-partitions', type: 'number', min: '1' });
  const replication = h('input', { id: 'kc-replication', type: 'number', min: '1' });
  const retention = h('input', { id: 'kc-retention', type: 'number', min: '1' });
  const storage = select({ id: 'kc-storage' }, [{ value: '', label: 'template default' }, 'sqlite', 'memory'], '');
  const storageField = field('Storage engine (tansu)', storage, 'memory: fast, lost when the broker stops');
  const autoStart = h('input', { id: 'auto-start', type: 'checkbox', checked: true });
  const previewBtn = h('button.btn', { type: 'button', id: 'preview-button' }, 'Preview');
  const createBtn = h('button.btn.primary', { type: 'submit', id: 'create-button' }, 'Create cluster');

  const form = h('form.card#create-form', { novalidate: true },
    h('h2', '2 · Name and overrides'),
    h('div.grid2',
      field('Name', name, 'lowercase letters, digits and -, starting with a letter (at most 40)'),
      field('Environment', environment, 'dev, test, staging, prod or any label'),
      field('Description', description),
      field('Tags', tags, 'key=value, separated by commas')),
    h('h3', 'Kafka configuration'),
    h('p.muted.small', 'Empty fields keep the template\'s value (shown greyed).'),
    h('div.grid3',
      field('Brokers', brokers),
      field('Heap per broker', heap, 'e.g. 512M or 1G'),
      field('Default partitions', partitions),
      field('Default replication factor', replication),
      field('Log retention (hours)', retention),
      storageField),
    h('label.check', autoStart, ' Start the cluster once it is created'),
    formError,
    h('div.actions', previewBtn, createBtn),
    preview);

  fill(root,
    h('div.toolbar', h('h1', 'New cluster')),
    h('section.card', h('h2', '1 · Template'), picker, requirements),
    form);

  const overrides = () => {
    const kc = {};
    if (brokers.value) kc.brokerCount = Number(brokers.value);
    if (heap.value.trim()) kc.heapSize = heap.value.trim();
    if (partitions.value) kc.numPartitions = Number(partitions.value);
    if (replication.value) kc.defaultReplicationFactor = Number(replication.value);
    if (retention.value) kc.logRetentionHours = Number(retention.value);
    if (storage.value && isTansu(chosen)) kc.storageEngine = storage.value;
    return kc;
  };

  const isTansu = (t) => enumName(t?.defaultKafkaConfig?.engine, 'BROKER_ENGINE_') === 'TANSU';

  const choose = (t) => {
    chosen = t;
    picker.querySelectorAll('.template').forEach((el) => {
      const on = el.dataset.template === t.id;
      el.classList.toggle('selected', on);
      el.setAttribute('aria-checked', String(on));
    });
    const k = t.defaultKafkaConfig || {};
    environment.placeholder = t.defaultEnvironment || 'dev';
    brokers.placeholder = k.brokerCount ?? '';
    heap.placeholder = k.heapSize ?? '';
    partitions.placeholder = k.numPartitions ?? '';
    replication.placeholder = k.defaultReplicationFactor ?? '';
    retention.placeholder = k.logRetentionHours ?? '';
    storageField.hidden = !isTansu(t);
    fill(requirements, requirementTable(t));
    fill(preview);
  };

  const requirementTable = (t) => h('div.requirements',
    h('h3', `Resources ${t.name || t.id} needs`),
    h('table.data.compact',
      h('thead', h('tr', h('th', ''), h('th', 'Minimum'), h('th', 'Recommended'), h('th', 'Host free'))),
      h('tbody',
        h('tr', h('th', 'Memory'), h('td.num', { 'data-req': 'min-memory' }, `${fmtNum(t.minMemoryMb)} MiB`), h('td.num', `${fmtNum(t.recommendedMemoryMb)} MiB`), h('td.muted', 'not reported')),
        h('tr', h('th', 'Disk'), h('td.num', { 'data-req': 'min-disk' }, `${fmtNum(t.minDiskGb)} GiB`), h('td.num', `${fmtNum(t.recommendedDiskGb)} GiB`), h('td.muted', 'not reported')))),
    h('p.muted.small.note', 'lkm\'s API does not report the host\'s free memory and disk, so they cannot be shown here. ',
      'lkm checks them itself when the cluster is created and when it starts: below the minimum it refuses (the reason appears here), ',
      'below the recommendation it creates the cluster with a warning.'));

  const templateCard = (t) => {
    const k = t.defaultKafkaConfig || {};
    const extras = [
      t.defaultRestProxyConfig?.enabled ? 'REST proxy' : null,
      t.defaultUiConfig?.enabled ? 'UI' : null,
    ].filter(Boolean);
    const card = h('div.template', {
      role: 'radio', tabindex: '0', 'aria-checked': 'false', 'data-template': t.id,
      onclick: () => choose(t),
      onkeydown: (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          choose(t);
        }
      },
    },
    h('div.t-head', h('strong', t.name || t.id), h('span.muted.small', ` ${t.id}`),
      h('span.tag', enumName(t.category, 'TEMPLATE_CATEGORY_').toLowerCase())),
    h('p.small', t.description || ''),
    h('div.small.muted', `${enumName(k.engine, 'BROKER_ENGINE_').toLowerCase().replace('_', ' ')} · ${k.brokerCount ?? 1} broker${k.brokerCount > 1 ? 's' : ''}${k.heapSize ? ` · heap ${k.heapSize}` : ''}${extras.length ? ` · ${extras.join(', ')}` : ''}`),
    h('div.small', `Memory ≥ ${fmtNum(t.minMemoryMb)} MiB (recommended ${fmtNum(t.recommendedMemoryMb)}) · Disk ≥ ${fmtNum(t.minDiskGb)} GiB (recommended ${fmtNum(t.recommendedDiskGb)})`));
    return card;
  };

  const load = async () => {
    try {
      const res = await get(`/templates${qs({ pageSize: 100 })}`);
      templates = res.templates || [];
      fill(picker, templates.map(templateCard));
      if (!templates.length) fill(picker, h('p.muted', 'lkm has no templates.'));
      const wanted = new URLSearchParams(location.hash.split('?')[1] || '').get('template');
      const first = templates.find((t) => t.id === wanted) || templates.find((t) => t.id === 'development') || templates[0];
      if (first) choose(first);
    } catch (e) {
      fill(picker, errorBox(e, 'Loading the templates failed'));
    }
  };

  const request = () => {
    if (!chosen) throw new Error('choose a template first');
    return {
      name: name.value.trim(),
      description: description.value.trim(),
      templateId: chosen.id,
      environment: environment.value.trim(),
      tags: parsePairs(tags.value, 'tag'),
      kafkaConfig: overrides(),
    };
  };

  previewBtn.addEventListener('click', () => busy(previewBtn, async () => {
    fill(formError);
    try {
      const r = request();
      const res = await post(`/templates/${seg(r.templateId)}/apply`, {
        name: r.name, environment: r.environment, kafkaConfig: r.kafkaConfig,
      });
      const c = res.cluster || {};
      const k = c.kafkaConfig || {};
      fill(preview, h('div.preview',
        h('h3', 'The cluster this creates'),
        h('dl.kv',
          h('dt', 'Environment'), h('dd', c.environment || '—'),
          h('dt', 'Engine'), h('dd', enumName(k.engine, 'BROKER_ENGINE_')),
          h('dt', 'Image'), h('dd', k.image || '—'),
          h('dt', 'Brokers'), h('dd', String(k.brokerCount ?? '—')),
          h('dt', 'Heap'), h('dd', k.heapSize || '—'),
          h('dt', 'Default partitions'), h('dd', String(k.numPartitions ?? '—')),
          h('dt', 'Replication factor'), h('dd', String(k.defaultReplicationFactor ?? '—')),
          h('dt', 'Retention'), h('dd', `${k.logRetentionHours ?? '—'} h`),
          h('dt', 'REST proxy / UI'), h('dd', `${c.restProxyConfig?.enabled ? 'yes' : 'no'} / ${c.uiConfig?.enabled ? 'yes' : 'no'}`)),
        (res.warnings || []).map((w) => h('div.warning-box', w))));
    } catch (e) {
      fill(formError, errorBox(e, 'Preview failed'));
    }
  }));

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(createBtn, async () => {
      fill(formError);
      let r;
      try {
        r = request();
        if (!r.name) throw new Error('give the cluster a name');
      } catch (e) {
        fill(formError, errorBox(e));
        return;
      }
      try {
        // Created first, then started: the cluster's page shows it starting, live.
        const res = await post('/clusters', { ...r, autoStart: false });
        const created = res.cluster || {};
        for (const w of res.warnings || []) notify('warning', `${created.name}: ${w}`);
        notify('success', `Cluster ${created.name} created.`);
        go(`/clusters/${encodeURIComponent(created.name)}`);
        if (autoStart.checked) startCluster(created.name);
      } catch (e) {
        fill(formError, errorBox(e, 'Creating the cluster failed'));
      }
    });
  });

  load();
  return () => {};
}
