// My account, for every role: profile, password and email, sessions, API keys, second factor,
// recent security events.
import { api } from "./api.js";
import { actionButton, copyButton, download, field, form, h, message, section, table, when } from "./dom.js";
import { loadMe, render } from "./main.js";

const ROLE_RANK = { guest: 0, user: 1, admin: 2 };

export function profilePage({ state }) {
  const me = state.me;
  const facts = h("dl", { class: "facts" },
    h("dt", { text: "Email" }), h("dd", { text: me.email }),
    h("dt", { text: "Role" }), h("dd", { text: me.role }),
    h("dt", { text: "Email verified" }), h("dd", { text: me.is_verified ? "yes" : "no" }),
    h("dt", { text: "Second factor" }), h("dd", { text: me.mfa_enabled ? "on" : "off" }),
    h("dt", { text: "Member since" }), h("dd", { text: when(me.created_at) }));
  const verify = me.is_verified ? null : actionButton("Mail me a verification link", async () => {
    await api("POST", "/auth/request-verify-token", { json: { email: me.email } });
    return "A verification link is on its way to your address.";
  });
  return [
    h("h1", { text: "My account" }),
    section("Profile", facts, verify),
    section("Change password", form({
      fields: [
        field("Current password", { name: "current_password", kind: "password", required: true, autocomplete: "current-password" }),
        field("New password", { name: "password", kind: "password", required: true, autocomplete: "new-password", hint: "12 to 256 characters, not your email." }),
      ],
      submit: "Change password",
      action: async (values, element) => {
        await api("PATCH", "/users/me", { json: values });
        element.reset();
        return "Your password is changed. Your other sessions have ended; this one stays.";
      },
    })),
    section("Change email", form({
      fields: [
        field("New email", { name: "email", kind: "email", required: true, autocomplete: "email" }),
        field("Current password", { name: "current_password", kind: "password", required: true, autocomplete: "current-password" }),
      ],
      submit: "Change email",
      action: async (values, element) => {
        const answer = await api("PATCH", "/users/me", { json: values });
        element.reset();
        return answer.pending_email
          ? `A confirmation link was mailed to ${answer.pending_email}; the change applies once you follow it.`
          : "Your email is changed.";
      },
    })),
  ];
}

function device(userAgent) {
  if (!userAgent) return "unknown device";
  return userAgent.length > 80 ? userAgent.slice(0, 77) + "…" : userAgent;
}

export async function sessionsPage() {
  const sessions = await api("GET", "/users/me/sessions");
  const others = sessions.filter((session) => !session.current);
  const rows = sessions.map((session) => h("tr", {},
    h("td", {}, device(session.user_agent), session.current ? h("strong", { class: "badge", text: "this session" }) : null),
    h("td", { text: session.ip_address || "—" }),
    h("td", { text: when(session.last_refreshed_at || session.created_at) }),
    h("td", { text: when(session.created_at) }),
    h("td", {}, session.current ? "—" : actionButton("End", async () => {
      await api("DELETE", `/users/me/sessions/${session.id}`);
      await render();
    }, { danger: true }))));
  return [
    h("h1", { text: "My sessions" }),
    section("Signed-in devices",
      table(["Device", "Address", "Last use", "Started", "Action"], rows),
      others.length ? actionButton("End all other sessions", async () => {
        for (const session of others) await api("DELETE", `/users/me/sessions/${session.id}`);
        await render();
      }, { danger: true, confirmText: `End ${others.length} other session${others.length === 1 ? "" : "s"}?` }) : null),
  ];
}

function keyRows(keys, revoke, withOwner) {
  return keys.map((key) => h("tr", {},
    withOwner ? h("td", {}, withOwner(key)) : null,
    h("td", { text: key.name }),
    h("td", {}, h("code", { text: key.prefix + "…" })),
    h("td", { text: key.role }),
    h("td", { text: when(key.created_at) }),
    h("td", { text: key.expires_at ? when(key.expires_at) : "never" }),
    h("td", { text: when(key.last_used_at) }),
    h("td", {}, key.revoked_at ? `revoked ${when(key.revoked_at)}` : revoke(key))));
}

