// The Access page (#/access): who the caller is, the clusters it may see with its actions
// there, its tokens (a new one's secret is shown once; revoke), and for admins the grants of
// any principal and the audit log.

import { del, get, post, qs, seg } from '../api.js';
import {
  badge, busy, confirmDialog, copyButton, errorBox, errorText, field, fill, fmtTime, h, notify,
  parsePairs, select,
} from '../dom.js';
import { listClusters } from './common.js';

/** The built-in roles and what they allow (src/core/access.rs). */
export const ROLES = {
  admin: 'every action, and tokens, grants and the audit log',
  editor: 'every action on clusters except admin',
  operator: 'view, operate, topics.read, messages.read',
  viewer: 'view, topics.read',
};

/** Every action a grant may name. */
export const ACTIONS = ['view', 'operate', 'configure', 'topics.read', 'topics.write', 'messages.read',
  'messages.produce', 'groups.write', 'operations.run', 'admin'];

const TTLS = [
  { value: '3600s', label: '1 hour' },
  { value: '86400s', label: '1 day' },
  { value: '604800s', label: '7 days' },
  { value: '2592000s', label: '30 days' },
  { value: '7776000s', label: '90 days' },
  { value: '31536000s', label: '1 year' },
  { value: '', label: 'never' },
];

const AUDIT_PAGE = 50;

const selectorIsEmpty = (s) => !s || (!(s.clusterIds || []).length && !s.namePattern && !s.environment &&
  !Object.keys(s.tags || {}).length);

/** Whether WhoAmI's answer makes the caller an admin (the admin action on every cluster). */
export const isAdmin = (who) => (who?.grants || []).some((g) =>
  (g.role === 'admin' || (g.actions || []).includes('admin')) && selectorIsEmpty(g.clusters));

/** active, expired or revoked. */
export function tokenState(t, now = Date.now()) {
  if (t.revokedAt) return 'revoked';
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return 'expired';
  return 'active';
}

