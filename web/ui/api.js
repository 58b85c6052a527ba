// The REST gateway of lkm, as the page uses it: JSON requests and responses (canonical
// proto3 JSON), errors as google.rpc.Status, a bearer token on every call, and Server-Sent
// Events read through fetch streams (EventSource cannot send an Authorization header).
//
// Authentication contract: every call carries `Authorization: Bearer <token>` when the page
// has a token; a 401 answer means "ask for a token": the page prompts (one prompt for all the
// calls that got a 401 at the same time), keeps the token in sessionStorage and retries.

const TOKEN_KEY = 'lkm.token';
// Once the user declines the prompt, 401s are errors until a token is set again (the Token
// button): polling views must not bring the prompt back every few seconds.
let declined = false;

const CODE_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND',
  'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION',
  'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** An error answered by lkm (a google.rpc.Status) or met on the way to it. */
export class ApiError extends Error {
  constructor(httpStatus, status) {
    super(status?.message || `HTTP ${httpStatus}`);
    this.name = 'ApiError';
    this.httpStatus = httpStatus;
    this.code = typeof status?.code === 'number' ? status.code : 2;
    this.details = Array.isArray(status?.details) ? status.details : [];
    const info = this.details.find((d) => String(d['@type'] || '').endsWith('google.rpc.ErrorInfo'));
    this.reason = info?.reason || '';
    const bad = this.details.find((d) => String(d['@type'] || '').endsWith('google.rpc.BadRequest'));
    this.fieldViolations = bad?.fieldViolations || [];
  }

  get codeName() {
    return CODE_NAMES[this.code] || `CODE_${this.code}`;
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(token) {
  if (token) declined = false;
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// Replaced by the page with its token dialog: (message) => Promise<string | null>.
let askToken = async () => null;
let pendingPrompt = null;

export function setTokenPrompt(fn) {
  askToken = fn;
}

// Connection listeners: called with null after a successful call, with the error after a
// failed connection (the page shows it in the header).
const connectionListeners = new Set();
export function onConnection(fn) {
  connectionListeners.add(fn);
}
function connection(error) {
  for (const fn of connectionListeners) fn(error);
}

async function readStatus(res) {
  const text = await res.text().catch(() => '');
  try {
    const json = JSON.parse(text);
    if (json && typeof json === 'object' && 'message' in json) return json;
  } catch {
    // not JSON: described below
  }
  const excerpt = text.trim().slice(0, 300);
  return { code: 2, message: `HTTP ${res.status} ${res.statusText}${excerpt ? `: ${excerpt}` : ''}` };
}

// Runs `doFetch(headers)` with the token, prompting for a new one on 401.
async function authorized(doFetch) {
  for (;;) {
    const sent = getToken();
    let res;
    try {
      res = await doFetch(sent ? { Authorization: `Bearer ${sent}` } : {});
    } catch (e) {
      if (e?.name === 'AbortError') throw e;
      const err = new ApiError(0, { code: 14, message: `cannot reach lkm at ${location.origin}: ${e.message}` });
      connection(err);
      throw err;
    }
    connection(null);
    if (res.status !== 401) return res;
    const status = await readStatus(res);
    if (getToken() !== sent) continue; // another call already got a new token
    if (declined) throw new ApiError(401, status);
    if (!pendingPrompt) {
      pendingPrompt = Promise.resolve(askToken(status.message)).finally(() => {
        pendingPrompt = null;
      });
    }
    const token = await pendingPrompt;
    if (!token) {
      declined = true;
      throw new ApiError(401, status);
    }
    setToken(token);
  }
}

/** Query string from an object; arrays become repeated parameters, empty values are left out. */
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, String(x)));
    else q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Path segment: cluster names, topics and group ids may hold characters URLs reserve. */
export const seg = (s) => encodeURIComponent(String(s));

/** One JSON call. Resolves with the parsed body; rejects with an ApiError. */
export async function request(method, path, body, { signal } = {}) {
  const res = await authorized((auth) =>
    fetch(path, {
      method,
      signal,
      headers: {
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...auth,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  if (!res.ok) throw new ApiError(res.status, await readStatus(res));
  const text = await res.text();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(res.status, { code: 13, message: `lkm answered ${method} ${path} with something that is not JSON` });
  }
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body ?? {}, opts);
export const put = (path, body, opts) => request('PUT', path, body ?? {}, opts);
export const del = (path, opts) => request('DELETE', path, undefined, opts);

/**
 * A server-streaming call as Server-Sent Events. Calls `onMessage(json)` for every `message`
 * event; rejects with an ApiError on an `error` event (a google.rpc.Status) or a failed
 * request; resolves when the server ends the stream. Abort with `signal`.
 */
export async function stream(path, onMessage, { signal, onOpen } = {}) {
  const res = await authorized((auth) =>
    fetch(path, { signal, headers: { Accept: 'text/event-stream', ...auth } }),
  );
  if (!res.ok) throw new ApiError(res.status, await readStatus(res));
  onOpen?.();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  const dispatch = (block) => {
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue; // keep-alive comments
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? '' : line.slice(i + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (!data.length) return;
    const payload = data.join('\n');
    let json;
    try {
      json = JSON.parse(payload);
    } catch {
      throw new ApiError(200, { code: 13, message: `unreadable event from ${path}: ${payload.slice(0, 200)}` });
    }
    if (event === 'error') throw new ApiError(200, json);
    if (event === 'message') onMessage(json);
  };
  try {
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (e?.name === 'AbortError' || signal?.aborted) throw e;
        throw new ApiError(0, { code: 14, message: `the event stream ${path} broke off: ${e.message}` });
      }
      if (chunk.done) break;
      buf += chunk.value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        dispatch(block);
      }
    }
    if (buf.trim()) dispatch(buf);
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** `"1.500s"` (a google.protobuf.Duration in JSON) as seconds. */
export function seconds(duration) {
  if (duration === undefined || duration === null || duration === '') return null;
  const n = parseFloat(String(duration));
  return Number.isFinite(n) ? n : null;
}

/** An int64 (a string in proto3 JSON) as a number. */
export const num = (v) => (v === undefined || v === null || v === '' ? 0 : Number(v));

/** Enum value without its prefix: CLUSTER_STATUS_RUNNING → RUNNING. */
export function enumName(value, prefix) {
  const s = String(value ?? '');
  return s.startsWith(prefix) ? s.slice(prefix.length) : s;
}
