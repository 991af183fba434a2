// A browser-side SMART app: two static pages with fhirclient's browser build, exactly as its
// documentation's examples are (FHIR.oauth2.authorize on launch.html, FHIR.oauth2.ready on the
// redirect page). Everything after the launch happens in the browser: discovery, the token
// request and the FHIR read are cross-origin fetches, so they pass only if the gateway's CORS
// lets the app's registered origin read the answers.
"use strict";

const http = require("node:http");
const fs = require("node:fs");

const bundle = require.resolve("fhirclient/build/fhir-client.min.js");

const launchPage = (clientId, scope) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Launching…</title><script src="/fhir-client.js"></script></head><body><p>Launching…</p>
<pre id="error"></pre>
<script>
// iss comes from the URL, as in an EHR's launch or a standalone launch link.
FHIR.oauth2.authorize(${JSON.stringify({ clientId, scope, redirectUri: "index.html", pkceMode: "required" })})
  .catch((e) => { document.getElementById("error").textContent = String(e); });
</script></body></html>`;

const appPage = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>SMART test app (browser)</title><script src="/fhir-client.js"></script></head><body>
<h1 id="patient-name"></h1><dl><dt>id</dt><dd id="patient-id"></dd></dl>
<script>
FHIR.oauth2.ready()
  .then((client) => client.patient.read())
  .then((p) => {
    const n = (p.name || [])[0] || {};
    document.getElementById("patient-name").textContent = [...(n.given || []), n.family].filter(Boolean).join(" ");
    document.getElementById("patient-id").textContent = p.id;
  })
  .catch((e) => {
    const pre = document.createElement("pre");
    pre.id = "error";
    pre.textContent = String(e && e.stack ? e.stack : e);
    document.body.append(pre);
  });
</script></body></html>`;

// startSPA serves the app on addr ("127.0.0.1:port", the registered origin) and resolves to
// { origin, close }.
async function startSPA({ addr, clientId, scope }) {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const send = (type, body) => {
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (path === "/launch.html") return send("text/html; charset=utf-8", launchPage(clientId, scope));
    if (path === "/index.html") return send("text/html; charset=utf-8", appPage);
    if (path === "/fhir-client.js") return send("text/javascript", fs.readFileSync(bundle));
    if (path === "/favicon.ico") return res.writeHead(204).end(); // keeps the console quiet
    res.writeHead(404).end();
  });
  const [host, port] = [addr.slice(0, addr.lastIndexOf(":")), Number(addr.slice(addr.lastIndexOf(":") + 1))];
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return {
    origin: `http://${addr}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

module.exports = { startSPA };