function describeSelector(s, clusterName = (x) => x) {
  if (selectorIsEmpty(s)) return 'every cluster';
  const parts = [];
  if ((s.clusterIds || []).length) parts.push(`cluster${s.clusterIds.length === 1 ? '' : 's'} ${s.clusterIds.map(clusterName).join(', ')}`);
  if (s.namePattern) parts.push(`name ${s.namePattern}`);
  if (s.environment) parts.push(`environment ${s.environment}`);
  const tags = Object.entries(s.tags || {}).sort(([a], [b]) => a.localeCompare(b));
  if (tags.length) parts.push(`tags ${tags.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  return parts.join(' · ');
}

function grantWhat(g) {
  const parts = [];
  if (g.role) parts.push(`role ${g.role}`);
  if ((g.actions || []).length) parts.push(g.actions.join(', '));
  return parts.join(' + ') || '—';
}

/** ok, denied (PERMISSION_DENIED, UNAUTHENTICATED) or failed (any other code). */
const outcomeKind = (o) => (o === 'OK' ? 'ok' : o === 'PERMISSION_DENIED' || o === 'UNAUTHENTICATED' ? 'denied' : 'failed');
const shortMethod = (m) => String(m || '').replace(/^lkm\.v1\./, '');
const actionChips = (xs) => ((xs || []).length
  ? h('span.tags', xs.map((a) => h('span.tag', { 'data-action-name': a }, a)))
  : h('span.muted', 'none'));
const adminNote = (what, who) => h('div.note-box', { 'data-admin-only': 'true' },
  `${what} needs admin${who?.principal ? `, and ${who.principal} is not an admin` : ''}. `,
  'Ask an admin for a grant with the admin role (or the admin action) on every cluster.');

function mountAccess(root, _params, query) {
  let who = null; // the WhoAmI answer
  let admin = null; // null: not known (WhoAmI failed)
  let clusters = []; // what the caller may view: names, environments, pickers
  let tokens = [];
  const known = new Set(['admin']); // principals met: suggestions for the principal fields
  const clusterName = (id) => clusters.find((c) => c.id === id)?.name || id;

  const principalList = h('datalist#known-principals');
  const envList = h('datalist#known-environments');
  const noteKnown = (...names) => {
    const before = known.size;
    names.filter(Boolean).forEach((n) => known.add(n));
    if (known.size !== before || !principalList.children.length) {
      fill(principalList, [...known].sort().map((n) => h('option', { value: n })));
    }
  };

  // who am I, my clusters
  const whoBox = h('div#whoami', h('p.muted', 'Loading…'));
  const mineBox = h('div#my-clusters', h('p.muted.pad', 'Loading…'));

  // tokens
  const tokenName = h('input', { id: 'token-name', maxlength: '100', placeholder: 'ci, laptop, …', autocomplete: 'off' });
  const tokenTtl = select({ id: 'token-ttl' }, TTLS, '2592000s');
  const tokenPrincipal = h('input', { id: 'token-principal', list: 'known-principals', placeholder: 'yourself', autocomplete: 'off' });
  const tokenPrincipalField = field('For principal', tokenPrincipal, 'empty: yourself; another (new) principal: admin only');
  tokenPrincipalField.hidden = true;
  const tokenCreate = h('button.btn.primary', { type: 'submit', id: 'token-create' }, 'Create token');
  const tokenError = h('div');
  const secretBox = h('div#token-secret-box');
  const tokenForm = h('form.inline-form#token-form', { novalidate: true },
    field('Name', tokenName, 'what it is for'), field('Expires after', tokenTtl), tokenPrincipalField, tokenCreate);
  const showInactive = h('input', { type: 'checkbox', id: 'tokens-inactive', checked: true });
  const tokensHead = h('span.muted.small#tokens-scope');
  const tokensBox = h('div#tokens-list', h('p.muted', 'Loading…'));
  const tokenAuthNote = h('div');

  // grants
  const grantsContent = h('div#grants-content', h('p.muted', 'Loading…'));
  const grantsPrincipal = h('input', { id: 'grants-principal', list: 'known-principals', autocomplete: 'off', placeholder: 'e.g. alice', value: query.principal || '' });
  const grantsShow = h('button.btn', { type: 'submit', id: 'grants-show' }, 'Show grants');
  const grantsLookup = h('form.inline-form#grants-lookup', { novalidate: true },
    field('Principal', grantsPrincipal, 'lowercase letters, digits, . _ - @; a new name becomes a principal with its first grant'), grantsShow);
  const grantsBox = h('div#grants-list');
  const roleSelect = select({ id: 'grant-role' }, [{ value: '', label: 'no role (actions only)' }, ...Object.keys(ROLES)], 'viewer');
  const roleHint = h('span.hint#grant-role-hint');
  const actionsBox = h('div.checks#grant-actions', ACTIONS.map((a) => h('label.check', h('input', { type: 'checkbox', value: a }), ` ${a}`)));
  const clusterChecks = h('div.checks#grant-cluster-ids', h('span.muted.small', 'No clusters.'));
  const namePattern = h('input', { id: 'grant-name-pattern', placeholder: 'team-a-*', autocomplete: 'off' });
  const environment = h('input', { id: 'grant-environment', list: 'known-environments', placeholder: 'dev', autocomplete: 'off' });
  const tagsInput = h('input', { id: 'grant-tags', placeholder: 'team=a, tier=gold', autocomplete: 'off' });
  const grantTarget = h('span#grant-target');
  const grantSubmit = h('button.btn.primary', { type: 'submit', id: 'grant-submit' }, 'Grant');
  const grantError = h('div');
  const grantForm = h('form#grant-form', { novalidate: true },
    h('h3', 'Add a grant', grantTarget),
    h('div.grid2', field('Role', roleSelect, roleHint), field('Actions', actionsBox, 'granted in addition to the role\'s')),
    h('h4', 'On clusters'),
    h('p.muted.small', 'Every criterion set must match. None set: every cluster, including ones created later.'),
    h('div.grid3',
      field('Environment', environment),
      field('Name pattern', namePattern, '* matches anything, e.g. team-a-*'),
      field('Tags', tagsInput, 'key=value, comma-separated; the cluster must carry them all')),
    field('Clusters', clusterChecks, 'none checked: not limited to particular clusters'),
    grantError,
    h('div.actions', grantSubmit));

  // audit log
  const auditContent = h('div#audit-content', h('p.muted.pad', 'Loading…'));
  const auditCluster = h('select', { id: 'audit-cluster' }, h('option', { value: '' }, 'Any cluster'));
  const auditPrincipal = h('input', { id: 'audit-principal', list: 'known-principals', placeholder: 'any principal', autocomplete: 'off' });
  const auditSince = h('input', { id: 'audit-since', type: 'datetime-local', step: '1' });
  const auditApply = h('button.btn', { type: 'submit', id: 'audit-apply' }, 'Apply');
  const auditClear = h('button.btn.ghost', { type: 'button', id: 'audit-clear' }, 'Clear');
  const auditFilters = h('form.inline-form.pad#audit-filters', { novalidate: true },
    field('Cluster', auditCluster), field('Principal', auditPrincipal), field('Since (local time)', auditSince), auditApply, auditClear);
  const auditBox = h('div#audit-list');
  const auditNewer = h('button.btn.small', { type: 'button', id: 'audit-newer', disabled: true }, '← Newer');
  const auditOlder = h('button.btn.small', { type: 'button', id: 'audit-older', disabled: true }, 'Older →');
  const auditPageInfo = h('span.muted.small#audit-page');
  const auditPager = h('div.pager.pad', auditPageInfo, h('span.grow'), auditNewer, auditOlder);

  const refresh = h('button.btn', { type: 'button', id: 'access-refresh' }, 'Refresh');
  fill(root,
    principalList, envList,
    h('div.toolbar', h('h1', 'Access'), h('span.grow'), refresh),
    h('section.card#whoami-card', h('h2', 'Who am I'), whoBox),
    h('section.card.flush#my-clusters-card', h('div.card-head', h('h2', 'My clusters and actions')), mineBox),
    h('section.card#tokens-card',
      h('div.card-head', h('h2', 'Tokens'), tokensHead, h('span.grow'), h('label.check', showInactive, ' show expired and revoked')),
      tokenAuthNote, tokenForm, tokenError, secretBox, tokensBox),
    h('section.card#grants-card', h('h2', 'Grants'), grantsContent),
    h('section.card.flush#audit-card', h('div.card-head', h('h2', 'Audit log'),
      h('span.muted.small', 'every call that changes something, and every denied call; newest first')), auditContent));

  // ---- who am I ----

  const renderWho = () => {
    const t = who.token;
    const rows = [
      h('dt', 'Principal'), h('dd', h('strong#whoami-principal', { 'data-principal': who.principal }, who.principal || '—')),
      h('dt', 'Admin'), h('dd', h('span#whoami-admin', { 'data-admin': String(admin) },
        admin ? 'yes: every action on every cluster, tokens, grants and the audit log' : 'no')),
    ];
    if (who.authentication) {
      rows.push(h('dt', 'Token'), h('dd#whoami-token', t
        ? [h('strong', t.name || '(no name)'), ' ', h('code.small', t.id),
          h('div.small.muted', `created ${fmtTime(t.createdAt)} · expires ${t.expiresAt ? fmtTime(t.expiresAt) : 'never'}`,
            ' · the token this browser tab sends (its secret is never shown again)')]
        : h('span.muted', 'none')));
    }
    rows.push(h('dt', 'Grants'), h('dd', (who.grants || []).length
      ? h('ul.plain#whoami-grants', who.grants.map((g) => h('li', { 'data-grant': g.id || null },
        h('strong', grantWhat(g)), ` on ${describeSelector(g.clusters, clusterName)}`)))
      : h('span.muted#whoami-grants', 'none: this principal may see no cluster')));
    fill(whoBox,
      who.authentication ? null : h('div.note-box#auth-off', { 'data-auth': 'off' },
        h('strong', 'Authentication is off on this server. '),
        `lkm runs with --no-auth (it allows that on a loopback listener only): no token is needed or checked, and every caller is "${who.principal || 'anonymous'}" with every right. `,
        'Tokens and grants can still be managed here; they take effect once authentication is on.'),
      h('dl.kv', rows));
  };

  const loadWho = async () => {
    try {
      who = await get('/access/whoami');
      admin = isAdmin(who);
      noteKnown(who.principal);
      renderWho();
    } catch (e) {
      who = null;
      admin = null;
      fill(whoBox, errorBox(e, 'Who am I (GET /access/whoami) failed'));
    }
  };

  // ---- my clusters ----

  const loadMine = async () => {
    try {
      const res = await get('/access/clusters');
      const mine = (res.clusters || []).slice().sort((a, b) => a.name.localeCompare(b.name));
      fill(mineBox, mine.length
        ? h('table.data#my-clusters-table',
          h('thead', h('tr', h('th', 'Cluster'), h('th', 'Actions'))),
          h('tbody', mine.map((c) => h('tr', { 'data-cluster': c.name, 'data-actions': (c.actions || []).join(' ') },
            h('td', h('a', { href: `#/clusters/${encodeURIComponent(c.name)}` }, c.name)),
            h('td', actionChips(c.actions))))))
        : h('p.muted.pad#my-clusters-none', 'No cluster you may see.'));
    } catch (e) {
      fill(mineBox, h('div.pad', errorBox(e, 'Listing your clusters (GET /access/clusters) failed')));
    }
  };

  const loadClusters = async () => {
    try {
      clusters = await listClusters();
    } catch {
      clusters = []; // names stay ids; the sections that need clusters say so themselves
    }
    const envs = [...new Set(clusters.map((c) => c.environment).filter(Boolean))].sort();
    fill(envList, envs.map((e) => h('option', { value: e })));
    const checked = new Set([...clusterChecks.querySelectorAll('input:checked')].map((i) => i.value));
    fill(clusterChecks, clusters.length
      ? clusters.map((c) => h('label.check', h('input', { type: 'checkbox', value: c.id, checked: checked.has(c.id) }), ` ${c.name}`))
      : h('span.muted.small', 'No clusters.'));
    const cur = auditCluster.value;
    fill(auditCluster, h('option', { value: '' }, 'Any cluster'),
      clusters.map((c) => h('option', { value: c.id, selected: c.id === cur }, c.name)));
  };

  // ---- tokens ----

  const renderTokens = () => {
    const now = Date.now();
    const current = who?.token?.id;
    const shown = tokens
      .filter((t) => showInactive.checked || tokenState(t, now) === 'active')
      .sort((a, b) => String(b.createdAt || '').localeCompare(String(a.createdAt || '')));
    tokensHead.textContent = admin ? 'every principal\'s' : who ? `${who.principal}'s` : '';
    if (!shown.length) {
      fill(tokensBox, h('p.muted#tokens-none', tokens.length ? 'No active tokens (expired and revoked ones are hidden).' : 'No tokens.'));
      return;
    }
    fill(tokensBox, h('table.data#tokens-table',
      h('thead', h('tr', ['Name', 'Principal', 'Created', 'Expires', 'Last used', 'State', ''].map((x) => h('th', x)))),
      h('tbody', shown.map((t) => {
        const st = tokenState(t, now);
        return h('tr', { 'data-token': t.id, 'data-state': st, 'data-principal': t.principal, 'data-name': t.name, class: st === 'active' ? null : 'inactive' },
          h('td', h('strong', t.name || '(no name)'), t.id === current ? [' ', h('span.tag', { title: 'the token this browser tab sends' }, 'this tab')] : null,
            h('div', h('code.small', t.id))),
          h('td', t.principal),
          h('td', fmtTime(t.createdAt)),
          h('td', { class: st === 'expired' ? 'error-text' : null }, t.expiresAt ? fmtTime(t.expiresAt) : 'never'),
          h('td', t.lastUsedAt ? fmtTime(t.lastUsedAt) : h('span.muted', 'not yet')),
          h('td', badge(st), st === 'revoked' ? h('div.small.muted', fmtTime(t.revokedAt)) : null),
          h('td.right', st === 'revoked' ? null : h('button.btn.small.danger', {
            type: 'button', 'data-action': 'revoke-token', onclick: () => revokeToken(t),
          }, 'Revoke')));
      }))));
  };

  const loadTokens = async () => {
    try {
      const res = await get('/access/tokens');
      tokens = res.tokens || [];
      noteKnown(...tokens.map((t) => t.principal));
      renderTokens();
    } catch (e) {
      fill(tokensBox, errorBox(e, 'Listing tokens (GET /access/tokens) failed'));
    }
  };

  const revokeToken = async (t) => {
    const mine = t.id === who?.token?.id;
    const ok = await confirmDialog({
      title: `Revoke the token "${t.name || t.id}"?`,
      body: h('div',
        h('p', `Calls with this token of ${t.principal} are refused from the next call on. This cannot be undone.`),
        mine ? h('p.error-text', 'This browser tab uses this token: lkm will ask for another one.') : null),
      ok: 'Revoke',
      danger: true,
    });
    if (!ok) return;
    try {
      await del(`/access/tokens/${seg(t.id)}`);
      notify('success', `Token "${t.name || t.id}" revoked.`);
    } catch (e) {
      notify('error', `Revoking the token failed: ${errorText(e)}`);
    }
    await loadTokens();
  };

  const showSecret = (res) => {
    const t = res.token || {};
    fill(secretBox, h('div.success-box.secret-box', { role: 'status' },
      h('strong', `Token "${t.name || t.id}" created for ${t.principal}${t.expiresAt ? `, valid until ${fmtTime(t.expiresAt)}` : ', never expires'}.`),
      h('p.once#token-secret-once', h('strong', 'Shown only now: '),
        'copy the secret and keep it safe. lkm stores only its hash and cannot show it again; leaving this page or hiding this box loses it.'),
      h('div.secret-row', h('code.secret#token-secret', res.secret), copyButton(res.secret, 'Copy secret')),
      h('p.small', 'Send it as ', h('code', 'Authorization: Bearer <secret>'), ', or pass it to the lkm CLI or the dashboard\'s Token button.'),
      h('div.actions', h('button.btn.small', { type: 'button', id: 'token-secret-hide', onclick: () => fill(secretBox) }, 'I have copied it: hide'))));
  };

  tokenForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(tokenCreate, async () => {
      fill(tokenError);
      fill(secretBox);
      const body = { name: tokenName.value.trim() };
      if (tokenTtl.value) body.ttl = tokenTtl.value;
      if (!tokenPrincipalField.hidden && tokenPrincipal.value.trim()) body.principal = tokenPrincipal.value.trim();
      try {
        const res = await post('/access/tokens', body);
        showSecret(res);
        tokenName.value = '';
        notify('success', `Token "${res.token?.name || res.token?.id}" created.`);
      } catch (e) {
        fill(tokenError, errorBox(e, 'Creating the token failed'));
        return;
      }
      await loadTokens();
    });
  });
  showInactive.addEventListener('change', renderTokens);

  // ---- grants (admin) ----

  let grantsOf = '';
  const loadGrants = async () => {
    const p = grantsPrincipal.value.trim();
    grantsOf = p;
    grantTarget.textContent = p ? ` for ${p}` : '';
    if (!p) {
      fill(grantsBox, h('p.muted', 'Enter a principal to see and change its grants.'));
      return;
    }
    fill(grantsBox, h('p.muted', 'Loading…'));
    try {
      const res = await get(`/access/principals/${seg(p)}/grants`);
      if (grantsOf !== p) return;
      noteKnown(p);
      const grants = res.grants || [];
      fill(grantsBox, grants.length
        ? h('table.data#grants-table', { 'data-principal': p },
          h('thead', h('tr', ['Role and actions', 'On clusters', 'Created', 'By', ''].map((x) => h('th', x)))),
          h('tbody', grants.map((g) => h('tr', { 'data-grant': g.id, 'data-role': g.role || '', 'data-actions': (g.actions || []).join(' ') },
            h('td', g.role ? h('strong', g.role) : null, g.role && (g.actions || []).length ? ' + ' : null,
              (g.actions || []).length ? actionChips(g.actions) : null),
            h('td.selector', describeSelector(g.clusters, clusterName)),
            h('td', fmtTime(g.createdAt)),
            h('td', g.createdBy || '—'),
            h('td.right', h('button.btn.small.danger', { type: 'button', 'data-action': 'revoke-grant', onclick: () => revokeGrant(p, g) }, 'Revoke'))))))
        : h('p.muted#grants-none', { 'data-principal': p }, `${p} has no grants: it may see no cluster.`));
    } catch (e) {
      if (grantsOf === p) fill(grantsBox, errorBox(e, `Listing the grants of ${p} failed`));
    }
  };

  const revokeGrant = async (p, g) => {
    const self = p === who?.principal && (g.role === 'admin' || (g.actions || []).includes('admin')) && selectorIsEmpty(g.clusters);
    const ok = await confirmDialog({
      title: `Revoke a grant of ${p}?`,
      body: h('div',
        h('p', `${grantWhat(g)} on ${describeSelector(g.clusters, clusterName)}. ${p} keeps only what its other grants allow, from its next call on.`),
        self ? h('p.error-text', 'This is an admin grant of yours: without another one you lose admin, and this page its admin sections.') : null),
      ok: 'Revoke grant',
      danger: true,
    });
    if (!ok) return;
    try {
      await del(`/access/principals/${seg(p)}/grants/${seg(g.id)}`);
      notify('success', `Grant revoked from ${p}.`);
    } catch (e) {
      notify('error', `Revoking the grant failed: ${errorText(e)}`);
    }
    await loadGrants();
    if (p === who?.principal) await loadWho();
  };

  const syncRole = () => {
    roleHint.textContent = roleSelect.value ? `${roleSelect.value}: ${ROLES[roleSelect.value]}` : 'only the actions checked';
  };
  roleSelect.addEventListener('change', syncRole);
  syncRole();

  grantsLookup.addEventListener('submit', (ev) => {
    ev.preventDefault();
    loadGrants();
  });

  grantForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(grantSubmit, async () => {
      fill(grantError);
      const p = grantsPrincipal.value.trim();
      try {
        if (!p) throw new Error('enter the principal to grant to (above)');
        const actions = [...actionsBox.querySelectorAll('input:checked')].map((i) => i.value);
        if (!roleSelect.value && !actions.length) throw new Error('choose a role or at least one action');
        const selector = {};
        const ids = [...clusterChecks.querySelectorAll('input:checked')].map((i) => i.value);
        if (ids.length) selector.clusterIds = ids;
        if (namePattern.value.trim()) selector.namePattern = namePattern.value.trim();
        if (environment.value.trim()) selector.environment = environment.value.trim();
        const tags = parsePairs(tagsInput.value, 'tag');
        if (Object.keys(tags).length) selector.tags = tags;
        const grant = { actions };
        if (roleSelect.value) grant.role = roleSelect.value;
        if (Object.keys(selector).length) grant.clusters = selector;
        const g = await post(`/access/principals/${seg(p)}/grants`, grant);
        notify('success', `Granted ${grantWhat(g)} on ${describeSelector(g.clusters, clusterName)} to ${p}.`);
        actionsBox.querySelectorAll('input:checked').forEach((i) => { i.checked = false; });
      } catch (e) {
        fill(grantError, errorBox(e, 'Granting failed'));
        return;
      }
      await loadGrants();
      if (p === who?.principal) await loadWho();
    });
  });

  const renderGrantsSection = () => {
    if (admin === false) {
      fill(grantsContent, adminNote('Managing grants', who),
        h('p.muted.small', 'Your own grants are listed under Who am I.'));
      return;
    }
    if (!grantsPrincipal.value) grantsPrincipal.value = who?.principal || '';
    fill(grantsContent, grantsLookup, grantsBox, grantForm);
    loadGrants();
  };

  // ---- audit log (admin) ----

  let auditPages = ['']; // the page tokens of the pages seen, newest first
  let auditAt = 0;
  let auditNext = '';

  const loadAudit = async () => {
    const token = auditPages[auditAt];
    let since = '';
    if (auditSince.value) {
      const d = new Date(auditSince.value);
      if (Number.isNaN(d.getTime())) {
        fill(auditBox, h('div.pad', errorBox(new Error(`"${auditSince.value}" is not a date and time`))));
        return;
      }
      since = d.toISOString();
    }
    fill(auditBox, h('p.muted.pad', 'Loading…'));
    try {
      const res = await get(`/audit/events${qs({
        clusterId: auditCluster.value, principal: auditPrincipal.value.trim(), since, pageSize: AUDIT_PAGE, pageToken: token,
      })}`);
      const events = res.events || [];
      auditNext = res.nextPageToken || '';
      noteKnown(...events.map((e) => e.principal));
      auditNewer.disabled = auditAt === 0;
      auditOlder.disabled = !auditNext;
      auditPageInfo.textContent = events.length
        ? `page ${auditAt + 1} · ${events.length} event${events.length === 1 ? '' : 's'}${auditNext ? ', older ones on the next page' : ''}`
        : '';
      fill(auditBox, events.length
        ? h('table.data#audit-table',
          h('thead', h('tr', ['Time', 'Principal', 'Method', 'Cluster / operation', 'Outcome', 'Message'].map((x) => h('th', x)))),
          h('tbody', events.map((e) => {
            const kind = outcomeKind(e.outcome);
            return h('tr', { 'data-event': e.id, 'data-outcome': e.outcome, 'data-method': e.method, 'data-principal': e.principal, class: kind === 'ok' ? null : kind },
              h('td.time', { title: e.time || '' }, fmtTime(e.time)),
              h('td', e.principal),
              h('td', h('code.small', { title: e.method }, shortMethod(e.method))),
              h('td', { 'data-clusters': (e.clusterIds || []).map(clusterName).join(' ') },
                (e.clusterIds || []).map((id, i) => [i ? ', ' : null, clusters.some((c) => c.id === id)
                  ? clusterName(id)
                  : h('code.small', { title: 'not a cluster now (deleted?)' }, id)]),
                e.operationId ? h('div.small', h('a', { href: `#/operations/${encodeURIComponent(e.operationId)}` }, `operation ${e.operationId.slice(0, 8)}…`)) : null,
                !(e.clusterIds || []).length && !e.operationId ? h('span.muted', '—') : null),
              h('td', badge(e.outcome || '?', kind)),
              h('td.small.message', e.message || ''));
          })))
        : h('p.muted.pad#audit-none', auditAt === 0 ? 'No events match.' : 'No more events.'));
    } catch (e) {
      auditOlder.disabled = true;
      fill(auditBox, h('div.pad', errorBox(e, 'Reading the audit log (GET /audit/events) failed')));
    }
  };

  const auditFirstPage = () => {
    auditPages = [''];
    auditAt = 0;
    return loadAudit();
  };
  auditFilters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    auditFirstPage();
  });
  auditClear.addEventListener('click', () => {
    auditCluster.value = '';
    auditPrincipal.value = '';
    auditSince.value = '';
    auditFirstPage();
  });
  auditOlder.addEventListener('click', () => {
    if (!auditNext) return;
    auditPages = auditPages.slice(0, auditAt + 1);
    auditPages.push(auditNext);
    auditAt += 1;
    loadAudit();
  });
  auditNewer.addEventListener('click', () => {
    if (auditAt === 0) return;
    auditAt -= 1;
    loadAudit();
  });

  const renderAuditSection = () => {
    if (admin === false) {
      fill(auditContent, h('div.pad', adminNote('The audit log', who)));
      return;
    }
    fill(auditContent, auditFilters, auditBox, auditPager);
    auditFirstPage();
  };

  // ---- all of it ----

  const load = async () => {
    await loadWho();
    tokenPrincipalField.hidden = !admin;
    fill(tokenAuthNote, who && !who.authentication
      ? h('p.muted.small', 'Authentication is off: tokens created here are not checked until it is on.') : null);
    await loadClusters();
    if (who) renderWho(); // cluster names in the grants
    await Promise.all([loadMine(), loadTokens(), (async () => {
      renderGrantsSection();
      renderAuditSection();
    })()]);
  };
  refresh.addEventListener('click', () => busy(refresh, load));
  load();
  return () => {};
}

/** The Access page as a view (`mount`), for the router. */
export const access = { mount: mountAccess };
