// The README's Node example, run as it is written against the live server (LKM_TEST_SERVER).

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { promisify } from "node:util";

import * as lkm from "../dist/node.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const server = process.env.LKM_TEST_SERVER;
const examples = [...readFileSync(join(root, "README.md"), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

test("README examples type-check (strict)", { timeout: 60_000 }, async () => {
  assert.ok(examples.length >= 2);
  const dir = mkdtempSync(join(tmpdir(), "lkm-readme-"));
  try {
    const files = examples.map((code, i) => {
      writeFileSync(join(dir, `example${i}.ts`), code);
      return `example${i}.ts`;
    });
    const config = {
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        lib: ["ES2022", "DOM", "DOM.Iterable"],
        strict: true,
        noEmit: true,
        types: ["node"],
        typeRoots: [join(root, "node_modules", "@types")],
        baseUrl: dir,
        paths: { "@lkm/client": [join(root, "dist", "node.d.ts")] },
      },
      files,
    };
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(config));
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    await promisify(execFile)(process.execPath, [tsc, "-p", dir]).catch((e) =>
      assert.fail(`tsc:\n${e.stdout}\n${e.stderr}`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("README example", { skip: !server && "LKM_TEST_SERVER is not set", timeout: 180_000 }, async () => {
  const code = examples[0];
  assert.ok(code, "README.md has no ts example");

  const client = lkm.createLkmClient({ baseUrl: server, token: process.env.LKM_TEST_TOKEN || undefined });
  const names = [...code.matchAll(/"(ts-demo-[a-z-]+)"/g)].map((m) => m[1]);
  for (const name of names) {
    await client.clusters.deleteCluster({ clusterId: name, force: true }).catch(() => {}); // leftovers
  }

  const env = { ...process.env, LKM_SERVER: server };
  if (process.env.LKM_TEST_TOKEN) env.LKM_TOKEN = process.env.LKM_TEST_TOKEN;
  // Run from the package directory, where "@lkm/client" resolves to this package itself.
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", code], {
    cwd: root,
    env,
    timeout: 170_000,
  }).catch((e) => assert.fail(`the example failed:\n${e.stdout}\n${e.stderr}`));
  assert.match(stdout, /SUCCEEDED 100% 2\/2 records/);
  assert.match(stdout, /error: CLUSTER_NOT_FOUND/);

  const { clusters } = await client.clusters.listClusters({ pageSize: 1000 });
  assert.deepEqual(clusters.filter((c) => names.includes(c.name)), []);
});
