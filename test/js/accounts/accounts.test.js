// The journeys of issue 11 in headless Chromium, through the real pages of the gateway the Go
// test started: register → confirm the email → the support team approves in the console →
// set up with a password and an authenticator app → sign in to an app and to the portal; forgot password;
// reset the second factor; the uniform answer and throttling, concurrently; a passkey with
// Chromium's virtual authenticator; refused uploads; the console refusing a hospital user
// without the support role. They run in order: later journeys use the account the first makes.
"use strict";
const { test, before, after } = require("node:test");
const { world, launch, newContext, screenshot, waitMail, totp, freshCode, assert } = require("./lib/world");
const j = require("./lib/journeys");

let browser;
const clinician = { email: "thomas.whitfield@riverside-peds.example.org", password: "a long riverside phrase to remember" };

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// journey runs body in a fresh browser profile and keeps a screenshot when it fails.
async function journey(name, body) {
  const context = await newContext(browser);
  const page = await context.newPage();
  const logs = [];
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  try {
    await body(page, context);
  } catch (err) {
    await screenshot(page, name);
    if (logs.length) console.log(`browser console of ${name}:\n${logs.join("\n")}`);
    throw err;
  } finally {
    await context.close();
  }
}

test("register, be approved in the console, set up with TOTP, sign in to an app", async () => {
  let statusLink;
  await journey("register", async (page) => { statusLink = await j.register(page, j.whitfield, clinician.email); });
  await journey("approve", async (page) => {
    await j.consoleSignIn(page, "support");
    await j.approve(page, j.whitfield);
  });
  await journey("set up", async (page) => {
    await page.goto(statusLink);
    assert.match(await page.textContent("#registration-status"), /Approved/);
    Object.assign(clinician, await j.setUp(page, clinician.email, clinician.password));
  });
  await journey("sign in", async (page) => {
    const tok = await j.signIn(page, clinician);
    assert.match(await page.textContent("h1"), /Signed in to the app/);
    clinician.refresh = tok.refresh_token;
    clinician.access = tok.access_token;
    // The account is linked to Dr. Whitfield's Practitioner: his patient opens, another does not.
    assert.equal(await j.fhir(tok.access_token, "Patient/child-19"), 200);
    assert.equal(await j.fhir(tok.access_token, "Patient/child-01"), 403);
  });
  await journey("sign in to the portal", async (page) => {
    await j.portalSignIn(page, clinician);
    assert.match(await page.textContent("main"), /Jonas/, "the portal lists Dr. Whitfield's patients");
  });
});

test("forgot password: an expired code is refused, a new one resets, old tokens die", async () => {
  assert.ok(clinician.refresh, "the first journey made the account");
  const seen = new Set();
  await journey("forgot password", async (page) => {
    await page.goto(world.base + "/accounts/signin");
    await page.click("text=Reset a forgotten or expired password");
    await page.fill("#email", clinician.email);
    await page.click("text=Send me a code");
    const first = await waitMail(clinician.email, "your code", seen);
    const code = first.body.match(/\b(\d{8})\b/)[1];
    await new Promise((r) => setTimeout(r, (world.passCodeTTL + 1) * 1000));
    await page.fill("#code", code);
    await page.click("text=Continue");
    assert.match(await page.textContent("[role=alert]"), /expired/);
    await page.click("button:text-is('Send a new code')");
    const second = await waitMail(clinician.email, "your code", seen);
    await page.fill("#code", second.body.match(/\b(\d{8})\b/)[1]);
    await page.click("text=Continue");
    await page.fill("#code", await freshCode(clinician)); // the second factor is still required
    await page.click("text=Continue");
    clinician.password = "a new riverside phrase after the reset";
    await page.fill("#password", clinician.password);
    await page.fill("#confirm", clinician.password);
    await page.click("text=Set the new password");
    await page.waitForSelector("text=Your password is changed");
  });
  await waitMail(clinician.email, "your password was changed");
  const r = await j.refresh(clinician.refresh);
  assert.equal(r.status, 400, "the refresh token from before the reset is dead: " + JSON.stringify(r.body));
  assert.equal(r.body.error, "invalid_grant");
  assert.equal(await j.fhir(clinician.access, "Patient/child-19"), 401);
  await journey("sign in after reset", async (page) => {
    const tok = await j.signIn(page, clinician);
    assert.equal(await j.fhir(tok.access_token, "Patient/child-19"), 200);
  });
});

test("reset the second factor with a pass code and the password", async () => {
  const old = clinician.secret;
  await journey("reset second factor", async (page) => {
    await page.goto(world.base + "/accounts/reset-second-factor");
    await page.fill("#email", clinician.email);
    await page.click("text=Send me a code");
    const m = await waitMail(clinician.email, "your code to reset your second factor");
    await page.fill("#code", m.body.match(/\b(\d{8})\b/)[1]);
    await page.click("text=Continue");
    await page.fill("#password", clinician.password);
    await page.click("text=Continue");
    Object.assign(clinician, await j.enrollTOTP(page));
  });
  assert.notEqual(clinician.secret, old);
  await waitMail(clinician.email, "your second factor was changed");
  await journey("old factor refused", async (page) => {
    await j.authorize(page);
    await page.fill("#username", clinician.email);
    await page.fill("#password", clinician.password);
    await page.click("button[type=submit]");
    await page.fill("#code", totp(old));
    await page.click("form:has(input[value=totp]) button");
    assert.match(await page.textContent("[role=alert]"), /not accepted/);
  });
  await journey("new factor works", async (page) => {
    await j.signIn(page, clinician);
  });
});

