// The steps the journeys are made of, each through the real pages.
"use strict";
const crypto = require("node:crypto");
const { world, waitMail, link, totp, freshCode, assert } = require("./world");

// A tiny PDF and PNG: real magic bytes, as a scanner would produce.
const pdf = Buffer.from("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");
const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
const files = {
  certification: { name: "certification.pdf", mimeType: "application/pdf", buffer: pdf },
  identity: { name: "licence.png", mimeType: "image/png", buffer: png },
};

// Dr. Thomas Whitfield of Riverside Pediatric Group is in the demo EHR with this NPI but has
// no demo account: the registrant of the journeys.
const whitfield = { name: "Dr. Thomas Whitfield", npi: "1200000127", practice: "Riverside Pediatric Group" };

async function fillRegistration(page, who, email, docs = files) {
  await page.goto(world.base + "/accounts/register");
  await page.fill("#name", who.name);
  await page.selectOption("#credentials", "MD");
  await page.fill("#npi", who.npi);
  await page.fill("#practice", who.practice);
  await page.fill("#address", "12 River Road, Springfield");
  await page.fill("#pphone", "555-0131");
  await page.fill("#email", email);
  await page.setInputFiles("#certification", docs.certification);
  await page.setInputFiles("#identity", docs.identity);
}

// register sends the form and confirms the email address; it returns the status link.
async function register(page, who, email) {
  await fillRegistration(page, who, email);
  await page.click("button[type=submit]");
  await page.waitForSelector("text=Check your email");
  const statusLink = await page.getAttribute("a[href*='/accounts/register/status']", "href");
  assert.match(await page.textContent("#registration-status"), /confirm your email/);
  const m = await waitMail(email, "confirm your email address");
  await page.goto(link(m, "/accounts/register/verify?token="));
  assert.match(await page.textContent("#registration-status"), /support team is checking/);
  return statusLink;
}

// consoleSignIn signs page in to the console through Children's ID.
async function consoleSignIn(page, username) {
  await page.goto(world.base + "/accounts/console/");
  await page.click("text=Sign in with Children's ID");
  await page.fill("#username", username);
  await page.fill("#password", world.password);
  await page.click("button[type=submit]");
}

// approve finds the registration in the console, links the Practitioner the NPI finds, and approves.
async function approve(page, who) {
  await page.goto(world.base + "/accounts/console/");
  await page.click(`#registrations >> text=${who.name}`);
  await page.waitForSelector("text=Practitioner in the EHR with NPI");
  await page.click("form:has(input[value='Practitioner/dr-outside']) button");
  await page.waitForSelector("#linked >> text=Practitioner/dr-outside");
  await page.click("form[action$='/approve'] button");
  await page.waitForSelector("text=Approved: the clinician was emailed a set-up link");
}

// setUp opens the approval email's link, chooses password and enrolls an authenticator app
// with a code computed from the page's secret; it returns the secret and recovery codes.
async function setUp(page, email, password) {
  const m = await waitMail(email, "your account is approved");
  await page.goto(link(m, "/accounts/setup?token="));
  await page.fill("#password", password);
  await page.fill("#confirm", password);
  await page.click("button[type=submit]");
  return enrollTOTP(page);
}

async function enrollTOTP(page) {
  await page.waitForSelector("#totp-secret");
  const secret = (await page.textContent("#totp-secret")).trim();
  assert.ok(await page.$("svg[aria-label*='QR code']"), "the enrollment page shows a QR code");
  const who = { secret };
  await page.fill("#code", await freshCode(who));
  await page.click("button:text-is('Add authenticator app')");
  await page.waitForSelector("#recovery-codes");
  const codes = (await page.$$eval("#recovery-codes code", (els) => els.map((e) => e.textContent)));
  assert.equal(codes.length, 10);
  return { secret, codes, lastStep: who.lastStep };
}

// authorize starts the registered app's SMART sign-in and returns its PKCE verifier.
async function authorize(page, scope = "openid fhirUser offline_access user/Patient.rs") {
  const verifier = crypto.randomBytes(32).toString("base64url");
  const q = new URLSearchParams({
    response_type: "code", client_id: world.clientID, redirect_uri: world.redirectURI, scope, state: "st-" + Date.now(),
    aud: world.base + "/fhir", code_challenge: crypto.createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  await page.goto(world.base + "/oauth/authorize?" + q);
  await page.click("text=MyPatients account");
  return verifier;
}

// signIn runs the whole sign-in of the app with a password and a fresh TOTP code of who,
// and returns the token response.
async function signIn(page, who) {
  const verifier = await authorize(page);
  await page.fill("#username", who.email);
  await page.fill("#password", who.password);
  await page.click("button[type=submit]");
  await page.fill("#code", await freshCode(who));
  await page.click("form:has(input[value=totp]) button");
  return finish(page, verifier);
}

// finish allows the consent screen and exchanges the code the app receives.
async function finish(page, verifier) {
  await page.click("button:text-is('Allow')");
  await page.waitForURL(world.redirectURI + "**");
  const code = new URL(page.url()).searchParams.get("code");
  assert.ok(code, "the app got a code");
  const res = await fetch(world.backChannel + "/oauth/token", {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: world.redirectURI, client_id: world.clientID, code_verifier: verifier }),
  });
  const tok = await res.json();
  assert.equal(res.status, 200, JSON.stringify(tok));
  return tok;
}

// portalSignIn signs who in on the portal's sign-in page with MyPatients account: password,
// then a fresh TOTP code, back on the portal's home page.
async function portalSignIn(page, who) {
  await page.goto(world.base + "/");
  await page.click("form:has(input[name=idp][value=accounts]) button");
  await page.fill("#username", who.email);
  await page.fill("#password", who.password);
  await page.click("button[type=submit]");
  await page.fill("#code", await freshCode(who));
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/accounts/") && !u.pathname.startsWith("/login/")),
    page.click("form:has(input[value=totp]) button")]);
  await page.waitForLoadState("load");
}

async function refresh(refreshToken) {
  const res = await fetch(world.backChannel + "/oauth/token", {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: world.clientID }),
  });
  return { status: res.status, body: await res.json() };
}

async function fhir(token, path) {
  const res = await fetch(world.backChannel + "/fhir/" + path, { headers: { Authorization: "Bearer " + token } });
  return res.status;
}

module.exports = { files, pdf, whitfield, fillRegistration, register, consoleSignIn, approve, setUp, enrollTOTP, authorize, signIn, finish,
  portalSignIn, refresh, fhir };