export const KEY_HEADERS = ["Name", "Prefix", "Role cap", "Created", "Expires", "Last use", "State"];

export async function apiKeysPage({ state }) {
  const keys = await api("GET", "/api-keys");
  const shown = h("div", { "aria-live": "polite" });
  const roles = Object.keys(ROLE_RANK).reverse();
  const revoke = (key) => actionButton("Revoke", async () => {
    await api("DELETE", `/api-keys/${key.id}`);
    await render();
  }, { danger: true, confirmText: `Revoke the key “${key.name}”? Scripts using it stop working.` });
  const create = form({
    fields: [
      field("Name", { name: "name", required: true, hint: "What the key is for, e.g. nightly export." }),
      field("Role cap", {
        name: "role", kind: "select", options: roles.map((role) => [role, role]), value: state.me.role,
        hint: "What the key may do: at most what your own role allows.",
      }),
      field("Expires (optional)", { name: "expires_at", kind: "datetime-local", hint: "Leave empty for a key that does not expire." }),
    ],
    submit: "Create key",
    action: async ({ name, role, expires_at }, element) => {
      const json = { name: name.trim(), role };
      if (expires_at) json.expires_at = new Date(expires_at).toISOString();
      const created = await api("POST", "/api-keys", { json });
      element.reset();
      const keyText = h("code", { class: "secret", text: created.key });
      shown.replaceChildren(h("div", { class: "once" },
        message("ok", `The key “${created.name}” is shown this once: copy it now.`),
        keyText, copyButton(() => created.key, "Copy the key"),
        h("p", {}, h("button", { type: "button", text: "Done, refresh the list", onclick: () => render() }))));
    },
  });
  return [
    h("h1", { text: "My API keys" }),
    section("Create a key", state.me.role === "guest"
      ? message("error", "Not allowed: guests cannot create API keys.")
      : create, shown),
    section("Keys", table(KEY_HEADERS, keyRows(keys, revoke))),
  ];
}

export { keyRows };

function codesBlock(codes, intro) {
  const text = codes.join("\n") + "\n";
  return h("div", { class: "once" },
    message("ok", intro),
    h("ul", { class: "codes" }, codes.map((code) => h("li", {}, h("code", { text: code })))),
    h("p", {},
      h("button", { type: "button", text: "Download the codes", onclick: () => download("gatehouse-recovery-codes.txt", text) }),
      " ", copyButton(() => text, "Copy the codes")));
}

