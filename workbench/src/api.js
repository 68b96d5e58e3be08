// The gateway's REST routes as the workbench calls them: the session cookie
// goes with every request (same origin), writes carry the CSRF token the
// login gave, and every write carries an Idempotency-Key that the caller
// keeps until the write is answered, so that a retried submit (a second
// click, a reload after a timeout) is the same request and never writes
// twice. Errors come back as ApiError: the service's status, its message,
// and its field violations by field, for the form to show beside the field.

export class ApiError extends Error {
  constructor(httpStatus, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${httpStatus}`);
    this.httpStatus = httpStatus;
    this.status = error.status || (httpStatus === 0 ? "UNAVAILABLE" : "UNKNOWN");
    this.violations = {};
    for (const v of error.violations || []) this.violations[v.field] = v.description;
  }
  // Whether the request may have gone through and is worth retrying as is.
  get retryable() {
    return this.httpStatus === 0 || this.httpStatus === 503 || this.httpStatus === 504;
  }
}

let csrfToken = "";
export function setCsrfToken(token) {
  csrfToken = token || "";
}

let onUnauthenticated = () => {};
// What to do when the session has ended (idle or absolute expiry, forced
// logout): the app goes back to the login page.
export function onSessionEnded(fn) {
  onUnauthenticated = fn;
}

// A fresh idempotency key: 24 random bytes as hex.
export function newRequestId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return "wb-" + Array.from(bytes, b => b.toString(16).padStart(2, "0")).join("");
}

function queryString(query) {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    params.append(name, String(value));
  }
  const text = params.toString();
  return text ? "?" + text : "";
}

export async function request(method, path, { query, body, requestId } = {}) {
  const headers = { Accept: "application/json" };
  const write = method !== "GET";
  if (write) {
    headers["X-CSRF-Token"] = csrfToken;
    if (requestId) headers["Idempotency-Key"] = requestId;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path + queryString(query), {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, null);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, json);
    if (response.status === 401 && !path.startsWith("/v1/session")) onUnauthenticated(error);
    throw error;
  }
  return json;
}

export const api = {
  get: (path, query) => request("GET", path, { query }),
  post: (path, body, requestId) => request("POST", path, { body: body || {}, requestId }),
  put: (path, body, requestId) => request("PUT", path, { body: body || {}, requestId }),
  patch: (path, body, requestId) => request("PATCH", path, { body: body || {}, requestId }),
  delete: (path, query, requestId) => request("DELETE", path, { query, requestId }),
};

// Every page of a list route: items under key, up to max items.
export async function listAll(path, key, query = {}, max = 5000) {
  const items = [];
  let token = "";
  do {
    const page = await api.get(path, { ...query, page_size: query.page_size || 200, page_token: token });
    items.push(...((page && page[key]) || []));
    token = (page && page.next_page_token) || "";
  } while (token && items.length < max);
  return items;
}
