package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mypatients/gateway/audit/auditevent"
	"github.com/mypatients/gateway/audit/auditevent/balptest"
)

// accountsDir holds the Node project of the accounts journeys (playwright-core).
const accountsDir = "js/accounts"

// accountsConfig registers the app the journeys sign in to: a public client whose loopback
// redirect URI the browser answers itself (the port is only nominal: no server listens).
const accountsConfig = `demo:
  enabled: true
clients:
  - id: accounts-journeys
    name: Accounts journeys
    type: public
    redirect_uris: [http://127.0.0.1:8799/callback]
  - id: demo-app
    name: Demo SMART app
    type: public
    redirect_uris: [http://127.0.0.1:8765/callback]
`

// TestAccountsJourneys runs the journeys of the accounts provider in headless Chromium
// against the built binary (real redis-server, demo mode, base URL on localhost so that
// passkeys work): registration with uploads through approval in the console, set-up and
// sign-in with TOTP, the password and second-factor resets, the uniform answer and
// throttling, a passkey with Chromium's virtual authenticator, refused uploads, and the
// console refusing a hospital user without the support role (test/js/accounts).
func TestAccountsJourneys(t *testing.T) {
	t.Parallel()
	node := nodeBinary(t)
	dir, err := filepath.Abs(accountsDir)
	if err != nil {
		t.Fatal(err)
	}
	ensureNodeModules(t, dir)
	config := filepath.Join(t.TempDir(), "accounts.yaml")
	if err := os.WriteFile(config, []byte(accountsConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	const passCodeTTL, maxUpload = 6, 256 << 10
	g := startGatewayWith(t, gatewayOptions{RedisURL: startRedis(t), ConfigFile: config, Localhost: true, Env: []string{
		fmt.Sprintf("MYPATIENTS_ACCOUNTS_PASS_CODE_TTL=%ds", passCodeTTL),
		fmt.Sprintf("MYPATIENTS_ACCOUNTS_UPLOADS_MAX_BYTES=%d", maxUpload),
	}})
	artifacts, err := os.MkdirTemp("", "accounts-journeys-")
	if err != nil {
		t.Fatal(err)
	}
	out, err := runNodeTest(t, node, dir, "accounts.test.js", []string{
		"MYPATIENTS_GATEWAY_URL=" + g.base, "MYPATIENTS_DEMO_PASSWORD=" + g.password,
		"ACCOUNTS_CLIENT_ID=accounts-journeys", "ACCOUNTS_REDIRECT_URI=http://127.0.0.1:8799/callback",
		fmt.Sprintf("ACCOUNTS_PASS_CODE_TTL_SECONDS=%d", passCodeTTL), fmt.Sprintf("ACCOUNTS_MAX_UPLOAD_BYTES=%d", maxUpload),
		"CHROMIUM_PATH=" + chromiumBinary(t), "ACCOUNTS_ARTIFACTS_DIR=" + artifacts,
	})
	if err != nil {
		t.Fatalf("node --test accounts.test.js failed: %v (screenshots, if any, in %s)\n%s", err, artifacts, out)
	}
	os.RemoveAll(artifacts)
	if testing.Verbose() {
		t.Logf("node --test accounts.test.js:\n%s", out)
	}
	checkAccountEvents(t, g)
}

// checkAccountEvents requires the journeys' account events in the audit trail (registration,
// approval, set-up, second factor, both resets, a hospital user's link, the console's sign-ins),
// each leaving the gateway as AuditEvents with the BALP elements, as the FHIR requests' do.
func checkAccountEvents(t *testing.T, g *gateway) {
	t.Helper()
	m := auditevent.New(g.base)
	seen := map[string]bool{}
	for _, c := range streamRecords(t, g.redisURL, "audit") {
		seen[c.rec.Event] = true
		for _, ev := range m.Events(c.rec, c.seq) {
			if problems := balptest.Check(ev); len(problems) > 0 {
				b, _ := json.Marshal(ev)
				t.Errorf("the AuditEvent of %s lacks BALP elements: %v\n%s", c.rec.Event, problems, b)
			}
		}
	}
	for _, want := range []string{"account.register", "account.approve", "account.setup", "account.second_factor.add",
		"account.password_reset", "account.second_factor_reset", "account.link", "accounts.signin",
		"support.signin", "support.signin.failure", "signin", "signin.failure"} {
		if !seen[want] {
			t.Errorf("the journeys left no %s record (the trail holds %v)", want, seen)
		}
	}
}
