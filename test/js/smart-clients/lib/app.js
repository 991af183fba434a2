// A minimal SMART app written the way fhirclient's documentation says a Node app is written
// (docs/node.md): `smart(req, res, storage).authorize(...)` at the launch URL and
// `smart(req, res, storage).ready()` at the redirect URI. It listens on an ephemeral loopback
// port, so the gateway must accept the registered loopback redirect URI with another port
// (RFC 8252 §7.3). After sign-in it reads the launch patient and shows it as HTML; the tests
// keep each session's fhirclient Client to go on with it (refresh, read again).
"use strict";

const http = require("node:http");
const crypto = require("node:crypto");
const smart = require("fhirclient");

const COOKIE = "smartapp_sid";

// startApp starts the app and resolves to { origin, sessions, close }.
//   clientId: the app's client id at the gateway (a public client: PKCE, no secret)
//   scope:    the scope to request, or a function of the launch URL returning it ("launch" is
//             added by fhirclient on an EHR launch)
async function startApp({ clientId, scope }) {
  // sessions: sid -> { store: Map (fhirclient's storage), client, patient, error }
  const sessions = new Map();

  function session(req, res) {
    const m = /(?:^|;\s*)smartapp_sid=([A-Za-z0-9_-]+)/.exec(req.headers.cookie || "");
    if (m && sessions.has(m[1])) return sessions.get(m[1]);
    const sid = crypto.randomBytes(18).toString("base64url");
    const s = { sid, store: new Map() };
    sessions.set(sid, s);
    res.setHeader("set-cookie", `${COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Lax`);
    return s;
  }

  // storage adapts a session's Map to fhirclient's asynchronous storage interface.
  const storage = (s) => ({
    get: async (k) => s.store.get(k),
    set: async (k, v) => (s.store.set(k, v), v),
    unset: async (k) => s.store.delete(k),
  });

  async function handle(req, res, s) {
    const url = new URL(req.url, "http://" + req.headers.host);
    if (url.pathname === "/launch") {
      // fhirclient reads iss (and launch, for an EHR launch) from the request URL itself.
      await smart(req, res, storage(s)).authorize({
        clientId,
        scope: typeof scope === "function" ? scope(url) : scope,
        redirectUri: "/callback",
        pkceMode: "required", // fail rather than fall back to no PKCE
      });
      return;
    }
    if (url.pathname === "/callback") {
      s.client = await smart(req, res, storage(s)).ready();
      s.patient = await s.client.patient.read();
      return page(res, 200, patientPage(s.patient));
    }
    if (url.pathname === "/favicon.ico") return res.writeHead(204).end(); // keeps the console quiet
    page(res, 404, "<h1>Not found</h1>");
  }

  const server = http.createServer((req, res) => {
    const s = session(req, res);
    handle(req, res, s).catch((err) => {
      s.error = err;
      if (!res.headersSent) page(res, 500, `<h1>Launch failed</h1><pre id="error">${escape(String(err && err.stack ? err.stack : err))}</pre>`);
      else res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    sessions,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

function patientPage(p) {
  const name = (p.name || [])[0] || {};
  const display = [...(name.given || []), name.family].filter(Boolean).join(" ");
  return `<h1 id="patient-name">${escape(display)}</h1>
<dl><dt>id</dt><dd id="patient-id">${escape(p.id)}</dd>
<dt>birth date</dt><dd id="patient-birthdate">${escape(p.birthDate || "")}</dd></dl>`;
}

function page(res, status, body) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SMART test app</title></head><body>${body}</body></html>`);
}

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

module.exports = { startApp };
