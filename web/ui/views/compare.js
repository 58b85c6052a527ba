// Compare two clusters side by side (GET /operations/compare): configuration, topics and,
// optionally, message counts; what differs is highlighted.

import { get, num, qs, seg } from '../api.js';
import { busy, errorBox, fill, fmtNum, go, h } from '../dom.js';
import { listClusters } from './common.js';

export function mount(root, _params, query) {
  const source = h('select', { id: 'cmp-source', 'aria-label': 'Source cluster' });
  const target = h('select', { id: 'cmp-target', 'aria-label': 'Target cluster' });
  const data = h('input', { type: 'checkbox', id: 'cmp-data', checked: query.data !== '0' });
  const run = h('button.btn.primary', { type: 'submit', id: 'cmp-run' }, 'Compare');
  const swap = h('button.btn', { type: 'button', id: 'cmp-swap', title: 'Swap source and target' }, '⇄');
  const result = h('div#compare-result');
  const form = h('form.card.inline-form#compare-form', { novalidate: true },
    h('label.field', h('span.label', 'Source'), source), swap,
    h('label.field', h('span.label', 'Target'), target),
    h('label.check', data, ' compare message counts'),
    run);
  fill(root, h('div.toolbar', h('h1', 'Compare clusters')), form, result);

  const load = async () => {
    try {
      const clusters = await listClusters();
      const opts = (sel, want) => fill(sel, h('option', { value: '' }, 'Choose…'), clusters.map((c) => h('option', { value: c.name, selected: c.name === want }, c.name)));
      opts(source, query.source || '');
      opts(target, query.target || '');
      if (query.source && query.target) compare();
    } catch (e) {
      fill(result, errorBox(e, 'Listing clusters failed'));
    }
  };

  const compare = () => busy(run, async () => {
    if (!source.value || !target.value) {
      fill(result, errorBox(new Error('choose two clusters')));
      return;
    }
    fill(result, h('p.muted', 'Comparing…'));
    const s = source.value;
    const t = target.value;
    try {
      const [r, st, tt] = await Promise.all([
        get(`/operations/compare${qs({ sourceCluster: s, targetCluster: t, includeData: data.checked ? 'true' : '' })}`),
        get(`/clusters/${seg(s)}/topics`).catch(() => null),
        get(`/clusters/${seg(t)}/topics`).catch(() => null),
      ]);
      fill(result, render(r, st?.topics || [], tt?.topics || [], data.checked));
    } catch (e) {
      fill(result, errorBox(e, 'The comparison failed'));
    }
  });

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const want = `/compare?source=${encodeURIComponent(source.value)}&target=${encodeURIComponent(target.value)}&data=${data.checked ? 1 : 0}`;
    if (location.hash !== `#${want}`) history.replaceState(null, '', `#${want}`);
    compare();
  });
  swap.addEventListener('click', () => {
    const a = source.value;
    source.value = target.value;
    target.value = a;
  });
  load();
  return () => {};
}

const cell = (text, differs, attrs = {}) => h('td', { ...attrs, class: [attrs.class, differs ? 'diff' : ''].filter(Boolean).join(' ') }, text);

