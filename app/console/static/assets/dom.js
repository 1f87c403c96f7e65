// Small DOM helpers: elements, labelled fields, forms that show the API's sentences, dialogs.

let nextId = 0;

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") element.textContent = value;
    else if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function uid(prefix = "f") { nextId += 1; return `${prefix}-${nextId}`; }

// A labelled control. `kind`: "text", "email", "password", "select", "checkbox", "datetime-local"...
export function field(label, { name, kind = "text", value, options, required, autocomplete, hint, inputmode } = {}) {
  const id = uid(name || "f");
  let control;
  if (kind === "select") {
    control = h("select", { id, name });
    for (const [optionValue, optionLabel] of options) {
      control.append(h("option", { value: optionValue, selected: optionValue === value, text: optionLabel }));
    }
  } else if (kind === "checkbox") {
    control = h("input", { id, name, type: "checkbox", checked: Boolean(value) });
    return h("div", { class: "field check" }, control, h("label", { for: id, text: label }));
  } else {
    control = h("input", { id, name, type: kind, value: value ?? "", required, autocomplete, inputmode });
  }
  const hintId = hint ? uid("hint") : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" }, h("label", { for: id, text: label }), control,
    hint ? h("p", { class: "hint", id: hintId, text: hint }) : null);
}

export function message(kind, text) {
  return h("p", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status", text });
}

// A form whose submit runs `action(values)`; an error shows as the API's sentence above the button.
export function form({ title, fields, submit, action, after, danger }) {
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const button = h("button", { type: "submit", class: danger ? "danger" : "primary", text: submit });
  const element = h("form", { novalidate: false }, title ? h("h3", { text: title }) : null, ...fields, status, button);
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    button.disabled = true;
    const values = {};
    for (const control of element.elements) {
      if (!control.name) continue;
      values[control.name] = control.type === "checkbox" ? control.checked : control.value;
    }
    try {
      const done = await action(values, element);
      if (typeof done === "string") status.replaceChildren(message("ok", done));
      if (after) await after(values, element);
    } catch (error) {
      status.replaceChildren(message("error", error.message || String(error)));
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

// A button that runs `action`; its error or result shows next to it.
export function actionButton(label, action, { danger, confirmText } = {}) {
  const status = h("span", { class: "inline-status", "aria-live": "polite" });
  const button = h("button", { type: "button", class: danger ? "danger" : "", text: label });
  button.addEventListener("click", async () => {
    status.replaceChildren();
    if (confirmText && !(await confirmDialog(confirmText, label))) return;
    button.disabled = true;
    try {
      const done = await action();
      if (typeof done === "string") status.replaceChildren(message("ok", done));
    } catch (error) {
      status.replaceChildren(message("error", error.message || String(error)));
    } finally {
      button.disabled = false;
    }
  });
  return h("span", { class: "action" }, button, status);
}

// A modal confirmation (the native <dialog>: focus is kept inside, Escape cancels).
export function confirmDialog(text, confirmLabel) {
  return new Promise((resolve) => {
    const yes = h("button", { type: "button", class: "danger", text: confirmLabel });
    const no = h("button", { type: "button", text: "Cancel" });
    const dialog = h("dialog", { "aria-labelledby": "confirm-text" },
      h("p", { id: "confirm-text", text }), h("div", { class: "buttons" }, no, yes));
    const finish = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    yes.addEventListener("click", () => finish(true));
    no.addEventListener("click", () => finish(false));
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); finish(false); });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

export function when(value) {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

export function table(headers, rows, caption) {
  return h("div", { class: "table-wrap" },
    h("table", {},
      caption ? h("caption", { text: caption }) : null,
      h("thead", {}, h("tr", {}, headers.map((header) => h("th", { scope: "col", text: header })))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headers.length, text: "Nothing to show." })))));
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", { text: title }), ...children);
}

export function copyButton(getText, label = "Copy") {
  const status = h("span", { class: "inline-status", "aria-live": "polite" });
  const button = h("button", { type: "button", text: label });
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(getText());
      status.textContent = "Copied.";
    } catch {
      status.textContent = "Copying is not allowed here: select the text and copy it.";
    }
  });
  return h("span", { class: "action" }, button, status);
}

export function download(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
  const link = h("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
