package test

import (
	"strings"
	"testing"

	"github.com/mypatients/gateway/demo/ehr"
)

// ehrCheck runs `mypatients ehr check` against an EHR and returns its exit code and output.
func ehrCheck(t *testing.T, base, token string) (int, string) {
	t.Helper()
	cfg := writeConfig(t, "demo:\n  enabled: true\nupstream:\n  url: "+base+"\n")
	return runCLI(t, []string{"MYPATIENTS_UPSTREAM_BEARER_TOKEN=" + token}, "ehr", "check", "--config", cfg)
}

// TestEHRCheckComplete: the demo EHR and Medplum loaded with the demo world provide all the
// gateway relies on.
func TestEHRCheckComplete(t *testing.T) {
	t.Parallel()
	demo := startWorldEHR(t, ehr.Seed())
	medplum := startMedplumServer(t)
	for name, ehr := range map[string][2]string{"demo EHR": {demo.base, demo.token}, "Medplum": {medplum.base, medplum.token}} {
		code, out := ehrCheck(t, ehr[0], ehr[1])
		if code != 0 || !strings.Contains(out, " 0 missing") || strings.Contains(out, "\nmissing") {
			t.Errorf("%s: ehr check exited %d:\n%s", name, code, out)
		}
		if !hasLine(out, "ok", "Patient.generalPractitioner", "resolves") {
			t.Errorf("%s: the PCP references are not reported:\n%s", name, out)
		}
	}
}

// TestEHRCheckIncomplete: Medplum loaded without the PractitionerRoles and Binaries of the
// demo world is told, by name, what is missing, and the command fails.
func TestEHRCheckIncomplete(t *testing.T) {
	t.Parallel()
	m := startMedplumWorld(t, ehr.Seed().Without("PractitionerRole", "Binary"), nil)
	code, out := ehrCheck(t, m.base, m.token)
	if code == 0 {
		t.Fatalf("ehr check against an incomplete EHR exited 0:\n%s", out)
	}
	for _, want := range [][]string{
		{"missing", "Patient.generalPractitioner", "references that do not resolve: PractitionerRole/"},
		{"missing", "PractitionerRole", "no role for Practitioner/"},
		{"missing", "Binary.securityContext"},
	} {
		if !hasLine(out, want...) {
			t.Errorf("ehr check output has no line with %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "does not provide everything the gateway relies on") {
		t.Errorf("ehr check does not conclude:\n%s", out)
	}
}

// hasLine reports whether a line of out starts with words[0] and holds the others, in order.
func hasLine(out string, words ...string) bool {
	for line := range strings.Lines(out) {
		rest, ok := strings.CutPrefix(line, words[0])
		for _, w := range words[1:] {
			_, after, found := strings.Cut(rest, w)
			ok, rest = ok && found, after
		}
		if ok {
			return true
		}
	}
	return false
}

// TestEHRCheckUnreachable: an EHR refusing the gateway's credential is an error naming it.
func TestEHRCheckUnreachable(t *testing.T) {
	t.Parallel()
	e := startWorldEHR(t, ehr.Seed())
	code, out := ehrCheck(t, e.base, "wrong-token")
	if code == 0 || !strings.Contains(out, e.base) || !strings.Contains(out, "status 401") {
		t.Errorf("ehr check with a wrong credential exited %d:\n%s", code, out)
	}
}
