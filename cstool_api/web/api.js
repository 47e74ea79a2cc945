// The one door to the CS tool API (/api/v1): cookies, the CSRF header, errors, clock skew.
//
// Every request is same-origin with credentials; every mutating request carries X-CSRF-Token (the
// token from sign-in or GET /me, else the lm_csrf cookie). Failures become one of two errors:
//   ApiError      the server answered with an error status ({"error": {code, message, details}})
//   NetworkError  no answer at all (offline, connection reset, server down): the request may or may
//                 not have reached the server, so only idempotent requests may be retried blindly.

export const API = '/api/v1';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || `http_${status}`;
    this.details = details ?? null;
  }
  get retryable() {
    return this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

export class NetworkError extends Error {
  constructor(cause) {
    super('No answer from the server (network error)');
    this.name = 'NetworkError';
    this.cause = cause;
    this.retryable = true;
  }
}

let csrfToken = null;
let onUnauthorized = () => {};
let skewMs = 0; // server clock minus browser clock, from the Date header

export function setCsrfToken(token) {
  csrfToken = token || null;
}

export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

/** Now, on the server's clock (so claim countdowns survive a wrong browser clock). */
export function serverNow() {
  return Date.now() + skewMs;
}

/** A fresh idempotency key; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function newIdempotencyKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * fetch() an API path; resolve to the parsed JSON body (null for 204), reject with ApiError or
 * NetworkError. `opts.headers` adds headers (e.g. Idempotency-Key); `opts.quiet401` skips the
 * signed-out handler (used by the sign-in and /me calls themselves).
 */
export async function request(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const token = csrfToken || cookie('lm_csrf');
    if (token) headers['X-CSRF-Token'] = token;
  }
  let res;
  try {
    res = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (err) {
    throw new NetworkError(err);
  }
  // The Date header has whole seconds (truncated): +500 ms centres it. Small differences are noise;
  // only a browser clock that is clearly off is corrected.
  const date = Date.parse(res.headers.get('Date') || '');
  if (!Number.isNaN(date)) {
    const skew = date + 500 - Date.now();
    skewMs = Math.abs(skew) > 2000 ? skew : 0;
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text().catch(() => '');
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    const message = e.message || (typeof data?.detail === 'string' ? data.detail : '') || res.statusText;
    const err = new ApiError(res.status, e.code, message, e.details ?? data?.detail);
    if (res.status === 401 && !opts.quiet401) onUnauthorized(err);
    throw err;
  }
  return data;
}

export const api = {
  get: (path, opts) => request('GET', path, undefined, opts),
  post: (path, body, opts) => request('POST', path, body ?? {}, opts),
  patch: (path, body, opts) => request('PATCH', path, body, opts),
  del: (path, opts) => request('DELETE', path, undefined, opts),
};

/** Query string from an object, skipping null/undefined/'' values. */
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
