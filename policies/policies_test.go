package policies_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
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
	t.Logf("policy tests: %d passed", report.Passed)
}

// scenario is one readable fixture of testdata/: an input document and the decision the
// policy must give for it.
type scenario struct {
	Description string          `json:"description"`
	Input       json.RawMessage `json:"input"`
	Expected    struct {
		Allow    bool                               `json:"allow"`
		Patients map[string]gateway.PatientDecision `json:"patients"`
		Reasons  []gateway.Reason                   `json:"reasons"`
		Basis    string                             `json:"basis"`
	} `json:"expected"`
}

// TestScenarios evaluates every testdata/*.json scenario with the embedded bundle. Each
// input must also match the published JSON Schema and the gateway's own Input type exactly,
// so that the schema, the fixtures and the Go code cannot drift apart.
func TestScenarios(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	policy, err := authz.LoadPolicy(ctx, policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	schema := loadSchema(t)
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
			var sc scenario
			if err := json.Unmarshal(raw, &sc); err != nil {
				t.Fatal(err)
			}
			if sc.Description == "" {
				t.Error("scenario has no description")
			}
			var doc any
			if err := json.Unmarshal(sc.Input, &doc); err != nil {
				t.Fatal(err)
			}
			for _, problem := range schema.validate("input", doc) {
				t.Errorf("input does not match input.schema.json: %s", problem)
			}
			in := decodeInput(t, sc.Input)
			d, err := policy.Evaluate(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != sc.Expected.Allow || !reflect.DeepEqual(d.Patients, sc.Expected.Patients) ||
				!reflect.DeepEqual(d.Reasons, sc.Expected.Reasons) || d.Basis != sc.Expected.Basis {
				t.Fatalf("decision = %+v\nwant %+v", d, sc.Expected)
			}
		})
	}
}

// decodeInput decodes raw into authz.Input, refusing unknown fields, and checks that the
// Input encodes back to the same document.
func decodeInput(t *testing.T, raw json.RawMessage) authz.Input {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var in authz.Input
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("input does not fit authz.Input: %v", err)
	}
	again, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	json.Unmarshal(raw, &a)
	json.Unmarshal(again, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("authz.Input does not round-trip the input:\n%s\n%s", raw, again)
	}
	return in
}
