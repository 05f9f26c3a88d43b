// api.js - the one way the page talks to estd: same-origin fetch with the
// session cookie, the CSRF header on unsafe methods (web sign-in contract),
// ETag revalidation of GETs, and errors sorted into kinds a person
// understands (network, unavailable, unauthenticated, conflict, ...).
export class ApiError extends Error {
  constructor(kind, status, problem) {
    super(problem?.detail || problem?.title || kind);
    this.kind = kind;
    this.status = status;
    this.problem = problem;
  }
}

let csrfToken = null;
export function setCsrf(token) { csrfToken = token || null; }

const cache = new Map(); // url -> {etag, body}

function kindOf(status) {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'notfound';
  if (status === 412) return 'conflict';
  if (status === 428) return 'precondition';
  if (status === 503 || status === 502 || status === 504) return 'unavailable';
  if (status === 400 || status === 422) return 'invalid';
  return 'other';
}

export function query(path, params) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  return u.pathname + u.search;
}

export async function api(path, { method = 'GET', body, ifMatch, accept = 'application/json' } = {}) {
  const headers = { Accept: accept };
  const unsafe = method !== 'GET' && method !== 'HEAD';
  if (unsafe && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (ifMatch) headers['If-Match'] = ifMatch;
  if (body !== undefined) headers['Content-Type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  const cached = method === 'GET' ? cache.get(path + '|' + accept) : null;
  if (cached) headers['If-None-Match'] = cached.etag;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError('network', 0, null);
  }
  if (res.status === 304 && cached) return { status: 200, body: cached.body, etag: cached.etag };
  let doc = null;
  const text = await res.text();
  if (text) { try { doc = JSON.parse(text); } catch { doc = null; } }
  if (!res.ok) throw new ApiError(kindOf(res.status), res.status, doc);
  const etag = res.headers.get('ETag');
  if (method === 'GET' && etag) cache.set(path + '|' + accept, { etag, body: doc });
  return { status: res.status, body: doc, etag };
}

// Every item of a paged list (follows next_cursor).
export async function all(path, params = {}) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < 50; i++) {
    const r = await api(query(path, { ...params, limit: 500, cursor }));
    items.push(...r.body.items);
    cursor = r.body.next_cursor;
    if (!cursor) break;
  }
  return items;
}

// The web sign-in contract (/auth/session). A server without the route
// (404) is treated like ESTD_AUTH=off.
export async function session() {
  try {
    const r = await api('/auth/session');
    setCsrf(r.body?.csrf_token);
    return r.body;
  } catch (e) {
    if (e.kind === 'notfound') return { authenticated: false, auth: 'off' };
    if (e.kind === 'unauthenticated') return { authenticated: false, auth: 'required' };
    throw e;
  }
}
export function loginUrl() {
  return '/auth/login?return_to=' + encodeURIComponent(location.pathname + location.search + location.hash);
}
