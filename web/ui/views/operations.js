// Cross-cluster operations: start a migration or a replication after a dry-run preview,
// watch one live (Server-Sent Events from /operations/{id}/events: progress bars per topic
// with rate and ETA), cancel it, and the history of operations (filtered by type, status and
// cluster, a page at a time: Older / Newer).

import { enumName, get, num, post, qs, seconds, seg, stream } from '../api.js';
import {
  busy, confirmDialog, errorBox, errorText, every, field, fill, fmtBytes, fmtDuration, fmtNum,
  fmtRate, fmtTime, go, h, notify, progressBar, select,
} from '../dom.js';
import { listClusters, statusBadge } from './common.js';

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
const opStatus = (op) => enumName(op?.status, 'OPERATION_STATUS_') || 'UNSPECIFIED';
const opType = (op) => enumName(op?.operationType, 'OPERATION_TYPE_') || 'UNSPECIFIED';

function namer(clusters) {
  const byId = new Map(clusters.map((c) => [c.id, c.name]));
  return (id) => byId.get(id) || id;
}

export function mount(root, params, query) {
  if (params.operation) return mountDetail(root, params.operation);
  return mountStart(root, query);
}

// ---- start: form, preview, history --------------------------------------------------------

function mountStart(root, query) {
  const kindMigrate = h('input', { type: 'radio', name: 'kind', value: 'migrate', id: 'kind-migrate', checked: query.kind !== 'replicate' });
  const kindReplicate = h('input', { type: 'radio', name: 'kind', value: 'replicate', id: 'kind-replicate', checked: query.kind === 'replicate' });
  const source = h('select', { id: 'op-source', required: true });
  const target = h('select', { id: 'op-target' });
  const targets = h('div.checks#op-targets');
  const topics = h('div.checks#op-topics', h('span.muted.small', 'Choose a source cluster.'));
  const groups = h('input', { type: 'checkbox', id: 'op-groups' });
  const timestamps = h('input', { type: 'checkbox', id: 'op-timestamps', checked: true });
  const partitions = h('input', { type: 'checkbox', id: 'op-partitions', checked: true });
  const previewBtn = h('button.btn', { type: 'button', id: 'op-preview' }, 'Preview (dry run)');
  const startBtn = h('button.btn.primary', { type: 'submit', id: 'op-start', disabled: true }, 'Start');
  const formError = h('div');
  const preview = h('div#op-preview-result');
  const targetField = field('Target cluster', target);
  const targetsField = field('Target clusters', targets);
  const migrateOnly = h('div.migrate-only',
    h('label.check', groups, ' Include consumer-group offsets (translated to the target)'),
    h('label.check', timestamps, ' Preserve record timestamps'));
  const form = h('form.card#op-form', { novalidate: true },
    h('h2', 'Start an operation'),
    h('div.radios', h('label.check', kindMigrate, ' Migrate data (topics, records, group offsets)'),
      h('label.check', kindReplicate, ' Replicate topic structure (no data)')),
    h('div.grid2', field('Source cluster', source), h('div', targetField, targetsField)),
    field('Topics', topics, 'none checked: every non-internal topic'),
    migrateOnly,
    h('label.check', partitions, ' Create missing topics with the source\'s partition count'),
    formError,
    h('div.actions', previewBtn, startBtn),
    preview);

  const history = h('div#op-history', h('p.muted', 'Loading…'));
  const typeFilter = select({ id: 'hist-type', 'aria-label': 'Type' }, [
    { value: '', label: 'All types' }, { value: 'OPERATION_TYPE_MIGRATE', label: 'Migrations' }, { value: 'OPERATION_TYPE_REPLICATE', label: 'Replications' }], '');
  const statusFilter = select({ id: 'hist-status', 'aria-label': 'Status' }, [
    { value: '', label: 'Any status' }, ...['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'].map((s) => ({ value: `OPERATION_STATUS_${s}`, label: s.toLowerCase() }))], '');
  const clusterFilter = select({ id: 'hist-cluster', 'aria-label': 'Cluster' }, [{ value: '', label: 'Any cluster' }], '');
  const pageSize = select({ id: 'hist-page-size', 'aria-label': 'Per page' },
    [10, 25, 50, 100].map((n) => ({ value: String(n), label: `${n} per page` })), '50');
  const histNewer = h('button.btn.small', { type: 'button', id: 'hist-newer', disabled: true }, '← Newer');
  const histOlder = h('button.btn.small', { type: 'button', id: 'hist-older', disabled: true }, 'Older →');
  const histInfo = h('span.muted.small#hist-page-info');
  const histPager = h('div.pager.pad#hist-pager', histInfo, h('span.grow'), histNewer, histOlder);

  fill(root,
    h('div.toolbar', h('h1', 'Operations')),
    form,
    h('section.card.flush',
      h('div.card-head', h('h2', 'History'), h('span.grow'), typeFilter, statusFilter, clusterFilter, pageSize),
      history,
      histPager));

  let clusters = [];
  let name = (id) => id;
  let planned = null; // the request the shown preview is for

  const kind = () => (kindReplicate.checked ? 'replicate' : 'migrate');
  const checkedTopics = () => [...topics.querySelectorAll('input:checked')].map((i) => i.value);
  const checkedTargets = () => [...targets.querySelectorAll('input:checked')].map((i) => i.value);

  const invalidate = () => {
    planned = null;
    startBtn.disabled = true;
    fill(preview);
  };

  const syncKind = () => {
    const m = kind() === 'migrate';
    targetField.hidden = !m;
    targetsField.hidden = m;
    migrateOnly.hidden = !m;
    startBtn.textContent = m ? 'Start migration' : 'Start replication';
    invalidate();
  };

  const fillTargets = () => {
    const others = clusters.filter((c) => c.name !== source.value);
    const cur = target.value || query.target || '';
    fill(target, others.length ? others.map((c) => h('option', { value: c.name, selected: c.name === cur }, c.name)) : h('option', { value: '' }, 'No other cluster'));
    const curs = new Set(checkedTargets());
    fill(targets, others.length
      ? others.map((c) => h('label.check', h('input', { type: 'checkbox', value: c.name, checked: curs.has(c.name) || c.name === query.target, onchange: invalidate }), ` ${c.name}`))
      : h('span.muted.small', 'No other cluster.'));
  };

  const loadTopics = async () => {
    fill(topics, h('span.muted.small', 'Loading topics…'));
    if (!source.value) {
      fill(topics, h('span.muted.small', 'Choose a source cluster.'));
      return;
    }
    try {
      const res = await get(`/clusters/${seg(source.value)}/topics`);
      const names = (res.topics || []).map((t) => `${t.name}`).sort();
      fill(topics, names.length
        ? names.map((n) => h('label.check', h('input', { type: 'checkbox', value: n, onchange: invalidate }), ` ${n}`))
        : h('span.muted.small', 'The source has no topics.'));
    } catch (e) {
      fill(topics, errorBox(e, `Topics of ${source.value}`));
    }
  };

  const loadClusters = async () => {
    try {
      clusters = await listClusters();
      name = namer(clusters);
      const curFilter = clusterFilter.value;
      fill(clusterFilter, h('option', { value: '' }, 'Any cluster'),
        clusters.map((c) => h('option', { value: c.name, selected: c.name === curFilter }, c.name)));
      const cur = source.value || query.source || '';
      fill(source, h('option', { value: '' }, 'Choose…'), clusters.map((c) => h('option', { value: c.name, selected: c.name === cur }, c.name)));
      fillTargets();
      await loadTopics();
    } catch (e) {
      fill(formError, errorBox(e, 'Listing clusters failed'));
    }
  };

  const requestBody = () => {
    if (!source.value) throw new Error('choose a source cluster');
    if (kind() === 'migrate') {
      if (!target.value) throw new Error('choose a target cluster');
      return {
        sourceClusterId: source.value,
        targetClusterId: target.value,
        topics: checkedTopics(),
        includeConsumerGroups: groups.checked,
        preserveTimestamps: timestamps.checked,
        preservePartitions: partitions.checked,
      };
    }
    const t = checkedTargets();
    if (!t.length) throw new Error('choose at least one target cluster');
    return { sourceClusterId: source.value, targetClusterIds: t, topics: checkedTopics(), preservePartitions: partitions.checked };
  };

  previewBtn.addEventListener('click', () => busy(previewBtn, async () => {
    fill(formError);
    invalidate();
    try {
      const body = requestBody();
      const k = kind();
      const shown = k === 'migrate' ? await previewMigration(body) : await previewReplication(body);
      fill(preview, shown.node);
      planned = { kind: k, body: JSON.stringify(body) };
      startBtn.disabled = !shown.ok;
    } catch (e) {
      fill(preview, errorBox(e, 'The preview failed'));
    }
    refreshHistory(); // the dry run is recorded: it shows up in the history at once
  }));

  const previewMigration = async (body) => {
    const op = await post('/operations/migrate', { ...body, dryRun: true });
    const m = op.migration || {};
    const plan = m.topics || [];
    const conflicts = m.conflicts || [];
    const totalMsgs = plan.reduce((a, t) => a + num(t.messages), 0);
    const totalBytes = plan.reduce((a, t) => a + num(t.bytes), 0);
    return {
      ok: conflicts.length === 0 && plan.length > 0,
      node: h('div.preview#migration-plan',
        h('h3', 'Dry run: what the migration would do'),
        h('p', `${plan.length} topic${plan.length === 1 ? '' : 's'}, ${fmtNum(totalMsgs)} messages (about ${fmtBytes(totalBytes)}) from ${body.sourceClusterId} to ${body.targetClusterId}.`),
        plan.length
          ? h('table.data.compact', h('thead', h('tr', ['Topic', 'Partitions', 'Messages', 'Bytes', 'On the target'].map((x) => h('th', x)))),
            h('tbody', plan.map((t) => h('tr', { 'data-topic': t.topic },
              h('td', t.topic), h('td.num', String(t.partitions)), h('td.num', fmtNum(num(t.messages))), h('td.num', fmtBytes(num(t.bytes))),
              h('td', t.create ? 'created' : 'exists (empty)')))))
          : h('p.muted', 'Nothing to copy.'),
        (m.consumerGroups || []).length
          ? h('p.small', `Consumer groups whose offsets are translated: ${m.consumerGroups.map((g) => g.groupId).join(', ')}`)
          : null,
        conflicts.length
          ? h('div.error-box', h('strong', 'Conflicts — the migration cannot start until they are resolved:'), h('ul', conflicts.map((c) => h('li', c))))
          : null),
    };
  };

  // The replication's own dry run: lkm works out, per target, which topics it would create,
  // which already match and which conflict, changes nothing and records the dry run.
  const previewReplication = async (body) => {
    const op = await post('/operations/replicate', { ...body, dryRun: true });
    const st = opStatus(op);
    const tgts = op.replication?.targets || [];
    const usable = tgts.filter((t) => !t.error);
    const conflictsTotal = tgts.reduce((a, t) => a + (t.conflicts || []).length, 0);
    const createTotal = tgts.reduce((a, t) => a + (t.topicsCreated || []).length, 0);
    return {
      ok: st === 'SUCCEEDED' && usable.length > 0,
      node: h('div.preview#replication-plan', { 'data-operation': op.id, 'data-status': st },
        h('h3', 'Dry run: what the replication would do'),
        h('p', `${body.sourceClusterId} → ${body.targetClusterIds.join(', ')}: ${createTotal} topic${createTotal === 1 ? '' : 's'} to create, `,
          `${conflictsTotal} conflict${conflictsTotal === 1 ? '' : 's'}. Nothing was changed. `,
          h('a.small', { href: `#/operations/${encodeURIComponent(op.id)}` }, 'Recorded as a dry run in the history.')),
        op.errorMessage ? h('div.error-box', { role: 'alert' }, h('strong', 'The dry run failed: '), op.errorMessage) : null,
        replicationTargets(tgts, name, { dryRun: true }),
        conflictsTotal ? h('div.warning-box', 'Conflicting topics are reported and left as they are on the target; the rest is replicated.') : null),
    };
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(startBtn, async () => {
      fill(formError);
      try {
        const body = requestBody();
        if (!planned || planned.kind !== kind() || planned.body !== JSON.stringify(body)) {
          throw new Error('preview the operation first (the form changed since the preview)');
        }
        const op = kind() === 'migrate'
          ? await post('/operations/migrate', body)
          : await post('/operations/replicate', body);
        notify('success', `${kind() === 'migrate' ? 'Migration' : 'Replication'} started.`);
        go(`/operations/${encodeURIComponent(op.id)}`);
      } catch (e) {
        fill(formError, errorBox(e, 'Starting failed'));
      }
    });
  });

  kindMigrate.addEventListener('change', syncKind);
  kindReplicate.addEventListener('change', syncKind);
  source.addEventListener('change', () => {
    fillTargets();
    loadTopics();
    invalidate();
  });
  target.addEventListener('change', invalidate);
  [groups, timestamps, partitions].forEach((c) => c.addEventListener('change', invalidate));
  syncKind();

  // history: newest first, a page at a time. Page tokens only go forward (older); the tokens
  // of the pages seen are kept to go back (newer). A filter change starts at the first page.
  let histKey = '';
  let histPages = ['']; // page tokens of the pages seen, the newest page first
  let histAt = 0;
  let histNext = '';
  let histSeq = 0;
  const refreshHistory = async () => {
    const mine = (histSeq += 1);
    const size = Number(pageSize.value) || 50;
    try {
      const res = await get(`/operations${qs({
        pageSize: size, pageToken: histPages[histAt],
        operationType: typeFilter.value, status: statusFilter.value, clusterId: clusterFilter.value,
      })}`);
      if (mine !== histSeq) return;
      const ops = res.operations || [];
      const total = Number(res.totalSize) || 0;
      histNext = res.nextPageToken || '';
      histNewer.disabled = histAt === 0;
      histOlder.disabled = !histNext;
      const first = histAt * size + 1;
      histInfo.dataset.page = String(histAt + 1);
      histInfo.dataset.total = String(total);
      histInfo.textContent = ops.length
        ? `${fmtNum(first)}–${fmtNum(first + ops.length - 1)} of ${fmtNum(total)} · page ${histAt + 1}${histNext ? '' : ' (the oldest)'}`
        : total ? `page ${histAt + 1}: no more operations` : '';
      const key = JSON.stringify([histAt, total, ops.map((o) => [o.id, o.status, o.progressPercent])]) + clusters.length;
      if (key === histKey) return;
      histKey = key;
      const filtered = typeFilter.value || statusFilter.value || clusterFilter.value;
      fill(history, ops.length ? h('table.data#history-table', { 'data-page': histAt + 1 },
        h('thead', h('tr', ['Created', 'Type', 'Source → target', 'Topics', 'Status', 'Progress', 'Took'].map((x) => h('th', x)))),
        h('tbody', ops.map((o) => {
          const took = o.startedAt && o.completedAt ? (new Date(o.completedAt) - new Date(o.startedAt)) / 1000 : null;
          return h('tr', { 'data-operation': o.id, 'data-dry-run': o.dryRun ? 'true' : null, class: o.dryRun ? 'dry-run' : null },
            h('td', h('a', { href: `#/operations/${encodeURIComponent(o.id)}` }, fmtTime(o.createdAt))),
            h('td', { 'data-type': opType(o) }, opType(o).toLowerCase(), o.dryRun ? [' ', h('span.tag.dry-run', { title: 'a preview: nothing was changed' }, 'dry run')] : null),
            h('td', { 'data-clusters': [o.sourceClusterId, ...(o.targetClusterIds || [])].map(name).join(' ') },
              `${name(o.sourceClusterId)} → ${(o.targetClusterIds || []).map(name).join(', ')}`),
            h('td.small', (o.topics || []).length ? o.topics.join(', ') : 'all'),
            h('td', statusBadge(opStatus(o))),
            h('td', progressBar(o.progressPercent, `${Math.floor(o.progressPercent || 0)}%`, { class: 'mini' })),
            h('td', took === null ? '—' : fmtDuration(took)));
        }))) : h('p.muted.pad#history-none', histAt > 0 ? 'No more operations.' : filtered ? 'No operation matches the filters.' : 'No operations yet.'));
    } catch (e) {
      if (mine !== histSeq) return;
      histKey = '';
      histOlder.disabled = true;
      histNewer.disabled = histAt === 0;
      fill(history, h('div.pad', errorBox(e, 'Listing operations failed')));
    }
  };
  const firstHistoryPage = () => {
    histPages = [''];
    histAt = 0;
    histKey = '';
    return refreshHistory();
  };
  [typeFilter, statusFilter, clusterFilter, pageSize].forEach((f) => f.addEventListener('change', firstHistoryPage));
  histOlder.addEventListener('click', () => {
    if (!histNext) return;
    histPages = histPages.slice(0, histAt + 1);
    histPages.push(histNext);
    histAt += 1;
    histKey = '';
    refreshHistory();
  });
  histNewer.addEventListener('click', () => {
    if (histAt === 0) return;
    histAt -= 1;
    histKey = '';
    refreshHistory();
  });

  loadClusters().then(() => refreshHistory());
  return every(3000, refreshHistory);
}

