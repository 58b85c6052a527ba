// The SDK's web build (`@lkm/client/web`, dist/index.js) in a real browser: headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core from web/node_modules) loads a page
// from a made-up origin (LKM_TEST_BROWSER_ORIGIN, e.g. https://sdk.test, served from disk by
// page.route) that imports the SDK and its dependencies as plain ES modules through an import
// map, and calls a live lkm (LKM_TEST_SERVER, with LKM_TEST_TOKEN) cross-origin over gRPC-web:
// CORS preflights with the bearer token, unary calls, server streaming (ConsumeStream,
// WatchOperation), errors with their code and reason, Unauthenticated without a token, and an
// origin the server does not allow.
//
// The origin is https: to Chromium a page served by page.route is public, and a public page
// may call a loopback lkm only from a secure context, with the user's Local Network Access
// permission (granted to the browser context here). A plain-http public page cannot at all.
//
// tests/sdk_clients.rs (`typescript_sdk_in_headless_chromium`) starts an lkm (process runtime:
// tansu-dev clusters) with authentication and `cors_allowed_origins = [LKM_TEST_BROWSER_ORIGIN]`
// and runs this file. By hand, against such an lkm:
//
//   LKM_TEST_SERVER=http://127.0.0.1:8000 LKM_TEST_TOKEN=… LKM_TEST_BROWSER_ORIGIN=https://sdk.test \
//     node --test clients/typescript/test/browser.test.mjs
//
// Without LKM_TEST_BROWSER_ORIGIN (as in `npm test`), Chromium or playwright-core, the tests
// are skipped, saying why.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import { builtinModules } from "node:module";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";

const root = resolve(dirname(fileURLToPath(import.meta.url)), ".."); // clients/typescript
const repo = resolve(root, "..", "..");
const server = process.env.LKM_TEST_SERVER?.replace(/\/$/, "");
const token = process.env.LKM_TEST_TOKEN || "";
const origin = process.env.LKM_TEST_BROWSER_ORIGIN?.replace(/\/$/, "");
const template = process.env.LKM_TEST_TEMPLATE || "tansu-dev";
const chromiumPath = process.env.LKM_TEST_CHROMIUM || "/usr/bin/chromium";
const playwrightDir = join(repo, "web", "node_modules", "playwright-core");
/** An origin the server does not allow. */
const otherOrigin = "https://evil.test";
/** The web build: dist/, or where LKM_TEST_SDK_DIST says (tests/sdk_clients.rs builds it there). */
const dist = resolve(process.env.LKM_TEST_SDK_DIST || join(root, "dist"));

function whySkip() {
  if (!server || !origin) {
    return "LKM_TEST_SERVER and LKM_TEST_BROWSER_ORIGIN are not set (tests/sdk_clients.rs sets them)";
  }
  if (!existsSync(chromiumPath)) return `${chromiumPath} is missing (Debian package chromium; web/ci-setup installs it)`;
  if (!existsSync(join(playwrightDir, "package.json"))) {
    return `playwright-core is not installed in ${relative(process.cwd(), playwrightDir) || playwrightDir} (run web/ci-setup)`;
  }
  if (!existsSync(join(dist, "index.js"))) return `${dist} has no web build (npm run build)`;
  return undefined;
}
const skip = whySkip();

// ---- The page: the web build's module graph, served from disk ---------------------------------

/** The file a package's `exports` entry names for the browser (ESM) conditions. */
function conditional(entry) {
  if (typeof entry === "string") return entry;
  if (!entry || typeof entry !== "object") return undefined;
  for (const c of ["browser", "import", "module", "default"]) {
    const found = conditional(entry[c]);
    if (found) return found;
  }
  return undefined;
}

/** The ESM file of a bare specifier such as "@bufbuild/protobuf/wkt" (from node_modules). */
function resolveBare(specifier) {
  const parts = specifier.split("/");
  const n = specifier.startsWith("@") ? 2 : 1;
  const pkg = parts.slice(0, n).join("/");
  const sub = parts.slice(n).join("/");
  const dir = join(root, "node_modules", pkg);
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const target = conditional(manifest.exports?.[sub ? `./${sub}` : "."]) ?? (!sub && (manifest.module || manifest.main));
  if (!target) throw new Error(`${pkg}/package.json exports no ${sub ? `./${sub}` : "."} for browsers`);
  return join(dir, target);
}

