// The settings the Go test (test/smart_clients_test.go) passes in the environment.
"use strict";

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run these tests through go test ./test/ -run SmartClients`);
  return v;
}

module.exports = {
  // gateway is the gateway's base URL; its FHIR base, the iss of every launch, is gateway + "/fhir".
  get gateway() { return required("MYPATIENTS_GATEWAY_URL").replace(/\/+$/, ""); },
  get fhirBase() { return this.gateway + "/fhir"; },
  get password() { return required("MYPATIENTS_DEMO_PASSWORD"); },
  get launcherSecret() { return required("MYPATIENTS_DEMO_LAUNCHER_SECRET"); },
  // clientId is the public client registered in test/testdata/smart-clients.yaml.
  get clientId() { return process.env.SMART_CLIENT_ID || "smart-clients-test"; },
  // spaClientId and spaAddr are the browser-side app's client and its registered address.
  get spaClientId() { return process.env.SMART_SPA_CLIENT_ID || "smart-clients-spa"; },
  get spaAddr() { return required("SMART_SPA_ADDR"); },
  get chromium() { return process.env.CHROMIUM_PATH || "/usr/bin/chromium"; },
  // artifacts is where screenshots of failures go.
  get artifacts() { return process.env.SMART_ARTIFACTS_DIR || ""; },
};
