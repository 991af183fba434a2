// The record as a pediatrician reads it, checked in the browser the way a reviewer found it
// wanting: lengths of stays and visits in the right unit, vitals as a flowsheet, the banner at
// desktop and tablet widths, one entry per active medication, growth charts large enough to
// read with the CDC percentiles, and lab tables of one layout. Every page seen is checked with
// axe-core and at 360 px (lib/browser.js).
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { openBrowser, go, signIn, withPage } = require("./lib/browser");

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

const text = async (loc) => (await loc.innerText()).replace(/\s+/g, " ").trim();

test("lengths of stays and visits are in hours, minutes or days as they lasted", async () => {
  await withPage(b, "record-lengths", async (page) => {
    await signIn(page, "pcp");
    await go(page, "/portal/patients/child-05");
    const short = /^(\d+ h( \d+ min)?|\d+ min)$/;
    const lengths = async (kind) => page.locator(`ol.timeline li.${kind} .length`).allInnerTexts();
    const ed = await lengths("emer"), stays = await lengths("imp");
    assert.ok(ed.length >= 1 && stays.length >= 1, `ED visits ${ed}, stays ${stays}`);
    for (const l of ed) assert.match(l, short, "an ED visit lasts hours");
    for (const l of stays) assert.match(l, /^\d+ days?$/, "a stay lasts days");
    const visits = page.locator("ol.timeline li.enc:not(.imp):not(.emer) .length");
    for (const l of await visits.allInnerTexts()) assert.match(l, short, "a clinic visit lasts minutes or hours");
    // The ED visit's own page says the same, as the length of a visit.
    await go(page, await page.locator("ol.timeline li.emer h3 a").first().getAttribute("href"));
    assert.match(await text(page.locator("#enc-length")), short);
    assert.match(await text(page.locator("dl.facts.wide")), /Length of visit/);
  });
});

