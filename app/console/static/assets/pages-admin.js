// Admin pages: users (search, filters, a user's page, creation), every API key, the audit log,
// the mail outbox and the service's status. Every action is a call of the public admin API, so
// its rules (last admin, role caps, MFA policy) answer here as they do anywhere.
import { CONSOLE, api } from "./api.js";
import { actionButton, field, form, h, message, section, table, when } from "./dom.js";
import { EVENT_HEADERS, KEY_HEADERS, eventList, keyRows } from "./pages-account.js";
import { go, loadMe, render } from "./main.js";

const PAGE_SIZE = 20;
const YES_NO = [["", "any"], ["true", "yes"], ["false", "no"]];
const ROLES = [["admin", "admin"], ["user", "user"], ["guest", "guest"]];

function pager(total, offset, limit, hrefFor) {
  const last = Math.max(0, Math.ceil(total / limit) - 1);
  const page = Math.floor(offset / limit);
  return h("nav", { class: "pager", "aria-label": "Pages" },
    page > 0 ? h("a", { href: hrefFor(page - 1), rel: "prev", text: "← Newer" }) : null,
    h("span", { text: `Page ${page + 1} of ${last + 1} (${total} in all)` }),
    page < last ? h("a", { href: hrefFor(page + 1), rel: "next", text: "Older →" }) : null);
}

const userLink = (id, text) => h("a", { href: `${CONSOLE}/users/${id}`, text: text || id });

export async function usersPage({ query }) {
  const page = Math.max(0, Number(query.get("page") || 0) || 0);
  const filters = {};
  for (const name of ["q", "role", "is_active", "is_verified", "locked", "mfa_enabled"]) {
    if (query.get(name)) filters[name] = query.get(name);
  }
  const result = await api("GET", "/admin/users", { query: { ...filters, limit: PAGE_SIZE, offset: page * PAGE_SIZE } });
  const search = h("form", { class: "filters", role: "search" },
    field("Email contains", { name: "q", kind: "search", value: filters.q }),
    field("Role", { name: "role", kind: "select", options: [["", "any"], ...ROLES], value: filters.role || "" }),
    field("Active", { name: "is_active", kind: "select", options: YES_NO, value: filters.is_active || "" }),
    field("Verified", { name: "is_verified", kind: "select", options: YES_NO, value: filters.is_verified || "" }),
    field("Locked", { name: "locked", kind: "select", options: YES_NO, value: filters.locked || "" }),
    field("Second factor", { name: "mfa_enabled", kind: "select", options: YES_NO, value: filters.mfa_enabled || "" }),
    h("button", { type: "submit", class: "primary", text: "Search" }));
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const control of search.elements) if (control.name && control.value) params.set(control.name, control.value);
    go(`/users${params.toString() ? "?" + params : ""}`);
  });
  const hrefFor = (number) => {
    const params = new URLSearchParams(filters);
    if (number) params.set("page", String(number));
    return `${CONSOLE}/users${params.toString() ? "?" + params : ""}`;
  };
  const rows = result.items.map((user) => h("tr", {},
    h("td", {}, userLink(user.id, user.email)),
    h("td", { text: user.role }),
    h("td", { text: user.is_active ? "active" : "inactive" }),
    h("td", { text: user.is_verified ? "yes" : "no" }),
    h("td", { text: user.locked_until ? `until ${when(user.locked_until)}` : "no" }),
    h("td", { text: user.mfa_enabled ? "on" : "off" }),
    h("td", { text: when(user.created_at) })));
  return [
    h("h1", { text: "Users" }),
    h("p", {}, h("a", { class: "button", href: `${CONSOLE}/users/new`, text: "Create a user" })),
    section("Find users", search),
    section("Newest first",
      table(["Email", "Role", "State", "Verified", "Locked", "Second factor", "Created"], rows),
      pager(result.total, result.offset, PAGE_SIZE, hrefFor)),
  ];
}

export function createUserPage() {
  return [
    h("h1", { text: "Create a user" }),
    section("New account", form({
      fields: [
        field("Email", { name: "email", kind: "email", required: true, autocomplete: "off" }),
        field("Password", { name: "password", kind: "password", required: true, autocomplete: "new-password", hint: "12 to 256 characters, not the email. Hand it to the user." }),
        field("Role", { name: "role", kind: "select", options: ROLES, value: "user" }),
        field("Email already verified", { name: "is_verified", kind: "checkbox" }),
      ],
      submit: "Create user",
      action: async (values) => {
        const user = await api("POST", "/admin/users", { json: values });
        await go(`/users/${user.id}?created=1`);
      },
    })),
  ];
}

