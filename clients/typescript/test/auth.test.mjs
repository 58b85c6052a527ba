// The authorization header on unary and server-streaming calls, over gRPC, gRPC-web (Node)
// and gRPC-web (fetch, the browser build), checked against an in-process Connect server built
// from the generated service descriptors; and the token discovery rules. No lkm needed.

import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { connectNodeAdapter } from "@connectrpc/connect-node";

import * as web from "../dist/index.js";
import * as node from "../dist/node.js";

const seen = [];
const routes = (router) => {
  router.service(node.TemplateService, {
    listTemplates(_req, ctx) {
      seen.push(ctx.requestHeader.get("authorization"));
      return { templates: [{ id: "fake" }] };
    },
  });
  router.service(node.OperationService, {
    async *watchOperation(req, ctx) {
      seen.push(ctx.requestHeader.get("authorization"));
      yield { operation: { id: req.operationId, status: node.OperationStatus.RUNNING } };
      yield { operation: { id: req.operationId, status: node.OperationStatus.SUCCEEDED }, final: true };
    },
  });
};

function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

describe("bearer token", () => {
  const h2 = http2.createServer(connectNodeAdapter({ routes }));
  const h1 = http.createServer(connectNodeAdapter({ routes }));
  let h2Url;
  let h1Url;
  before(async () => {
    h2Url = await listen(h2);
    h1Url = await listen(h1);
  });
  const sessions = new Set();
  h2.on("session", (s) => sessions.add(s));
  after(() => {
    for (const s of sessions) s.destroy();
    h2.close();
    h1.closeAllConnections();
    h1.close();
  });

  const cases = [
    ["node grpc", () => node.createLkmClient({ baseUrl: h2Url, token: "s3cret", transport: "grpc" })],
    ["node grpc-web", () => node.createLkmClient({ baseUrl: h1Url, token: "s3cret", transport: "grpc-web" })],
    ["browser grpc-web (fetch)", () => web.createLkmClient({ baseUrl: h1Url, token: "s3cret" })],
  ];
  for (const [name, make] of cases) {
    test(`${name}: sent on unary and streaming calls`, async () => {
      seen.length = 0;
      const client = make();
      const { templates } = await client.templates.listTemplates({});
      assert.deepEqual(templates.map((t) => t.id), ["fake"]);
      const events = [];
      for await (const e of client.operations.watchOperation({ operationId: "op-1" })) events.push(e);
      assert.deepEqual(events.map((e) => e.final), [false, true]);
      assert.deepEqual(seen, ["Bearer s3cret", "Bearer s3cret"]);
    });
  }

  test("no token, no header", async () => {
    seen.length = 0;
    for (const client of [
      node.createLkmClient({ baseUrl: h2Url, token: "" }),
      web.createLkmClient({ baseUrl: h1Url }),
    ]) {
      assert.equal(client.token, undefined);
      await client.templates.listTemplates({});
    }
    assert.deepEqual(seen, [null, null]);
  });

  test("browsers cannot use plain gRPC", () => {
    assert.throws(() => web.createLkmClient({ baseUrl: h1Url, transport: "grpc" }), /grpc-web/);
  });
});

describe("token discovery (Node)", () => {
  const saved = { ...process.env };
  after(() => {
    for (const k of ["LKM_TOKEN", "LKM_DATA_DIR", "XDG_DATA_HOME", "HOME"]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  test("argument, then LKM_TOKEN, then admin.token in the data directory (local servers only)", () => {
    const dir = mkdtempSync(join(tmpdir(), "lkm-token-"));
    delete process.env.LKM_TOKEN;
    delete process.env.XDG_DATA_HOME;
    process.env.HOME = join(dir, "home");
    process.env.LKM_DATA_DIR = join(dir, "data");
    assert.equal(node.discoverToken(), undefined);

    mkdirSync(join(dir, "home", ".local", "share", "lkm"), { recursive: true });
    writeFileSync(join(dir, "home", ".local", "share", "lkm", "admin.token"), "home\n");
    delete process.env.LKM_DATA_DIR;
    assert.equal(node.discoverToken(), "home");

    mkdirSync(join(dir, "xdg", "lkm"), { recursive: true });
    writeFileSync(join(dir, "xdg", "lkm", "admin.token"), "xdg\n");
    process.env.XDG_DATA_HOME = join(dir, "xdg");
    assert.equal(node.discoverToken(), "xdg");

    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "data", "admin.token"), "data-dir\n");
    process.env.LKM_DATA_DIR = join(dir, "data");
    assert.equal(node.discoverToken(undefined, "http://localhost:8000"), "data-dir");
    assert.equal(node.discoverToken(undefined, "http://[::1]:8000"), "data-dir");
    assert.equal(node.discoverToken(undefined, "https://lkm.example.com"), undefined);

    process.env.LKM_TOKEN = "env";
    assert.equal(node.discoverToken(), "env");
    assert.equal(node.discoverToken(undefined, "https://lkm.example.com"), "env");
    assert.equal(node.discoverToken("arg"), "arg");
    assert.equal(node.discoverToken(""), undefined);
    assert.equal(node.createLkmClient({ baseUrl: "http://127.0.0.1:1" }).token, "env");
  });
});

describe("payloads", () => {
  test("bytes, text and JSON round-trip", () => {
    const bytes = new Uint8Array([0, 1, 254, 255]);
    assert.equal(node.payload(bytes).data.case, "binary");
    assert.deepEqual(node.payloadValue(node.payload(bytes)), bytes);
    assert.equal(node.payloadValue(node.payload("héllo")), "héllo");
    const doc = { total: 42, items: ["a", true, null, 1.5] };
    assert.equal(node.payload(doc).data.case, "json");
    assert.deepEqual(node.payloadValue(node.payload(doc)), doc);
    assert.equal(node.payload(new node.Json("a string")).data.case, "json");
    assert.equal(node.payloadValue(undefined), undefined);
  });
});
