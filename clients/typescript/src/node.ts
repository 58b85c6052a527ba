// @lkm/client for Node: gRPC (HTTP/2) or gRPC-web (HTTP/1.1), and the token discovered the
// way the lkm CLI and the Python SDK do.

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";

import { clientsOn, interceptorsFor, type LkmClient, type LkmClientOptions } from "./client.js";

export * from "./client.js";
export * from "./gen/lkm/v1/index.js";

/** lkm's default data directory: $LKM_DATA_DIR, $XDG_DATA_HOME/lkm or ~/.local/share/lkm. */
export function defaultDataDir(): string {
  const env = process.env;
  if (env.LKM_DATA_DIR) return env.LKM_DATA_DIR;
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, "lkm");
  if (process.platform === "darwin") return join(homedir(), "Library", "Application Support", "lkm");
  return join(homedir(), ".local", "share", "lkm");
}

/** Whether a host name or address is this machine. */
export function isLocal(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "::1";
}

/**
 * The token to send: `token` when given ("" means none), else $LKM_TOKEN, else — only for a
 * server on this machine — `admin.token` in lkm's data directory (written by lkm on its first
 * start). Undefined when there is none.
 */
export function discoverToken(token?: string, baseUrl = "http://127.0.0.1:8000"): string | undefined {
  if (token !== undefined) return token.trim() || undefined;
  const env = process.env.LKM_TOKEN?.trim();
  if (env) return env;
  if (!isLocal(new URL(baseUrl).hostname)) return undefined;
  try {
    return readFileSync(join(defaultDataDir(), "admin.token"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A client of the lkm services: `transport` "grpc" (default; HTTP/2) or "grpc-web"
 * (HTTP/1.1, what browsers use). The token is discovered when not given.
 */
export function createLkmClient(options: LkmClientOptions): LkmClient {
  const token = discoverToken(options.token, options.baseUrl);
  const interceptors = interceptorsFor(token, options.interceptors);
  const kind = options.transport ?? "grpc";
  const transport =
    kind === "grpc"
      ? createGrpcTransport({ baseUrl: options.baseUrl, interceptors })
      : kind === "grpc-web"
        ? createGrpcWebTransport({ baseUrl: options.baseUrl, httpVersion: "1.1", interceptors })
        : undefined;
  if (!transport) throw new Error(`unknown transport ${String(kind)}: use "grpc" or "grpc-web"`);
  return clientsOn(transport, token);
}
