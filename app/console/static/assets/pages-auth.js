// Pages reached without signing in: sign in (and its second step), forgot and reset password,
// and the pages the links of Gatehouse's mails land on.
import { CONSOLE, api, secondFactor, signIn } from "./api.js";
import { field, form, h, message } from "./dom.js";
import { afterSignIn, go } from "./main.js";

// A mail link's token, read once and taken out of the address bar (and so out of the history).
function takeToken(query) {
  const token = query.get("token") || "";
  if (token) history.replaceState(null, "", location.pathname);
  return token;
}

export function signInPage({ query, state }) {
  const next = query.get("next") || "";
  if (state.me) { go(next || "/account", { replace: true }); return null; }
  const holder = h("div", {});
  const passwordStep = form({
    fields: [
      field("Email", { name: "email", kind: "email", required: true, autocomplete: "username" }),
      field("Password", { name: "password", kind: "password", required: true, autocomplete: "current-password" }),
    ],
    submit: "Sign in",
    action: async ({ email, password }) => {
      const outcome = await signIn(email.trim(), password);
      if (outcome.done) return afterSignIn(next);
      holder.replaceChildren(secondStep(outcome.mfaToken, next));
      holder.querySelector("input").focus();
    },
  });
  holder.append(passwordStep);
  return [
    h("h1", { text: "Sign in" }),
    holder,
    h("p", {}, h("a", { href: `${CONSOLE}/forgot-password`, text: "Forgot your password?" })),
  ];
}

function secondStep(mfaToken, next) {
  let recovery = false;
  const codeField = field("Code from your authenticator app", {
    name: "code", required: true, autocomplete: "one-time-code", inputmode: "numeric",
  });
  const toggle = h("button", { type: "button", class: "link", text: "Use a recovery code instead" });
  toggle.addEventListener("click", () => {
    recovery = !recovery;
    codeField.querySelector("label").textContent = recovery ? "Recovery code" : "Code from your authenticator app";
    codeField.querySelector("input").setAttribute("inputmode", recovery ? "text" : "numeric");
    toggle.textContent = recovery ? "Use a code from the app instead" : "Use a recovery code instead";
    codeField.querySelector("input").focus();
  });
  return h("div", {},
    h("h2", { text: "Second factor" }),
    h("p", { text: "Your account has a second factor: enter the code your authenticator app shows now." }),
    form({
      fields: [codeField],
      submit: "Continue",
      action: async ({ code }) => {
        await secondFactor(mfaToken, code.trim(), recovery);
        return afterSignIn(next);
      },
    }),
    toggle);
}

export function forgotPage() {
  return [
    h("h1", { text: "Forgot password" }),
    h("p", { text: "Enter the email of your account: a link to choose a new password is mailed to it." }),
    form({
      fields: [field("Email", { name: "email", kind: "email", required: true, autocomplete: "email" })],
      submit: "Send the link",
      action: async ({ email }) => {
        await api("POST", "/auth/forgot-password", { json: { email: email.trim() } });
        return "If an account has this email, a link is on its way. It works once, for a limited time.";
      },
    }),
    h("p", {}, h("a", { href: `${CONSOLE}/sign-in`, text: "Back to sign in" })),
  ];
}

export function resetPage({ query }) {
  const token = takeToken(query);
  if (!token) return missingToken("Reset password", "forgot-password", "Ask for a new reset link");
  const done = h("div", {});
  return [
    h("h1", { text: "Reset password" }),
    form({
      fields: [field("New password", {
        name: "password", kind: "password", required: true, autocomplete: "new-password",
        hint: "12 to 256 characters, not your email.",
      })],
      submit: "Set the new password",
      action: async ({ password }) => {
        await api("POST", "/auth/reset-password", { json: { token, password } });
        done.replaceChildren(h("p", {}, h("a", { href: `${CONSOLE}/sign-in`, text: "Sign in with it" })));
        return "Your password is changed, and every session of your account has ended.";
      },
    }),
    done,
  ];
}

function missingToken(title, page, label) {
  return [
    h("h1", { text: title }),
    message("error", "This page needs the link from the mail, with its token. Open the link again."),
    h("p", {}, h("a", { href: `${CONSOLE}/${page}`, text: label })),
  ];
}

async function tokenPage(title, query, call, success) {
  const token = takeToken(query);
  if (!token) return missingToken(title, "sign-in", "Go to sign in");
  const content = [h("h1", { text: title })];
  try {
    const user = await call(token);
    content.push(message("ok", success(user)));
  } catch (error) {
    content.push(message("error", error.message));
  }
  content.push(h("p", {}, h("a", { href: `${CONSOLE}/`, text: "Open the console" })));
  return content;
}

export function verifyPage({ query }) {
  return tokenPage("Verify email", query,
    (token) => api("POST", "/auth/verify", { json: { token } }),
    (user) => `Thank you: ${user.email} is verified.`);
}

export function confirmEmailPage({ query }) {
  return tokenPage("Confirm email change", query,
    (token) => api("POST", "/auth/confirm-email-change", { json: { token } }),
    (user) => `Your account's email is now ${user.email}.`);
}
