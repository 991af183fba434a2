// A real browser — Debian's Chromium, headless, driven by playwright-core — does a standalone
// SMART launch with launch/patient: the app's launch URL, the gateway's sign-in page, the demo
// IdP's login form, the patient picker, the consent screen, and back to the app, which shows
// the chosen patient. Twice: with fhirclient in a Node app (lib/app.js) and with fhirclient's
// browser build in the page (lib/spa.js), whose token request and FHIR read are cross-origin.
// On failure a screenshot is saved and its path printed.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");
const env = require("./lib/env");
const { startApp } = require("./lib/app");
const { startSPA } = require("./lib/spa");

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

let app;
let spa;
let context;
let profile;
before(async () => {
  if (!fs.existsSync(env.chromium)) {
    throw new Error(`Chromium is not installed at ${env.chromium}: apt-get install -y chromium (bash .ci/run does it)`);
  }
  const scope = "launch/patient openid fhirUser patient/Patient.rs";
  app = await startApp({ clientId: env.clientId, scope });
  spa = await startSPA({ addr: env.spaAddr, clientId: env.spaClientId, scope });
  // A fresh profile every run: no cookies or cached sign-ins from an earlier run.
  profile = fs.mkdtempSync(path.join(os.tmpdir(), "smart-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: env.chromium, headless: true, args: ARGS, timeout: 30_000,
  });
});
after(async () => {
  if (context) await context.close();
  if (app) await app.close();
  if (spa) await spa.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

// step does what a clinician does on the page in front of them and names the page. On the
// picker it chooses child-03 and notes the label the gateway showed in picked.label.
async function step(page, picked) {
  if (await page.locator("input[type=password]").count()) {
    await page.locator("input[name=username]").fill("pcp");
    await page.locator("input[name=password]").fill(env.password);
    await submit(page, page.locator("form button[type=submit], form input[type=submit]").first());
    return "login";
  }
  const radios = page.locator("input[type=radio][name=patient]");
  if (await radios.count()) {
    const offered = await radios.evaluateAll((rs) => rs.map((r) => r.value));
    const choice = page.locator('input[type=radio][name=patient][value="child-03"], input[type=radio][name=patient][value="Patient/child-03"]');
    assert.equal(await choice.count(), 1, `the picker does not offer child-03; it offers ${offered.join(", ")}`);
    await choice.check();
    // What the picker called the patient, to compare with what the app shows at the end.
    picked.label = (await page.locator("label", { has: choice }).innerText()).trim();
    const form = page.locator("form", { has: choice });
    await submit(page, form.locator("button[type=submit], button:not([type]), input[type=submit]").first());
    return "picker";
  }
  if (await page.locator("input[type=checkbox][name=scope]").count()) {
    await submit(page, page.locator('[name=decision][value=allow]'));
    return "consent";
  }
  const idp = page.locator('a[href*="/login/accounts?"]');
  if (await idp.count()) {
    await submit(page, idp.first());
    return "chooser";
  }
  throw new Error(`unexpected page at ${page.url()}: ${(await page.locator("body").innerText()).slice(0, 400)}`);
}

// submit clicks and waits for the navigation the click starts to finish loading.
async function submit(page, locator) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load", timeout: 20_000 }), locator.click()]);
}

// browserLaunch opens launchURL in a new tab and plays the clinician until the app at
// appOrigin has the launch patient on screen, which must be the one chosen in the picker.
async function browserLaunch(t, { name, launchURL, appOrigin }) {
  const page = await context.newPage();
  const seen = [];
  const picked = {};
  // The browser's own complaints (a Content-Security-Policy blocking a redirect, a CORS
  // refusal) explain failures that a screenshot cannot.
  const console_ = [];
  page.on("console", (m) => console_.push(`${m.type()}: ${m.text()}`));
  page.on("requestfailed", (r) => console_.push(`failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  try {
    await page.goto(launchURL, { waitUntil: "load", timeout: 20_000 });
    // A browser-side app leaves for the gateway from script, after discovery.
    await page.waitForURL((u) => !u.href.startsWith(appOrigin), { timeout: 20_000 });
    while (!page.url().startsWith(appOrigin)) {
      if (seen.length > 10) throw new Error(`no way back to the app; pages: ${seen.join(" → ")}`);
      seen.push(await step(page, picked));
    }
    assert.deepEqual(seen.filter((s) => s === "consent" || s === "picker").sort(), ["consent", "picker"],
      `pages seen: ${seen.join(" → ")}`);
    await page.waitForFunction(() => document.getElementById("patient-id")?.textContent || document.getElementById("error"),
      null, { timeout: 20_000 });
    const failure = page.locator("#error");
    if (await failure.count()) throw new Error("the app failed: " + (await failure.innerText()));
    assert.equal((await page.locator("#patient-id").innerText()).trim(), "child-03");
    const shown = (await page.locator("#patient-name").innerText()).trim();
    assert.ok(shown.length > 0, "the app shows no patient name");
    assert.ok(picked.label.includes(shown), `the app shows ${shown}, the picker offered "${picked.label}"`);
  } catch (err) {
    const dir = env.artifacts || fs.mkdtempSync(path.join(os.tmpdir(), "smart-browser-"));
    fs.mkdirSync(dir, { recursive: true });
    const shot = path.join(dir, `${name}-failure.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(`screenshot of the failure: ${shot} (pages: ${seen.join(" → ")}, at ${page.url()})`);
    let msg = `${err.message}\nscreenshot: ${shot}\npages: ${seen.join(" → ")}; last at ${page.url()}`;
    if (console_.length) msg += `\nbrowser console:\n  ${console_.join("\n  ")}`;
    if (console_.some((l) => l.includes("form-action"))) {
      msg += "\nhint: browsers apply CSP form-action to the redirects that follow a form post, so a" +
        " page whose form ends in a redirect to the app must list the app's redirect origin there";
    }
    throw new Error(msg, { cause: err });
  } finally {
    await page.close();
  }
  t.diagnostic(`pages: ${seen.join(" → ")}`);
}

test("standalone launch in a browser, fhirclient in a Node app: login, picker, consent, patient", async (t) => {
  await browserLaunch(t, {
    name: "node-app",
    launchURL: `${app.origin}/launch?iss=${encodeURIComponent(env.fhirBase)}`,
    appOrigin: app.origin,
  });
});

test("standalone launch in a browser, fhirclient in the page: the same, with CORS", async (t) => {
  await browserLaunch(t, {
    name: "browser-app",
    launchURL: `${spa.origin}/launch.html?iss=${encodeURIComponent(env.fhirBase)}`,
    appOrigin: spa.origin,
  });
});
