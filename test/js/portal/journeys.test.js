// The portal's journeys, each as a clinician does them in a browser, through the real sign-in.
// Every page seen is checked with axe-core and at 360 px (lib/browser.js).
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { openBrowser, go, click, signIn, withPage, check, env } = require("./lib/browser");

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

const text = async (page, sel) => (await page.locator(sel).innerText()).replace(/\s+/g, " ").trim();

test("the sign-in page has both ways in and the accounts links", async () => {
  await withPage(b, "signin", async (page) => {
    await go(page, "/");
    assert.equal(await page.locator("input[name=idp][value=accounts]").count(), 1);
    assert.equal(await page.locator("input[name=idp][value=childrens]").count(), 1);
    assert.match(await text(page, "main"), /MyPatients account/);
    assert.match(await text(page, "main"), /Children's ID/);
    for (const href of ["/accounts/register", "/accounts/password/forgot"]) {
      assert.equal(await page.locator(`a[href$="${href}"]`).count(), 1, `no link to ${href}`);
    }
    assert.equal(await page.locator('a[href="https://id.childrens.example.org/password"]').count(), 1, "no link to the hospital's password tool");
    assert.ok(await page.locator('a[href="/portal/help"]').count() >= 1);
    await go(page, "/portal/help");
    for (const h of ["tutorials", "faq", "privacy", "support"]) await go(page, "/portal/help/" + h);
    assert.match(await text(page, "#support-contact"), /support/i);
  });
});

test("pcp finds her patient by name and by MRN, reads a discharge summary, sees a flagged lab and its trend, finds the attending's phone, saves the patient", async () => {
  await withPage(b, "pcp", async (page) => {
    await signIn(page, "pcp");
    // The header: her name, role, and the frame's links.
    assert.match(await text(page, "header"), /Priya Patel/);
    assert.match(await text(page, "header"), /Provider/);
    for (const l of ["Validate a Token", "Edit Account", "Help", "Sign out"]) {
      assert.ok(await page.getByText(l, { exact: true }).count() >= 1, `no ${l} in the header`);
    }
    assert.equal(await page.locator('header a[href$="/accounts/account"]').count(), 1, "Edit Account links to the accounts provider");
    // Home: her patients, with why.
    const home = await text(page, "main");
    assert.match(home, /Amelia Hartley/);
    assert.match(home, /You are the PCP/);
    assert.match(home, /Practice: Dr\. .*Okafor is the PCP/);
    assert.match(await text(page, "#count"), /of 9/);
    // Filters: in hospital now, discharged in the last 30 days.
    await go(page, "/?show=inpatient");
    assert.match(await text(page, "main"), /Ethan Romero/);
    assert.doesNotMatch(await text(page, "main table"), /Amelia Hartley/);
    await go(page, "/?show=discharged&sort=-name");
    assert.match(await text(page, "main table"), /Amelia Hartley/);
    // Search by name and date of birth.
    await go(page, "/portal/search");
    await page.locator("#family").fill("Hartley");
    await page.locator("#given").fill("Amelia");
    await page.locator("#birthdate").fill("2015-03-14");
    await click(page, page.getByRole("button", { name: "Search by name" }));
    await click(page, page.locator("main table a", { hasText: "Amelia Hartley" }));
    assert.match(await text(page, ".banner"), /MRN100001/);
    assert.match(await text(page, "#allergies"), /Penicillin/i);
    // The stay: the attending's phone number, and the secure-channel reminder.
    await click(page, page.locator("ol.timeline a", { hasText: "Hospital stay" }).first());
    const team = await text(page, "#care-team");
    assert.match(team, /Attending physician Dr\. [^ ]+ [^ ]+ \d{3}-\d{4}/, team);
    assert.match(await text(page, ".secure"), /secure channel/);
    // Search by MRN without its prefix.
    await go(page, "/portal/search?mrn=100003");
    await click(page, page.locator("main table a", { hasText: "Sofía Muñoz" }));
    // The discharge summary, plain text.
    await click(page, page.locator("nav.tabs a", { hasText: "Notes" }));
    await click(page, page.locator("#notes a", { hasText: /Discharge Summary/i }).first());
    assert.match(await text(page, "#note-body"), /diabetic ketoacidosis|DKA/i);
    await go(page, new URL(page.url()).pathname + "/print");
    // Labs: glucose 488 flagged HH, critical, and its trend.
    await go(page, "/portal/patients/child-03/labs");
    const glucose = page.locator("tr.critical", { hasText: "488" }).first();
    assert.match(await glucose.innerText(), /HH/);
    await click(page, glucose.locator("a"));
    assert.equal(await page.locator("#trend-chart svg").count(), 1);
    assert.match(await text(page, "#trend-table"), /488 mg\/dL/);
    // Vitals apart from labs, with growth charts; medications; the printed record.
    await go(page, "/portal/patients/child-03/vitals");
    assert.ok(await page.locator("figure svg").count() >= 2, "no growth charts");
    await go(page, "/portal/patients/child-03/meds");
    assert.match(await text(page, "main"), /Insulin/i);
    await go(page, "/portal/patients/child-03/print");
    // The hostile HTML note is shown without its script, handlers or external image.
    await go(page, "/portal/patients/child-01/notes/doc-01-7");
    const html = await page.locator("#note-body").innerHTML();
    assert.doesNotMatch(html, /<script|onerror|javascript:|<img/i);
    // A PDF letter opens inline: verified a PDF, served inline, framed by the note page only.
    await go(page, "/portal/patients/child-01/notes/doc-01-3");
    assert.equal(await page.locator("iframe.pdf").count(), 1);
    const pdf = await page.request.get(env.gateway + (await page.locator("#pdf-link").getAttribute("href")));
    assert.equal(pdf.headers()["content-type"], "application/pdf");
    assert.match(pdf.headers()["content-disposition"], /^inline/);
    assert.match(pdf.headers()["content-security-policy"], /frame-ancestors 'self'/);
    assert.equal((await pdf.body()).subarray(0, 5).toString(), "%PDF-");
    // Save the patient and find them on the saved list.
    await go(page, "/portal/patients/child-03");
    assert.equal(await text(page, "#save"), "Add to saved list");
    await click(page, page.locator("#save"));
    assert.equal(await text(page, "#save"), "Remove from saved list");
    await go(page, "/portal/saved");
    assert.match(await text(page, "main table"), /Sofía Muñoz/);
    await go(page, "/");
    assert.match(await text(page, "main"), /Recently viewed.*Sofía Muñoz/);
    await click(page, page.getByRole("button", { name: "Sign out" }));
    assert.match(await text(page, "main"), /You are signed out/);
  });
});

test("specialist is refused with the right buttons, requests access, the family approves, the record opens", async () => {
  await withPage(b, "specialist-request", async (page) => {
    await signIn(page, "specialist");
    assert.match(await text(page, "#count"), /No patients/);
    // An inexact query reveals nothing.
    await go(page, "/portal/search?family=Foster");
    assert.equal(await page.locator("#not-authorized").count(), 0);
    assert.match(await text(page, "#no-match"), /No patient you may see matches/);
    // An exact one gets the notice.
    await go(page, "/portal/search?mrn=MRN100020");
    assert.match(await text(page, "#not-authorized"), /not this patient's primary care provider|not authorized/i);
    assert.equal(await page.locator("#request-pcp").count(), 1);
    assert.equal(await page.locator("#request-family").count(), 1);
    assert.doesNotMatch(await text(page, "main"), /Lily|Foster/);
    await click(page, page.locator("#request-family"));
    assert.match(await text(page, "#request-sent"), /request was recorded/);
    await go(page, "/portal/requests");
    assert.match(await text(page, "#requests"), /MRN100020.*Waiting/);
    // A family without a portal account: the notice says so, with the sign-up instructions.
    await go(page, "/portal/search?mrn=100021");
    assert.match(await text(page, "#no-portal"), /no patient-portal account/);
    await click(page, page.locator("#no-portal a"));
    // The family approves on the demo patient portal.
    await page.goto(env.gateway + "/demo/portal/?patient=child-20");
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Approve" }).first().click()]);
    await go(page, "/portal/requests");
    assert.match(await text(page, "#requests"), /MRN100020.*Approved/);
    await go(page, "/portal/search?mrn=MRN100020");
    await click(page, page.locator("main table a", { hasText: "Lily Foster" }));
    assert.match(await text(page, ".banner"), /MRN100020/);
    await go(page, "/");
    assert.match(await text(page, "main table"), /Lily Foster.*Granted by the family/);
  });
});

test("specialist validates a token", async () => {
  await withPage(b, "specialist-token", async (page) => {
    await page.goto(env.gateway + "/demo/portal/?patient=child-19");
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Create invitation" }).click()]);
    const token = (await page.locator(".token").innerText()).trim();
    await signIn(page, "specialist");
    await go(page, "/portal/token");
    await page.locator("#token").fill("WRONG-TOKEN-XXXX");
    await page.locator("#mrn").fill("MRN100019");
    await click(page, page.getByRole("button", { name: "Validate" }));
    assert.match(await text(page, "#token-problem"), /do not match a valid invitation/);
    await page.locator("#token").fill(token);
    await page.locator("#mrn").fill("MRN100019");
    await click(page, page.getByRole("button", { name: "Validate" }));
    assert.match(await text(page, "#token-done"), /Access granted/);
    await click(page, page.locator("#token-done a"));
    assert.match(await text(page, ".banner"), /MRN100019/);
  });
});

test("staff sees exactly the sponsor's patients; the sponsor manages staff", async () => {
  await withPage(b, "staff", async (page) => {
    await signIn(page, "staff");
    assert.match(await text(page, "header"), /staff sponsored by .*Patel/);
    const rows = await page.locator("main table tbody th a").allInnerTexts();
    assert.equal(rows.length, 9, `staff sees ${rows.join(", ")}`);
    assert.match(await text(page, "main table"), /Patient of your sponsor/);
    await page.goto(env.gateway + "/portal/patients/child-10");
    await check(page, "refusal");
    assert.match(await text(page, "main"), /not authorized/i);
    // A sponsored staff member opens a stay and finds who to call: the directory is theirs
    // through their sponsor, so the attending's phone number is there.
    await go(page, "/portal/patients/child-01/encounters/enc-01-5");
    const team = await text(page, "#care-team");
    assert.match(team, /Attending physician Dr\. [^ ]+ [^ ]+ \d{3}-\d{4}/, team);
    assert.match(await text(page, ".secure"), /secure channel/);
    assert.equal(await page.locator("#no-directory").count(), 0);
  });
  await withPage(b, "sponsor", async (page) => {
    await signIn(page, "pcp");
    await click(page, page.locator("nav.main-nav a", { hasText: "My staff" }));
    await page.locator("#s-name").fill("Sam Lee");
    await page.locator("#s-role").fill("referral coordinator");
    await page.locator("#s-email").fill("sam.lee@maple-pediatrics.example.org");
    await click(page, page.getByRole("button", { name: "Add and email a set-up link" }));
    assert.match(await text(page, "#staff-done"), /Sam Lee was added/);
    const row = () => page.locator("#staff tr", { hasText: "Sam Lee" });
    await click(page, row().getByRole("button", { name: /Re-send set-up link/ }));
    assert.match(await text(page, "#staff-done"), /new set-up link/);
    await click(page, row().getByRole("button", { name: /Suspend/ }));
    assert.match(await row().innerText(), /suspended/);
    await click(page, row().getByRole("button", { name: /Reinstate/ }));
    assert.match(await row().innerText(), /active/);
    await click(page, row().getByRole("link", { name: /Remove/ }));
    await click(page, page.locator("#confirm-remove"));
    assert.match(await row().innerText(), /removed/);
  });
});

test("hospdoc signs in through Children's ID", async () => {
  await withPage(b, "hospdoc", async (page) => {
    await signIn(page, "hospdoc", "childrens");
    assert.match(await text(page, "header"), /Haddad/);
    const rows = await page.locator("main table tbody th a").allInnerTexts();
    assert.deepEqual(rows.sort(), ["Elijah Brooks", "Nora Kowalski", "Samuel Kowalski"]);
  });
});
