// End-to-end test of the lkm dashboard in headless Chromium (Debian's, driven by
// playwright-core), against a live lkm with real clusters. Started by tests/dashboard.rs;
// runnable by hand against any lkm that can run clusters of LKM_TEST_TEMPLATE (default
// tansu-dev):
//
//   LKM_TEST_URL=http://127.0.0.1:8000 LKM_TEST_TOKEN=$(cat ~/.local/share/lkm/admin.token) \
//     node web/tests/e2e.mjs
//
// Environment: LKM_TEST_URL (required), LKM_TEST_TOKEN (the server's token, empty without
// authentication), LKM_TEST_SCREENSHOTS (default target/dashboard-screenshots),
// LKM_TEST_CHROMIUM (default /usr/bin/chromium), LKM_TEST_NAME_PREFIX (cluster names),
// LKM_TEST_TEMPLATE (the template of the clusters it runs; default tansu-dev).
//
// The story: the token prompt → the create view shows the host's free memory and disk next to
// the template's needs, with a verdict (and the endpoint's error, or a guard that is off, when
// it says so) → create a cluster from the tansu-dev template (an invalid name first: the API's
// error is shown) → it turns RUNNING → create a topic → follow it live and produce → the
// message appears (live, then when browsing from the beginning) → a second cluster → migration
// preview (dry run) → start → the progress bar reaches 100% → compare shows no differences →
// a difference is highlighted → replication preview (the replicate dry run: the new topic
// would be created, the migrated one matches; labelled "dry run" in the history) → start →
// a consumer group's offsets reset (dry-run preview, then confirmed) and the group deleted →
// a topic's configs and partitions changed (or the broker's refusal shown, as the API answers)
// → the operations history paged (Older / Newer) and filtered → stop, start and delete,
// confirmed → the Access page: "authentication is off" (a made-up WhoAmI answer), who am I,
// a token whose secret is shown once, a grant, revoking the token, the audit log filtered
// (denied calls highlighted), and the page as a non-admin sees it → the cluster's Edit form:
// description and tags saved (only they in the update mask; shown through the cluster events),
// a change lkm refuses while the cluster runs (its message shown) → the Templates page: a
// template created, listed, viewed, used in the create view (preselected) and deleted; deleting
// a built-in refused, and creating one as a non-admin refused (lkm's words shown).

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.LKM_TEST_URL || '').replace(/\/$/, '');
if (!BASE) {
  console.error('LKM_TEST_URL is not set');
  process.exit(2);
}
const TOKEN = process.env.LKM_TEST_TOKEN || '';
const TEMPLATE = process.env.LKM_TEST_TEMPLATE || 'tansu-dev';
const SHOTS = path.resolve(process.env.LKM_TEST_SCREENSHOTS || 'target/dashboard-screenshots');
const CHROMIUM = process.env.LKM_TEST_CHROMIUM || '/usr/bin/chromium';
const PREFIX = process.env.LKM_TEST_NAME_PREFIX || `e2e-${Date.now().toString(36)}`;
const A = `${PREFIX}-a`;
const B = `${PREFIX}-b`;
const TOPIC = 'orders';
const BULK = 20_000;
const TOTAL = BULK + 3;
const fmt = (n) => n.toLocaleString('en-US');
const WAIT = { timeout: 60_000 };

fs.mkdirSync(SHOTS, { recursive: true });
console.log(`lkm at ${BASE}, ${TOKEN ? 'with authentication (admin token)' : 'without authentication'}`);

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
const page = await context.newPage();
page.setDefaultTimeout(30_000);

const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('console', (m) => {
  if (m.type() === 'error' && !/status of 401/.test(m.text())) console.log(`  [console] ${m.text()}`);
});

// What the page asks lkm for: GETs by path (polling shows here), and the cluster event
// streams it opens (GET /events/clusters) with the ones still open.
const gets = new Map();
const streams = [];
const openStreams = new Set();
page.on('request', (r) => {
  const p = new URL(r.url()).pathname;
  if (r.method() === 'GET') gets.set(p, (gets.get(p) || 0) + 1);
  if (p === '/events/clusters') {
    streams.push({ at: Date.now(), request: r });
    openStreams.add(r);
  }
});
page.on('requestfailed', (r) => openStreams.delete(r));
page.on('requestfinished', (r) => openStreams.delete(r));
const getCount = (p) => gets.get(p) || 0;

let shotNo = 0;
async function shot(name) {
  shotNo += 1;
  const file = path.join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
}

function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

// No error notice may be on screen (the page shows every API error; none is expected here).
async function noErrors(where) {
  const errors = await page.locator('#notices .notice.error .text').allTextContents();
  assert(errors.length === 0, `${where}: error notices on screen: ${errors.join(' | ')}`);
  assert(pageErrors.length === 0, `${where}: uncaught page errors: ${pageErrors.join(' | ')}`);
}

async function step(name, fn) {
  const t0 = Date.now();
  console.log(`- ${name}`);
  try {
    await fn();
  } catch (e) {
    try {
      await page.screenshot({ path: path.join(SHOTS, `failed-${name.replace(/\W+/g, '-')}.png`), fullPage: true });
    } catch {
      // the browser may be gone
    }
    const notices = await page.locator('#notices .notice').allTextContents().catch(() => []);
    if (notices.length) console.log(`  notices on screen: ${notices.join(' | ')}`);
    throw e;
  }
  console.log(`  ok (${Date.now() - t0} ms)`);
}

// Calls the REST API from Node, as a second client (to make a difference for compare).
async function api(method, p, body) {
  const res = await fetch(`${BASE}${p}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status}: ${text}`);
  return text ? JSON.parse(text) : {};
}

