// The API client: the access token lives in this module's memory only; the refresh token is in an
// HttpOnly cookie that only the console's session routes receive. Nothing is ever written to the
// browser's storage, local or per-tab.

export const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
export const CONSOLE = ROOT + "/console";

let accessToken = null;
let expiresAt = 0;
let refreshing = null;
const listeners = new Set();

export function onSignedOut(listener) { listeners.add(listener); }

// Sentences for the answers that carry a code but no `message` (fastapi-users' own routes).
const SENTENCES = {
  LOGIN_BAD_CREDENTIALS: "Incorrect email or password.",
  LOGIN_USER_NOT_VERIFIED: "Verify your email address first: follow the link in the verification mail.",
  RESET_PASSWORD_BAD_TOKEN: "This reset link is invalid, expired or already used. Ask for a new one.",
  RESET_PASSWORD_INVALID_PASSWORD: "The password is not accepted",
  VERIFY_USER_BAD_TOKEN: "This verification link is invalid or expired, or the email has changed since.",
  VERIFY_USER_ALREADY_VERIFIED: "This account is already verified.",
  REGISTER_USER_ALREADY_EXISTS: "An account with this email already exists.",
  REGISTER_INVALID_PASSWORD: "The password is not accepted",
  UPDATE_USER_EMAIL_ALREADY_EXISTS: "An account with this email already exists.",
  UPDATE_USER_INVALID_PASSWORD: "The password is not accepted",
};

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(sentence(status, body, retryAfter));
    this.status = status;
    this.body = body || {};
    this.code = codeOf(body);
    this.retryAfter = retryAfter;
  }
  get notAllowed() { return this.status === 403 && this.code === "FORBIDDEN"; }
}

function codeOf(body) {
  if (!body) return "";
  const detail = body.detail;
  if (typeof detail === "string") return detail;
  if (detail && typeof detail === "object" && !Array.isArray(detail)) return detail.code || "";
  return "";
}

// Retry-After is a number of seconds or an HTTP date (RFC 9110 10.2.3).
export function retryText(header, now = Date.now()) {
  if (!header) return "";
  const value = header.trim();
  if (/^\d+$/.test(value)) {
    const seconds = Number(value);
    if (seconds < 90) return `Try again in ${seconds} second${seconds === 1 ? "" : "s"}.`;
    const minutes = Math.ceil(seconds / 60);
    return `Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
  }
  const when = Date.parse(value);
  if (Number.isNaN(when)) return "";
  if (when <= now) return "Try again now.";
  const moment = new Date(when);
  return `Try again after ${when - now < 12 * 3600_000 ? moment.toLocaleTimeString() : moment.toLocaleString()}.`;
}

function sentence(status, body, retryAfter) {
  const code = codeOf(body);
  let text = body && typeof body.message === "string" ? body.message : "";
  if (status === 403 && code === "FORBIDDEN") text = "Not allowed: your role does not allow this.";
  if (!text && SENTENCES[code]) {
    text = SENTENCES[code];
    const reason = body.detail && body.detail.reason;
    if (reason) text += `: ${reason}`;
    if (!/[.!?]$/.test(text)) text += ".";
  }
  if (status === 422 && Array.isArray(body && body.detail) && body.detail.length) {
    const first = body.detail[0];
    const where = (first.loc || []).filter((part) => part !== "body").join(" ");
    text = `${where ? where + ": " : ""}${first.msg}.`;
  }
  if (!text) {
    if (status === 0) text = "The service cannot be reached. Check the connection and try again.";
    else if (status === 404) text = "Not found.";
    else if (status >= 500) text = "The service failed to answer this request.";
    else text = `The request was refused (${status}).`;
  }
  if ((status === 429 || status === 503) && retryAfter) text += " " + retryText(retryAfter);
  return text;
}

async function readBody(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) {
    try { return await response.json(); } catch { return null; }
  }
  return null;
}

async function send(url, init) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", cache: "no-store", ...init });
  } catch {
    throw new ApiError(0, null, null);
  }
  return response;
}

function keep(tokens) {
  accessToken = tokens.access_token;
  expiresAt = Date.now() + tokens.expires_in * 1000;
}

function forget() {
  accessToken = null;
  expiresAt = 0;
}

async function sessionCall(path, form) {
  const init = { method: "POST", headers: { "X-Gatehouse-Console": "1" } };
  if (form) init.body = new URLSearchParams(form);
  return send(`${CONSOLE}/session${path}`, init);
}

export function signedIn() { return accessToken !== null; }

// The password step: {done: true}, or {mfaToken} when the account has a second factor.
export async function signIn(email, password) {
  const response = await sessionCall("", { username: email, password });
  const body = await readBody(response);
  if (response.ok) { keep(body); return { done: true }; }
  if (response.status === 403 && codeOf(body) === "MFA_REQUIRED") return { mfaToken: body.mfa_token };
  throw new ApiError(response.status, body, response.headers.get("retry-after"));
}

export async function secondFactor(mfaToken, code, isRecovery) {
  const form = { mfa_token: mfaToken };
  form[isRecovery ? "recovery_code" : "otp"] = code;
  const response = await sessionCall("/mfa", form);
  const body = await readBody(response);
  if (!response.ok) throw new ApiError(response.status, body, response.headers.get("retry-after"));
  keep(body);
}

// A new access token from the cookie; false when the browser holds no live console session.
export function restore() {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const response = await sessionCall("/refresh");
        if (response.status === 200) { keep(await readBody(response)); return true; }
        if (response.status === 204) { forget(); return false; }
        throw new ApiError(response.status, await readBody(response), response.headers.get("retry-after"));
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

export async function signOut() {
  try { await sessionCall("/logout"); } finally { forget(); }
}

// A call of the public API with the in-memory access token (renewed from the cookie when it is
// about to expire, and once more after a 401).
export async function api(method, path, { json, query } = {}) {
  if (accessToken && Date.now() > expiresAt - 30_000) await restore();
  let url = ROOT + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
    }
    const text = params.toString();
    if (text) url += "?" + text;
  }
  const attempt = async () => {
    const headers = {};
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    const init = { method, headers };
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    return send(url, init);
  };
  let response = await attempt();
  if (response.status === 401 && accessToken) {
    if (await restore()) response = await attempt();
    else listeners.forEach((listener) => listener());
  }
  const body = await readBody(response);
  if (!response.ok) throw new ApiError(response.status, body, response.headers.get("retry-after"));
  return body;
}
