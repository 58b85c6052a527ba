// The SDK against a live lkm server (LKM_TEST_SERVER, e.g. http://127.0.0.1:8000, with
// LKM_TEST_TOKEN; tests/sdk_clients.rs starts one): every transport, errors with their reason,
// records in every encoding, and server-streaming calls (ConsumeStream, WatchOperation) over
// gRPC-web, from Node's HTTP/1.1 client and from the browser build's fetch.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";

import { Code, ConnectError } from "@connectrpc/connect";

import * as web from "../dist/index.js";
import * as lkm from "../dist/node.js";

const server = process.env.LKM_TEST_SERVER;
const token = process.env.LKM_TEST_TOKEN || undefined;
const template = process.env.LKM_TEST_TEMPLATE || "tansu-dev";

describe("live lkm server", { skip: !server && "LKM_TEST_SERVER is not set" }, () => {
  const grpc = server && lkm.createLkmClient({ baseUrl: server, token, transport: "grpc" });
  const grpcWeb = server && lkm.createLkmClient({ baseUrl: server, token, transport: "grpc-web" });
  const browser = server && web.createLkmClient({ baseUrl: server, token: token ?? lkm.discoverToken(undefined, server) });
  const transports = { grpc, "grpc-web": grpcWeb, "browser grpc-web": browser };

  const created = [];
  async function cluster(tag) {
    const name = `lkmtest-ts-${tag}-${randomBytes(3).toString("hex")}`;
    created.push(name);
    const { cluster } = await grpc.clusters.createCluster({ name, templateId: template });
    assert.equal(cluster.status, lkm.ClusterStatus.RUNNING, cluster.statusMessage);
    return cluster;
  }
  after(async () => {
    for (const name of created) {
      await grpc.clusters.deleteCluster({ clusterId: name, force: true }).catch(() => {});
    }
  });

  for (const [name, client] of Object.entries(transports)) {
    test(`templates over ${name}`, async () => {
      const { templates } = await client.templates.listTemplates({});
      const ids = templates.map((t) => t.id);
      assert.ok(ids.includes(template), ids.join(","));
    });

    test(`errors carry lkm's reason over ${name}`, async () => {
      const err = await client.clusters.getCluster({ clusterId: "lkmtest-does-not-exist" }).then(
        () => assert.fail("no error"),
        (e) => e,
      );
      assert.ok(err instanceof ConnectError);
      assert.equal(err.code, Code.NotFound);
      assert.equal(lkm.errorReason(err), "CLUSTER_NOT_FOUND");
    });
  }

  for (const [name, client] of Object.entries(transports)) {
    test(`access.whoAmI over ${name}`, { skip: !token && "the server hands out no token" }, async () => {
      const me = await client.access.whoAmI({});
      assert.equal(me.principal, "admin");
      assert.equal(me.authentication, true);
      assert.equal(me.token?.principal, "admin");
      assert.ok(me.grants.some((g) => g.role === "admin"));
    });
  }

  test("a token for another principal: created, used, revoked", { skip: !token && "the server hands out no token" }, async () => {
    const principal = `lkmtest-ts-${randomBytes(3).toString("hex")}`;
    const created = await grpc.access.createToken({ principal, name: "ci", ttl: { seconds: 3600n } });
    assert.equal(created.token?.principal, principal);
    assert.ok(created.secret);
    assert.equal(created.token.expiresAt.seconds - created.token.createdAt.seconds, 3600n);
    const { tokens } = await grpcWeb.access.listTokens({ principal });
    assert.deepEqual(tokens.map((t) => t.id), [created.token.id]);

    for (const user of [
      lkm.createLkmClient({ baseUrl: server, token: created.secret, transport: "grpc" }),
      web.createLkmClient({ baseUrl: server, token: created.secret }),
    ]) {
      const me = await user.access.whoAmI({});
      assert.equal(me.principal, principal);
      assert.equal(me.token?.id, created.token.id);
      assert.deepEqual(me.grants, []);
    }
    const user = lkm.createLkmClient({ baseUrl: server, token: created.secret, transport: "grpc-web" });
    // Admin only: refused, and not because of the token.
    const refused = await user.access.listAuditEvents({}).then(() => undefined, (e) => ConnectError.from(e));
    assert.equal(refused?.code, Code.PermissionDenied);

    await browser.access.revokeToken({ tokenId: created.token.id });
    const err = await user.access.whoAmI({}).then(() => undefined, (e) => ConnectError.from(e));
    assert.equal(err?.code, Code.Unauthenticated, err?.message);
    const after = await grpc.access.listTokens({ principal });
    assert.ok(after.tokens[0].revokedAt);
  });

  test("the server checks the token (when it hands one out)", { skip: !token && "the server hands out no token" }, async () => {
    for (const [name, make] of [
      ["grpc", (t) => lkm.createLkmClient({ baseUrl: server, token: t, transport: "grpc" })],
      ["grpc-web", (t) => lkm.createLkmClient({ baseUrl: server, token: t, transport: "grpc-web" })],
      ["browser grpc-web", (t) => web.createLkmClient({ baseUrl: server, token: t })],
    ]) {
      const ok = await make(token).templates.listTemplates({});
      assert.ok(ok.templates.length > 0, name);
      for (const t of ["", "not-the-token"]) {
        const client = make(t);
        const unary = await client.templates.listTemplates({}).then(() => undefined, (e) => ConnectError.from(e));
        assert.equal(unary?.code, Code.Unauthenticated, `${name} unary, token "${t}": ${unary?.message}`);
        const streaming = await (async () => {
          for await (const _ of client.operations.watchOperation({ operationId: "no-such-operation" }));
        })().then(() => undefined, (e) => ConnectError.from(e));
        assert.equal(streaming?.code, Code.Unauthenticated, `${name} streaming, token "${t}": ${streaming?.message}`);
      }
    }
  });

  test("cluster from a template, records in every encoding, ConsumeStream over gRPC-web", { timeout: 120_000 }, async () => {
    const c = await cluster("data");
    const status = await lkm.waitUntilRunning(grpc, c.id, { timeoutMs: 30_000 });
    assert.equal(status.status, lkm.ClusterStatus.RUNNING);

    await grpc.clusters.createTopic({ clusterId: c.name, name: "orders", partitions: 1 });
    const binary = new Uint8Array([0xff, 0x00, 0x80, 0x7f]);
    const produced = await grpcWeb.clusters.produce({
      clusterId: c.name,
      topic: "orders",
      records: [
        { key: lkm.payload("o-1"), value: lkm.payload({ total: 42 }), headers: [{ key: "src", value: new TextEncoder().encode("ts") }] },
        { key: lkm.payload(binary), value: lkm.payload(binary) },
        { value: lkm.payload("plain ✓") },
      ],
    });
    assert.equal(produced.failedCount, 0);
    assert.deepEqual(produced.results.map((r) => r.offset), [0n, 1n, 2n]);

    const { records } = await grpc.clusters.consume({
      clusterId: c.name,
      topic: "orders",
      startFrom: lkm.StartFrom.BEGINNING,
      valueFormat: lkm.PayloadFormat.UNSPECIFIED,
    });
    assert.equal(records.length, 3);
    assert.equal(lkm.payloadValue(records[0].key), "o-1");
    assert.deepEqual(JSON.parse(lkm.payloadValue(records[0].value)), { total: 42 });
    assert.equal(new TextDecoder().decode(records[0].headers[0].value), "ts");
    assert.deepEqual(lkm.payloadValue(records[1].value), binary);
    assert.equal(lkm.payloadValue(records[2].value), "plain ✓");

    const asJson = await grpc.clusters.consume({
      clusterId: c.name,
      topic: "orders",
      startFrom: lkm.StartFrom.BEGINNING,
      maxRecords: 1,
      valueFormat: lkm.PayloadFormat.JSON,
    });
    assert.deepEqual(lkm.payloadValue(asJson.records[0].value), { total: 42 });

    for (const client of [grpcWeb, browser]) {
      const streamed = [];
      for await (const batch of client.clusters.consumeStream({
        clusterId: c.name,
        topic: "orders",
        startFrom: lkm.StartFrom.BEGINNING,
        maxRecords: 3n,
      })) {
        streamed.push(...batch.records);
      }
      assert.deepEqual(streamed.map((r) => r.offset), [0n, 1n, 2n]);
      assert.deepEqual(lkm.payloadValue(streamed[1].value), binary);
    }

    // Following (max 0) until the caller stops: aborting ends the stream.
    const abort = new AbortController();
    const seen = [];
    try {
      for await (const batch of browser.clusters.consumeStream(
        { clusterId: c.name, topic: "orders", startFrom: lkm.StartFrom.BEGINNING },
        { signal: abort.signal },
      )) {
        seen.push(...batch.records);
        if (seen.length >= 3) abort.abort();
      }
    } catch (e) {
      assert.equal(ConnectError.from(e).code, Code.Canceled);
    }
    assert.equal(seen.length, 3);
  });

  test("migration progress over gRPC-web (WatchOperation)", { timeout: 120_000 }, async () => {
    const source = await cluster("src");
    const target = await cluster("dst");
    await grpc.clusters.createTopic({ clusterId: source.name, name: "events", partitions: 2 });
    const n = 1000;
    const records = Array.from({ length: n }, (_, i) => ({ key: lkm.payload(`k-${i}`), value: lkm.payload({ i }), partition: i % 2 }));
    await grpc.clusters.produce({ clusterId: source.name, topic: "events", records });

    const { operation } = await grpcWeb.operations.migrateData({
      sourceClusterId: source.name,
      targetClusterId: target.name,
      topics: ["events"],
    });
    assert.ok(operation.id);

    const events = [];
    for await (const event of grpcWeb.operations.watchOperation({ operationId: operation.id }, { timeoutMs: 60_000 })) {
      events.push(event);
    }
    assert.ok(events.length >= 1);
    const last = events.at(-1);
    assert.equal(last.final, true);
    assert.equal(last.operation.status, lkm.OperationStatus.SUCCEEDED, last.operation.errorMessage);
    assert.equal(last.operation.progress.messagesCopied, BigInt(n));
    assert.ok(events.slice(0, -1).every((e) => !e.final));
    const copied = events.map((e) => e.operation.progress?.messagesCopied ?? 0n);
    assert.deepEqual(copied, [...copied].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    assert.equal(last.operation.results.case, "migration");
    assert.equal(last.operation.results.value.verified, true);

    // A late watcher (the browser build, over fetch) gets the final state at once.
    const late = [];
    for await (const event of browser.operations.watchOperation({ operationId: operation.id })) late.push(event);
    assert.equal(late.length, 1);
    assert.equal(late[0].final, true);

    const { topics } = await grpc.clusters.listTopics({ clusterId: target.name });
    assert.equal(topics.find((t) => t.name === "events")?.messageCount, BigInt(n));
  });
});