// ---- one operation, live ------------------------------------------------------------------

function mountDetail(root, id) {
  const content = h('div#op-detail', h('p.muted', 'Loading…'));
  const streamInfo = h('span.muted.small#op-stream');
  const cancelBtn = h('button.btn.danger', { type: 'button', id: 'op-cancel', hidden: true }, 'Cancel');
  fill(root,
    h('div.toolbar', h('a.muted', { href: '#/operations' }, '← Operations'), h('h1', 'Operation'), h('span.grow'), streamInfo, cancelBtn),
    content);

  let op = null;
  let name = (x) => x;
  const rates = new Map(); // topic → {copied, at, rate}: the first sample, the rate since
  const ctrl = new AbortController();

  listClusters().then((cs) => {
    name = namer(cs);
    if (op) render();
  }).catch(() => {});

  const topicsOf = (o) => {
    const by = new Map();
    for (const p of o.progress?.partitions || []) {
      const t = by.get(p.topic) || { topic: p.topic, copied: 0, total: 0, bytes: 0, partitions: 0, done: 0 };
      t.copied += num(p.messagesCopied);
      t.total += num(p.messagesTotal);
      t.bytes += num(p.bytesCopied);
      t.partitions += 1;
      if (p.done || num(p.messagesTotal) === 0) t.done += 1;
      by.set(p.topic, t);
    }
    return [...by.values()].sort((a, b) => a.topic.localeCompare(b.topic));
  };

  // Per-topic rate: the average since this page began watching (like the server's overall
  // rate, steadier than event to event); ETA = what is left / rate.
  const track = (o, at) => {
    for (const t of topicsOf(o)) {
      const first = rates.get(t.topic);
      if (!first) rates.set(t.topic, { copied: t.copied, at, rate: null });
      else if (at - first.at >= 250) first.rate = Math.max(0, (t.copied - first.copied) / ((at - first.at) / 1000));
    }
  };

  const render = () => {
    const st = opStatus(op);
    const final = FINAL.has(st);
    const type = opType(op);
    cancelBtn.hidden = final || op.dryRun;
    const p = op.progress || {};
    const pct = st === 'SUCCEEDED' ? 100 : op.progressPercent || 0;
    const overall = progressBar(pct, `${Math.floor(pct)}%`, { id: 'op-progress', 'data-status': st });
    const eta = seconds(p.eta);
    const topicRows = topicsOf(op);
    fill(content,
      h('section.card',
        h('div.head-row',
          h('h2', `${type === 'MIGRATE' ? 'Migration' : type === 'REPLICATE' ? 'Replication' : type.toLowerCase()} ${name(op.sourceClusterId)} → ${(op.targetClusterIds || []).map(name).join(', ')}`),
          h('span.grow'), h('span#op-status', statusBadge(st)), op.dryRun ? h('span.tag', 'dry run') : null),
        h('dl.kv',
          h('dt', 'Topics'), h('dd', (op.topics || []).length ? op.topics.join(', ') : 'every non-internal topic'),
          h('dt', 'Created'), h('dd', fmtTime(op.createdAt)),
          h('dt', 'Started'), h('dd', fmtTime(op.startedAt)),
          h('dt', 'Completed'), h('dd', fmtTime(op.completedAt)),
          type === 'MIGRATE' ? [h('dt', 'Options'), h('dd', [
            op.includeConsumerGroups ? 'with consumer-group offsets' : 'without consumer groups',
            op.preserveTimestamps ? 'timestamps kept' : 'new timestamps',
            op.preservePartitions ? 'partitions kept' : 'target default partitions'].join(' · '))] : null,
          h('dt', 'Id'), h('dd', h('code.small', op.id))),
        op.errorMessage ? h('div.error-box', { role: 'alert' }, h('strong', `${st === 'CANCELLED' ? 'Cancelled' : 'Failed'}: `), op.errorMessage) : null),
      h('section.card',
        h('h2', 'Progress'),
        overall,
        type === 'REPLICATE' ? null : h('div.stats',
          stat('Messages', `${fmtNum(num(p.messagesCopied))} / ${fmtNum(num(p.messagesTotal))}`, 'messages'),
          stat('Copied', fmtBytes(num(p.bytesCopied)), 'bytes'),
          stat('Rate', final ? '—' : `${fmtRate(p.messagesPerSecond, 'msg')} · ${fmtRate(p.bytesPerSecond, 'B')}`, 'rate'),
          stat('ETA', final ? (st === 'SUCCEEDED' ? 'done' : '—') : fmtDuration(eta), 'eta')),
        topicRows.length ? h('table.data.topic-progress#topic-progress',
          h('thead', h('tr', ['Topic', 'Progress', 'Messages', 'Rate', 'ETA'].map((x) => h('th', x)))),
          h('tbody', topicRows.map((t) => {
            const done = t.done === t.partitions || st === 'SUCCEEDED';
            const tp = t.total > 0 ? (100 * t.copied) / t.total : done ? 100 : 0;
            const shownPct = st === 'SUCCEEDED' ? 100 : Math.min(tp, 100);
            const r = rates.get(t.topic)?.rate;
            const left = t.total - t.copied;
            return h('tr', { 'data-topic': t.topic },
              h('td', t.topic),
              h('td.bar-cell', progressBar(shownPct, `${Math.floor(shownPct)}%`, { 'data-topic': t.topic })),
              h('td.num', `${fmtNum(t.copied)} / ${fmtNum(t.total)}`),
              h('td.num', final || done ? '—' : fmtRate(r, 'msg')),
              h('td.num', final || done ? (done ? 'done' : '—') : r > 0 ? fmtDuration(left / r) : '—'));
          }))) : null),
      final ? results(op, name) : null);
  };

  const stat = (label, value, key) => h('div.stat', { 'data-stat': key }, h('span.stat-label', label), h('span.stat-value', value));

  cancelBtn.addEventListener('click', async () => {
    const ok = await confirmDialog({ title: 'Cancel the operation?', body: 'What was copied so far stays on the target.', ok: 'Cancel operation', danger: true });
    if (!ok) return;
    busy(cancelBtn, async () => {
      try {
        op = await post(`/operations/${seg(id)}/cancel`, {});
        notify('info', 'Cancellation requested.');
        render();
      } catch (e) {
        notify('error', `Cancelling failed: ${errorText(e)}`);
      }
    });
  });

  // Watch: the current state first, then every change, until the final state. A broken
  // stream is reopened (a late watcher gets the current state first, so nothing is lost).
  const watch = async () => {
    try {
      op = await get(`/operations/${seg(id)}`);
      render();
    } catch (e) {
      fill(content, errorBox(e, `Loading operation ${id} failed`));
      return;
    }
    let attempt = 0;
    while (!ctrl.signal.aborted && !FINAL.has(opStatus(op))) {
      streamInfo.textContent = 'live';
      streamInfo.classList.add('live');
      try {
        await stream(`/operations/${seg(id)}/events`, (msg) => {
          attempt = 0;
          if (!msg.operation) return;
          op = msg.operation;
          track(op, Date.parse(msg.eventTime) || Date.now());
          render();
        }, { signal: ctrl.signal });
      } catch (e) {
        if (ctrl.signal.aborted) return;
        attempt += 1;
        streamInfo.textContent = `stream interrupted: ${errorText(e)} — retrying`;
        if (attempt >= 3) notify('error', `Progress stream of the operation: ${errorText(e)}`, { key: `op-${id}` });
        await new Promise((r) => setTimeout(r, Math.min(10000, 1000 * attempt)));
        try {
          op = await get(`/operations/${seg(id)}`);
          render();
        } catch {
          // the stream retry reports it
        }
      }
    }
    streamInfo.classList.remove('live');
    streamInfo.textContent = FINAL.has(opStatus(op)) ? `finished ${fmtTime(op.completedAt)}` : '';
  };
  watch();
  return () => ctrl.abort();
}

