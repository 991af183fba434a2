package test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// portalDir holds the Node project of the portal's browser journeys (playwright-core, axe-core).
const portalDir = "js/portal"

// TestPortal runs the clinicians' portal in headless Chromium against the built binary, through
// the real sign-in (the portal's page, the gateway's authorize endpoint, the demo IdPs' forms):
// the journeys of issue 10 (journeys.test.js) and the record's pages (record.test.js), with axe-core and a 360 px overflow check on
// every page, and the idle timeout on a second gateway whose sessions idle out after seconds
// (idle.test.js). Afterwards the audit trail must hold the portal's own client id on its FHIR
// reads and one record per exact-match lookup. The second gateway's support team has suspended
// two providers, who are told so at sign-in.
func TestPortal(t *testing.T) {
	node := nodeBinary(t)
	dir, err := filepath.Abs(portalDir)
	if err != nil {
		t.Fatal(err)
	}
	ensureNodeModules(t, dir)
	chromium := chromiumBinary(t)

	t.Run("journeys", func(t *testing.T) {
		t.Parallel()
		g := startGateway(t, startRedis(t))
		report := runPortalJS(t, node, dir, "journeys.test.js", g, chromium, nil)
		checkReport(t, report, 30)
		checkPortalAudit(t, g)
		// The record as a pediatrician reads it: lengths, the vitals flowsheet, the banner,
		// active medications, growth charts and lab tables (record.test.js).
		checkReport(t, runPortalJS(t, node, dir, "record.test.js", g, chromium, nil), 5)
	})
	t.Run("idle timeout", func(t *testing.T) {
		t.Parallel()
		g := startGatewayWith(t, gatewayOptions{RedisURL: startRedis(t), Env: []string{"MYPATIENTS_PORTAL_IDLE_TIMEOUT=6s"}})
		// Providers suspended by the support team are told so at sign-in.
		for _, id := range []string{"accounts:u-colleague", "childrens:c-hospdoc"} {
			if code, out := runCLI(t, []string{"MYPATIENTS_REDIS_URL=" + g.redisURL}, "account", "suspend", id,
				"--reason", "portal test", "--by", "portal-test"); code != 0 {
				t.Fatalf("account suspend %s: %d %s", id, code, out)
			}
		}
		runPortalJS(t, node, dir, "idle.test.js", g, chromium, []string{"PORTAL_IDLE_SECONDS=6"})
	})
}

// runPortalJS runs one test file against g and returns the path of its page report.
func runPortalJS(t *testing.T, node, dir, file string, g *gateway, chromium string, extra []string) string {
	t.Helper()
	artifacts, err := os.MkdirTemp("", "portal-js-")
	if err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(t.TempDir(), "pages.jsonl")
	env := append([]string{"MYPATIENTS_GATEWAY_URL=" + g.base, "MYPATIENTS_DEMO_PASSWORD=" + g.password,
		"CHROMIUM_PATH=" + chromium, "PORTAL_ARTIFACTS_DIR=" + artifacts, "PORTAL_REPORT=" + report}, extra...)
	out, err := runNodeTest(t, node, dir, file, env)
	if err != nil {
		t.Fatalf("node --test %s failed: %v (screenshots, if any, in %s)\n%s", file, err, artifacts, out)
	}
	os.RemoveAll(artifacts)
	if testing.Verbose() {
		t.Logf("node --test %s:\n%s", file, out)
	}
	return report
}

// checkReport reads the pages the browser checked and requires at least min page kinds, each
// without an axe-core violation or a horizontal scroll at 360 px.
func checkReport(t *testing.T, path string, min int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no page report: %v", err)
	}
	defer f.Close()
	var pages []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var p struct {
			Page       string `json:"page"`
			Violations int    `json:"violations"`
			Overflow   int    `json:"overflow"`
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("report line %q: %v", sc.Text(), err)
		}
		if p.Violations != 0 || p.Overflow > 0 {
			t.Errorf("%s: %d axe violations, %d px overflow at 360 px", p.Page, p.Violations, p.Overflow)
		}
		pages = append(pages, p.Page)
	}
	if len(pages) < min {
		t.Errorf("only %d pages were checked, want at least %d: %v", len(pages), min, pages)
	}
	t.Logf("axe-core and 360 px checked on %d pages: %s", len(pages), strings.Join(pages, " "))
}

// checkPortalAudit requires that the portal's FHIR reads were audited under its own client id
// and that each lookup wrote its own record.
func checkPortalAudit(t *testing.T, g *gateway) {
	t.Helper()
	code, out := runCLI(t, nil, "audit", "--redis-url", g.redisURL)
	if code != 0 {
		t.Fatalf("audit: %d %s", code, out)
	}
	var reads, lookups, other int
	for _, line := range strings.Split(out, "\n") {
		var r struct{ Client, Event string }
		if json.Unmarshal([]byte(line), &r) != nil {
			continue
		}
		switch {
		case r.Event == "patient.lookup" && r.Client == "mypatients-portal":
			lookups++
		case strings.HasPrefix(r.Event, "fhir.") && r.Client == "mypatients-portal":
			reads++
		case strings.HasPrefix(r.Event, "fhir."):
			other++
		}
	}
	if reads < 50 || lookups < 2 {
		t.Errorf("audit: %d FHIR records and %d lookups by mypatients-portal (%d by other clients)", reads, lookups, other)
	}
}
