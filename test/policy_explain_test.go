package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// scenarioFile is the part of a policies/testdata scenario these tests read.
type scenarioFile struct {
	Input    json.RawMessage `json:"input"`
	Expected struct {
		Allow    bool   `json:"allow"`
		Basis    string `json:"basis"`
		Patients map[string]struct {
			Allowed bool   `json:"allowed"`
			Basis   string `json:"basis"`
			Reason  *struct {
				Code string `json:"code"`
			} `json:"reason"`
		} `json:"patients"`
		Reasons []struct {
			Code string `json:"code"`
		} `json:"reasons"`
	} `json:"expected"`
}

// decidedBy names the rule the explanation must give for some scenarios' decision.
var decidedBy = map[string]string{
	"pcp-reads-own-patient.json":                       "relationships.is_pcp",
	"changed-pcp-after-refused.json":                   "relationships.not_pcp",
	"specialist-grant-expired-refused.json":            "relationships.grant_expired",
	"staff-of-suspended-sponsor-refused.json":          "standing.sponsor_suspended",
	"clinician-reads-directory.json":                   "directory.allow",
	"patient-token-names-another-patient-refused.json": "request.scope_not_permitted",
}

// TestCLIPolicyExplain explains every scenario with the binary, as a scenario and as a bare
// input on standard input, and checks that each prints the expected decision and names the
// rule behind each basis and reason.
func TestCLIPolicyExplain(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../policies/testdata/*.json")
	if err != nil || len(files) < 15 {
		t.Fatalf("scenarios: %v, %v", files, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var sc scenarioFile
			if err := json.Unmarshal(raw, &sc); err != nil {
				t.Fatal(err)
			}
			code, out := runCLI(t, nil, "policy", "explain", file)
			if code != 0 || !strings.Contains(out, "Expected: matches the scenario's expected decision") {
				t.Fatalf("explain exited %d:\n%s", code, out)
			}
			checkExplained(t, sc, out)
			if rule, ok := decidedBy[filepath.Base(file)]; ok && !strings.Contains(out, "(rule "+rule+": ") {
				t.Errorf("the explanation does not name %s:\n%s", rule, out)
			}
			code, out = runCLIStdin(t, nil, string(sc.Input), "policy", "explain", "-")
			if code != 0 || strings.Contains(out, "Expected:") {
				t.Fatalf("explain of the bare input exited %d:\n%s", code, out)
			}
			checkExplained(t, sc, out)
		})
	}
}

// checkExplained checks that out gives the scenario's expected decision, each patient's basis
// or reason, and the rule that defines each.
func checkExplained(t *testing.T, sc scenarioFile, out string) {
	t.Helper()
	verdict := map[bool]string{true: "Decision: ALLOW", false: "Decision: DENY"}[sc.Expected.Allow]
	if !strings.Contains(out, verdict+"\n") && !strings.Contains(out, verdict+" on the basis "+sc.Expected.Basis) {
		t.Errorf("explain does not say %q:\n%s", verdict, out)
	}
	var want []string
	for id, pd := range sc.Expected.Patients {
		if pd.Allowed {
			want = append(want, id+": allowed on the basis "+pd.Basis)
		} else {
			want = append(want, id+": refused for "+pd.Reason.Code)
		}
	}
	for _, r := range sc.Expected.Reasons {
		want = append(want, "refused for "+r.Code)
	}
	if sc.Expected.Basis != "" {
		want = append(want, "on the basis "+sc.Expected.Basis)
	}
	for _, w := range want {
		if !regexp.MustCompile(regexp.QuoteMeta(w) + ` \(rule [a-z]+\.[a-z_]+: `).MatchString(out) {
			t.Errorf("explain does not say %q with its rule:\n%s", w, out)
		}
	}
	if !regexp.MustCompile(`(?s)\nRules that held:\n(.*\n)?  access\.decision .*\nRules asked that did not hold:\n`).MatchString(out) {
		t.Errorf("explain lists no rules that held:\n%s", out)
	}
}

// TestCLIPolicyExplainJSON prints the decision document and the rules as JSON.
func TestCLIPolicyExplainJSON(t *testing.T) {
	t.Parallel()
	code, out := runCLI(t, nil, "policy", "explain", "../policies/testdata/specialist-grant-expired-refused.json", "--json")
	if code != 0 {
		t.Fatalf("explain --json exited %d:\n%s", code, out)
	}
	var got struct {
		Revision string `json:"policy_revision"`
		Decision struct {
			Allow   bool `json:"allow"`
			Reasons []struct {
				Code string `json:"code"`
			} `json:"reasons"`
		} `json:"decision"`
		Rules []struct {
			Rule string `json:"rule"`
			Held bool   `json:"held"`
			Code string `json:"code"`
		} `json:"rules"`
		Matches *bool `json:"matches_expected"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if got.Decision.Allow || len(got.Decision.Reasons) != 1 || got.Decision.Reasons[0].Code != "grant_expired" ||
		got.Matches == nil || !*got.Matches || !strings.HasPrefix(got.Revision, "sha256:") {
		t.Errorf("explain --json = %s", out)
	}
	held := map[string]bool{}
	for _, r := range got.Rules {
		held[r.Rule] = r.Held
	}
	if !held["relationships.grant_expired"] || held["relationships.patient_granted"] || held["access.allow"] {
		t.Errorf("rules = %+v", got.Rules)
	}
}

// TestCLIPolicyExplainRefuses gives a clear error and a non-zero exit for a document that is
// not one, and for a scenario whose decision is not the expected one.
func TestCLIPolicyExplainRefuses(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../policies/testdata/pcp-reads-own-patient.json")
	if err != nil {
		t.Fatal(err)
	}
	wrongExpectation := strings.Replace(string(raw), `"allow": true`, `"allow": false`, 1)
	tests := []struct {
		name, stdin string
		want        []string
	}{
		{"not JSON", `{"user": {`, []string{"standard input: the document is not a JSON object"}},
		{"not the input schema", `{"user": {"id": "accounts:u-pcp", "username": "pcp", "idp": "accounts", "standing": "away"},
			"request": {"interaction": "read", "resource_type": "Patient", "patients": "child-01"}}`,
			[]string{"does not match policies/input.schema.json", "input: principal is required", "input: token is required",
				"input.user.standing: ", "input.request.patients: Invalid type"}},
		{"an unexpected decision", wrongExpectation, []string{"Expected: DIFFERS from the scenario's expected decision",
			"the decision differs from the scenario's expected decision"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out := runCLIStdin(t, nil, tc.stdin, "policy", "explain", "-")
			if code == 0 {
				t.Fatalf("explain accepted it:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if code, out := runCLI(t, nil, "policy", "explain"); code == 0 || !strings.Contains(out, "usage: mypatients policy explain") {
		t.Errorf("explain without a file exited %d:\n%s", code, out)
	}
}