export async function mfaPage() {
  const status = await api("GET", "/users/me/mfa");
  const area = h("div", {});
  const content = [h("h1", { text: "Second factor" })];
  if (!status.enabled) {
    content.push(section("Authenticator app",
      h("p", { text: "Protect your account with codes from an authenticator app: after your password, sign-in asks for the code the app shows." }),
      actionButton("Set up an authenticator app", async () => {
        const enrolment = await api("POST", "/users/me/mfa/totp");
        const qr = h("img", {
          class: "qr", alt: "QR code to scan with your authenticator app",
          src: "data:image/svg+xml;base64," + btoa(enrolment.qr_svg),
        });
        area.replaceChildren(
          h("p", { text: "Scan this code with the app, or type the key into it:" }),
          qr, h("p", {}, h("code", { class: "secret", "data-secret": "totp", text: enrolment.secret })),
          form({
            fields: [field("Code from the app", { name: "code", required: true, autocomplete: "one-time-code", inputmode: "numeric" })],
            submit: "Confirm",
            action: async ({ code }) => {
              const answer = await api("POST", "/users/me/mfa/totp/confirm", { json: { code: code.trim() } });
              await loadMe();
              area.replaceChildren(codesBlock(answer.recovery_codes,
                "The second factor is on. These recovery codes are shown this once: each works once, when the app is not at hand. Keep them safe."),
                h("p", {}, h("button", { type: "button", text: "Done", onclick: () => render() })));
            },
          }));
        area.querySelector("input").focus();
      }),
      area));
    return content;
  }
  content.push(section("Status", h("dl", { class: "facts" },
    h("dt", { text: "State" }), h("dd", { text: "on" }),
    h("dt", { text: "Methods" }), h("dd", { text: status.methods.join(", ") }),
    h("dt", { text: "Enrolled" }), h("dd", { text: when(status.enrolled_at) }),
    h("dt", { text: "Recovery codes left" }), h("dd", { text: String(status.recovery_codes_left) }))));
  content.push(section("New recovery codes", area, form({
    fields: [field("Code from the app", { name: "code", required: true, autocomplete: "one-time-code", inputmode: "numeric" })],
    submit: "Make new recovery codes",
    action: async ({ code }, element) => {
      const answer = await api("POST", "/users/me/mfa/recovery-codes", { json: { code: code.trim() } });
      element.reset();
      area.replaceChildren(codesBlock(answer.recovery_codes, "New recovery codes, shown this once; the old ones no longer work."));
    },
  })));
  content.push(section("Turn off", form({
    fields: [
      field("Code from the app, or a recovery code", { name: "code", required: true, autocomplete: "one-time-code" }),
      field("Current password", { name: "current_password", kind: "password", required: true, autocomplete: "current-password" }),
    ],
    submit: "Turn off the second factor",
    danger: true,
    action: async ({ code, current_password }) => {
      const value = code.trim();
      const json = /^\d{6}$/.test(value) ? { code: value, current_password } : { recovery_code: value, current_password };
      await api("DELETE", "/users/me/mfa", { json });
      await loadMe();
      await render();
    },
  })));
  return content;
}

export function eventRows(items) {
  return items.map((event) => h("tr", {},
    h("td", { text: when(event.occurred_at) }),
    h("td", {}, h("code", { text: event.type })),
    h("td", { text: event.ip_address || "—" }),
    h("td", { text: describe(event) })));
}

function describe(event) {
  const parts = [];
  const actor = event.actor || {};
  if (actor.kind === "user" && actor.id && actor.id !== event.target_user_id) parts.push(`by user ${actor.id}`);
  else if (actor.kind === "api_key") parts.push(`by API key ${actor.id}`);
  else if (actor.kind === "system") parts.push("by the service");
  if (event.target_user_id && actor.id !== event.target_user_id) parts.push(`on user ${event.target_user_id}`);
  const details = event.details;
  if (details && typeof details === "object") {
    for (const [name, value] of Object.entries(details)) {
      parts.push(`${name.replaceAll("_", " ")}: ${shown(value)}`);
    }
  }
  if (event.user_agent) parts.push(device(event.user_agent));
  return parts.join("; ") || "—";
}

// A detail's value as a reader wants it: none is "none", a list is its items.
function shown(value) {
  if (value === null || value === undefined) return "none";
  if (Array.isArray(value)) return value.map(shown).join(", ") || "none";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export const EVENT_HEADERS = ["When", "Event", "Address", "Details"];

// A table of events with "Show more" following the cursor.
export function eventList(path, query = {}) {
  const body = h("tbody", {});
  const more = h("button", { type: "button", text: "Show more", hidden: true });
  const status = h("div", { "aria-live": "polite" });
  let cursor = null;
  const load = async () => {
    status.replaceChildren();
    try {
      const page = await api("GET", path, { query: { ...query, limit: 50, cursor } });
      body.append(...eventRows(page.items));
      if (!body.children.length) body.append(h("tr", {}, h("td", { colspan: 4, text: "No events." })));
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (error) {
      status.replaceChildren(message("error", error.message));
    }
  };
  more.addEventListener("click", load);
  const element = h("div", {},
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, EVENT_HEADERS.map((name) => h("th", { scope: "col", text: name })))), body)),
    status, more);
  return { element, load };
}

export async function securityPage() {
  const list = eventList("/users/me/security-events");
  await list.load();
  return [h("h1", { text: "Security events" }),
    section("Recent events on your account", list.element)];
}