function results(op, name) {
  if (op.migration) {
    const m = op.migration;
    const ver = m.verification || [];
    return h('section.card#op-results',
      h('h2', 'Result'),
      h('p', m.verified ? h('span.ok-text', '✓ Every partition verified: counts and checksums of source and target match.')
        : ver.length ? h('span.error-text', 'Verification found differences.') : h('span.muted', 'Not verified.')),
      (m.topicsCreated || []).length ? h('p', `Topics created on the target: ${m.topicsCreated.join(', ')}`) : null,
      (m.conflicts || []).length ? h('div.error-box', h('ul', m.conflicts.map((c) => h('li', c)))) : null,
      ver.length ? h('table.data.compact',
        h('thead', h('tr', ['Topic', 'Partition', 'Source count', 'Target count', 'Source checksum', 'Target checksum', ''].map((x) => h('th', x)))),
        h('tbody', ver.map((v) => h('tr', { class: v.matched ? '' : 'diff' },
          h('td', v.topic), h('td.num', String(v.partition)), h('td.num', fmtNum(num(v.sourceCount))), h('td.num', fmtNum(num(v.targetCount))),
          h('td', h('code.small', v.sourceChecksum)), h('td', h('code.small', v.targetChecksum)), h('td', v.matched ? '✓' : '✗'))))) : null,
      (m.consumerGroups || []).length ? [h('h3', 'Consumer-group offsets translated'),
        h('table.data.compact', h('thead', h('tr', ['Group', 'Topic', 'Partition', 'Source offset', 'Target offset'].map((x) => h('th', x)))),
          h('tbody', m.consumerGroups.flatMap((g) => (g.offsets || []).map((o) => h('tr',
            h('td', g.groupId), h('td', o.topic), h('td.num', String(o.partition)), h('td.num', fmtNum(num(o.sourceOffset))), h('td.num', fmtNum(num(o.targetOffset))))))))] : null);
  }
  if (op.replication) {
    return h('section.card#op-results',
      h('h2', op.dryRun ? 'Result of the dry run (nothing was changed)' : 'Result'),
      replicationTargets(op.replication.targets || [], name, { dryRun: op.dryRun }));
  }
  return null;
}

