// What the journeys share: the gateway under test (from the environment the Go test sets),
// the browser, the captured mail, TOTP codes and the SMART sign-in of a registered app.
"use strict";
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { chromium } = require("playwright-core");

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run these journeys through go test ./test -run AccountsJourneys`);
  return v;
};

const world = {
  base: env("MYPATIENTS_GATEWAY_URL"), // http://localhost:<port>: passkeys need a host name
  password: env("MYPATIENTS_DEMO_PASSWORD"),
  clientID: env("ACCOUNTS_CLIENT_ID"),
  redirectURI: env("ACCOUNTS_REDIRECT_URI"),
  passCodeTTL: Number(env("ACCOUNTS_PASS_CODE_TTL_SECONDS")),
  artifacts: process.env.ACCOUNTS_ARTIFACTS_DIR || "",
};
// Node's fetch may try ::1 for localhost, where the gateway does not listen.
world.backChannel = world.base.replace("//localhost:", "//127.0.0.1:");

async function launch() {
  return chromium.launch({
    executablePath: env("CHROMIUM_PATH"),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

// newContext is a fresh browser profile whose app callback is answered in the browser
// itself: the registered app exists only as its redirect URI.
async function newContext(browser) {
  const context = await browser.newContext();
  await context.route(world.redirectURI + "**", (route) =>
    route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>App</title><h1>Signed in to the app</h1>" }));
  return context;
}

async function screenshot(page, name) {
  if (!world.artifacts || !page) return;
  const file = path.join(world.artifacts, name.replace(/[^a-z0-9]+/gi, "-") + ".png");
  await page.screenshot({ path: file, fullPage: true }).catch(() => {});
  console.log("screenshot:", file);
}

// ---- mail -------------------------------------------------------------------------------

function unescapeHTML(s) {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}

// mails returns the captured mail (the demo's /demo/mail page), newest first.
async function mails() {
  const res = await fetch(world.backChannel + "/demo/mail");
  assert.equal(res.status, 200);
  const html = await res.text();
  const out = [];
  for (const m of html.matchAll(/<article><h2>([^<]*)<\/h2><p>To: ([^<]*?) ·[^<]*<\/p><pre>([\s\S]*?)<\/pre><\/article>/g)) {
    out.push({ subject: unescapeHTML(m[1]), to: m[2].trim().toLowerCase(), body: unescapeHTML(m[3]) });
  }
  return out;
}

// waitMail waits for a mail to `to` whose subject contains `subject` and that `seen` does not hold yet.
async function waitMail(to, subject, seen = new Set()) {
  for (let i = 0; i < 150; i++) {
    const m = (await mails()).find((m) => m.to === to.toLowerCase() && m.subject.includes(subject) && !seen.has(m.body));
    if (m) {
      seen.add(m.body);
      return m;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const last = (await mails()).slice(0, 5).map((m) => `${m.to}: ${m.subject}`).join("; ");
  throw new Error(`no mail "${subject}" to ${to} within 30 s; the newest: ${last}`);
}

function link(mail, pathPart) {
  const m = mail.body.match(new RegExp(`https?://\\S+${pathPart.replace(/[/?]/g, "\\$&")}\\S*`));
  assert.ok(m, `no ${pathPart} link in: ${mail.body}`);
  return m[0].replace("//127.0.0.1:", "//localhost:");
}

// ---- TOTP (RFC 6238: HMAC-SHA1, 30 s, 6 digits) ----------------------------------------

function base32(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of s.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

// totp is the code of secret for the time step `step` steps from now.
function totp(secret, step = 0) {
  const counter = Math.floor(Date.now() / 1000 / 30) + step;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const h = crypto.createHmac("sha1", base32(secret)).update(msg).digest();
  const off = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(off) & 0x7fffffff) % 1e6).padStart(6, "0");
}

// freshCode returns a code of who.secret for a time step not used yet (the gateway accepts
// each step once, and one step either side of now), waiting for the clock when it must.
async function freshCode(who) {
  for (;;) {
    const now = Math.floor(Date.now() / 1000 / 30);
    const step = Math.max(now - 1, (who.lastStep ?? -Infinity) + 1);
    if (step <= now + 1) {
      who.lastStep = step;
      return totp(who.secret, step - now);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

module.exports = { world, launch, newContext, screenshot, mails, waitMail, link, totp, freshCode, assert };
