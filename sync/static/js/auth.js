// Session: the JWT lives in localStorage; every API call carries it; 401 → /login.

const TOKEN_KEY = 'brightsmile.token';
const HOMES = { patient: '/', dentist: '/dentist', admin: '/admin' };

export function getToken() {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  localStorage.setItem(TOKEN_KEY, token);
}

/** The token's claims (not verified here: the server verifies every request). */
export function claims(token = getToken()) {
  if (!token) return null;
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0)));
    return JSON.parse(json);
  } catch {
    return null;
  }
}

export function isExpired(c = claims()) {
  return !c || (typeof c.exp === 'number' && c.exp * 1000 <= Date.now());
}

export function homeFor(role) {
  return HOMES[role] ?? '/login';
}

export function toLogin() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

export function signOut() {
  localStorage.removeItem(TOKEN_KEY);
  location.assign('/login');
}

/** Claims of a live session in one of `roles`; otherwise navigates away and returns null. */
export function requireSession(roles) {
  const c = claims();
  if (isExpired(c)) {
    toLogin();
    return null;
  }
  if (!roles.includes(c.role)) {
    location.assign(homeFor(c.role));
    return null;
  }
  return c;
}

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = 0) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

function errorMessage(data, status) {
  if (data && typeof data.message === 'string') return data.message;
  if (data && typeof data.detail === 'string') return data.detail;
  if (data?.error && typeof data.error.message === 'string') return data.error.message;
  if (data && typeof data.error === 'string') return data.error;
  return `The server answered ${status}.`;
}

/** fetch() JSON with the token. Throws ApiError on HTTP errors, TypeError when offline. */
export async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = { Authorization: `Bearer ${getToken() ?? ''}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch(path, {
    method,
    headers,
    signal,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const isJson = (resp.headers.get('Content-Type') ?? '').includes('json');
  const data = isJson ? await resp.json().catch(() => null) : null;
  if (resp.status === 401) {
    toLogin();
  }
  if (!resp.ok) {
    const code = typeof data?.error === 'string' ? data.error : data?.error?.code ?? 'http_error';
    const retry = Number(resp.headers.get('Retry-After')) || 0;
    throw new ApiError(resp.status, code, errorMessage(data, resp.status), retry);
  }
  return data;
}
