package test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runCLI runs the mypatients binary with args and environment additions, and returns its
// exit code and combined output.
func runCLI(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	return runCLIStdin(t, env, "", args...)
}

// runCLIStdin is runCLI with stdin as the command's standard input.
func runCLIStdin(t *testing.T, env []string, stdin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}

// TestCLIPolicyTest is the auditors' one command: every test passes, and the tests cover
// every rule and reason code of the policy.
func TestCLIPolicyTest(t *testing.T) {
	t.Parallel()
	code, out := runCLI(t, nil, "policy", "test", "-v")
	if code != 0 || !strings.Contains(out, " passed, 0 failed") {
		t.Fatalf("policy test exited %d:\n%s", code, out)
	}
	if !strings.Contains(out, "test_one_unallowed_patient_refuses_the_whole_request: PASS") {
		t.Errorf("verbose policy test lists no tests:\n%s", out)
	}
	for _, what := range []string{"rules covered", "reason codes exercised"} {
		m := regexp.MustCompile(what + `: (\d+)/(\d+) `).FindStringSubmatch(out)
		if m == nil || m[1] != m[2] || m[1] == "0" {
			t.Errorf("policy test does not report full coverage of %s: %q\n%s", what, m, out)
		}
	}
	if strings.Contains(out, "not covered") || strings.Contains(out, "not exercised") {
		t.Errorf("policy test names a gap:\n%s", out)
	}
}

// TestCLICheckConfig reports every problem of a bad configuration at once, and accepts a
// good one without starting anything.
func TestCLICheckConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("base_url: http://gw.example.org\nclients:\n  - id: app\n    type: public\n    redirect_uris: [http://app.example.org/cb]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI(t, nil, "serve", "--check-config", "--config", bad)
	if code == 0 {
		t.Fatalf("a bad configuration passed the check:\n%s", out)
	}
	for _, want := range []string{"upstream.url is required", "redis.url or redis.addrs is required", "accounts.uploads.key_file", "signing_key_file", "http is allowed only on loopback"} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out)
		}
	}
	code, out = runCLI(t, nil, "serve", "--check-config")
	if code != 0 || !strings.Contains(out, "configuration is valid") {
		t.Errorf("the demo defaults fail the check (%d):\n%s", code, out)
	}
	code, out = runCLI(t, []string{"MYPATIENTS_LOG_LEVEL=loud"}, "serve", "--check-config")
	if code == 0 || !strings.Contains(out, "log.level") {
		t.Errorf("an environment override was not validated (%d):\n%s", code, out)
	}
}

// TestCLIDemoTokenAndAudit signs in from the shell as the README's walk-through does, reads
// a patient with the token, and finds the read in `mypatients audit`; `audit -n 2` prints the
// newest two records.
func TestCLIDemoTokenAndAudit(t *testing.T) {
	t.Parallel()
	g := startGateway(t, "")
	env := []string{"MYPATIENTS_DEMO_PASSWORD=" + g.password, "MYPATIENTS_REDIS_URL=" + g.redisURL}
	code, out := runCLI(t, env, "demo", "token", "--gateway", g.base, "pcp")
	token := strings.TrimSpace(out)
	if code != 0 || strings.Count(token, ".") != 2 {
		t.Fatalf("demo token exited %d:\n%s", code, out)
	}
	if status, body := g.fhir(t, "GET", "/Patient/child-02", token); status != 200 {
		t.Fatalf("reading with the CLI's token: %d %s", status, body)
	}
	if code, out := runCLI(t, env, "demo", "token", "--gateway", g.base, "--password", "wrong", "pcp"); code == 0 {
		t.Errorf("demo token with a wrong password succeeded:\n%s", out)
	}
	code, out = runCLI(t, env, "audit")
	if code != 0 {
		t.Fatalf("audit exited %d:\n%s", code, out)
	}
	var last map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit output is not JSON lines: %v\n%s", err, out)
		}
		if r["event"] == "fhir.read" {
			last = r
		}
	}
	if last["resource_type"] != "Patient" || last["decision"] != "allow" || last["username"] != "pcp" {
		t.Errorf("last audit record = %v", last)
	}
	if status, _ := g.fhir(t, "GET", "/Patient/child-03", token); status != 200 {
		t.Fatalf("second read: %d", status)
	}
	code, out = runCLI(t, env, "audit", "-n", "1")
	if newest := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(newest) != 1 || !strings.Contains(newest[0], `"child-03"`) {
		t.Errorf("audit -n 1 (exit %d) printed, want only the read of child-03, the newest record:\n%s", code, out)
	}
	code, out = runCLI(t, env, "audit", "-n", "2")
	if two := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(two) != 2 || !strings.Contains(two[1], `"child-03"`) {
		t.Errorf("audit -n 2 (exit %d) printed, want two records, child-03's read last:\n%s", code, out)
	}
}
