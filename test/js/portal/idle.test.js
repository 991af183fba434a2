// The idle timeout signs a session out: the gateway of this test signs sessions out after
// PORTAL_IDLE_SECONDS without a request. Its support team has suspended colleague and hospdoc.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { setTimeout: sleep } = require("node:timers/promises");
const { openBrowser, signIn, withPage, check, env } = require("./lib/browser");

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

test("an idle session is signed out", async () => {
  const idle = Number(process.env.PORTAL_IDLE_SECONDS || "0");
  assert.ok(idle > 0, "PORTAL_IDLE_SECONDS is not set");
  await withPage(b, "idle", async (page) => {
    await signIn(page, "pcp", "accounts", { check: false });
    // Activity within the idle time keeps the session, beyond the idle time in all.
    for (let i = 0; i < 3; i++) {
      await sleep((idle * 1000) / 3);
      await page.goto(env.gateway + "/portal/saved");
      assert.equal(new URL(page.url()).pathname, "/portal/saved");
    }
    // Then nothing for longer than the idle time.
    await sleep(idle * 1000 + 1500);
    await page.goto(env.gateway + "/portal/saved");
    assert.equal(new URL(page.url()).pathname, "/portal/signin");
    assert.match(await page.locator("main").innerText(), /Your session has ended/);
  });
});

// signInAs plays the sign-in of user at idp up to the page that answers it.
async function signInAs(page, user, idp) {
  await page.goto(env.gateway + "/");
  // The accounts provider is the gateway's own, under /accounts/; Children's ID has its port.
  await Promise.all([page.waitForURL((u) => !u.href.startsWith(env.gateway + "/") || u.pathname.startsWith("/accounts/")),
    page.locator(`form:has(input[name=idp][value=${idp}]) button`).click()]);
  await page.locator("input[name=username]").fill(user);
  await page.locator("input[name=password]").fill(env.password);
  await Promise.all([page.waitForNavigation(), page.locator("form button[type=submit]").first().click()]);
  await page.waitForLoadState("load");
}

test("a suspended account is told so at sign-in, with the support contact, through either sign-in", async () => {
  await withPage(b, "suspended", async (page) => {
    // Children's ID vouches for hospdoc and the gateway refuses the suspended account; the
    // accounts provider refuses colleague itself and sends her back through the gateway.
    // Either way the gateway says why (mypatients_reason) and the portal tells her on its page.
    for (const [user, idp] of [["hospdoc", "childrens"], ["colleague", "accounts"]]) {
      await signInAs(page, user, idp);
      assert.equal(new URL(page.url()).pathname, "/portal/callback", `${user} ends on ${page.url()}`);
      await check(page, "suspended");
      assert.equal(await page.locator("#not-in-good-standing").getAttribute("data-reason"), "account_suspended");
      const main = await page.locator("main").innerText();
      assert.match(main, /Your account is suspended/);
      assert.match(await page.locator("#support-contact").innerText(), /support@/);
    }
  });
});