/** How one topic differs: only what differs, e.g. "partitions 2 vs 3, retention.ms: 1 vs 2". */
function describeDifference(d) {
  const parts = [];
  if (d.sourcePartitions !== d.targetPartitions) parts.push(`partitions ${d.sourcePartitions ?? 0} vs ${d.targetPartitions ?? 0}`);
  if (d.sourceReplicationFactor !== d.targetReplicationFactor) parts.push(`replication factor ${d.sourceReplicationFactor ?? 0} vs ${d.targetReplicationFactor ?? 0}`);
  for (const c of d.configDifferences || []) parts.push(`${c.key}: ${c.sourceValue || '∅'} vs ${c.targetValue || '∅'}`);
  return `${d.topic} (${parts.join(', ') || 'differs'}; source vs target)`;
}

/** Per target of a replication (or its dry run): created / matching / conflicts / error. */
function replicationTargets(targets, name, { dryRun = false } = {}) {
  if (!targets.length) return h('p.muted', 'No target was handled.');
  const list = (xs) => (xs.length ? xs.join(', ') : 'none');
  return targets.map((t) => {
    const created = t.topicsCreated || [];
    const matching = t.topicsMatching || [];
    const conflicts = t.conflicts || [];
    return h('div.target-plan', { 'data-target': name(t.targetClusterId) },
      h('h4', `→ ${name(t.targetClusterId)}`),
      t.error ? h('div.error-box', { role: 'alert' }, t.error) : null,
      h('ul',
        h('li', { 'data-plan': 'create' }, h('span.plan-label', dryRun ? 'would create:' : 'created:'), ` ${list(created)}`),
        h('li', { 'data-plan': 'matching' }, h('span.plan-label', 'already matching:'), ` ${list(matching)}`),
        h('li.conflicts', { 'data-plan': 'conflicts', class: conflicts.length ? 'error-text' : null },
          h('span.plan-label', dryRun ? 'conflicts (left as they are):' : 'conflicts:'),
          conflicts.length ? h('ul', conflicts.map((d) => h('li', { 'data-topic': d.topic }, describeDifference(d)))) : ' none')));
  });
}
