// A browser without a browser: follows redirects with a cookie jar and fills in the pages of a
// SMART launch the way a clinician would — the gateway's sign-in page, the demo IdP's login
// form, the gateway's consent screen and its patient picker — until the app answers. It takes
// no shortcut past the gateway's HTTP interface and knows none of its secrets.
"use strict";

const { forms, links, submission, text } = require("./forms");

// CookieJar keeps cookies per host name (as browsers do, whatever the port) and path.
class CookieJar {
  constructor() {
    this.cookies = new Map(); // "host|path|name" -> {host, path, name, value}
  }

  store(url, response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      if (eq < 1) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = "/";
      let expired = false;
      for (const a of attrs) {
        const [k, v = ""] = a.split("=");
        if (k.toLowerCase() === "path" && v.startsWith("/")) path = v;
        if (k.toLowerCase() === "max-age" && Number(v) <= 0) expired = true;
        if (k.toLowerCase() === "expires" && Date.parse(v) < Date.now()) expired = true;
      }
      const key = `${url.hostname}|${path}|${name}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { host: url.hostname, path, name, value });
    }
  }

  header(url) {
    return [...this.cookies.values()]
      .filter((c) => c.host === url.hostname && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith("/") ? c.path : c.path + "/")))
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
  }
}

// launch opens startURL (the app's launch URL) and walks every page until the app at appOrigin
// answers with something other than a redirect. It returns that answer and what it saw:
//   { status, url, body, seen: ["chooser", "login", "consent", "picker", ...],
//     consentScopes: [...], pickerPatients: [...] }
// opts: { appOrigin, idp = "accounts", username, password, patient, consent(scopes) -> scopes }
async function launch(startURL, opts) {
  const jar = new CookieJar();
  const seen = [];
  const out = { seen, consentScopes: [], pickerPatients: [] };
  let req = { url: new URL(startURL), method: "GET", body: undefined };
  for (let step = 0; step < 25; step++) {
    const headers = { accept: "text/html" };
    const cookie = jar.header(req.url);
    if (cookie) headers.cookie = cookie;
    if (req.body) headers["content-type"] = "application/x-www-form-urlencoded";
    const res = await fetch(req.url, { method: req.method, headers, body: req.body, redirect: "manual" });
    jar.store(req.url, res);
    const body = await res.text();
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get("location"), req.url);
      // A 307/308 after a form post would re-post the credentials elsewhere (RFC 9700 §4.12).
      if (req.method === "POST" && (res.status === 307 || res.status === 308)) {
        throw new Error(`${req.url} answered a POST with ${res.status}; credentials must not be re-posted`);
      }
      req = { url: next, method: "GET", body: undefined };
      continue;
    }
    if (req.url.origin === opts.appOrigin) {
      return { ...out, status: res.status, url: req.url.href, body };
    }
    if (res.status !== 200) {
      throw new Error(`${req.method} ${req.url} answered ${res.status}: ${text(body)}`);
    }
    const [kind, next] = nextStep(req.url, body, opts, out);
    seen.push(kind);
    req = next;
  }
  throw new Error(`no answer from the app after 25 steps; pages seen: ${seen.join(" → ")}`);
}

// nextStep recognises a page by its controls and returns what a clinician would do on it.
function nextStep(url, html, opts, out) {
  const fs = forms(html);
  const has = (f, pred) => f.inputs.some(pred);
  const post = (f, submitter) => ({
    url: new URL(f.action || url.href, url),
    method: f.method === "post" ? "POST" : "GET",
    body: submission(f, submitter).toString(),
  });

  const login = fs.find((f) => has(f, (i) => i.type === "password"));
  if (login) {
    for (const i of login.inputs) {
      if (i.name === "username") i.value = opts.username;
      if (i.name === "password") i.value = opts.password;
    }
    return ["login", post(login, submitButton(login))];
  }

  const picker = fs.find((f) => has(f, (i) => i.type === "radio" && i.name === "patient"));
  if (picker) {
    const radios = picker.inputs.filter((i) => i.type === "radio" && i.name === "patient");
    out.pickerPatients = radios.map((r) => r.value);
    const choice = radios.find((r) => r.value === opts.patient || r.value === "Patient/" + opts.patient);
    if (!choice) throw new Error(`the patient picker does not offer ${opts.patient}; it offers ${out.pickerPatients.join(", ")}`);
    for (const r of radios) delete r.checked;
    choice.checked = "";
    return ["picker", post(picker, submitButton(picker))];
  }

  const consent = fs.find((f) => has(f, (i) => i.type === "checkbox" && i.name === "scope"));
  if (consent) {
    const boxes = consent.inputs.filter((i) => i.type === "checkbox" && i.name === "scope");
    out.consentScopes = boxes.map((b) => b.value);
    const keep = opts.consent ? opts.consent(out.consentScopes) : boxes.filter((b) => "checked" in b).map((b) => b.value);
    for (const b of boxes) {
      if (keep.includes(b.value)) b.checked = "";
      else delete b.checked;
    }
    const allow = [...consent.buttons, ...consent.inputs].find((c) => c.name === "decision" && c.value === "allow");
    if (!allow) throw new Error(`the consent page has no decision=allow button: ${text(html)}`);
    return ["consent", post(consent, allow)];
  }

  const idp = links(html).find((h) => h.includes(`/login/${opts.idp || "accounts"}?`));
  if (idp) return ["chooser", { url: new URL(idp, url), method: "GET", body: undefined }];

  throw new Error(`unexpected page at ${url}: ${text(html)}`);
}

function submitButton(f) {
  return [...f.buttons, ...f.inputs].find((c) => c.type === "submit");
}

module.exports = { launch, CookieJar };