export async function userPage({ args, query, state }) {
  const id = args[0];
  const user = await api("GET", `/admin/users/${id}`);
  const refresh = async () => { if (id === state.me.id) await loadMe(); await render(); };
  const patch = (json) => api("PATCH", `/admin/users/${id}`, { json });
  const facts = h("dl", { class: "facts" },
    h("dt", { text: "Email" }), h("dd", { text: user.email }),
    h("dt", { text: "Role" }), h("dd", { text: user.role }),
    h("dt", { text: "State" }), h("dd", { text: user.is_active ? "active" : "inactive" }),
    h("dt", { text: "Email verified" }), h("dd", { text: user.is_verified ? "yes" : "no" }),
    h("dt", { text: "Second factor" }), h("dd", { text: user.mfa_enabled ? "on" : "off" }),
    h("dt", { text: "Failed logins" }), h("dd", { text: String(user.failed_login_count ?? 0) }),
    h("dt", { text: "Locked" }), h("dd", { text: user.locked_until ? `until ${when(user.locked_until)}` : "no" }),
    h("dt", { text: "Created" }), h("dd", { text: when(user.created_at) }));
  const roleForm = form({
    fields: [field("Role", { name: "role", kind: "select", options: ROLES, value: user.role })],
    submit: "Change role",
    action: async ({ role }) => { await patch({ role }); await refresh(); },
  });
  const actions = h("div", { class: "actions" },
    user.is_active
      ? actionButton("Deactivate", async () => { await patch({ is_active: false }); await refresh(); },
        { danger: true, confirmText: `Deactivate ${user.email}? Their sessions end and they cannot sign in.` })
      : actionButton("Activate", async () => { await patch({ is_active: true }); await refresh(); }),
    user.is_verified ? null : actionButton("Mark verified", async () => { await patch({ is_verified: true }); await refresh(); }),
    actionButton("Unlock login", async () => { await api("POST", `/admin/users/${id}/unlock`); await refresh(); }),
    actionButton("End all sessions", async () => {
      await api("POST", `/admin/users/${id}/revoke-sessions`);
      if (id === state.me.id) return "Every session has ended, this one too.";
      await refresh();
    }, { danger: true, confirmText: `End every session of ${user.email}?` }),
    user.mfa_enabled ? actionButton("Reset second factor", async () => {
      await api("DELETE", `/admin/users/${id}/mfa`); await refresh();
    }, { danger: true, confirmText: `Remove the second factor of ${user.email}? Their sessions end too.` }) : null,
    actionButton("Delete user", async () => {
      await api("DELETE", `/admin/users/${id}`);
      await go("/users");
    }, { danger: true, confirmText: `Delete the user ${user.email}? This cannot be undone.` }));
  const sessions = h("div", {});
  const keys = h("div", {});
  const events = eventList("/admin/audit-events", { target_user_id: id });
  const content = [
    h("h1", { text: user.email }),
    query.get("created") ? message("ok", `The user ${user.email} was created.`) : null,
    section("Account", facts),
    section("Role", roleForm),
    section("Actions", actions),
    section("Sessions", sessions),
    section("API keys", keys),
    section("Audit events", events.element),
  ];
  try {
    const list = await api("GET", `/admin/users/${id}/sessions`);
    const items = Array.isArray(list) ? list : list.items;
    sessions.replaceChildren(table(["Device", "Address", "Last use", "Started"], items.map((session) => h("tr", {},
      h("td", { text: session.user_agent || "unknown device" }), h("td", { text: session.ip_address || "—" }),
      h("td", { text: when(session.last_refreshed_at || session.created_at) }), h("td", { text: when(session.created_at) })))));
  } catch (error) {
    sessions.replaceChildren(message("error", error.message));
  }
  try {
    const page = await api("GET", "/admin/api-keys", { query: { user_id: id, limit: 200 } });
    const revoke = (key) => actionButton("Revoke", async () => { await api("DELETE", `/admin/api-keys/${key.id}`); await render(); },
      { danger: true, confirmText: `Revoke the key “${key.name}” of ${user.email}?` });
    keys.replaceChildren(table(KEY_HEADERS, keyRows(page.items, revoke)));
  } catch (error) {
    keys.replaceChildren(message("error", error.message));
  }
  await events.load();
  return content;
}

export async function apiKeysPage({ query }) {
  const page = Math.max(0, Number(query.get("page") || 0) || 0);
  const result = await api("GET", "/admin/api-keys", { query: { limit: PAGE_SIZE, offset: page * PAGE_SIZE } });
  const revoke = (key) => actionButton("Revoke", async () => { await api("DELETE", `/admin/api-keys/${key.id}`); await render(); },
    { danger: true, confirmText: `Revoke the key “${key.name}”?` });
  const owner = (key) => userLink(key.user_id, key.owner_email || key.user_email || key.user_id.slice(0, 8) + "…");
  return [
    h("h1", { text: "All API keys" }),
    section("Every account's keys, newest first",
      table(["Owner", ...KEY_HEADERS], keyRows(result.items, revoke, owner)),
      pager(result.total, result.offset, PAGE_SIZE, (number) => `${CONSOLE}/api-keys${number ? "?page=" + number : ""}`)),
  ];
}

