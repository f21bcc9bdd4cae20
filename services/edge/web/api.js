// The API on this page's own origin: JWT sign-in, the access token refreshed before it expires (and once
// more on a 401), the spec's error envelope as ApiError, WebSockets with the token as a subprotocol.
// When the session cannot be renewed, the page asks the user to sign in again (onSessionExpired) and the
// request that failed is sent again afterwards: nothing the user was doing is lost.

const STORE = 'kataforge.session';
const EARLY_S = 30; // refresh this long before the access token expires

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `The server answered ${status}`);
    this.status = status;
    this.code = error.code || 'unknown';
    this.details = error.details || {};
  }
}

// The tokens live in this tab's sessionStorage only (a reload keeps the session; another tab signs in itself),
// read at each use, so that the stored pair is the one truth.
const stored = () => JSON.parse(sessionStorage.getItem(STORE) || 'null');
let refreshing = null; // one refresh at a time: refresh tokens rotate, so a second use of one would fail
let expired = null; // the pending "sign in again" promise, shared by every request waiting on it
let askToSignIn = () => Promise.reject(new ApiError(401, null));

export function onSessionExpired(handler) { askToSignIn = handler; }

function claims(token) {
  try {
    return JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    return {};
  }
}

export function currentUser() {
  const tokens = stored();
  if (!tokens) return null;
  const c = claims(tokens.access_token);
  return { id: c.sub, username: c.username, role: c.role };
}

function keep(reply) {
  const before = stored();
  sessionStorage.setItem(STORE, JSON.stringify({ access_token: reply.access_token,
    refresh_token: reply.refresh_token || (before && before.refresh_token) }));
}

export function forget() { sessionStorage.removeItem(STORE); }

async function parse(response) {
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { error: { message: text.slice(0, 300) } }; }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export async function signIn(username, password) {
  const form = new URLSearchParams({ username, password });
  keep(await parse(await fetch('/auth/login', { method: 'POST', body: form })));
  return currentUser();
}

export async function register(fields) {
  return parse(await fetch('/auth/register', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(fields) }));
}

export async function signOut() {
  const tokens = stored();
  const refresh = tokens && tokens.refresh_token;
  forget();
  if (refresh) {
    await fetch('/auth/logout', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: refresh }) }).catch(() => {});
  }
}

async function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      const tokens = stored();
      if (!tokens || !tokens.refresh_token) return false;
      const response = await fetch('/auth/refresh', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: tokens.refresh_token }) });
      if (!response.ok) return false;
      keep(await response.json());
      return true;
    })().catch(() => false).finally(() => { refreshing = null; });
  }
  return refreshing;
}

// A usable access token: refreshed when close to expiry; when the session is gone, after a new sign-in.
async function accessToken() {
  const tokens = stored();
  if (tokens) {
    const exp = claims(tokens.access_token).exp || 0;
    if (exp - Date.now() / 1000 > EARLY_S || await refresh()) return stored().access_token;
  }
  await signInAgain();
  return stored().access_token;
}

export function signInAgain() {
  if (!expired) expired = askToSignIn().finally(() => { expired = null; });
  return expired;
}

// fetch with the session's token; a 401 is retried after a refresh, then after the user signs in again.
async function authorised(path, init) {
  for (let attempt = 0; ; attempt += 1) {
    const headers = { ...(init.headers || {}), Authorization: `Bearer ${await accessToken()}` };
    const response = await fetch(path, { ...init, headers });
    if (response.status !== 401 || attempt === 2) return response;
    if (attempt === 0 && await refresh()) continue;
    await signInAgain();
  }
}

export async function request(method, path, { json, form, query } = {}) {
  const init = { method, headers: {} };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  const qs = query ? `?${new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v != null))}` : '';
  return parse(await authorised(path + (qs === '?' ? '' : qs), init));
}

// A multipart upload with upload progress (fetch has none), 401s handled as above.
export function upload(path, form, onProgress) {
  const once = (token) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.onload = () => resolve(new Response(xhr.responseText, { status: xhr.status }));
    xhr.onerror = () => reject(new Error('The upload failed: the connection to the server was lost'));
    xhr.send(form);
  });
  return (async () => {
    let response = await once(await accessToken());
    if (response.status === 401 && !(await refresh())) await signInAgain();
    if (response.status === 401) response = await once(await accessToken());
    return parse(response);
  })();
}

// A WebSocket to a /ws/ path of this origin; the browser cannot set headers, so the token travels as the
// subprotocol pair "bearer, <token>" (services/edge/ws_handshake.py).
export async function socket(path) {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
  return new WebSocket(url, ['bearer', await accessToken()]);
}

export const CLOSE_UNAUTHENTICATED = 4401;
