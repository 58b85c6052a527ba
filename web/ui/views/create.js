// Create a cluster from a template: the template picker with each template's resource
// requirements, overrides, a preview (POST /templates/{id}/apply) and auto-start.
//
// Next to a template's minimum and recommended memory and disk, the page shows what the host
// has free for a new cluster (GET /host/resources, read when the view opens, when a template
// is picked and on Refresh: it changes as clusters start and stop) and the resource guard's
// verdict: below the minimum lkm refuses the cluster, below the recommendation it creates it
// with a warning. lkm checks again itself when the cluster is created and started.

import { enumName, get, num, post, qs, seg } from '../api.js';
import { busy, errorBox, field, fill, fmtNum, fmtTime, go, h, notify, parsePairs, select } from '../dom.js';
import { startCluster } from './common.js';

// lkm reports the largest int64 when it cannot tell a file system's free space.
const UNKNOWN_MB = 2 ** 50;

// Verdicts, mildest first (a template's overall verdict is its worst row).
const VERDICTS = ['unknown', 'fits', 'below-recommendation', 'below-minimum', 'refused'];
const VERDICT_TEXT = {
  unknown: 'not known',
  fits: '✓ fits',
  'below-recommendation': '⚠ below the recommendation: created with a warning',
  'below-minimum': '✗ below the minimum (not enforced: the resource guard is off)',
  refused: '✗ will be refused: below the minimum',
};
const CARD_TEXT = {
  fits: '✓ fits this host now',
  'below-recommendation': '⚠ host below the recommendation',
  'below-minimum': '✗ host below the minimum (guard off)',
  refused: '✗ too big for this host now: would be refused',
};

/** What the resource guard does with a cluster needing `minMb` (recommended `recMb`). */
function verdict(freeMb, minMb, recMb, enforced) {
  if (freeMb === null) return 'unknown';
  if (freeMb < minMb) return enforced ? 'refused' : 'below-minimum';
  if (freeMb < recMb) return 'below-recommendation';
  return 'fits';
}

/** The host's figures the guard uses, as numbers (free disk null when lkm cannot tell). */
function hostFigures(r) {
  const disk = num(r.freeDiskMb);
  return {
    memoryMb: num(r.freeMemoryMb),
    diskMb: disk >= UNKNOWN_MB ? null : disk,
    // The guard runs only when it is on and lkm runs the clusters itself.
    enforced: !!r.resourceGuard && r.runtime !== 'none',
  };
}

/** Memory and disk verdicts of template `t` on host `r` (a GetHostResources answer). */
function fit(t, r) {
  const f = hostFigures(r);
  const memory = verdict(f.memoryMb, num(t.minMemoryMb), num(t.recommendedMemoryMb), f.enforced);
  const disk = verdict(f.diskMb, num(t.minDiskGb) * 1024, num(t.recommendedDiskGb) * 1024, f.enforced);
  const worst = VERDICTS[Math.max(VERDICTS.indexOf(memory), VERDICTS.indexOf(disk))];
  return { memory, disk, worst, ...f };
}

const gib = (mb) => `${(mb / 1024).toFixed(mb < 10 * 1024 ? 1 : 0)} GiB`;

