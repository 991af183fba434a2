package authz

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestReadPolicyDocument reads good documents in both forms and refuses bad ones with an
// error naming what is wrong, through the published JSON Schema.
func TestReadPolicyDocument(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../policies/testdata/pcp-reads-own-patient.json")
	if err != nil {
		t.Fatal(err)
	}
	var scenario map[string]any
	if err := json.Unmarshal(raw, &scenario); err != nil {
		t.Fatal(err)
	}
	// changed returns the scenario's input with edit applied, as JSON.
	changed := func(edit func(in map[string]any)) string {
		var in map[string]any
		b, _ := json.Marshal(scenario["input"])
		json.Unmarshal(b, &in)
		edit(in)
		b, _ = json.Marshal(in)
		return string(b)
	}
	sub := func(in map[string]any, key string) map[string]any { return in[key].(map[string]any) }
	tests := []struct {
		name, doc string
		want      []string // in the error; none for a good document
	}{
		{"scenario", string(raw), nil},
		{"input document", changed(func(map[string]any) {}), nil},
		{"not JSON", `{"user": `, []string{"not a JSON object"}},
		{"not an object", `["read"]`, []string{"not a JSON object"}},
		{"scenario with a stray member", `{"input": {}, "expect": {}}`, []string{"{description, input, expected}", "expect"}},
		{"several problems at once", changed(func(in map[string]any) {
			delete(in, "token")
			in["extra"] = true
			sub(in, "user")["standing"] = "gone"
			sub(in, "principal")["practitioner"] = "Patient/child-01"
		}), []string{"input: token is required", "input: Additional property extra is not allowed",
			`input.user.standing: user.standing must be one of the following: "active", "suspended"`,
			"input.principal.practitioner: Does not match pattern"}},
		{"a practice twice", changed(func(in map[string]any) {
			sub(in, "principal")["practices"] = []string{"Organization/practice-maple", "Organization/practice-maple"}
		}), []string{"input.principal.practices: array items[0,1] must be unique"}},
		{"a list of the wrong type", changed(func(in map[string]any) { sub(in, "request")["patients"] = "child-01" }),
			[]string{"input.request.patients: Invalid type. Expected: array, given: string"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := ReadPolicyDocument(context.Background(), []byte(tc.doc))
			if tc.want == nil {
				if err != nil || doc.Input.User.ID != "accounts:u-pcp" || (doc.Expected == nil) != (tc.name != "scenario") {
					t.Fatalf("doc = %+v, %v", doc, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("a bad document was read: %+v", doc)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}