// The same, with another token (or none): the status and the parsed body, never throwing.
async function apiAs(token, method, p, body) {
  const res = await fetch(`${BASE}${p}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { text };
  }
  return { status: res.status, body: json };
}

async function createCluster(name, tags, { running } = {}) {
  await page.click('nav a[data-nav="create"]');
  await page.click(`#template-picker [data-template="${TEMPLATE}"]`);
  await page.waitForSelector(`#template-picker [data-template="${TEMPLATE}"][aria-checked="true"]`);
  if (running !== undefined) {
    // The host's figures count the clusters already running.
    const n = `held by ${running} running cluster${running === 1 ? '' : 's'}`;
    await page.waitForSelector(`#host-summary >> text=${n}`);
  }
  await page.fill('#cluster-name', name);
  await page.fill('#cluster-tags', tags || '');
  const reads = getCount(`/clusters/${name}`);
  const opened = streams.length;
  await page.click('#create-button');
  await page.waitForFunction((n) => location.hash === `#/clusters/${encodeURIComponent(n)}`, name, WAIT);
  // Every status the badge shows on the way, in order.
  await page.evaluate(() => {
    window.__statuses = [];
    window.__statusWatch = setInterval(() => {
      const v = document.querySelector('#cluster-status .badge')?.dataset.status;
      if (v && window.__statuses[window.__statuses.length - 1] !== v) window.__statuses.push(v);
    }, 20);
  });
  await page.waitForSelector('#live-indicator[data-state="live"]');
  await page.waitForSelector('#cluster-status .badge[data-status="RUNNING"]', WAIT);
  const seen = await page.evaluate(() => {
    clearInterval(window.__statusWatch);
    return window.__statuses;
  });
  console.log(`  ${name} on screen: ${seen.join(' → ')}`);
  // Pushed by lkm's cluster events: one stream, the cluster never read again (GET
  // /clusters/{name} was the 2-second poll), its services read as its status changed.
  assert(streams.length === opened + 1, `the cluster page opened one event stream: ${streams.length - opened}`);
  assert(getCount(`/clusters/${name}`) === reads, `the cluster page did not poll GET /clusters/${name}: ${getCount(`/clusters/${name}`) - reads} reads`);
  await page.waitForSelector('#services tr[data-service]');
}

try {
  await step('a 401 answer brings up the token prompt; the token is kept and sent', async () => {
    // The overview asks for the cluster events (an older lkm: the list) first.
    const first = (url) => url.pathname === '/events/clusters' || url.pathname === '/clusters';
    let refused = false;
    await page.route(first, async (route) => {
      if (refused) return route.continue();
      refused = true;
      return route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ code: 16, message: 'e2e: a bearer token is required', details: [] }),
      });
    });
    await page.goto(`${BASE}/`);
    await page.waitForSelector('#token-dialog[open]');
    const reason = await page.textContent('#token-reason');
    assert(reason.includes('e2e: a bearer token is required'), `the prompt says why: ${reason}`);
    await shot('token-prompt');
    const typed = TOKEN || 'e2e-token-while-the-server-has-no-auth';
    await page.fill('#token-input', typed);
    const retried = page.waitForRequest((r) => first(new URL(r.url())) &&
      r.headers().authorization === `Bearer ${typed}`);
    await page.click('#token-submit');
    await retried;
    await page.unroute(first);
    const stored = await page.evaluate(() => sessionStorage.getItem('lkm.token'));
    assert(stored === typed, 'the token is in sessionStorage');
    await page.waitForSelector('#token-dialog[open]', { state: 'detached' });
    await page.waitForSelector('#clusters-table:not([hidden]), .empty:not([hidden])');
    await page.waitForSelector('#live-indicator[data-state="live"]');
    await noErrors('after the token');
  });

  await step('the create view shows the host\'s free memory and disk, with a verdict per row', async () => {
    // First the endpoint failing, then answers made up to show each verdict, then the real one.
    let mock = { status: 503, body: { code: 14, message: 'e2e: host resources unavailable', details: [] } };
    let reads = 0;
    const hostRoute = (url) => url.pathname === '/host/resources';
    await page.route(hostRoute, async (route) => {
      reads += 1;
      if (!mock) return route.continue();
      return route.fulfill({ status: mock.status, contentType: 'application/json', body: JSON.stringify(mock.body) });
    });
    const host = (free, guard) => ({
      status: 200,
      body: {
        totalMemoryMb: '24000', availableMemoryMb: String(free), reservedMemoryMb: '0', freeMemoryMb: String(free),
        freeDiskMb: '50000', cpuCount: 2, runningClusters: 0, runtime: 'e2e-mock', resourceGuard: guard,
      },
    });
    const memVerdict = '#requirements [data-verdict][data-resource="memory"]';

    await page.click('nav a[data-nav="create"]');
    await page.click('#template-picker [data-template="tansu-dev"]');
    await page.waitForSelector('#host-resources-error >> text=e2e: host resources unavailable');
    for (let i = 0; i < 50 && reads < 2; i += 1) await page.waitForTimeout(100);
    assert(reads >= 2, `read when the view opens and when a template is picked: ${reads} reads`);
    const req = await page.textContent('#requirements');
    assert(/Minimum/.test(req) && /MiB/.test(req) && /GiB/.test(req), `the template's requirements are still shown: ${req}`);
    assert(!(await page.isDisabled('#create-button')), 'the form still works without the host\'s figures');
    await shot('create-host-error');

    // tansu-dev needs at least 128 MiB, 256 recommended.
    mock = host(200, true);
    await page.click('#host-refresh');
    await page.waitForSelector(`${memVerdict}[data-verdict="below-recommendation"]`);
    await page.waitForSelector('#template-picker [data-template="tansu-dev"] .fit[data-fit="below-recommendation"]');
    mock = host(100, true);
    await page.click('#host-refresh');
    await page.waitForSelector(`${memVerdict}[data-verdict="refused"]`);
    assert((await page.textContent(memVerdict)).includes('will be refused'), 'the refusal is spelled out');
    assert((await page.locator('#resource-guard-off').count()) === 0, 'no guard note while the guard is on');
    mock = host(100, false);
    await page.click('#host-refresh');
    await page.waitForSelector(`${memVerdict}[data-verdict="below-minimum"]`);
    const off = await page.textContent('#resource-guard-off[data-guard="off"]');
    assert(/resource guard is off/.test(off), `the guard being off is said: ${off}`);
    await shot('create-host-guard-off');

    // The real figures.
    mock = null;
    const before = await api('GET', '/host/resources');
    await page.click('#host-refresh');
    await page.waitForSelector('#resource-guard-off', { state: 'detached' });
    await page.waitForSelector('#host-summary >> text=runtime process');
    const after = await api('GET', '/host/resources');
    await page.unroute(hostRoute);
    const cell = page.locator('#requirements td[data-host="memory"]');
    const cellText = await cell.textContent();
    assert(/MiB/.test(cellText), `free memory in MiB: ${cellText}`);
    const shown = Number(await cell.getAttribute('data-free-mb'));
    assert(Number(cellText.replace(/[^0-9]/g, '')) === shown, `the text shows the number: ${cellText} / ${shown}`);
    const lo = Math.min(Number(before.freeMemoryMb), Number(after.freeMemoryMb));
    const hi = Math.max(Number(before.freeMemoryMb), Number(after.freeMemoryMb));
    const slack = Math.max(512, hi * 0.1); // free memory moves while the test runs
    assert(shown >= lo - slack && shown <= hi + slack, `free memory ${shown} MiB is near GET /host/resources (${lo}–${hi} MiB)`);
    const tpl = await api('GET', '/templates/tansu-dev');
    const t = tpl.template || tpl;
    const want = shown < Number(t.minMemoryMb) ? 'refused' : shown < Number(t.recommendedMemoryMb) ? 'below-recommendation' : 'fits';
    const got = await page.getAttribute(memVerdict, 'data-verdict');
    assert(got === want, `memory verdict ${got}, expected ${want} (${shown} MiB free; min ${t.minMemoryMb}, recommended ${t.recommendedMemoryMb})`);
    assert((await page.locator('#requirements [data-verdict][data-resource="disk"]').count()) === 1, 'the disk row has a verdict');
    assert((await page.locator('#template-picker [data-template="tansu-dev"] .fit[data-fit]').count()) === 1, 'the template card shows whether it fits');
    console.log(`  host: ${shown} MiB free → ${got}`);
    await noErrors('host resources');
    await shot('create-host-resources');
  });

  await step('an API error is shown plainly (invalid cluster name)', async () => {
    await page.click('nav a[data-nav="create"]');
    await page.click('#template-picker [data-template="tansu-dev"]');
    const req = await page.textContent('#requirements');
    assert(/Minimum/.test(req) && /MiB/.test(req) && /GiB/.test(req), `the template's requirements are shown: ${req}`);
    await page.fill('#cluster-name', 'Not A Valid Name');
    await page.click('#create-button');
    const box = page.locator('#create-form .error-box');
    await box.waitFor();
    const text = await box.textContent();
    assert(/not a valid cluster name/.test(text) && /INVALID_ARGUMENT/.test(text), `the API's message is shown: ${text}`);
    await shot('create-error');
  });

  await step(`create ${A} from ${TEMPLATE}; it turns RUNNING on screen`, async () => {
    await createCluster(A, 'team=e2e, purpose=dashboard');
    await shot('cluster-running');
    const services = await page.locator('#services tr[data-service]').count();
    assert(services >= 1, 'the services table lists the broker');
    await page.click('nav a[data-nav="clusters"]');
    const row = page.locator(`#clusters-table tr[data-cluster="${A}"]`);
    await row.waitFor();
    await page.waitForSelector(`#clusters-table tr[data-cluster="${A}"][data-status="RUNNING"]`, WAIT);
    const rowText = await row.textContent();
    assert(rowText.includes('team=e2e'), `tags shown: ${rowText}`);
    assert((await row.locator('li[data-endpoint="kafka"] button.copy').count()) === 1, 'the bootstrap servers have a copy button');
    await noErrors('overview');
    await shot('overview');
  });

  await step('the overview follows lkm\'s cluster events: a cluster created, changed, started and deleted through the API, nothing polled', async () => {
    const C = `${PREFIX}-c`;
    const row = `#clusters-table tr[data-cluster="${C}"]`;
    const SOON = { timeout: 5000 };
    await page.waitForSelector('#live-indicator[data-state="live"]');
    assert((await page.textContent('#live-indicator')) === 'live', 'the indicator says live');
    const lists = getCount('/clusters');
    const opened = streams.length;
    const timed = async (what, fn) => {
      const t0 = Date.now();
      await fn();
      console.log(`  ${what}: on screen after ${Date.now() - t0} ms`);
    };
    // Not through the page: another client (the CLI, a script) does it.
    await api('POST', '/clusters', { name: C, templateId: TEMPLATE, autoStart: false, tags: { via: 'api' } });
    await timed('created', () => page.waitForSelector(`${row}[data-status="CREATED"]`, SOON));
    await shot('overview-pushed');
    await api('PATCH', `/clusters/${C}`, { tags: { via: 'api', pushed: 'yes' } });
    await timed('tags changed', () => page.waitForSelector(`${row} .tag >> text=pushed=yes`, SOON));
    await api('POST', `/clusters/${C}/start`, {});
    await timed('started', () => page.waitForSelector(`${row}[data-status="RUNNING"]`, SOON));
    // The services and disk use (GET /clusters/{id}/status) follow the status change.
    await page.waitForSelector(`${row} td[data-disk]:not([data-disk=""])`, SOON);
    await api('DELETE', `/clusters/${C}?force=true`);
    await timed('deleted', () => page.waitForSelector(row, { state: 'detached', ...SOON }));
    assert(getCount('/clusters') === lists, `no GET /clusters after the first load: ${getCount('/clusters') - lists} more`);
    assert(streams.length === opened && openStreams.size === 1, `one event stream all along: ${streams.length - opened} more, ${openStreams.size} open`);
    await noErrors('pushed');

    // A cluster's page hears of its deletion too.
    const D = `${PREFIX}-d`;
    await api('POST', '/clusters', { name: D, templateId: TEMPLATE, autoStart: false });
    await page.evaluate((n) => { location.hash = `#/clusters/${encodeURIComponent(n)}`; }, D);
    await page.waitForSelector('#cluster-status .badge[data-status="CREATED"]');
    await page.waitForSelector('#live-indicator[data-state="live"]');
    await api('DELETE', `/clusters/${D}`);
    await timed(`${D} deleted, on its page`, () => page.waitForSelector(`#cluster-gone[data-cluster="${D}"]`, SOON));
    assert(getCount(`/clusters/${D}`) === 0, `its page never read GET /clusters/${D}`);
    await page.click('nav a[data-nav="clusters"]');
    await page.waitForSelector('#live-indicator[data-state="live"]');
  });

  await step('the event stream ends, then fails: "reconnecting…" with a backoff, then live again on a fresh snapshot', async () => {
    const ghost = `${PREFIX}-ghost`;
    const real = await api('GET', `/clusters/${A}`);
    const now = new Date().toISOString();
    const sse = (events) => events.map((e) => `event: message\ndata: ${JSON.stringify(e)}\n\n`).join('');
    const events = (url) => url.pathname === '/events/clusters';
    let calls = 0;
    await page.route(events, (route) => {
      calls += 1;
      // 1: a made-up snapshot (with a cluster lkm does not have), then the stream ends.
      if (calls === 1) {
        return route.fulfill({
          status: 200,
          contentType: 'text/event-stream',
          body: sse([
            { type: 'CLUSTER_EVENT_TYPE_SNAPSHOT', cluster: real, eventTime: now },
            { type: 'CLUSTER_EVENT_TYPE_SNAPSHOT', cluster: { ...real, id: `${ghost}-id`, name: ghost, status: 'CLUSTER_STATUS_ERROR', statusMessage: 'e2e: made up' }, eventTime: now },
            { type: 'CLUSTER_EVENT_TYPE_SYNCED', eventTime: now },
          ]),
        });
      }
      // 2: lkm unavailable. 3: the real stream.
      if (calls === 2) {
        return route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ code: 14, message: 'e2e: lkm is unavailable', details: [] }) });
      }
      return route.continue();
    });
    // Leaving the view closes its stream.
    await page.click('nav a[data-nav="compare"]');
    for (let i = 0; i < 50 && openStreams.size; i += 1) await page.waitForTimeout(50);
    assert(openStreams.size === 0, `leaving the overview closes its event stream: ${openStreams.size} open`);
    const from = streams.length;
    await page.click('nav a[data-nav="clusters"]');
    await page.waitForSelector(`#clusters-table tr[data-cluster="${ghost}"]`);
    const indicator = await page.waitForSelector('#live-indicator[data-state="reconnecting"]');
    assert((await indicator.textContent()) === 'reconnecting…', `"reconnecting…" is said: ${await indicator.textContent()}`);
    await shot('overview-reconnecting');
    await page.waitForSelector('#live-indicator[data-state="live"]', { timeout: 15_000 });
    // The fresh snapshot replaced what the page knew: the made-up cluster is gone.
    await page.waitForSelector(`#clusters-table tr[data-cluster="${ghost}"]`, { state: 'detached' });
    await page.waitForSelector(`#clusters-table tr[data-cluster="${A}"][data-status="RUNNING"]`);
    await page.unroute(events);
    const at = streams.slice(from).map((x) => x.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    console.log(`  stream requests ${gaps.map((g) => `+${g} ms`).join(', ')}`);
    assert(calls === 3 && at.length === 3, `three tries: ${calls} routed, ${at.length} requested`);
    assert(gaps[0] >= 900 && gaps[1] >= 1900, `backing off 1 s, then 2 s: ${gaps}`);
    await noErrors('reconnected');
  });

  await step('an lkm without the event stream (404): the overview polls GET /clusters instead, and says so', async () => {
    const events = (url) => url.pathname === '/events/clusters';
    await page.route(events, (route) => route.fulfill({
      status: 404, contentType: 'application/json', body: JSON.stringify({ code: 5, message: 'e2e: no such route', details: [] }),
    }));
    await page.click('nav a[data-nav="compare"]');
    await page.click('nav a[data-nav="clusters"]');
    await page.waitForSelector('#live-indicator[data-state="polling"]');
    await page.waitForSelector(`#clusters-table tr[data-cluster="${A}"][data-status="RUNNING"]`);
    const lists = getCount('/clusters');
    for (let i = 0; i < 60 && getCount('/clusters') < lists + 2; i += 1) await page.waitForTimeout(100);
    assert(getCount('/clusters') >= lists + 2, `polled: ${getCount('/clusters') - lists} more GET /clusters in 6 s`);
    await shot('overview-polling');
    await page.unroute(events);
    await page.click('nav a[data-nav="compare"]');
    await page.click('nav a[data-nav="clusters"]');
    await page.waitForSelector('#live-indicator[data-state="live"]');
    await noErrors('polling');
  });

  await step(`create topic ${TOPIC} with 2 partitions`, async () => {
    await page.click(`#clusters-table tr[data-cluster="${A}"] a.name`);
    await page.click('nav.tabs a[data-tab="topics"]');
    await page.fill('#topic-name', TOPIC);
    await page.fill('#topic-partitions', '2');
    await page.click('#create-topic');
    const row = page.locator(`#topics-table tr[data-topic="${TOPIC}"]`);
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert(cells[1] === '2', `2 partitions: ${cells}`);
    await noErrors('topic created');
    await shot('topic-created');
  });

  await step('produce while following live: the message appears in the browser', async () => {
    await page.click(`#topics-table tr[data-topic="${TOPIC}"] a.btn`);
    await page.waitForSelector('nav.tabs a[data-tab="messages"].active');
    await page.waitForSelector(`#browse-topic option[value="${TOPIC}"]`, { state: 'attached' });
    await page.selectOption('#browse-topic', TOPIC);
    const streamed = page.waitForRequest((r) => r.url().includes('/consume/stream'));
    await page.click('#follow-button');
    const sse = await streamed;
    if (TOKEN) assert(sse.headers().authorization === `Bearer ${TOKEN}`, 'the event stream carries the token');
    await page.waitForSelector('#records-table tr.waiting[data-open]');

    await page.selectOption('#produce-topic', TOPIC);
    await page.fill('#produce-key', 'order-1');
    await page.selectOption('#produce-format', 'json');
    await page.fill('#produce-value', '{"total": 42, "note": "<b>not markup</b>"}');
    await page.fill('#produce-headers', 'source=e2e');
    await page.click('#produce-button');
    await page.waitForSelector('#produce-result .success-box');
    await page.waitForSelector('#records-table tr.fresh >> text=order-1', WAIT);
    const live = await page.textContent('#records-table');
    assert(live.includes('"total":42'), `the value is shown: ${live}`);
    assert(live.includes('<b>not markup</b>'), 'markup in a value is shown as text');
    assert((await page.locator('#records-table b').count()) === 0, 'markup in a value is never rendered');
    await shot('message-live');

    // Two more, as text.
    await page.selectOption('#produce-format', 'text');
    for (const [k, v] of [['order-2', 'second order'], ['order-3', 'third order']]) {
      await page.fill('#produce-key', k);
      await page.fill('#produce-value', v);
      await page.click('#produce-button');
      await page.waitForSelector(`#produce-result .success-box`);
      await page.waitForSelector(`#records-table >> text=${v}`, WAIT);
    }
    await page.click('#follow-button'); // stop following
    await noErrors('produced');
  });

  await step('browse from the beginning and from the end', async () => {
    await page.selectOption('#browse-from', 'beginning');
    await page.click('#browse-button');
    await page.waitForSelector('#browse-info >> text=3 records');
    const all = await page.textContent('#records-table');
    for (const s of ['order-1', 'second order', 'third order', 'source=e2e']) assert(all.includes(s), `browse shows ${s}`);
    await page.selectOption('#browse-from', 'newest');
    await page.fill('#browse-max', '1');
    await page.click('#browse-button');
    await page.waitForSelector('#browse-info >> text=1 record from');
    await page.fill('#browse-max', '50');
    await page.selectOption('#browse-from', 'beginning');
    await page.click('#browse-button');
    await page.waitForSelector('#browse-info >> text=3 records');
    await noErrors('browsed');
    await shot('messages');
  });

  await step(`bulk: ${BULK} more records through the API, so the migration takes a moment`, async () => {
    for (let done = 0; done < BULK; done += 10_000) {
      const n = Math.min(10_000, BULK - done);
      const records = Array.from({ length: n }, (_, i) => ({ key: { text: `bulk-${done + i}` }, value: { text: 'x'.repeat(100) } }));
      const res = await api('POST', `/clusters/${A}/produce`, { topic: TOPIC, records });
      assert(res.failedCount === 0, `bulk produce: ${JSON.stringify(res).slice(0, 300)}`);
    }
    // The topic list follows (it polls).
    await page.click('nav.tabs a[data-tab="topics"]');
    await page.waitForSelector(`#topics-table tr[data-topic="${TOPIC}"] td[data-count="${TOTAL}"]`, WAIT);
  });

  await step(`create ${B}, the migration target`, async () => {
    await createCluster(B, '', { running: 1 });
    await noErrors('second cluster');
  });

  await step(`preview (dry run) and start a migration ${A} → ${B}; the progress bar reaches 100%`, async () => {
    await page.click('nav a[data-nav="operations"]');
    await page.waitForSelector(`#op-source option[value="${A}"]`, { state: 'attached' });
    await page.selectOption('#op-source', A);
    await page.waitForSelector(`#op-target option[value="${B}"]`, { state: 'attached' });
    await page.selectOption('#op-target', B);
    await page.waitForSelector(`#op-topics input[value="${TOPIC}"]`);
    assert(await page.isDisabled('#op-start'), 'start waits for a preview');
    await page.click('#op-preview');
    const plan = page.locator(`#migration-plan tr[data-topic="${TOPIC}"]`);
    await plan.waitFor();
    const cells = await plan.locator('td').allTextContents();
    assert(cells[1] === '2' && cells[2] === fmt(TOTAL) && cells[4] === 'created', `the plan: ${cells}`);
    await shot('migration-preview');
    assert(!(await page.isDisabled('#op-start')), 'start is enabled after the preview');

    // Every value the overall bar shows, in order.
    await page.evaluate(() => {
      window.__seen = [];
      window.__watch = setInterval(() => {
        const v = document.querySelector('#op-progress')?.getAttribute('aria-valuenow');
        if (v !== null && v !== undefined && window.__seen[window.__seen.length - 1] !== Number(v)) window.__seen.push(Number(v));
      }, 20);
    });
    const events = page.waitForRequest((r) => /\/operations\/[^/]+\/events$/.test(new URL(r.url()).pathname));
    await page.click('#op-start');
    await page.waitForFunction(() => /^#\/operations\/[^/]+$/.test(location.hash));
    const ev = await events;
    if (TOKEN) assert(ev.headers().authorization === `Bearer ${TOKEN}`, 'the progress stream carries the token');
    // Best effort: a picture of the bars on their way (a fast machine may finish first).
    try {
      await page.waitForFunction(() => {
        const v = Number(document.querySelector('#op-progress')?.getAttribute('aria-valuenow'));
        return v > 0 && v < 99;
      }, null, { timeout: 5000, polling: 20 });
      await shot('migration-running');
    } catch {
      console.log('  (the migration finished before a running picture)');
    }
    await page.waitForSelector('#op-progress[aria-valuenow="100"]', WAIT);
    await page.waitForSelector('#op-status .badge[data-status="SUCCEEDED"]', WAIT);
    await page.waitForSelector(`#topic-progress .progress[data-topic="${TOPIC}"][aria-valuenow="100"]`);
    const seen = await page.evaluate(() => {
      clearInterval(window.__watch);
      return window.__seen;
    });
    console.log(`  progress seen: ${seen.join(' → ')}`);
    assert(seen[seen.length - 1] === 100, 'the bar ends at 100%');
    assert(seen.every((v, i) => i === 0 || v >= seen[i - 1]), `the bar never goes back: ${seen}`);
    const msgs = await page.textContent('[data-stat="messages"]');
    assert(msgs.includes(`${fmt(TOTAL)} / ${fmt(TOTAL)}`), `every message copied: ${msgs}`);
    const result = await page.textContent('#op-results');
    assert(result.includes('Every partition verified'), `verified: ${result}`);
    await noErrors('migrated');
    await shot('migration-done');

    await page.click('a[href="#/operations"]');
    await page.waitForSelector('#history-table tr[data-operation] .badge[data-status="SUCCEEDED"]');
    await shot('operations-history');
  });

  await step(`compare ${A} and ${B}: no differences`, async () => {
    await page.click('nav a[data-nav="compare"]');
    await page.waitForSelector(`#cmp-source option[value="${A}"]`, { state: 'attached' });
    await page.selectOption('#cmp-source', A);
    await page.selectOption('#cmp-target', B);
    await page.check('#cmp-data');
    await page.click('#cmp-run');
    const summary = page.locator('#compare-summary');
    await summary.waitFor();
    const text = await summary.textContent();
    assert((await summary.getAttribute('data-identical')) === 'true', `identical: ${text}`);
    assert(text.includes('No differences'), `says so: ${text}`);
    assert((await page.locator('#compare-result .diff, #compare-result .diff-row, #compare-result .missing').count()) === 0, 'nothing is highlighted');
    const row = await page.locator(`#topic-diff tr[data-topic="${TOPIC}"]`).locator('td').allTextContents();
    assert(row[1].includes(`${fmt(TOTAL)} messages`) && row[2].includes(`${fmt(TOTAL)} messages`), `side by side: ${row}`);
    await noErrors('compared');
    await shot('compare-identical');
  });

  await step('a difference is highlighted side by side', async () => {
    await api('POST', `/clusters/${A}/topics`, { name: 'only-in-a', partitions: 1 });
    await page.click('#cmp-run');
    await page.waitForSelector('#compare-summary[data-identical="false"]');
    await page.waitForSelector('#topic-diff tr[data-topic="only-in-a"].diff-row td.missing');
    await shot('compare-difference');
    await noErrors('difference');
  });

  await step(`preview (the replicate dry run) and start a replication ${A} → ${B}`, async () => {
    await page.click('nav a[data-nav="operations"]');
    await page.check('#kind-replicate');
    await page.waitForSelector(`#op-source option[value="${A}"]`, { state: 'attached' });
    await page.selectOption('#op-source', A);
    await page.check(`#op-targets input[value="${B}"]`);
    await page.waitForSelector(`#op-topics input[value="only-in-a"]`);
    assert(await page.isDisabled('#op-start'), 'start waits for a preview');
    const dry = page.waitForRequest((r) => new URL(r.url()).pathname === '/operations/replicate' &&
      r.method() === 'POST' && JSON.parse(r.postData() || '{}').dryRun === true);
    await page.click('#op-preview');
    await dry;
    const plan = page.locator(`#replication-plan .target-plan[data-target="${B}"]`);
    await plan.waitFor();
    const create = await plan.locator('[data-plan="create"]').textContent();
    const matching = await plan.locator('[data-plan="matching"]').textContent();
    const conflicts = await plan.locator('[data-plan="conflicts"]').textContent();
    assert(/would create/.test(create) && create.includes('only-in-a') && !create.includes(TOPIC), `would create only-in-a: ${create}`);
    assert(matching.includes(TOPIC) && !matching.includes('only-in-a'), `${TOPIC} already matches (migrated): ${matching}`);
    assert(/none/.test(conflicts), `no conflicts: ${conflicts}`);
    assert((await page.getAttribute('#replication-plan', 'data-status')) === 'SUCCEEDED', 'the dry run succeeded');
    const dryId = await page.getAttribute('#replication-plan', 'data-operation');
    // Nothing was created by the preview.
    const bTopics = (await api('GET', `/clusters/${B}/topics`)).topics.map((x) => x.name);
    assert(!bTopics.includes('only-in-a'), `the dry run changed nothing on ${B}: ${bTopics}`);
    // The dry run is recorded, and labelled so.
    const row = page.locator(`#history-table tr[data-operation="${dryId}"]`);
    await row.waitFor();
    assert((await row.getAttribute('data-dry-run')) === 'true', 'the history row is marked as a dry run');
    const rowText = await row.locator('td[data-type="REPLICATE"]').textContent();
    assert(/replicate\s+dry run/.test(rowText), `the history says "dry run": ${rowText}`);
    await noErrors('replication preview');
    await shot('replication-dry-run');
    assert(!(await page.isDisabled('#op-start')), 'start is enabled after the preview');

    await page.click('#op-start');
    await page.waitForFunction(() => /^#\/operations\/[^/]+$/.test(location.hash));
    await page.waitForSelector('#op-status .badge[data-status="SUCCEEDED"]', WAIT);
    const created = await page.textContent(`#op-results .target-plan[data-target="${B}"] [data-plan="create"]`);
    assert(/created:/.test(created) && created.includes('only-in-a'), `the replication created only-in-a: ${created}`);
    await noErrors('replicated');
    await shot('replication-done');
  });

  await step(`a consumer group on ${A}: reset its offsets (dry-run preview, then confirmed) and delete it`, async () => {
    const GROUP = `${PREFIX}-readers`.toLowerCase();
    // A group with committed offsets: 10 records read as the group (the REST consume commits).
    const read = await api('GET', `/clusters/${A}/consume?topic=${TOPIC}&groupId=${GROUP}&maxRecords=10&startFrom=START_FROM_BEGINNING`);
    assert((read.records || []).length === 10, `read 10 records as ${GROUP}: ${(read.records || []).length}`);
    const committed = (g) => (g.offsets || []).filter((o) => o.topic === TOPIC && Number(o.committedOffset) >= 0)
      .reduce((a, o) => a + Number(o.committedOffset), 0);
    assert(committed(await api('GET', `/clusters/${A}/groups/${GROUP}`)) === 10, 'the group committed 10');
    const highs = new Map(((await api('GET', `/clusters/${A}/topics/${TOPIC}`)).partitionDetails || [])
      .map((p) => [p.partition, Number(p.highWatermark)]));

    await page.click('nav a[data-nav="clusters"]');
    await page.click(`#clusters-table tr[data-cluster="${A}"] a.name`);
    await page.click('nav.tabs a[data-tab="groups"]');
    const row = page.locator(`#groups-table tr[data-group="${GROUP}"]`);
    await page.waitForSelector(`#groups-table tr[data-group="${GROUP}"] td[data-lag="${TOTAL - 10}"]`, WAIT);

    // The server's refusal is shown as it says it (made up here: a live member is needed for the real one).
    const resetPath = (url) => url.pathname === `/clusters/${A}/groups/${GROUP}/reset`;
    await page.route(resetPath, (route) => route.fulfill({
      status: 400,
      contentType: 'application/json',
      body: JSON.stringify({
        code: 9,
        message: `consumer group '${GROUP}' has active members; stop its consumers first`,
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'GROUP_NOT_EMPTY', domain: 'lkm' }],
      }),
    }));
    await row.locator('button[data-action="reset-group"]').click();
    await page.waitForSelector(`#reset-form[data-group="${GROUP}"]`);
    await page.waitForSelector(`#reset-topic option[value="${TOPIC}"]`, { state: 'attached' });
    await page.selectOption('#reset-topic', TOPIC);
    await page.click('#reset-preview');
    const refusal = await page.locator('#reset-result .error-box').textContent();
    assert(/has active members/.test(refusal) && /FAILED_PRECONDITION/.test(refusal) && /GROUP_NOT_EMPTY/.test(refusal), `the refusal is shown plainly: ${refusal}`);
    await page.unroute(resetPath);

    // The dry run: the new offsets (the latest: each partition's high watermark), nothing changed.
    await page.selectOption('#reset-to', 'OFFSET_RESET_LATEST');
    assert(await page.isDisabled('#reset-apply'), 'the reset waits for a preview');
    const dry = page.waitForRequest((r) => resetPath(new URL(r.url())) && JSON.parse(r.postData() || '{}').dryRun === true);
    await page.click('#reset-preview');
    await dry;
    await page.waitForSelector('#reset-preview-table tr[data-partition]');
    const planned = await page.locator('#reset-preview-table tr[data-partition]').evaluateAll((rs) => rs.map((r) => [Number(r.dataset.partition), Number(r.dataset.newOffset)]));
    assert(planned.length === highs.size && planned.every(([p, o]) => highs.get(p) === o), `the preview shows the latest offsets: ${JSON.stringify(planned)} vs ${JSON.stringify([...highs])}`);
    assert((await page.textContent('#reset-plan')).includes('Nothing was changed'), 'the preview says nothing changed');
    assert(committed(await api('GET', `/clusters/${A}/groups/${GROUP}`)) === 10, 'the dry run changed nothing');
    assert(!(await page.isDisabled('#reset-apply')), 'the reset is enabled after the preview');
    await noErrors('reset preview');
    await shot('group-reset-preview');

    // The reset, confirmed: the group has no lag any more.
    await page.click('#reset-apply');
    await page.waitForSelector('#confirm-dialog[open]');
    assert((await page.textContent('#confirm-body')).includes(TOPIC), 'the confirmation names the topic');
    await page.click('#confirm-ok');
    await page.waitForSelector('#reset-done .success-box');
    await page.waitForSelector('#reset-apply:disabled'); // another reset needs a new preview
    const g = await api('GET', `/clusters/${A}/groups/${GROUP}`);
    const now = (g.offsets || []).filter((o) => o.topic === TOPIC);
    assert(now.length === highs.size && now.every((o) => Number(o.committedOffset) === highs.get(o.partition)) && Number(g.totalLag) === 0,
      `committed at the latest offsets: ${JSON.stringify(g.offsets)}`);
    await page.waitForSelector(`#groups-table tr[data-group="${GROUP}"] td[data-lag="0"]`, WAIT);
    await noErrors('reset');
    await shot('group-reset-done');

    // Delete, confirmed: gone on screen and for the API.
    await row.locator('button[data-action="delete-group"]').click();
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-ok');
    await page.waitForSelector(`#group-action-result .success-box[data-deleted="${GROUP}"]`);
    await page.waitForSelector(`#groups-table tr[data-group="${GROUP}"]`, { state: 'detached', ...WAIT });
    assert((await page.locator(`#reset-form[data-group="${GROUP}"]`).count()) === 0, 'the reset form of a deleted group is closed');
    const gone = await apiAs(TOKEN, 'GET', `/clusters/${A}/groups/${GROUP}`);
    assert(gone.status === 404, `the group is gone: ${gone.status} ${JSON.stringify(gone.body)}`);
    await noErrors('group deleted');
    await shot('group-deleted');
  });

  await step(`topic configs and partitions on ${A}: the change, or the broker's refusal, as the API answers`, async () => {
    const T = 'only-in-a';
    const path1 = `/clusters/${A}/topics/${T}`;
    // First ask the API directly what this broker does with each change.
    const cfgProbe = await apiAs(TOKEN, 'PATCH', `${path1}/configs`, { set: { 'retention.ms': '7200000' } });
    const before = await api('GET', path1);
    const partsProbe = await apiAs(TOKEN, 'POST', `${path1}/partitions`, { partitions: before.partitions + 1 });
    console.log(`  the API: config change → HTTP ${cfgProbe.status}${cfgProbe.status === 200 ? '' : ` (${cfgProbe.body.message})`}; ` +
      `add partitions → HTTP ${partsProbe.status}${partsProbe.status === 200 ? '' : ` (${partsProbe.body.message})`}`);

    await page.click('nav.tabs a[data-tab="topics"]');
    await page.click(`#topics-table tr[data-topic="${T}"] button[data-action="configure-topic"]`);
    await page.waitForSelector(`#topic-detail[data-topic="${T}"]`);
    const shownConfigs = await page.locator('#topic-config-table tr[data-config]').count();
    const apiConfigs = Object.keys((await api('GET', path1)).configs || {}).length;
    assert(shownConfigs === apiConfigs, `every config of the description is shown: ${shownConfigs} vs ${apiConfigs}`);

    // Configs: set retention.ms, confirmed.
    await page.fill('#config-set', 'retention.ms=5400000');
    await page.click('#config-apply');
    await page.waitForSelector('#confirm-dialog[open]');
    assert((await page.textContent('#confirm-body')).includes('retention.ms'), 'the confirmation names the config');
    await page.click('#confirm-ok');
    await page.waitForSelector('#config-result .success-box, #config-result .error-box');
    if (cfgProbe.status === 200) {
      await page.waitForSelector('#config-result .success-box');
      const value = await page.textContent('#topic-config-table tr[data-config="retention.ms"] td.config-value');
      assert(value === '5400000', `the new value is shown: ${value}`);
      assert((await api('GET', path1)).configs['retention.ms'] === '5400000', 'and stored');
    } else {
      const text = await page.textContent('#config-result .error-box');
      assert(text.includes(cfgProbe.body.message), `the server's error is shown: ${text} (the API said ${cfgProbe.body.message})`);
    }
    await noErrors('configs');
    await shot('topic-configs');

    // Partitions: a count that is no increase is refused by lkm; then one more.
    const cur = (await api('GET', path1)).partitions;
    await page.fill('#partitions-total', String(cur));
    await page.click('#partitions-add');
    await page.click('#confirm-ok');
    const tooFew = await page.locator('#partitions-result .error-box').textContent();
    assert(/must exceed the current count/.test(tooFew) && /INVALID_ARGUMENT/.test(tooFew), `lkm's refusal is shown: ${tooFew}`);
    await page.fill('#partitions-total', String(cur + 1));
    await page.click('#partitions-add');
    await page.waitForSelector('#confirm-dialog[open]');
    assert((await page.textContent('#confirm-body')).includes(`from ${cur} to ${cur + 1}`), 'the confirmation says from and to');
    await page.click('#confirm-ok');
    if (partsProbe.status === 200) {
      await page.waitForSelector(`#topic-detail[data-partitions="${cur + 1}"] #partitions-result .success-box`);
      assert((await api('GET', path1)).partitions === cur + 1, 'the topic has one partition more');
    } else {
      const text = await page.locator('#partitions-result .error-box').textContent();
      assert(text.includes(partsProbe.body.message), `the server's error is shown: ${text} (the API said ${partsProbe.body.message})`);
      assert((await api('GET', path1)).partitions === cur, 'nothing changed');
    }
    await noErrors('partitions');
    await shot('topic-partitions');
  });

  await step('the operations history: filters, and paging with Older / Newer', async () => {
    await page.click('nav a[data-nav="operations"]');
    await page.waitForSelector('#history-table tr[data-operation]');
    const count = async (params) => (await api('GET', `/operations?pageSize=1${params || ''}`)).totalSize || 0;
    const total = await count();
    await page.waitForSelector(`#hist-page-info[data-total="${total}"]`, { state: 'attached' });
    if (total <= 50) {
      assert(await page.isDisabled('#hist-older'), `${total} operations fit on the first page: Older is disabled`);
      assert(await page.isDisabled('#hist-newer'), 'the first page: Newer is disabled');
      assert((await page.locator('#history-table tr[data-operation]').count()) === total, 'every operation is listed');
    }
    // More than one page of 10: replication dry runs are quick to make.
    for (let i = total; i < 13; i += 1) {
      await api('POST', '/operations/replicate', { sourceClusterId: A, targetClusterIds: [B], dryRun: true });
    }
    const n = await count();
    const rows = () => page.locator('#history-table tr[data-operation]').evaluateAll((rs) => rs.map((r) => r.dataset.operation));
    await page.selectOption('#hist-page-size', '10');
    await page.waitForFunction((t) => document.querySelector('#hist-page-info')?.dataset.total === String(t) &&
      document.querySelectorAll('#history-table tr[data-operation]').length === 10, n);
    const first = await rows();
    assert(await page.isDisabled('#hist-newer') && !(await page.isDisabled('#hist-older')), 'page 1 of several: Older only');
    assert((await page.textContent('#hist-page-info')).includes(`1–10 of ${n}`), await page.textContent('#hist-page-info'));
    await page.click('#hist-older');
    await page.waitForSelector('#history-table[data-page="2"]');
    const second = await rows();
    assert(second.length === Math.min(10, n - 10) && second.every((id) => !first.includes(id)), `page 2 is the next ${second.length}: ${second}`);
    const p1 = await api('GET', '/operations?pageSize=10');
    const p2 = await api('GET', `/operations?pageSize=10&pageToken=${encodeURIComponent(p1.nextPageToken)}`);
    assert(JSON.stringify(p2.operations.map((o) => o.id)) === JSON.stringify(second), 'page 2 is the API\'s page 2');
    assert(!(await page.isDisabled('#hist-newer')), 'Newer is enabled on page 2');
    if (n <= 20) assert(await page.isDisabled('#hist-older'), 'the last page: Older is disabled');
    await noErrors('history page 2');
    await shot('operations-history-page-2');
    await page.click('#hist-newer');
    await page.waitForSelector('#history-table[data-page="1"]');
    assert(JSON.stringify(await rows()) === JSON.stringify(first), 'Newer goes back to page 1');

    // Filters, each as the API counts: by type, by status, by cluster (back to page 1).
    await page.click('#hist-older');
    await page.waitForSelector('#history-table[data-page="2"]');
    await page.selectOption('#hist-type', 'OPERATION_TYPE_MIGRATE');
    const migrations = await count('&operationType=OPERATION_TYPE_MIGRATE');
    await page.waitForSelector(`#hist-page-info[data-total="${migrations}"][data-page="1"]`, { state: 'attached' });
    const types = await page.locator('#history-table td[data-type]').evaluateAll((tds) => tds.map((t) => t.dataset.type));
    assert(types.length === Math.min(10, migrations) && types.every((t) => t === 'MIGRATE'), `migrations only: ${types}`);
    await page.selectOption('#hist-type', '');
    await page.selectOption('#hist-status', 'OPERATION_STATUS_FAILED');
    const failed = await count('&status=OPERATION_STATUS_FAILED');
    await page.waitForSelector(`#hist-page-info[data-total="${failed}"]`, { state: 'attached' });
    if (!failed) await page.waitForSelector('#history-none >> text=No operation matches the filters');
    await page.selectOption('#hist-status', '');
    await page.selectOption('#hist-cluster', B);
    const withB = await count(`&clusterId=${B}`);
    await page.waitForSelector(`#hist-page-info[data-total="${withB}"]`, { state: 'attached' });
    const named = await page.locator('#history-table td[data-clusters]').evaluateAll((tds) => tds.map((t) => t.dataset.clusters));
    assert(named.length === Math.min(10, withB) && named.every((c) => c.split(' ').includes(B)), `operations of ${B} only: ${named}`);
    await noErrors('history filters');
    await shot('operations-history-filtered');
    await page.selectOption('#hist-cluster', '');
    await page.selectOption('#hist-page-size', '50');
  });

  await step(`stop, start and delete ${B} from the overview, each confirmed first`, async () => {
    await page.click('nav a[data-nav="clusters"]');
    const row = `#clusters-table tr[data-cluster="${B}"]`;
    await page.waitForSelector(`${row}[data-status="RUNNING"]`);
    await page.click(`${row} button[data-action="stop"]`);
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-ok');
    await page.waitForSelector(`${row}[data-status="STOPPED"]`, WAIT);
    await shot('overview-stopped');
    await page.click(`${row} button[data-action="start"]`);
    await page.click('#confirm-ok');
    await page.waitForSelector(`${row}[data-status="RUNNING"]`, WAIT);
    await page.click(`${row} button[data-action="delete"]`);
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-cancel'); // changed my mind: nothing happens
    await page.waitForTimeout(300);
    assert((await page.locator(row).count()) === 1, 'a cancelled delete deletes nothing');
    await page.click(`${row} button[data-action="delete"]`);
    await page.click('#confirm-ok');
    await page.waitForSelector(row, { state: 'detached', ...WAIT });
    await noErrors('deleted');
  });

  await step('the Access page: who am I, a token (its secret shown once), a grant, revoking, the audit log', async () => {
    // Without authentication, WhoAmI says so (a made-up answer when this server has it on).
    const whoRoute = (url) => url.pathname === '/access/whoami';
    if (TOKEN) {
      await page.route(whoRoute, (route) => route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ principal: 'anonymous', grants: [{ role: 'admin' }], authentication: false }),
      }));
    }
    await page.click('nav a[data-nav="access"]');
    const off = await page.textContent('#auth-off[data-auth="off"]');
    assert(/Authentication is off/.test(off) && off.includes('"anonymous"'), `authentication off is said plainly: ${off}`);
    await shot('access-auth-off');
    if (!TOKEN) {
      console.log('  (no authentication on this server: the rest of the Access step needs it)');
      return;
    }
    await page.unroute(whoRoute);

    // Who am I: the admin, with the token this tab sends.
    await page.click('#access-refresh');
    await page.waitForSelector('#whoami-principal[data-principal="admin"]');
    assert((await page.locator('#auth-off').count()) === 0, 'no "authentication is off" note when it is on');
    assert((await page.getAttribute('#whoami-admin', 'data-admin')) === 'true', 'the admin is an admin');
    const tokenInfo = await page.textContent('#whoami-token');
    assert(tokenInfo.includes('admin (written on start)'), `the caller's token: ${tokenInfo}`);
    const mine = page.locator(`#my-clusters-table tr[data-cluster="${A}"]`);
    await mine.waitFor();
    const actions = (await mine.getAttribute('data-actions')).split(' ');
    assert(actions.includes('admin') && actions.includes('messages.produce'), `every action on ${A}: ${actions}`);

    // A token: the secret is shown once, the list never shows it.
    const tokenName = `${PREFIX}-ci`;
    await page.fill('#token-name', tokenName);
    await page.selectOption('#token-ttl', '86400s');
    await page.click('#token-create');
    const secret = (await page.textContent('#token-secret')).trim();
    assert(/^lkm_[A-Za-z0-9_-]+$/.test(secret), `a secret like lkm_…: ${secret}`);
    assert(/Shown only now/.test(await page.textContent('#token-secret-once')), 'the secret is said to be shown only now');
    assert((await page.locator('#token-secret-box button.copy').count()) === 1, 'the secret has a copy button');
    const row = page.locator(`#tokens-table tr[data-name="${tokenName}"]`);
    await row.waitFor();
    const tokenId = await row.getAttribute('data-token');
    assert((await row.getAttribute('data-state')) === 'active', 'the new token is active');
    assert((await row.getAttribute('data-principal')) === 'admin', 'for the caller');
    assert(secret.startsWith(`lkm_${tokenId}_`), `the secret is of the listed token ${tokenId}`);
    assert(!(await page.textContent('#tokens-list')).includes(secret), 'the list never shows a secret');
    const asNew = await apiAs(secret, 'GET', '/access/whoami');
    assert(asNew.status === 200 && asNew.body.principal === 'admin' && asNew.body.token?.id === tokenId, `the secret works: ${JSON.stringify(asNew)}`);
    await noErrors('token created');
    await shot('access-token-created');
    await page.click('#token-secret-hide');
    await page.waitForSelector('#token-secret', { state: 'detached' });
    assert(!(await page.content()).includes(secret), 'once hidden, the secret is nowhere on the page');

    // Grants: an invalid principal is refused plainly; a viewer role on the environment of A.
    const gotA = await api('GET', `/clusters/${A}`);
    const envA = (gotA.cluster || gotA).environment;
    const viewer = `${PREFIX}-viewer`.toLowerCase();
    await page.fill('#grants-principal', 'Not A Principal');
    await page.click('#grant-submit');
    const grantErr = await page.locator('#grant-form .error-box').textContent();
    assert(/not a principal name/.test(grantErr) && /INVALID_ARGUMENT/.test(grantErr), `the API's error is shown: ${grantErr}`);
    await page.fill('#grants-principal', viewer);
    await page.click('#grants-show');
    await page.waitForSelector(`#grants-none[data-principal="${viewer}"]`);
    await page.selectOption('#grant-role', 'viewer');
    await page.fill('#grant-environment', envA);
    await page.click('#grant-submit');
    const grant = page.locator(`#grants-table[data-principal="${viewer}"] tr[data-role="viewer"]`);
    await grant.waitFor();
    assert((await page.locator('#grant-form .error-box').count()) === 0, 'the earlier error is gone');
    const selector = await grant.locator('td.selector').textContent();
    assert(selector === `environment ${envA}`, `the grant's selector: ${selector}`);
    const stored = (await api('GET', `/access/principals/${viewer}/grants`)).grants || [];
    assert(stored.length === 1 && stored[0].role === 'viewer' && stored[0].clusters?.environment === envA &&
      stored[0].id === (await grant.getAttribute('data-grant')), `granted as shown: ${JSON.stringify(stored)}`);
    await noErrors('granted');
    await shot('access-grant');

    // Revoke the token, confirmed: revoked on screen, refused by lkm.
    await row.locator('button[data-action="revoke-token"]').click();
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-ok');
    await page.waitForSelector(`#tokens-table tr[data-token="${tokenId}"][data-state="revoked"]`);
    assert((await row.locator('button[data-action="revoke-token"]').count()) === 0, 'a revoked token has no revoke button');
    const refused = await apiAs(secret, 'GET', '/access/whoami');
    assert(refused.status === 401, `the revoked token is refused: ${refused.status}`);

    // A denied call, to find in the audit log: the viewer reading the audit log.
    const viewerToken = (await api('POST', '/access/tokens', { name: 'e2e viewer', principal: viewer, ttl: '3600s' })).secret;
    const denied = await apiAs(viewerToken, 'GET', '/audit/events');
    assert(denied.status === 403, `the viewer may not read the audit log: ${denied.status}`);

    // The audit log: the admin's token creation, grant and revocation; the viewer's denial.
    const ev = (method, outcome = 'OK') => `#audit-table tr[data-method="lkm.v1.AccessService/${method}"][data-outcome="${outcome}"]`;
    await page.fill('#audit-principal', 'admin');
    await page.click('#audit-apply');
    await page.waitForSelector(ev('CreateToken'));
    await page.waitForSelector(ev('GrantAccess'));
    await page.waitForSelector(ev('RevokeToken'));
    await page.waitForSelector(`${ev('GrantAccess', 'INVALID_ARGUMENT')}.failed`);
    const who = await page.locator('#audit-table tr[data-event]').evaluateAll((rs) => rs.map((r) => r.dataset.principal));
    assert(who.length > 0 && who.every((p) => p === 'admin'), `filtered by principal: ${who}`);
    await shot('access-audit');
    await page.fill('#audit-principal', viewer);
    await page.click('#audit-apply');
    await page.waitForSelector(`${ev('ListAuditEvents', 'PERMISSION_DENIED')}.denied`);
    const deniedBg = await page.locator(`${ev('ListAuditEvents', 'PERMISSION_DENIED')} td`).first()
      .evaluate((td) => getComputedStyle(td).backgroundColor);
    assert(deniedBg !== 'rgba(0, 0, 0, 0)', `the denied row is highlighted: ${deniedBg}`);
    await page.fill('#audit-principal', '');
    await page.selectOption('#audit-cluster', { label: A });
    await page.click('#audit-apply');
    await page.waitForSelector('#audit-table tr[data-event]');
    const named = await page.locator('#audit-table tr[data-event] td[data-clusters]').evaluateAll((tds) => tds.map((t) => t.dataset.clusters));
    assert(named.every((c) => c.split(' ').includes(A)), `filtered by cluster ${A}: ${named}`);
    await page.fill('#audit-since', '2099-01-01T00:00');
    await page.click('#audit-apply');
    await page.waitForSelector('#audit-none');
    await page.click('#audit-clear');
    await page.waitForSelector('#audit-table tr[data-event]');
    await noErrors('audit log');

    // The same page for the viewer: its own principal and clusters, notes instead of the
    // admin sections.
    await page.click('#token-button');
    await page.fill('#token-input', viewerToken);
    await page.click('#token-submit');
    await page.waitForSelector(`#whoami-principal[data-principal="${viewer}"]`);
    assert((await page.getAttribute('#whoami-admin', 'data-admin')) === 'false', 'the viewer is no admin');
    await page.waitForSelector('#grants-content [data-admin-only]');
    await page.waitForSelector('#audit-content [data-admin-only]');
    const viewed = page.locator(`#my-clusters-table tr[data-cluster="${A}"]`);
    await viewed.waitFor();
    assert((await viewed.getAttribute('data-actions')) === 'view topics.read', `the viewer's actions on ${A}`);
    await page.waitForSelector('#tokens-table tr[data-token]');
    const owners = await page.locator('#tokens-table tr[data-token]').evaluateAll((rs) => rs.map((r) => r.dataset.principal));
    assert(owners.every((p) => p === viewer), `the viewer sees only its tokens: ${owners}`);
    assert(await page.locator('#token-principal').isHidden(), 'no principal field for a non-admin');
    await noErrors('as the viewer');
    await shot('access-non-admin');

    await page.click('#token-button');
    await page.fill('#token-input', TOKEN);
    await page.click('#token-submit');
    await page.waitForSelector('#whoami-principal[data-principal="admin"]');
    await noErrors('back to the admin');
  });

  await step(`edit ${A} on its page: description and tags saved (only they are sent), shown through the cluster events`, async () => {
    await page.click('nav a[data-nav="clusters"]');
    await page.click(`#clusters-table tr[data-cluster="${A}"] a.name`);
    await page.waitForSelector('#live-indicator[data-state="live"]');
    await page.waitForSelector('#cluster-status .badge[data-status="RUNNING"]');
    const before = await api('GET', `/clusters/${A}`);
    await page.click('#edit-cluster');
    await page.waitForSelector(`#cluster-edit-form[data-cluster="${A}"]`);
    // Prefilled from the cluster.
    assert((await page.inputValue('#edit-description')) === (before.description || ''), 'the description is prefilled');
    const tagsShown = await page.inputValue('#edit-tags');
    assert(tagsShown.includes('team=e2e') && tagsShown.includes('purpose=dashboard'), `the tags are prefilled: ${tagsShown}`);
    assert((await page.inputValue('#edit-partitions')) === String(before.kafkaConfig.numPartitions), 'the broker settings are prefilled');
    await page.waitForSelector('#edit-changes >> text=Nothing changed yet');

    const description = 'Edited in the dashboard';
    await page.fill('#edit-description', description);
    await page.fill('#edit-tags', 'team=e2e\npurpose=dashboard\nedited=yes');
    await page.waitForSelector('#edit-changes[data-changes="description,tags"]');
    await shot('cluster-edit-form');
    const reads = getCount(`/clusters/${A}`);
    const sent = page.waitForRequest((r) => r.method() === 'PUT' && new URL(r.url()).pathname === `/clusters/${A}`);
    await page.click('#edit-save');
    const req = await sent;
    const mask = new URL(req.url()).searchParams.get('updateMask');
    const body = JSON.parse(req.postData() || '{}');
    assert(mask === 'description,tags', `the mask names only what changed: ${mask}`);
    assert(JSON.stringify(Object.keys(body).sort()) === '["description","tags"]', `only the changed fields are sent: ${req.postData()}`);
    await page.waitForSelector('#edit-result.success-box');
    assert((await page.locator('#cluster-edit-form').count()) === 0, 'the form closes once saved');
    // The header follows lkm's cluster event (the cluster is not read again).
    await page.waitForSelector(`#cluster-description >> text=${description}`);
    await page.waitForSelector('#cluster-tags .tag >> text=edited=yes');
    assert(getCount(`/clusters/${A}`) === reads, `shown through the event stream, not GET /clusters/${A}: ${getCount(`/clusters/${A}`) - reads} reads`);
    const after = await api('GET', `/clusters/${A}`);
    assert(after.description === description, `stored: ${after.description}`);
    assert(after.tags.edited === 'yes' && after.tags.team === 'e2e' && after.tags.purpose === 'dashboard' && Object.keys(after.tags).length === 3,
      `the tags stored: ${JSON.stringify(after.tags)}`);
    assert(after.kafkaConfig.numPartitions === before.kafkaConfig.numPartitions && after.environment === before.environment, 'nothing else changed');
    await noErrors('cluster edited');
    await shot('cluster-edited');
  });

  await step(`a change ${A} cannot take while it runs: lkm's refusal is shown as it says it`, async () => {
    await page.click('#edit-cluster');
    await page.waitForSelector('#cluster-edit-form');
    assert(!(await page.isChecked('#edit-jmx')), 'JMX is off');
    await page.check('#edit-jmx');
    await page.waitForSelector('#edit-changes[data-changes="kafkaConfig.jmxEnabled"]');
    await page.click('#edit-save');
    const text = await page.locator('#cluster-edit-form .error-box').textContent();
    assert(/stop cluster/.test(text) && text.includes(A) && /FAILED_PRECONDITION/.test(text) && /CLUSTER_RUNNING/.test(text),
      `the refusal is shown plainly: ${text}`);
    assert((await api('GET', `/clusters/${A}`)).kafkaConfig.jmxEnabled === false, 'nothing changed');
    await shot('cluster-edit-refused');
    await page.click('#edit-cancel');
    await page.waitForSelector('#cluster-edit-form', { state: 'detached' });
    await noErrors('edit refused');
  });

  await step('the Templates page: create a template, see it listed and viewed, use it in the create view, delete it', async () => {
    const TPL = `${PREFIX}-tpl`.toLowerCase();
    await page.click('nav a[data-nav="templates"]');
    await page.waitForSelector('#templates-table[data-loaded] tr[data-template="tansu-dev"][data-builtin="true"]');
    const listed = (await api('GET', '/templates?pageSize=1000')).templates;
    assert((await page.locator('#templates-table tr[data-template]').count()) === listed.length, 'every template is listed');
    const dev = await page.locator('#templates-table tr[data-template="tansu-dev"]').textContent();
    assert(/tansu/.test(dev) && /development/.test(dev) && /built-in/.test(dev) && /128/.test(dev), `category, engine, kind, memory: ${dev}`);

    await page.click('#template-new');
    await page.fill('#tpl-id', TPL);
    await page.fill('#tpl-name', 'E2E template');
    await page.fill('#tpl-description', 'made by the dashboard test');
    await page.selectOption('#tpl-category', 'TEMPLATE_CATEGORY_TESTING');
    await page.fill('#tpl-environment', 'test');
    await page.selectOption('#tpl-engine', 'BROKER_ENGINE_TANSU');
    assert(await page.isDisabled('#tpl-rest-proxy') && !(await page.isChecked('#tpl-rest-proxy')), 'tansu: no REST proxy');
    await page.fill('#tpl-partitions', '2');
    await page.fill('#tpl-heap', '256M');
    await page.fill('#tpl-min-memory', '128');
    await page.click('#tpl-create');
    await page.waitForSelector(`#tpl-result .success-box[data-created="${TPL}"]`);
    const row = page.locator(`#templates-table tr[data-template="${TPL}"][data-builtin="false"]`);
    await row.waitFor();
    const rowText = await row.textContent();
    assert(/E2E template/.test(rowText) && /testing/.test(rowText) && /tansu/.test(rowText) && /own/.test(rowText), `listed: ${rowText}`);
    const stored = await api('GET', `/templates/${TPL}`);
    assert(stored.defaultKafkaConfig.numPartitions === 2 && stored.defaultKafkaConfig.engine === 'BROKER_ENGINE_TANSU' &&
      stored.minMemoryMb === 128 && stored.defaultEnvironment === 'test' && stored.category === 'TEMPLATE_CATEGORY_TESTING', `stored: ${JSON.stringify(stored)}`);
    await noErrors('template created');
    await shot('templates-created');

    // Its page: the defaults.
    await row.locator('a[data-action="view-template"]').click();
    await page.waitForSelector(`#template-detail[data-template="${TPL}"]`);
    assert((await page.textContent('#template-kafka dd[data-key="numPartitions"]')) === '2', 'its default partitions');
    assert((await page.textContent('#template-kafka dd[data-key="engine"]')) === 'TANSU', 'its engine');
    await shot('template-view');

    // Create cluster from this template: the create view, with it picked.
    await page.click('#tpl-use');
    await page.waitForFunction((t) => location.hash === `#/create?template=${t}`, TPL);
    await page.waitForSelector(`#template-picker [data-template="${TPL}"][aria-checked="true"]`);
    assert((await page.getAttribute('#kc-partitions', 'placeholder')) === '2', 'its defaults are the placeholders');
    assert((await page.getAttribute('#cluster-environment', 'placeholder')) === 'test', 'its environment too');
    await page.click('#preview-button');
    await page.waitForSelector('#preview .preview');
    assert(/TANSU/.test(await page.textContent('#preview')), 'the preview is of the template');
    await noErrors('template in the create view');
    await shot('create-from-template');

    // Delete it, confirmed (Cancel first: nothing happens).
    await page.click('nav a[data-nav="templates"]');
    await row.locator('button[data-action="delete-template"]').click();
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-cancel');
    await page.waitForSelector('#confirm-dialog[open]', { state: 'detached' });
    assert((await apiAs(TOKEN, 'GET', `/templates/${TPL}`)).status === 200, 'a cancelled delete deletes nothing');
    await row.locator('button[data-action="delete-template"]').click();
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-ok');
    await page.waitForSelector(`#template-action-result .success-box[data-deleted="${TPL}"]`);
    await page.waitForSelector(`#templates-table tr[data-template="${TPL}"]`, { state: 'detached' });
    const gone = await apiAs(TOKEN, 'GET', `/templates/${TPL}`);
    assert(gone.status === 404, `deleted: ${gone.status}`);
    await noErrors('template deleted');
  });

  await step('deleting a built-in template is refused, and so is creating one as a non-admin: lkm\'s words are shown', async () => {
    await page.click('#templates-table tr[data-template="development"] button[data-action="delete-template"]');
    await page.waitForSelector('#confirm-dialog[open]');
    assert(/built-in template/.test(await page.textContent('#confirm-body')), 'the confirmation says it is built-in');
    await page.click('#confirm-ok');
    const text = await page.locator('#template-action-result [data-refused="development"] .error-box').textContent();
    assert(/'development' is a built-in template and cannot be deleted/.test(text) && /FAILED_PRECONDITION/.test(text) && /BUILTIN_TEMPLATE/.test(text),
      `the refusal is shown plainly: ${text}`);
    await page.waitForSelector('#templates-table tr[data-template="development"]');
    assert((await apiAs(TOKEN, 'GET', '/templates/development')).status === 200, 'still there');
    await noErrors('built-in refused');
    await shot('template-builtin-refused');
    if (!TOKEN) {
      console.log('  (no authentication on this server: the non-admin part needs it)');
      return;
    }

    // A non-admin: told beforehand, and lkm's refusal shown (a template pasted as JSON).
    const viewer = `${PREFIX}-tplviewer`.toLowerCase();
    const viewerToken = (await api('POST', '/access/tokens', { name: 'e2e templates', principal: viewer, ttl: '3600s' })).secret;
    await page.click('#token-button');
    await page.fill('#token-input', viewerToken);
    await page.click('#token-submit');
    await page.waitForSelector('#templates-admin-note[data-admin-only]');
    await page.click('#tpl-mode-json');
    await page.fill('#tpl-json', JSON.stringify({ id: `${PREFIX}-denied`.toLowerCase(), defaultKafkaConfig: { engine: 'BROKER_ENGINE_TANSU' } }));
    await page.click('#tpl-create');
    const denied = await page.locator('#tpl-result .error-box').textContent();
    assert(/PERMISSION_DENIED/.test(denied) && /admin/.test(denied), `the refusal is shown plainly: ${denied}`);
    await page.fill('#tpl-json', '{"id": ');
    await page.click('#tpl-create');
    await page.waitForSelector('#tpl-result .error-box >> text=The JSON is not valid');
    await shot('template-non-admin');
    await page.click('#token-button');
    await page.fill('#token-input', TOKEN);
    await page.click('#token-submit');
    await page.waitForSelector('#templates-admin-note', { state: 'detached' });
    await noErrors('back to the admin');
  });
} catch (e) {
  console.error(`FAILED: ${e.stack || e}`);
  await browser.close();
  process.exit(1);
}

await browser.close();
console.log(`dashboard e2e passed; screenshots in ${SHOTS}`);
