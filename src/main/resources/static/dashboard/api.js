// The one way the dashboard talks to the service: the public REST API, with the bearer token of the session.
// The token lives in sessionStorage only (gone with the tab); it never goes into a URL or localStorage.

const TOKEN = 'creditmeter.token';

export const session = {
  token: () => sessionStorage.getItem(TOKEN),
  signIn: (token) => sessionStorage.setItem(TOKEN, token),
  signOut: () => sessionStorage.removeItem(TOKEN),
};

/** A refusal of the API, in words: the problem's detail, with the fields it names. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function problemText(response) {
  try {
    const body = await response.json();
    const detail = body.detail || body.error?.message || response.statusText;
    const fields = (body.errors || []).map((e) => `${e.field}: ${e.message}`).join('; ');
    return fields ? `${detail} (${fields})` : detail;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

/** Calls the API; resolves to {body, total} (total from X-Total-Count), rejects with an ApiError. */
export async function call(method, path, body, { raw = false } = {}) {
  const headers = { Accept: raw ? 'text/csv' : 'application/json' };
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'The service cannot be reached; check the connection and try again');
  }
  if (!response.ok) throw new ApiError(response.status, await problemText(response));
  const total = response.headers.get('X-Total-Count');
  const content = raw ? await response.blob() : await response.json();
  return { body: content, total: total === null ? null : Number(total) };
}

export const get = async (path) => (await call('GET', path)).body;
export const post = async (path, body) => (await call('POST', path, body)).body;
export const put = async (path, body) => (await call('PUT', path, body)).body;
export const del = async (path) => (await call('DELETE', path)).body;

/** A query string from the entries that have a value. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