test("a passkey: added on Edit Account with a virtual authenticator, then used to sign in", async () => {
  await journey("passkey", async (page, context) => {
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", { options: {
      protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true,
      automaticPresenceSimulation: true } });
    await page.goto(world.base + "/accounts/signin");
    await page.fill("#username", clinician.email);
    await page.fill("#password", clinician.password);
    await page.click("button[type=submit]");
    await page.fill("#code", await freshCode(clinician));
    await page.click("form:has(input[value=totp]) button");
    await page.waitForSelector("text=Edit Account");
    await page.click("text=Add an authenticator app or a passkey");
    await page.fill("#pklabel", "virtual key");
    await page.click("text=Add a passkey");
    await page.waitForURL("**/accounts/account?done=factor");
    assert.match(await page.textContent("main"), /Passkey\s*virtual key/);
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    assert.equal(credentials.length, 1);
    // Sign in to the app: password, then the passkey instead of a code.
    const verifier = await j.authorize(page);
    await page.fill("#username", clinician.email);
    await page.fill("#password", clinician.password);
    await page.click("button[type=submit]");
    await page.click("text=Use your passkey");
    const tok = await j.finish(page, verifier);
    assert.equal(await j.fhir(tok.access_token, "Patient/child-19"), 200);
  });
});

test("a disguised executable and an oversized file are refused", async () => {
  await journey("uploads", async (page) => {
    const exe = Buffer.concat([Buffer.from("MZ\x90\x00\x03\x00\x00\x00This program cannot be run in DOS mode.\r\n"), j.pdf]);
    await j.fillRegistration(page, j.whitfield, "upload.test@riverside-peds.example.org",
      { ...j.files, certification: { name: "certification.pdf", mimeType: "application/pdf", buffer: exe } });
    await page.click("button[type=submit]");
    assert.match(await page.textContent("[role=alert]"), /could not accept the signed Certification & Agreement: only PDF, JPEG or PNG/);
    const big = Buffer.concat([j.pdf, Buffer.alloc(Number(process.env.ACCOUNTS_MAX_UPLOAD_BYTES) + 1, 0x20)]);
    await j.fillRegistration(page, j.whitfield, "upload.test@riverside-peds.example.org",
      { ...j.files, identity: { name: "passport.pdf", mimeType: "application/pdf", buffer: big } });
    await page.click("button[type=submit]");
    assert.match(await page.textContent("[role=alert]"), /could not accept the copy of your driver's license or passport: the file is too large/);
  });
  const regs = await fetch(world.backChannel + "/demo/mail").then((r) => r.text());
  assert.ok(!regs.includes("upload.test@"), "no refused registration sent mail");
});

test("the console refuses a Children's ID user without the support role", async () => {
  await journey("console refusal", async (page) => {
    await j.consoleSignIn(page, "hospdoc");
    assert.match(await page.textContent("main"), /not a member of the MyPatients support team/);
    await page.goto(world.base + "/accounts/console/");
    assert.ok(await page.$("text=Sign in with Children's ID"), "still not signed in to the console");
  });
});

test("the same answer for known and unknown addresses, and throttling, concurrently", async () => {
  const known = clinician.email, unknown = "nobody.here@riverside-peds.example.org";
  const pages = await Promise.all([known, unknown, known, unknown].map(async (email) => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(world.base + "/accounts/forgot-password");
    await page.fill("#email", email);
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.click("text=Send me a code")]);
    const text = (await page.textContent("main")).replace(email, "ADDRESS");
    await context.close();
    return { status: res.status(), text };
  }));
  for (const p of pages) assert.deepEqual(p, pages[0], "every address gets the same page");
  // Wrong passwords, in parallel, for an account and for an address with no account: the
  // answers are alike at every step, and after five failures both are made to wait, even
  // with the right password.
  const attempt = async (username, password) => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(world.base + "/accounts/signin");
    await page.fill("#username", username);
    await page.fill("#password", password);
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.click("button[type=submit]")]);
    const text = await page.textContent("[role=alert]").catch(() => "");
    await context.close();
    return { status: res.status(), text };
  };
  // pcp is a demo account; the clinician's own sign-in stays free for nothing comes after.
  const rounds = await Promise.all(["pcp", unknown].map(async (username) => {
    const out = [];
    for (let i = 0; i < 5; i++) out.push(await attempt(username, "wrong password " + i));
    out.push(await attempt(username, username === "pcp" ? world.password : "still wrong"));
    return out;
  }));
  assert.deepEqual(rounds[0], rounds[1], "a known and an unknown username are answered alike");
  assert.deepEqual(rounds[0].slice(0, 5).map((r) => r.status), [401, 401, 401, 401, 401]);
  assert.equal(rounds[0][5].status, 429, "after five failures the right password must wait too");
  assert.match(rounds[0][5].text, /Too many failed sign-in attempts/);
});
