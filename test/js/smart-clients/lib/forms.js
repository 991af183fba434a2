// Package-private helpers that read the gateway's and the demo IdP's pages the way a browser
// would: forms with their controls, and links. The pages are small, server-rendered HTML
// without scripts, so a tag scanner is enough; no HTML library is needed.
"use strict";

const ATTR = /([^\s"'<>\/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

// decode replaces the character references that templates produce in attribute values.
function decode(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos|#39);/gi, (m, e) => {
    const k = e.toLowerCase();
    if (k.startsWith("#x")) return String.fromCodePoint(parseInt(k.slice(2), 16));
    if (k.startsWith("#")) return String.fromCodePoint(parseInt(k.slice(1), 10));
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[k];
  });
}

// attrs parses the attributes of one start tag (the text between the tag name and ">").
function attrs(text) {
  const out = {};
  for (const m of text.matchAll(ATTR)) {
    const name = m[1].toLowerCase();
    if (!(name in out)) out[name] = decode(m[2] ?? m[3] ?? m[4] ?? "");
  }
  return out;
}

// tags returns the attributes of every start tag named name in html, in document order.
function tags(html, name) {
  const re = new RegExp(`<${name}\\b([^>]*)>`, "gi");
  return [...html.matchAll(re)].map((m) => attrs(m[1]));
}

// forms returns every form on the page with its method, action and controls.
function forms(html) {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map((m) => {
    const a = attrs(m[1]);
    const inputs = tags(m[2], "input").map((i) => ({ ...i, type: (i.type || "text").toLowerCase() }));
    const buttons = tags(m[2], "button").map((b) => ({ ...b, type: (b.type || "submit").toLowerCase() }));
    return { method: (a.method || "get").toLowerCase(), action: a.action || "", inputs, buttons };
  });
}

// links returns the href of every link on the page.
function links(html) {
  return tags(html, "a").map((a) => a.href).filter(Boolean);
}

// submission builds the body a browser sends for form f: hidden and text inputs, checked
// boxes and radios, and the name/value of the submit control that was pressed (if named).
function submission(f, submitter) {
  const body = new URLSearchParams();
  for (const i of f.inputs) {
    if (!i.name || ["submit", "button", "image", "reset", "file"].includes(i.type)) continue;
    if ((i.type === "checkbox" || i.type === "radio") && !("checked" in i)) continue;
    body.append(i.name, i.value ?? (i.type === "checkbox" || i.type === "radio" ? "on" : ""));
  }
  if (submitter && submitter.name) body.append(submitter.name, submitter.value ?? "");
  return body;
}

// text squeezes a page into one short line for error messages.
function text(html) {
  const s = html.replace(/<style[\s\S]*?<\/style>/gi, " ").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
  return s.length > 400 ? s.slice(0, 400) + "…" : s;
}

module.exports = { forms, links, submission, text, decode };
