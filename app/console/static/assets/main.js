// The console: a router over the path below /console/, the navigation, and who is signed in.
import { CONSOLE, api, onSignedOut, restore, signOut, signedIn } from "./api.js";
import { h, message } from "./dom.js";
import * as auth from "./pages-auth.js";
import * as account from "./pages-account.js";
import * as admin from "./pages-admin.js";

export const state = { me: null };

// path -> [page, who may open it: "anyone" (no sign-in), "signed-in", "admin"]
const ROUTES = [
  [/^\/?$/, home, "anyone"],
  [/^\/sign-in$/, auth.signInPage, "anyone"],
  [/^\/forgot-password$/, auth.forgotPage, "anyone"],
  [/^\/reset-password$/, auth.resetPage, "anyone"],
  [/^\/verify$/, auth.verifyPage, "anyone"],
  [/^\/confirm-email$/, auth.confirmEmailPage, "anyone"],
  [/^\/account$/, account.profilePage, "signed-in"],
  [/^\/account\/sessions$/, account.sessionsPage, "signed-in"],
  [/^\/account\/api-keys$/, account.apiKeysPage, "signed-in"],
  [/^\/account\/mfa$/, account.mfaPage, "signed-in"],
  [/^\/account\/security$/, account.securityPage, "signed-in"],
  [/^\/users$/, admin.usersPage, "admin"],
  [/^\/users\/new$/, admin.createUserPage, "admin"],
  [/^\/users\/([0-9a-f-]{36})$/, admin.userPage, "admin"],
  [/^\/api-keys$/, admin.apiKeysPage, "admin"],
  [/^\/audit$/, admin.auditPage, "admin"],
  [/^\/mail$/, admin.mailPage, "admin"],
  [/^\/status$/, admin.statusPage, "admin"],
];

export function go(path, { replace = false } = {}) {
  const url = CONSOLE + path;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  return render();
}

export async function loadMe() {
  state.me = signedIn() ? await api("GET", "/users/me") : null;
  return state.me;
}

export async function afterSignIn(next) {
  await loadMe();
  return go(next && next.startsWith("/") && !next.startsWith("//") ? next : "/account", { replace: true });
}

function currentPath() {
  const path = location.pathname;
  return path.startsWith(CONSOLE) ? path.slice(CONSOLE.length) || "/" : "/";
}

function home() {
  go(state.me ? "/account" : "/sign-in", { replace: true });
  return null;
}

function navigation() {
  const nav = document.getElementById("nav");
  const link = (path, label) => {
    const here = currentPath() === path || (path !== "/account" && currentPath().startsWith(path + "/"));
    return h("a", { href: CONSOLE + path, "aria-current": here ? "page" : false, text: label });
  };
  if (!state.me) { nav.replaceChildren(link("/sign-in", "Sign in")); return; }
  const items = [
    link("/account", "Profile"), link("/account/sessions", "Sessions"), link("/account/api-keys", "API keys"),
    link("/account/mfa", "Second factor"), link("/account/security", "Security events"),
  ];
  const adminItems = state.me.role === "admin"
    ? [link("/users", "Users"), link("/api-keys", "All API keys"), link("/audit", "Audit log"),
      link("/mail", "Mail"), link("/status", "Status")]
    : [];
  const out = h("button", { type: "button", class: "link", text: "Sign out" });
  out.addEventListener("click", async () => { await signOut(); state.me = null; go("/sign-in"); });
  const parts = [h("ul", {}, items.map((item) => h("li", {}, item)))];
  if (adminItems.length) parts.push(h("ul", { class: "admin" }, adminItems.map((item) => h("li", {}, item))));
  parts.push(h("p", { class: "who" }, h("span", { text: `${state.me.email} (${state.me.role})` }), " ", out));
  nav.replaceChildren(...parts);
}

export async function render() {
  const main = document.getElementById("main");
  const path = currentPath();
  const query = new URLSearchParams(location.search);
  const route = ROUTES.find(([pattern]) => pattern.test(path));
  navigation();
  if (!route) {
    main.replaceChildren(h("h1", { text: "Not found" }), h("p", {}, "No console page lives here. ",
      h("a", { href: CONSOLE + "/", text: "Back to the console" })));
    return;
  }
  const [pattern, page, who] = route;
  if (who !== "anyone" && !state.me) {
    const next = path + location.search;
    return go(`/sign-in?next=${encodeURIComponent(next)}`, { replace: true });
  }
  if (who === "admin" && state.me.role !== "admin") {
    document.title = "Not allowed · Gatehouse";
    main.replaceChildren(h("h1", { text: "Not allowed" }),
      message("error", `Not allowed: this page is for admins, and you are signed in as a ${state.me.role}.`),
      h("p", {}, h("a", { href: CONSOLE + "/account", text: "Go to your account" })));
    return;
  }
  const args = path.match(pattern).slice(1);
  try {
    const content = await page({ query, args, state });
    if (content) {
      main.replaceChildren(...[content].flat().filter((part) => part !== null && part !== undefined));
      const heading = main.querySelector("h1");
      document.title = `${heading ? heading.textContent : "Console"} · Gatehouse`;
      main.focus({ preventScroll: true });
    }
  } catch (error) {
    main.replaceChildren(h("h1", { text: error.notAllowed ? "Not allowed" : "Something went wrong" }),
      message("error", error.message || String(error)));
  }
}

// Links inside the console navigate without reloading the page (and without losing the token).
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[href]");
  if (!link || link.target || link.hasAttribute("download") || event.defaultPrevented) return;
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(CONSOLE)) return;
  event.preventDefault();
  history.pushState(null, "", url.pathname + url.search);
  render();
});
window.addEventListener("popstate", () => render());
onSignedOut(() => { state.me = null; go("/sign-in", { replace: true }); });

async function start() {
  try {
    if (await restore()) await loadMe();
  } catch (error) {
    document.getElementById("main").replaceChildren(message("error", error.message));
    return;
  }
  await render();
}

start();
