// @lkm/client for browsers (and any runtime with fetch): gRPC-web through lkm's tonic-web
// layer. Node resolves "@lkm/client" to ./node.js instead, which adds plain gRPC.

import { createGrpcWebTransport } from "@connectrpc/connect-web";

import { clientsOn, interceptorsFor, type LkmClient, type LkmClientOptions } from "./client.js";

export * from "./client.js";
export * from "./gen/lkm/v1/index.js";

/**
 * A client of the lkm services over gRPC-web (fetch). Browsers cannot speak plain gRPC (they
 * do not expose HTTP/2 trailers), so `transport: "grpc"` is refused here; from another origin
 * the server must allow it (`cors_allowed_origins`).
 */
export function createLkmClient(options: LkmClientOptions): LkmClient {
  if (options.transport === "grpc") {
    throw new Error('transport "grpc" needs Node (import from "@lkm/client/node"); browsers use "grpc-web"');
  }
  const token = options.token || undefined;
  const transport = createGrpcWebTransport({
    baseUrl: options.baseUrl,
    interceptors: interceptorsFor(token, options.interceptors),
  });
  return clientsOn(transport, token);
}
