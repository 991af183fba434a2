package policies_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/authz"
	"github.com/mypatients/gateway/policies"
)

// TestRegoTests runs the bundle's _test.rego files, as `go run ./cmd/mypatients policy test`
// does, and fails on any failing policy test.
func TestRegoTests(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	report, err := authz.RunPolicyTests(context.Background(), &out, false)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !report.OK() {
		t.Fatalf("policy tests: %+v\n%s", report, out.String())
	}
	// README.md shows the end of this output as it is today.
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if tail := "\n    " + strings.Join(lines[len(lines)-3:], "\n    ") + "\n"; !strings.Contains(string(readme), tail) {
		t.Errorf("README.md does not show the end of the output as it is today:%s", tail)
	}
	t.Logf("policy tests: %d passed", report.Passed)
}

// TestScenarios explains every testdata/*.json scenario with the embedded bundle, as
// `mypatients policy explain` does: each must have a description, an input that matches the
// published JSON Schema and the gateway's own Input type exactly (so that the schema, the
// fixtures and the Go code cannot drift apart), and the decision it expects; and the
// explanation must name the rule behind every basis and reason of the decision.
func TestScenarios(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	policy, err := authz.LoadPolicy(ctx, policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := authz.ReadPolicyDocument(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			if doc.Description == "" || doc.Expected == nil {
				t.Fatal("a scenario needs a description and an expected decision")
			}
			roundTrips(t, raw, doc.Input)
			e, err := policy.Explain(ctx, doc)
			if err != nil {
				t.Fatal(err)
			}
			if !e.Matches() {
				t.Fatalf("decision = %+v\nwant %+v", e.Decision, *doc.Expected)
			}
			var text bytes.Buffer
			if err := e.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			for _, name := range namedBy(e.Decision) {
				if !regexp.MustCompile(`\b` + name + ` \(rule [a-z_]+\.[a-z_]+: `).MatchString(text.String()) {
					t.Errorf("the explanation names no rule for %s:\n%s", name, text.String())
				}
			}
		})
	}
}

// namedBy lists the bases and reason codes a decision gives.
func namedBy(d gateway.Decision) []string {
	var names []string
	if d.Basis != "" {
		names = append(names, d.Basis)
	}
	for _, pd := range d.Patients {
		if pd.Allowed {
			names = append(names, pd.Basis)
		} else {
			names = append(names, pd.Reason.Code)
		}
	}
	for _, r := range d.Reasons {
		names = append(names, r.Code)
	}
	return names
}

// roundTrips checks that the Input decoded from a scenario encodes back to the same input.
func roundTrips(t *testing.T, scenario []byte, in authz.Input) {
	t.Helper()
	var sc struct{ Input json.RawMessage }
	if err := json.Unmarshal(scenario, &sc); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	json.Unmarshal(sc.Input, &a)
	json.Unmarshal(again, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("authz.Input does not round-trip the input:\n%s\n%s", sc.Input, again)
	}
}
