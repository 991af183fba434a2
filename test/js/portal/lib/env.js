// The settings the Go test (test/portal_test.go) passes in the environment.
"use strict";

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run these tests through go test ./test/ -run Portal`);
  return v;
}

module.exports = {
  get gateway() { return required("MYPATIENTS_GATEWAY_URL").replace(/\/+$/, ""); },
  get password() { return required("MYPATIENTS_DEMO_PASSWORD"); },
  get chromium() { return process.env.CHROMIUM_PATH || "/usr/bin/chromium"; },
  get artifacts() { return process.env.PORTAL_ARTIFACTS_DIR || ""; },
  // report is the file each checked page appends its axe and overflow result to (JSON lines).
  get report() { return process.env.PORTAL_REPORT || ""; },
};