export async function auditPage({ query }) {
  const names = ["type", "actor_id", "target_user_id", "ip_address", "since", "until"];
  const filters = {};
  for (const name of names) if (query.get(name)) filters[name] = query.get(name);
  const search = h("form", { class: "filters" },
    field("Event type", { name: "type", value: filters.type, hint: "e.g. login.succeeded" }),
    field("Actor id", { name: "actor_id", value: filters.actor_id }),
    field("Target user id", { name: "target_user_id", value: filters.target_user_id }),
    field("Address", { name: "ip_address", value: filters.ip_address }),
    field("Since", { name: "since", kind: "datetime-local", value: filters.since ? filters.since.slice(0, 16) : "" }),
    field("Until", { name: "until", kind: "datetime-local", value: filters.until ? filters.until.slice(0, 16) : "" }),
    h("button", { type: "submit", class: "primary", text: "Filter" }));
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const control of search.elements) {
      if (!control.name || !control.value) continue;
      const value = control.type === "datetime-local" ? new Date(control.value).toISOString() : control.value.trim();
      params.set(control.name, value);
    }
    go(`/audit${params.toString() ? "?" + params : ""}`);
  });
  const list = eventList("/admin/audit-events", filters);
  await list.load();
  return [h("h1", { text: "Audit log" }), section("Filters", search), section("Events, newest first", list.element)];
}

export async function mailPage({ query }) {
  const status = query.get("status") || "";
  const result = await api("GET", "/admin/mail", { query: { status, limit: 100 } });
  const choose = h("form", { class: "filters" },
    field("Status", { name: "status", kind: "select", value: status,
      options: [["", "any"], ["pending", "pending"], ["failed", "failed"], ["sent", "sent"]] }),
    h("button", { type: "submit", class: "primary", text: "Show" }));
  choose.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = choose.elements.status.value;
    go(`/mail${value ? "?status=" + value : ""}`);
  });
  const rows = result.items.map((mail) => h("tr", {},
    h("td", { text: mail.kind }), h("td", { text: mail.recipient }), h("td", { text: mail.status }),
    h("td", { text: String(mail.attempts) }), h("td", { text: mail.last_error || "—" }),
    h("td", { text: when(mail.created_at) }), h("td", { text: mail.status === "sent" ? when(mail.sent_at) : when(mail.next_attempt_at) }),
    h("td", {}, mail.status === "sent" ? "—" : actionButton("Retry now", async () => {
      await api("POST", `/admin/mail/${mail.id}/retry`);
      return "Queued: it is sent now.";
    }))));
  return [
    h("h1", { text: "Mail" }),
    section("Outbox", choose,
      table(["Kind", "Recipient", "Status", "Attempts", "Last error", "Queued", "Sent / next attempt", "Action"], rows),
      h("p", { class: "hint", text: `${result.total} message${result.total === 1 ? "" : "s"}; bodies are never shown.` })),
  ];
}

function statusFacts(object) {
  const list = h("dl", { class: "facts" });
  for (const [name, value] of Object.entries(object)) {
    list.append(h("dt", { text: name.replaceAll("_", " ") }));
    list.append(h("dd", {}, value && typeof value === "object" ? statusFacts(value) : String(value)));
  }
  return list;
}

export async function statusPage() {
  const status = await api("GET", "/admin/status");
  const content = [h("h1", { text: "Status" })];
  const checks = status.checks || {};
  content.push(section("The service",
    h("dl", { class: "facts" },
      h("dt", { text: "Readiness" }), h("dd", {}, h("strong", { text: status.status })),
      h("dt", { text: "Version" }), h("dd", { text: status.version })),
    table(["Check", "State"], Object.entries(checks).map(([name, state]) => h("tr", {},
      h("td", { text: name.replaceAll("_", " ") }),
      h("td", { text: typeof state === "object" ? statusText(state) : String(state) }))))));
  if (status.users) {
    content.push(section("Accounts by role",
      table(["Role", "Active", "Inactive"], Object.entries(status.users).map(([role, counts]) => h("tr", {},
        h("td", { text: role }), h("td", { text: String(counts.active) }), h("td", { text: String(counts.inactive) })))),
      h("p", { class: "hint", text: `${status.users_total ?? "?"} accounts in all.` })));
  } else {
    content.push(section("Accounts by role", message("error", "The counts cannot be read right now.")));
  }
  return content;
}

function statusText(state) {
  return Object.entries(state).map(([name, value]) => `${name}: ${value}`).join(", ");
}

export { EVENT_HEADERS };
