// The real SMART client library, fhirclient (smart-on-fhir/client-js), against the gateway:
// a standalone launch with launch/patient and an EHR launch, each followed by a read of the
// launch patient, a refresh and another read. The clinician's part is played headlessly by
// lib/signin.js through the real HTML pages.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const env = require("./lib/env");
const { startApp } = require("./lib/app");
const { launch } = require("./lib/signin");

// pcp may see child-01 … child-09 (README "Who sees whom"); child-10 belongs to pcp2.
const PCP_PATIENTS = Array.from({ length: 9 }, (_, i) => `child-0${i + 1}`);

// A standalone launch asks for a patient to be picked; an EHR launch brings its own ("launch"
// is then added by fhirclient).
const SCOPE = "openid fhirUser offline_access patient/Patient.rs patient/Encounter.rs patient/Observation.rs";
const scopeFor = (url) => (url.searchParams.has("launch") ? SCOPE : "launch/patient " + SCOPE);

let app;
before(async () => {
  app = await startApp({ clientId: env.clientId, scope: scopeFor });
});
after(async () => app && app.close());

// signIn runs a launch through the pages as pcp and returns the app's fhirclient Client.
async function signIn(launchURL, patient) {
  const result = await launch(launchURL, {
    appOrigin: app.origin, username: "pcp", password: env.password, patient,
  });
  const s = [...app.sessions.values()].find((x) => x.client || x.error);
  assert.equal(result.status, 200, `the app's callback failed (pages: ${result.seen.join(" → ")}):\n${result.body}`);
  assert.ok(s && s.client, "the app has no fhirclient Client after its callback");
  app.sessions.clear();
  return { client: s.client, result };
}

// readRefreshRead is the part both launches share: read the launch patient, refresh (a public
// client gets a rotated refresh token), read again with the new access token.
async function readRefreshRead(client, patient) {
  const tr = client.state.tokenResponse;
  assert.equal(client.patient.id, patient, "token response patient");
  assert.equal(tr.token_type.toLowerCase(), "bearer");
  assert.equal(typeof tr.expires_in, "number", "expires_in must be numeric");
  assert.match(tr.scope, /\boffline_access\b/, "granted scope must show offline_access for refresh() to run");
  assert.ok(tr.refresh_token, "no refresh_token although offline_access was granted");
  assert.ok(tr.id_token, "no id_token although openid was granted");
  assert.match(client.getFhirUser() || "", /^Practitioner\/.+/, "id_token fhirUser");

  const first = await client.patient.read();
  assert.equal(first.resourceType, "Patient");
  assert.equal(first.id, patient);

  const before = { access: tr.access_token, refresh: tr.refresh_token };
  // fhirclient refreshes a public client with grant_type and refresh_token only, no client_id
  // (client-js src/Client.ts); checklist item 25 requires the gateway to accept that.
  const state = await client.refresh().catch((err) => {
    throw new Error(`fhirclient's refresh() failed: ${err.message}`, { cause: err });
  });
  const after = state.tokenResponse;
  assert.notEqual(after.access_token, before.access, "refresh returned the same access token");
  assert.notEqual(after.refresh_token, before.refresh, "a public client's refresh token must rotate");
  assert.equal(after.patient, patient, "the refresh response keeps the launch patient");

  const again = await client.patient.read();
  assert.equal(again.id, patient);
  return after;
}

test("standalone launch with launch/patient: picker, read, refresh, read", async () => {
  const { client, result } = await signIn(`${app.origin}/launch?iss=${encodeURIComponent(env.fhirBase)}`, "child-03");
  assert.ok(result.seen.includes("consent"), `no consent screen (pages: ${result.seen.join(" → ")})`);
  assert.ok(result.seen.includes("picker"), `no patient picker (pages: ${result.seen.join(" → ")})`);
  for (const p of result.pickerPatients.map((v) => v.replace(/^Patient\//, ""))) {
    assert.ok(PCP_PATIENTS.includes(p), `the picker offers ${p}, whom pcp may not see`);
  }
  assert.ok(result.pickerPatients.length > 1, "the picker offers only one patient");
  await readRefreshRead(client, "child-03");

  // patient/ scopes confine the token to its launch patient, even one pcp may otherwise see.
  await assert.rejects(client.request("Patient/child-04"), (err) => {
    assert.ok([403, 404].includes(err.status), `reading another patient answered ${err.status}`);
    return true;
  });
});

test("EHR launch: launch context from the gateway's launch API, read, refresh, read", async () => {
  const res = await fetch(`${env.gateway}/smart/launch`, {
    method: "POST",
    headers: {
      authorization: "Basic " + Buffer.from(`demo-ehr:${env.launcherSecret}`).toString("base64"),
      "content-type": "application/json",
    },
    body: JSON.stringify({ patient: "child-01", encounter: "enc-01-1" }),
  });
  const body = await res.text();
  assert.equal(res.status, 201, `POST /smart/launch: ${body}`);
  const created = JSON.parse(body);
  assert.equal(typeof created.launch, "string");
  assert.ok(created.launch.length >= 16, "the launch value is too short to be unguessable");
  assert.equal(typeof created.expires_in, "number");

  const { client, result } = await signIn(
    `${app.origin}/launch?iss=${encodeURIComponent(env.fhirBase)}&launch=${encodeURIComponent(created.launch)}`,
    "child-01",
  );
  assert.ok(!result.seen.includes("picker"), "an EHR launch with a patient must not show the picker");
  assert.match(client.state.scope, /\blaunch\b/, "fhirclient asks for scope launch on an EHR launch");
  const tr = client.state.tokenResponse;
  assert.equal(typeof tr.need_patient_banner, "boolean", "need_patient_banner");
  assert.equal(typeof tr.smart_style_url, "string", "smart_style_url");
  if (tr.fhirContext !== undefined) assert.ok(Array.isArray(tr.fhirContext), "fhirContext must be an array");
  assert.equal(client.encounter.id, "enc-01-1", "token response encounter");
  const encounter = await client.encounter.read();
  assert.equal(encounter.id, "enc-01-1");
  assert.equal(encounter.subject && encounter.subject.reference, "Patient/child-01");
  await readRefreshRead(client, "child-01");
});