function render(r, sourceTopics, targetTopics, withData) {
  const sum = r.summary || {};
  const src = r.sourceCluster;
  const tgt = r.targetCluster;
  const diffCount = num(sum.configDifferences) + num(sum.topicsOnlyInSource) + num(sum.topicsOnlyInTarget) +
    num(sum.topicsWithDifferentConfig) + num(sum.partitionsWithDifferentCounts);
  const headline = sum.identical
    ? h('div.summary-box.same#compare-summary', { 'data-identical': 'true' }, h('strong', 'No differences'), ` between ${src} and ${tgt} in what was compared.`)
    : h('div.summary-box.differ#compare-summary', { 'data-identical': 'false' }, h('strong', `${diffCount} difference${diffCount === 1 ? '' : 's'}`), ` between ${src} and ${tgt}.`);

  // configuration
  const configs = r.configDifferences || [];
  const configTable = configs.length
    ? h('table.data.side#config-diff',
      h('thead', h('tr', h('th', 'Setting'), h('th', src), h('th', tgt))),
      h('tbody', configs.map((d) => h('tr.diff-row', h('td', h('code', d.key)), cell(d.sourceValue || '∅', true), cell(d.targetValue || '∅', true)))))
    : h('p.muted', 'The clusters\' configurations do not differ.');

  // topics: every topic on either side, differences highlighted
  const bySrc = new Map(sourceTopics.filter((x) => !x.internal).map((x) => [x.name, x]));
  const byTgt = new Map(targetTopics.filter((x) => !x.internal).map((x) => [x.name, x]));
  const onlySrc = new Set(r.topicsOnlyInSource || []);
  const onlyTgt = new Set(r.topicsOnlyInTarget || []);
  const differ = new Map((r.topicsWithDifferentConfig || []).map((d) => [d.topic, d]));
  const counts = new Map();
  for (const m of r.messageCountDifferences || []) {
    const c = counts.get(m.topic) || [];
    c.push(m);
    counts.set(m.topic, c);
  }
  const names = [...new Set([...bySrc.keys(), ...byTgt.keys(), ...onlySrc, ...onlyTgt, ...differ.keys(), ...counts.keys()])].sort();
  const side = (topic, isSrc) => {
    const t = (isSrc ? bySrc : byTgt).get(topic);
    const d = differ.get(topic);
    const missing = isSrc ? onlyTgt.has(topic) : onlySrc.has(topic);
    if (missing) return cell('— not present', true, { class: 'missing' });
    const onlyHere = isSrc ? onlySrc.has(topic) : onlyTgt.has(topic);
    const parts = d ? (isSrc ? d.sourcePartitions : d.targetPartitions) : t?.partitions;
    const rf = d ? (isSrc ? d.sourceReplicationFactor : d.targetReplicationFactor) : t?.replicationFactor;
    const partsDiff = d && d.sourcePartitions !== d.targetPartitions;
    const rfDiff = d && d.sourceReplicationFactor !== d.targetReplicationFactor;
    const msgs = t ? num(t.messageCount) : null;
    const countDiff = counts.has(topic);
    return h('td', { class: onlyHere || partsDiff || rfDiff || countDiff || (d?.configDifferences || []).length ? 'diff' : '' },
      h('span', { class: partsDiff ? 'hl' : '' }, `${parts ?? '?'} partition${parts === 1 ? '' : 's'}`), ' · ',
      h('span', { class: rfDiff ? 'hl' : '' }, `RF ${rf ?? '?'}`),
      withData && msgs !== null ? [' · ', h('span', { class: countDiff ? 'hl' : '' }, `${fmtNum(msgs)} messages`)] : null,
      (d?.configDifferences || []).map((c) => h('div.small.hl', `${c.key} = ${(isSrc ? c.sourceValue : c.targetValue) || '∅'}`)));
  };
  const topicTable = names.length
    ? h('table.data.side#topic-diff',
      h('thead', h('tr', h('th', 'Topic'), h('th', src), h('th', tgt))),
      h('tbody', names.map((n) => h('tr', { 'data-topic': n, class: onlySrc.has(n) || onlyTgt.has(n) || differ.has(n) || counts.has(n) ? 'diff-row' : '' },
        h('td', n), side(n, true), side(n, false)))))
    : h('p.muted', 'Neither cluster has topics.');

  // message counts
  const mcd = r.messageCountDifferences || [];
  const dataSection = withData
    ? h('section.card',
      h('h2', 'Messages'),
      h('table.data.side#message-totals',
        h('thead', h('tr', h('th', ''), h('th', src), h('th', tgt))),
        h('tbody', h('tr', h('td', 'All topics'),
          cell(fmtNum(num(sum.sourceMessages)), num(sum.sourceMessages) !== num(sum.targetMessages)),
          cell(fmtNum(num(sum.targetMessages)), num(sum.sourceMessages) !== num(sum.targetMessages))))),
      mcd.length
        ? h('table.data.side#partition-diff',
          h('thead', h('tr', h('th', 'Topic / partition'), h('th', src), h('th', tgt), h('th', 'Difference'))),
          h('tbody', mcd.map((m) => h('tr.diff-row', h('td', `${m.topic} / ${m.partition}`),
            cell(fmtNum(num(m.sourceCount)), true), cell(fmtNum(num(m.targetCount)), true), h('td.num', fmtNum(num(m.difference)))))))
        : h('p.muted', 'Every partition holds the same number of messages on both sides.'))
    : null;

  return h('div',
    headline,
    (r.notCompared || []).length ? h('div.note-box', h('strong', 'Not compared: '), h('ul', r.notCompared.map((n) => h('li', n)))) : null,
    h('section.card', h('h2', 'Configuration'), configTable),
    h('section.card', h('h2', 'Topics'), topicTable),
    dataSection,
    h('p', h('a', { href: '#', onclick: (ev) => { ev.preventDefault(); go(`/operations?kind=migrate&source=${encodeURIComponent(src)}&target=${encodeURIComponent(tgt)}`); } }, `Migrate ${src} → ${tgt}…`)));
}