/** The module specifiers of a file's import and export-from statements. */
const IMPORTS = /^\s*(?:(?:import|export)\s[^;'"]*?from\s*|import\s*)["']([^"']+)["']/gm;

/**
 * Follows the static imports from dist/index.js: the files to serve, the import map of the bare
 * specifiers, and any Node-only module the web build would need (there must be none).
 */
function moduleGraph() {
  const entry = join(dist, "index.js");
  const files = new Set();
  const imports = {};
  const nodeOnly = [];
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop();
    if (files.has(file)) continue;
    files.add(file);
    for (const [, spec] of readFileSync(file, "utf8").matchAll(IMPORTS)) {
      if (spec.startsWith(".") || spec.startsWith("/")) {
        queue.push(resolve(dirname(file), spec));
      } else if (spec.startsWith("node:") || builtinModules.includes(spec) || spec === "@connectrpc/connect-node") {
        nodeOnly.push(`${relative(root, file)} imports ${spec}`);
      } else {
        imports[spec] ??= resolveBare(spec);
        queue.push(imports[spec]);
      }
    }
  }
  return { entry, files, imports, nodeOnly };
}

/** The page's path of a file of the web build or of node_modules. */
function urlOf(file) {
  for (const [prefix, dir] of [["/dist/", dist], ["/node_modules/", join(root, "node_modules")]]) {
    const rel = relative(dir, file);
    if (rel && !rel.startsWith("..")) return prefix + rel.split(sep).join("/");
  }
  throw new Error(`${file} is neither in ${dist} nor in node_modules`);
}

function pageHtml(graph) {
  const imports = { "@lkm/client/web": urlOf(graph.entry), "@lkm/client": urlOf(graph.entry) };
  for (const [spec, file] of Object.entries(graph.imports)) imports[spec] = urlOf(file);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>@lkm/client in a browser</title>
<script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module">
  import * as lkm from "@lkm/client/web";
  import { Code, ConnectError } from "@connectrpc/connect";
  window.lkm = lkm;
  window.connect = { Code, ConnectError };
  window.lkmReady = true;
</script></head><body>lkm SDK test page</body></html>`;
}

const TYPES = { ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".html": "text/html; charset=utf-8" };

/** Serves `pageOrigin`'s requests: / is the page, else only the files of the module graph. */
async function servePage(page, pageOrigin, graph) {
  const html = pageHtml(graph);
  const served = new Map([...graph.files].map((f) => [urlOf(f), f]));
  await page.route(`${pageOrigin}/**`, async (route) => {
    const { pathname } = new URL(route.request().url());
    if (pathname === "/") {
      return route.fulfill({ status: 200, contentType: TYPES[".html"], body: html });
    }
    const file = served.get(pathname);
    if (!file) return route.fulfill({ status: 404, contentType: "text/plain", body: `not served: ${pathname}` });
    return route.fulfill({ status: 200, contentType: TYPES[extname(file)] ?? "application/octet-stream", body: readFileSync(file) });
  });
}

// ---- Plain HTTP, for what a page cannot see (the CORS headers themselves) ----------------------

function request(method, path, headers, body) {
  return new Promise((ok, fail) => {
    const req = http.request(new URL(path, server), { method, headers }, (res) => {
      res.resume();
      res.on("end", () => ok(res));
    });
    req.on("error", fail);
    req.end(body);
  });
}

const headerList = (v) => (v ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);

// ---- The tests ---------------------------------------------------------------------------------

describe("the web build in headless Chromium against a live lkm", { skip }, () => {
  let browser;
  let context;
  let page;
  let graph;
  const pageErrors = [];
  const created = [];

  before(async () => {
    graph = moduleGraph();
    const { chromium } = await import(pathToFileURL(join(playwrightDir, "index.mjs")).href);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    // Local Network Access (see the top): the permission a user would grant the page.
    context = await browser.newContext({ permissions: ["local-network-access"] });
    page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(`console: ${m.text()}`);
    });
    await servePage(page, origin, graph);
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.lkmReady === true, null, { timeout: 15_000 }).catch((e) => {
      throw new Error(`the SDK did not load in the page: ${e.message}\n${pageErrors.join("\n")}`);
    });
    // A page's call: `fn(lkm, connect, args)` in the page with lkm = the SDK's web build and
    // connect = { Code, ConnectError } from @connectrpc/connect.
    page.call = (fn, args = {}) =>
      page.evaluate(
        async ([src, a]) => {
          // Turns a failure into plain data: its gRPC code name, message and lkm's reason.
          window.failure = (e) => {
            const c = window.connect.ConnectError.from(e);
            return { code: window.connect.Code[c.code], message: c.message, reason: window.lkm.errorReason(c) ?? null };
          };
          return (0, eval)(`(${src})`)(window.lkm, window.connect, a);
        },
        [fn.toString(), { server, token, template, ...args }],
      );
  });

  after(async () => {
    if (created.length && page) {
      await page
        .call(async (lkm, _c, { server, token, names }) => {
          const client = lkm.createLkmClient({ baseUrl: server, token });
          for (const clusterId of names) await client.clusters.deleteCluster({ clusterId, force: true }).catch(() => {});
        }, { names: created })
        .catch(() => {});
    }
    await browser?.close();
  });

  test("the web build loads as ES modules, with no Node-only import", () => {
    assert.deepEqual(graph.nodeOnly, [], "the web build reaches Node-only modules");
    for (const spec of ["@bufbuild/protobuf", "@bufbuild/protobuf/wkt", "@bufbuild/protobuf/codegenv2", "@connectrpc/connect", "@connectrpc/connect-web"]) {
      assert.ok(graph.imports[spec], `the import map has ${spec}: ${Object.keys(graph.imports).join(", ")}`);
    }
    assert.deepEqual(pageErrors, []);
  });

  test("lkm's CORS preflight allows the gRPC-web headers and the token; responses expose grpc-status", async () => {
    const path = "/lkm.v1.TemplateService/ListTemplates";
    const wanted = ["authorization", "content-type", "x-grpc-web", "x-user-agent"];
    const pre = await request("OPTIONS", path, {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": wanted.join(","),
    });
    assert.ok(pre.statusCode < 300, `preflight status ${pre.statusCode}`);
    assert.equal(pre.headers["access-control-allow-origin"], origin);
    const allowed = headerList(pre.headers["access-control-allow-headers"]);
    for (const h of wanted) {
      // "*" does not cover Authorization (Fetch standard): it must be named.
      assert.ok(allowed.includes(h) || (h !== "authorization" && allowed.includes("*")), `preflight allows ${h}: ${allowed}`);
    }
    assert.ok(headerList(pre.headers["access-control-allow-methods"]).some((m) => m === "post" || m === "*"));

    // An empty ListTemplatesRequest as one gRPC-web frame.
    const res = await request("POST", path, {
      origin,
      authorization: `Bearer ${token}`,
      "content-type": "application/grpc-web+proto",
      "x-grpc-web": "1",
    }, Buffer.from([0, 0, 0, 0, 0]));
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers["access-control-allow-origin"], origin);
    const exposed = headerList(res.headers["access-control-expose-headers"]);
    for (const h of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) {
      assert.ok(exposed.includes(h) || exposed.includes("*"), `exposes ${h}: ${exposed}`);
    }
  });

  test("unary calls with the bearer token, and an error with its code and reason", async () => {
    const r = await page.call(async (lkm, _c, { server, token }) => {
      const client = lkm.createLkmClient({ baseUrl: server, token });
      const { templates } = await client.templates.listTemplates({});
      const missing = await client.clusters.getCluster({ clusterId: "lkmtest-does-not-exist" }).then(() => null, window.failure);
      return { templates: templates.map((t) => t.id), missing };
    });
    assert.ok(r.templates.includes(template), `templates: ${r.templates.join(", ")}`);
    assert.equal(r.missing?.code, "NotFound", JSON.stringify(r.missing));
    assert.equal(r.missing.reason, "CLUSTER_NOT_FOUND");
  });

  test("a cluster from the page, Produce, and ConsumeStream (server streaming over fetch)", { timeout: 120_000 }, async () => {
    const name = `lkmtest-web-${randomBytes(3).toString("hex")}`;
    created.push(name);
    const r = await page.call(async (lkm, connect, { server, token, template, name }) => {
      const client = lkm.createLkmClient({ baseUrl: server, token });
      const { cluster } = await client.clusters.createCluster({ name, templateId: template });
      const running = await lkm.waitUntilRunning(client, cluster.id, { timeoutMs: 60_000 });
      await client.clusters.createTopic({ clusterId: name, name: "orders", partitions: 1 });
      const produced = await client.clusters.produce({
        clusterId: name,
        topic: "orders",
        records: [
          { key: lkm.payload("o-1"), value: lkm.payload({ total: 42 }) },
          { value: lkm.payload(new Uint8Array([0xff, 0x00, 0x80])) },
          { value: lkm.payload("plain ✓") },
        ],
      });
      // A bounded stream: it ends after three records.
      const streamed = [];
      for await (const batch of client.clusters.consumeStream({
        clusterId: name,
        topic: "orders",
        startFrom: lkm.StartFrom.BEGINNING,
        maxRecords: 3n,
      })) {
        streamed.push(...batch.records);
      }
      // Following (no limit) until the page aborts.
      const abort = new AbortController();
      let followed = 0;
      let ended = "ended by the server";
      try {
        for await (const batch of client.clusters.consumeStream(
          { clusterId: name, topic: "orders", startFrom: lkm.StartFrom.BEGINNING },
          { signal: abort.signal },
        )) {
          followed += batch.records.length;
          if (followed >= 3) abort.abort();
        }
      } catch (e) {
        ended = window.failure(e).code;
      }
      const deleted = await client.clusters.deleteCluster({ clusterId: name, force: true }).then(() => true);
      const gone = await client.clusters.getCluster({ clusterId: name }).then(() => null, window.failure);
      return {
        created: lkm.ClusterStatus[cluster.status],
        running: lkm.ClusterStatus[running.status],
        produced: produced.results.map((x) => String(x.offset)),
        failed: produced.failedCount,
        offsets: streamed.map((x) => String(x.offset)),
        key: lkm.payloadValue(streamed[0]?.key),
        json: lkm.payloadValue(streamed[0]?.value),
        binary: Array.from(lkm.payloadValue(streamed[1]?.value) ?? []),
        text: lkm.payloadValue(streamed[2]?.value),
        followed,
        ended,
        deleted,
        gone: gone?.code,
      };
    }, { name });
    assert.equal(r.running, "RUNNING", JSON.stringify(r));
    assert.equal(r.failed, 0);
    assert.deepEqual(r.produced, ["0", "1", "2"]);
    assert.deepEqual(r.offsets, ["0", "1", "2"]);
    assert.equal(r.key, "o-1");
    assert.deepEqual(typeof r.json === "string" ? JSON.parse(r.json) : r.json, { total: 42 });
    assert.deepEqual(r.binary, [0xff, 0x00, 0x80]);
    assert.equal(r.text, "plain ✓");
    assert.equal(r.followed, 3);
    assert.equal(r.ended, "Canceled");
    assert.equal(r.deleted, true);
    assert.equal(r.gone, "NotFound");
    created.splice(created.indexOf(name), 1);
  });

  test("a server stream's error (WatchOperation of an unknown operation) is a ConnectError", async () => {
    const r = await page.call(async (lkm, connect, { server, token }) => {
      const client = lkm.createLkmClient({ baseUrl: server, token });
      const events = [];
      const error = await (async () => {
        for await (const e of client.operations.watchOperation({ operationId: "no-such-operation" })) events.push(e);
      })().then(() => null, (e) => ({ ...window.failure(e), isConnectError: e instanceof connect.ConnectError }));
      return { events: events.length, error };
    });
    assert.equal(r.events, 0);
    assert.equal(r.error?.code, "NotFound", JSON.stringify(r.error));
    assert.equal(r.error.isConnectError, true);
  });

  test("without the token (or with a wrong one): Unauthenticated, unary and streaming", async () => {
    const r = await page.call(async (lkm, _c, { server }) => {
      const out = {};
      for (const t of ["", "not-the-token"]) {
        const client = lkm.createLkmClient({ baseUrl: server, token: t });
        const unary = await client.templates.listTemplates({}).then(() => null, window.failure);
        const streaming = await (async () => {
          for await (const _ of client.operations.watchOperation({ operationId: "no-such-operation" }));
        })().then(() => null, window.failure);
        out[t || "none"] = { unary, streaming };
      }
      return out;
    });
    for (const [t, { unary, streaming }] of Object.entries(r)) {
      assert.equal(unary?.code, "Unauthenticated", `token ${t}, unary: ${JSON.stringify(unary)}`);
      assert.equal(streaming?.code, "Unauthenticated", `token ${t}, streaming: ${JSON.stringify(streaming)}`);
    }
  });

  test("a page from an origin lkm does not allow cannot call it", async () => {
    const pre = await request("OPTIONS", "/lkm.v1.TemplateService/ListTemplates", {
      origin: otherOrigin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type,x-grpc-web",
    });
    assert.equal(pre.headers["access-control-allow-origin"], undefined, `preflight from ${otherOrigin} allowed`);

    const other = await context.newPage();
    const messages = [];
    other.on("console", (m) => messages.push(m.text()));
    try {
      await servePage(other, otherOrigin, graph);
      await other.goto(`${otherOrigin}/`);
      await other.waitForFunction(() => window.lkmReady === true, null, { timeout: 15_000 });
      const r = await other.evaluate(async ([server, token]) => {
        const client = window.lkm.createLkmClient({ baseUrl: server, token });
        return client.templates.listTemplates({}).then(
          () => null,
          (e) => {
            const c = window.connect.ConnectError.from(e);
            return { code: window.connect.Code[c.code], message: c.message };
          },
        );
      }, [server, token]);
      assert.ok(r, `a call from ${otherOrigin} succeeded`);
      assert.match(r.message, /fetch/i, JSON.stringify(r));
      // Refused by CORS (not by anything else, such as Local Network Access).
      assert.ok(
        messages.some((t) => /blocked by CORS policy.*No 'Access-Control-Allow-Origin' header/.test(t)),
        `the browser's reason: ${messages.join("\n")}`,
      );
    } finally {
      await other.close();
    }
  });

  test("no uncaught error in the page", () => {
    // CORS refusals of the other origin are logged on its own page, not this one.
    assert.deepEqual(pageErrors.filter((e) => !/status of 401/.test(e)), []);
  });
});