export function mount(root) {
  let templates = [];
  let chosen = null;
  // The host's resources: the last answer (kept while a new one is read) or the error.
  const host = { data: null, error: null, loading: false, at: null, seq: 0 };
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

  const choose = (t, { refresh = true } = {}) => {
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
    renderRequirements();
    fill(preview);
    if (refresh) refreshHost();
  };

  // Reads GET /host/resources; only the latest answer is shown.
  const refreshHost = async () => {
    const seq = (host.seq += 1);
    host.loading = true;
    renderRequirements();
    try {
      const r = await get('/host/resources');
      if (seq !== host.seq) return;
      host.data = r;
      host.error = null;
      host.at = new Date().toISOString();
    } catch (e) {
      if (seq !== host.seq) return;
      host.data = null;
      host.error = e;
    }
    host.loading = false;
    renderRequirements();
    renderCardFits();
  };

  const renderRequirements = () => {
    if (chosen) fill(requirements, requirementTable(chosen));
  };

  const verdictCell = (resource, v) => h('td', h('span.verdict', { class: v, 'data-resource': resource, 'data-verdict': v }, VERDICT_TEXT[v]));

  const requirementTable = (t) => {
    const r = host.data;
    const f = r ? fit(t, r) : null;
    const pending = host.loading && !r && !host.error;
    const freeCell = (resource, mb, text) => h('td.num', { 'data-host': resource, 'data-free-mb': mb === null ? null : String(mb) }, text);
    let memFree;
    let diskFree;
    if (f) {
      memFree = freeCell('memory', f.memoryMb, `${fmtNum(f.memoryMb)} MiB`);
      diskFree = freeCell('disk', f.diskMb, f.diskMb === null ? 'not known' : `${gib(f.diskMb)} (${fmtNum(f.diskMb)} MiB)`);
    } else {
      const text = pending ? 'checking…' : 'unknown';
      memFree = h('td.num.muted', { 'data-host': 'memory' }, text);
      diskFree = h('td.num.muted', { 'data-host': 'disk' }, text);
    }
    const noVerdict = (resource) => h('td.muted', { 'data-resource': resource }, pending ? '' : '—');
    return h('div.requirements',
      h('div.head-row',
        h('h3', `Resources ${t.name || t.id} needs, and what the host has free`),
        h('span.grow'),
        h('button.btn.tiny', { type: 'button', id: 'host-refresh', title: 'Read the host\'s free resources again', onclick: () => refreshHost() }, host.loading ? 'Checking…' : 'Refresh')),
      h('table.data.compact#requirements-table',
        h('thead', h('tr', h('th', ''), h('th.num', 'Minimum'), h('th.num', 'Recommended'), h('th.num', 'Host free'), h('th', 'Verdict'))),
        h('tbody',
          h('tr', { 'data-row': 'memory' }, h('th', 'Memory'), h('td.num', { 'data-req': 'min-memory' }, `${fmtNum(t.minMemoryMb)} MiB`), h('td.num', `${fmtNum(t.recommendedMemoryMb)} MiB`), memFree,
            f ? verdictCell('memory', f.memory) : noVerdict('memory')),
          h('tr', { 'data-row': 'disk' }, h('th', 'Disk'), h('td.num', { 'data-req': 'min-disk' }, `${fmtNum(t.minDiskGb)} GiB`), h('td.num', `${fmtNum(t.recommendedDiskGb)} GiB`), diskFree,
            f ? verdictCell('disk', f.disk) : noVerdict('disk')))),
      host.error ? h('div#host-resources-error', errorBox(host.error, 'Reading the host\'s free resources failed'),
        h('p.muted.small', 'The cluster can still be created: lkm checks the host itself when it creates and starts it.')) : null,
      r ? hostSummary(r) : null,
      r && !r.resourceGuard ? h('div.warning-box#resource-guard-off', { 'data-guard': 'off' },
        h('strong', 'The resource guard is off'), ' (server setting resource_guard = false): lkm creates and starts clusters whatever the host has free. ',
        'A cluster below the minimum may fail to start or slow the host down.') : null,
      r && r.resourceGuard && r.runtime === 'none' ? h('div.note-box#resource-guard-off', { 'data-guard': 'no-runtime' },
        'This lkm has no runtime (it runs no clusters itself), so the resource guard does not apply.') : null,
      h('p.muted.small.note',
        'Free memory is what a new cluster can count on: the memory available now, at most the total less what running clusters are limited to. ',
        'Free disk is that of the file system holding lkm\'s data directory. lkm checks again when the cluster is created and when it starts: ',
        'below the minimum it refuses (the reason appears here), below the recommendation it creates the cluster with a warning.'));
  };

  const hostSummary = (r) => {
    const running = Number(r.runningClusters || 0);
    const cpus = Number(r.cpuCount || 0);
    return h('p.small.host-summary#host-summary',
      `Host: ${fmtNum(num(r.totalMemoryMb))} MiB memory in all, ${fmtNum(num(r.availableMemoryMb))} MiB available, `,
      `${fmtNum(num(r.reservedMemoryMb))} MiB held by ${running} running cluster${running === 1 ? '' : 's'} · `,
      `${cpus || '?'} CPU${cpus === 1 ? '' : 's'} · runtime ${r.runtime || '?'} · read ${fmtTime(host.at)}`);
  };

  // The fit line of every template card (cheap: one answer serves them all).
  const renderCardFits = () => {
    picker.querySelectorAll('.template').forEach((el) => {
      const t = templates.find((x) => x.id === el.dataset.template);
      const line = el.querySelector('.fit');
      if (!t || !line) return;
      line.className = 'small fit';
      line.removeAttribute('data-fit');
      fill(line);
      if (!host.data) return;
      const f = fit(t, host.data);
      line.classList.add(f.worst);
      line.dataset.fit = f.worst;
      fill(line, CARD_TEXT[f.worst] || '');
    });
  };

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
    h('div.small', `Memory ≥ ${fmtNum(t.minMemoryMb)} MiB (recommended ${fmtNum(t.recommendedMemoryMb)}) · Disk ≥ ${fmtNum(t.minDiskGb)} GiB (recommended ${fmtNum(t.recommendedDiskGb)})`),
    h('div.small.fit'));
    return card;
  };

  const load = async () => {
    try {
      const res = await get(`/templates${qs({ pageSize: 100 })}`);
      templates = res.templates || [];
      fill(picker, templates.map(templateCard));
      if (!templates.length) fill(picker, h('p.muted', 'lkm has no templates.'));
      renderCardFits();
      // #/create?template=id (the Templates page's "Create cluster from this template").
      const wanted = new URLSearchParams(location.hash.split('?')[1] || '').get('template');
      const preselected = templates.find((t) => t.id === wanted);
      if (wanted && !preselected) {
        picker.before(h('div.warning-box#template-missing', { 'data-template': wanted },
          `lkm has no template ${wanted} (any more): pick another one.`));
      }
      const first = preselected || templates.find((t) => t.id === 'development') || templates[0];
      // The host is being read already (the view opened).
      if (first) choose(first, { refresh: false });
      if (preselected) picker.querySelector(`[data-template="${CSS.escape(preselected.id)}"]`)?.scrollIntoView({ block: 'nearest' });
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
        // Refused for want of memory or disk: show the host as it is now.
        if (e?.codeName === 'RESOURCE_EXHAUSTED') refreshHost();
      }
    });
  });

  refreshHost();
  load();
  return () => {};
}
