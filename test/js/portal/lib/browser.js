// Headless Chromium (Debian's, driven by playwright-core) playing a clinician on the portal:
// the real sign-in through the gateway and the demo IdP's form, and a check of every page it
// shows: axe-core (injected into the page) must report no violation, and at 360 px wide the
// page must not scroll sideways.
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const assert = require("node:assert/strict");
const { chromium } = require("playwright-core");
const axe = require("axe-core");
const env = require("./env");

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

// openBrowser starts Chromium; each journey gets a fresh context (its own cookies).
async function openBrowser() {
  if (!fs.existsSync(env.chromium)) {
    throw new Error(`Chromium is not installed at ${env.chromium}: apt-get install -y chromium (bash .ci/run does it)`);
  }
  const browser = await chromium.launch({ executablePath: env.chromium, headless: true, args: ARGS, timeout: 30_000 });
  return { browser, close: () => browser.close() };
}

// checked remembers the pages already checked (by path without query), so that each page
// kind is checked once per run, not once per visit.
const checked = new Set();

// check runs axe-core on the page as it is and checks it at 360 px for horizontal overflow.
// axe is evaluated through the DevTools protocol, which the page's CSP (no inline script)
// does not govern; the page itself never runs it.
async function check(page, name) {
  let key = name;
  if (!key) {
    key = new URL(page.url()).pathname.replace(/\/(child|enc|doc|obs)-[0-9-]+/g, "/{id}").replace(/\/accounts:staff-[a-z0-9]+/, "/{staff}");
    if (await page.locator("header .who").count()) key += " (signed in)";
  }
  if (checked.has(key)) return;
  checked.add(key);
  await page.evaluate(axe.source);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  const size = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.setViewportSize(size);
  if (env.report) {
    fs.appendFileSync(env.report, JSON.stringify({ page: key, violations: result.length, overflow }) + "\n");
  }
  assert.deepEqual(result, [], `axe-core found violations on ${key}: ${JSON.stringify(result, null, 1)}`);
  assert.ok(overflow <= 0, `${key} scrolls sideways at 360 px by ${overflow} px`);
}

// go opens path on the portal, waits for it and checks it.
async function go(page, p) {
  const res = await page.goto(env.gateway + p, { waitUntil: "load", timeout: 20_000 });
  await check(page);
  return res;
}

// click clicks and waits for the navigation to finish, then checks the new page.
async function click(page, locator) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load", timeout: 20_000 }), locator.click()]);
  await check(page);
}

// signIn signs user in from the portal's sign-in page through idp ("accounts" or
// "childrens"): the portal's button, the gateway, the identity provider's form, back to the
// portal. The demo users need no second factor.
// opts.check false skips the page checks (the idle test times requests).
async function signIn(page, user, idp = "accounts", opts = { check: true }) {
  if (opts.check) await go(page, "/");
  else await page.goto(env.gateway + "/", { waitUntil: "load", timeout: 20_000 });
  // The accounts provider is served by the gateway itself, under /accounts/; Children's ID has
  // a port of its own.
  const atIdP = (u) => !u.href.startsWith(env.gateway + "/") || u.pathname.startsWith("/accounts/");
  await Promise.all([page.waitForURL(atIdP, { timeout: 20_000 }),
    page.locator(`form:has(input[name=idp][value=${idp}]) button`).click()]);
  await page.locator("input[name=username]").fill(user);
  await page.locator("input[name=password]").fill(env.password);
  await Promise.all([page.waitForURL((u) => !atIdP(u) && !u.pathname.startsWith("/login/"), { timeout: 20_000 }),
    page.locator("form button[type=submit]").first().click()]);
  await page.waitForLoadState("load");
  if (opts.check) await check(page);
}

// withPage runs fn on a new page, saving a screenshot when it fails.
async function withPage(b, name, fn) {
  const context = await b.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const console_ = [];
  page.on("console", (m) => console_.push(`${m.type()}: ${m.text()}`));
  try {
    await fn(page);
  } catch (err) {
    const dir = env.artifacts || fs.mkdtempSync(path.join(os.tmpdir(), "portal-"));
    fs.mkdirSync(dir, { recursive: true });
    const shot = path.join(dir, `${name}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    let msg = `${err.message}\nscreenshot: ${shot}\nlast at ${page.url()}`;
    if (console_.length) msg += `\nbrowser console:\n  ${console_.join("\n  ")}`;
    throw new Error(msg, { cause: err });
  } finally {
    await context.close();
  }
}

module.exports = { openBrowser, check, go, click, signIn, withPage, env };