test("vitals are a flowsheet: one row per time measured, one column per vital sign", async () => {
  await withPage(b, "record-vitals", async (page) => {
    await signIn(page, "pcp");
    await go(page, "/portal/patients/child-05/vitals");
    const heads = (await page.locator("#vitals thead th").allInnerTexts()).map((h) => h.split("\n")[0].trim());
    for (const h of ["Measured", "Temp", "HR", "RR", "BP", "SpO2", "Weight", "Height"]) {
      assert.ok(heads.includes(h), `no ${h} column in ${heads}`);
    }
    const times = await page.locator("#vitals tbody th").allInnerTexts();
    assert.equal(new Set(times).size, times.length, "a time of measurement has more than one row");
    // An ED arrival's set is one row: temperature, heart rate, blood pressure and SpO2 together.
    const col = (h) => heads.indexOf(h) - 1;
    const rows = await page.locator("#vitals tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.innerText.trim())));
    const full = rows.filter((r) => ["Temp", "HR", "BP", "SpO2"].every((h) => r[col(h)] !== ""));
    assert.ok(full.length >= 2, `no row with all of an arrival's vital signs: ${JSON.stringify(rows.slice(0, 3))}`);
    assert.match(full[0][col("BP")], /^\d+\/\d+$/, "blood pressure is systolic/diastolic in one cell");
    assert.match(await text(page.locator("#vitals thead")), /HR beats\/min/, "the unit is in the header");
  });
});

test("the banner's labels and the PCP's name do not break mid-word at 1280 and 768 px", async () => {
  await withPage(b, "record-banner", async (page) => {
    await signIn(page, "pcp");
    for (const width of [1280, 768]) {
      await page.setViewportSize({ width, height: 900 });
      await go(page, "/portal/patients/child-05");
      const pcp = page.locator("#pcp");
      assert.match(await text(pcp), /Dr\. Priya Patel, Maple Street Pediatrics/);
      // Every word of every label and of the PCP's name on one line: a word broken across
      // lines has two client rectangles.
      const broken = await page.locator(".banner dl.facts dt, #pcp").evaluateAll((els) => els.flatMap((el) => {
        const words = [], range = document.createRange(), node = el.firstChild;
        for (const m of node.textContent.matchAll(/\S+/g)) {
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          if (range.getClientRects().length > 1) words.push(m[0]);
        }
        return words;
      }));
      assert.deepEqual(broken, [], `words broken at ${width} px`);
      const box = await pcp.boundingBox(), dt = await page.locator(".banner dt", { hasText: "PCP" }).boundingBox();
      assert.ok(box.height < dt.height * 1.5, `at ${width} px the PCP's name takes ${box.height} px, a line is ${dt.height}`);
    }
  });
});

test("active medications list each medication once, its newest order, with the earlier ones counted", async () => {
  await withPage(b, "record-meds", async (page) => {
    await signIn(page, "pcp");
    await go(page, "/portal/patients/child-03");
    const overview = await page.locator("#active-meds li").allInnerTexts();
    assert.equal(overview.filter((m) => /Glucagon/.test(m)).length, 1, `Glucagon in ${overview}`);
    await go(page, "/portal/patients/child-03/meds");
    const active = page.locator("table").first();
    const names = await active.locator("tbody th").allInnerTexts();
    const drugs = names.map((n) => n.split("\n")[0]);
    assert.equal(new Set(drugs).size, drugs.length, `an active medication is listed twice: ${drugs}`);
    const glucagon = active.locator("tbody tr", { hasText: "Glucagon" });
    assert.equal(await glucagon.count(), 1);
    assert.match(await text(glucagon), /renews 1 earlier order since/);
    assert.match(await text(glucagon), /Apr 15, 2026/, "the newest order is the one shown");
  });
});

test("growth charts are large enough to read, with the CDC percentiles", async () => {
  await withPage(b, "record-growth", async (page) => {
    await signIn(page, "pcp");
    for (const [width, least] of [[1280, 800], [768, 680]]) {
      await page.setViewportSize({ width, height: 900 });
      await go(page, "/portal/patients/child-05/vitals");
      const charts = page.locator("figure.growth-chart svg");
      assert.ok(await charts.count() >= 3, "weight, length and head circumference charts");
      const box = await charts.first().boundingBox();
      assert.ok(box.width >= least && box.height >= box.width * 0.55, `the chart is ${box.width}×${box.height} px at ${width} px`);
      const label = await charts.first().locator("text", { hasText: /^\d+ y$|^\d+ mo$/ }).first().boundingBox();
      assert.ok(label.height >= 13, `axis labels are ${label.height} px tall at ${width} px`);
    }
    const weight = page.locator("section.growth", { hasText: "Weight for age" });
    assert.match(await text(weight.locator("figcaption")), /CDC 2000 growth chart percentiles for girls/);
    for (const l of ["3rd", "50th", "97th"]) assert.equal(await weight.locator("svg text", { hasText: l }).count(), 1, `no ${l} line`);
    const pcts = await weight.locator("td.pct").allInnerTexts();
    assert.ok(pcts.length >= 10 && pcts.every((p) => /^(<1st|>99th|\d{1,2}(st|nd|rd|th))$/.test(p)), `percentiles ${pcts}`);
  });
});

test("every lab table has the same columns at the same widths", async () => {
  await withPage(b, "record-labs", async (page) => {
    await signIn(page, "pcp");
    await go(page, "/portal/patients/child-03/labs");
    const layouts = await page.locator("table.results").evaluateAll((ts) => ts.map((t) =>
      [...t.querySelectorAll("thead th")].map((th) => { const r = th.getBoundingClientRect(); return [Math.round(r.left), Math.round(r.width)]; })));
    assert.ok(layouts.length >= 5, `${layouts.length} lab tables`);
    for (const l of layouts) assert.deepEqual(l, layouts[0], "a lab table's columns differ from the first's");
  });
});
