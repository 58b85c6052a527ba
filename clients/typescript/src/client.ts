// What the browser and the Node entry points share: the clients of the four lkm services on
// one transport, the bearer-token interceptor, and small helpers for payloads and waiting.

import { create, fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";

import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";

import { AccessService } from "./gen/lkm/v1/access_service_pb.js";
import { ClusterStatus } from "./gen/lkm/v1/cluster_pb.js";
import { ClusterService, type GetClusterStatusResponse } from "./gen/lkm/v1/cluster_service_pb.js";
import { type Payload, PayloadSchema } from "./gen/lkm/v1/kafka_pb.js";
import { OperationService } from "./gen/lkm/v1/operation_service_pb.js";
import { TemplateService } from "./gen/lkm/v1/template_service_pb.js";

/** "grpc": gRPC over HTTP/2 (Node only). "grpc-web": gRPC-web over HTTP/1.1 or fetch. */
export type TransportKind = "grpc" | "grpc-web";

export interface LkmClientOptions {
  /** The server, e.g. "http://127.0.0.1:8000". */
  baseUrl: string;
  /**
   * Sent as `authorization: Bearer <token>` on every call. In Node, when undefined, it is
   * discovered (see `discoverToken`); "" sends none.
   */
  token?: string;
  /** Default: "grpc" in Node, "grpc-web" in browsers. */
  transport?: TransportKind;
  /** More interceptors, run after the token one. */
  interceptors?: Interceptor[];
}

/** The four lkm services on one transport. */
export interface LkmClient {
  clusters: Client<typeof ClusterService>;
  templates: Client<typeof TemplateService>;
  operations: Client<typeof OperationService>;
  /** Who may do what: whoAmI, checkAccess, tokens, grants, the audit log. */
  access: Client<typeof AccessService>;
  transport: Transport;
  /** The token the client sends, if any. */
  token: string | undefined;
}

/** An interceptor adding `authorization: Bearer <token>` to every request. */
export function bearerToken(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (next) => async (req) => {
    req.header.set("authorization", value);
    return next(req);
  };
}

/** The interceptors for a token (none without one) followed by `extra`. */
export function interceptorsFor(token: string | undefined, extra: Interceptor[] = []): Interceptor[] {
  return token ? [bearerToken(token), ...extra] : [...extra];
}

/** The service clients on `transport`. */
export function clientsOn(transport: Transport, token?: string): LkmClient {
  return {
    clusters: createClient(ClusterService, transport),
    templates: createClient(TemplateService, transport),
    operations: createClient(OperationService, transport),
    access: createClient(AccessService, transport),
    transport,
    token,
  };
}

/**
 * The machine-readable reason lkm gives for a failed call (its `google.rpc.ErrorInfo`, e.g.
 * "CLUSTER_NOT_FOUND"), or undefined. The gRPC code is `ConnectError.from(err).code`.
 */
export function errorReason(err: unknown): string | undefined {
  return ConnectError.from(err).findDetails(ErrorInfoSchema)[0]?.reason || undefined;
}

/** Marks a value to be produced as JSON (needed for a JSON string, else produced as text). */
export class Json {
  constructor(readonly value: JsonValue) {}
}

/** A value to produce: bytes (binary), a string (text), or a JSON value. */
export type PayloadInput = Uint8Array | string | Json | JsonValue;

/**
 * The Payload of a value: Uint8Array → binary, string → text, `new Json(x)`, objects, arrays,
 * numbers, booleans and null → JSON.
 */
export function payload(value: PayloadInput): Payload {
  if (value instanceof Uint8Array) {
    return create(PayloadSchema, { data: { case: "binary", value } });
  }
  if (typeof value === "string") {
    return create(PayloadSchema, { data: { case: "text", value } });
  }
  const json = value instanceof Json ? value.value : value;
  return create(PayloadSchema, { data: { case: "json", value: fromJson(ValueSchema, json) } });
}

/** The value of a consumed key or value: Uint8Array, string, a JSON value, or undefined. */
export function payloadValue(p: Payload | undefined): Uint8Array | string | JsonValue | undefined {
  switch (p?.data.case) {
    case "binary":
    case "text":
      return p.data.value;
    case "json":
      return toJson(ValueSchema, p.data.value);
    default:
      return undefined;
  }
}

export interface WaitOptions {
  /** Give up after this long (default 120 s). */
  timeoutMs?: number;
  /** Time between GetClusterStatus calls (default 500 ms). */
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Polls GetClusterStatus until the cluster runs and returns that status. Rejects when the
 * cluster is in ERROR, or when `timeoutMs` passes.
 */
export async function waitUntilRunning(
  client: LkmClient,
  clusterId: string,
  { timeoutMs = 120_000, pollMs = 500, signal }: WaitOptions = {},
): Promise<GetClusterStatusResponse> {
  const deadline = Date.now() + timeoutMs;
  let last = "unknown";
  for (;;) {
    signal?.throwIfAborted();
    const left = deadline - Date.now();
    let status: GetClusterStatusResponse | undefined;
    try {
      status = await client.clusters.getClusterStatus({ clusterId }, { timeoutMs: Math.max(left, 1), signal });
    } catch (e) {
      if (Date.now() < deadline) throw e;
    }
    if (status) {
      if (status.status === ClusterStatus.RUNNING) return status;
      if (status.status === ClusterStatus.ERROR) {
        throw new Error(`cluster ${clusterId} is in ERROR: ${status.statusMessage}`);
      }
      last = ClusterStatus[status.status] + (status.statusMessage ? `: ${status.statusMessage}` : "");
    }
    if (Date.now() >= deadline) {
      throw new Error(`cluster ${clusterId} is not running after ${timeoutMs} ms (status ${last})`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, deadline - Date.now())));
  }
}
