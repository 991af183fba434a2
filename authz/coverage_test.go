package authz

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// toyPolicy is a small bundle for testing coverage itself: a boolean rule with a default and
// two definitions, a refusal rule and two reasons.
const toyPolicy = `# METADATA
# title: A toy policy
# scope: package
package mypatients.toy

# METADATA
# title: Allowed
# scope: document
default allow := false

allow if input.role == "doctor"

allow if input.role == "nurse"

# METADATA
# title: Why not
denial := refused if not allow

# METADATA
# title: Refused
# custom:
#   code: refused
refused := {"code": "refused", "message": "No."}

# METADATA
# title: Never given
# custom:
#   code: never_given
never_given := {"code": "never_given", "message": "Not by this policy."}
`

func toyBundle(tests string) fstest.MapFS {
	return fstest.MapFS{
		".manifest":                    {Data: []byte(`{"roots": ["mypatients"], "rego_version": 1}`)},
		"mypatients/toy/toy.rego":      {Data: []byte(toyPolicy)},
		"mypatients/toy/toy_test.rego": {Data: []byte("package mypatients.toy_test\n\nimport data.mypatients.toy\n\n" + tests)},
	}
}

// TestPolicyCoverage runs the toy bundle's tests with gaps of each kind, and without: a
// definition that never holds (a second way to allow, a default), a reason only a test names,
// and a failing test, whose evaluation covers nothing.
func TestPolicyCoverage(t *testing.T) {
	t.Parallel()
	const (
		doctor   = "test_doctor if toy.allow with input as {\"role\": \"doctor\"}\n\n"
		nurse    = "test_nurse if toy.allow with input as {\"role\": \"nurse\"}\n\n"
		stranger = "test_stranger if not toy.allow with input as {\"role\": \"stranger\"}\n\n"
		// The expected value names the reason first, so that OPA caches it before the
		// policy's rule asks for it.
		refused = "test_refused if toy.refused == toy.denial with input as {\"role\": \"stranger\"}\n\n"
		named   = "test_never_given_is_only_named if toy.never_given.code == \"never_given\"\n\n"
		failing = "test_nurse_wrongly if not toy.allow with input as {\"role\": \"nurse\"}\n\n"
	)
	tests := []struct {
		name        string
		tests       string
		failed      int
		uncovered   []UncoveredRule
		unexercised []string
		says        []string
	}{
		{"a definition and a reason never exercised", doctor + stranger + refused + named, 0,
			[]UncoveredRule{{"toy.allow", []string{"mypatients/toy/toy.rego:13"}}}, []string{"never_given"},
			[]string{"4 passed, 0 failed\n", "rules covered: 1/2 ", "  not covered: toy.allow (never held: mypatients/toy/toy.rego:13)\n",
				"reason codes exercised: 1/2 ", "  not exercised: never_given\n"}},
		{"the default never holds", doctor + nurse, 0,
			[]UncoveredRule{{"toy.allow", []string{"mypatients/toy/toy.rego:9"}}, {"toy.denial", []string{"mypatients/toy/toy.rego:17"}}},
			[]string{"never_given", "refused"},
			[]string{"rules covered: 0/2 ", "not covered: toy.allow (never held: mypatients/toy/toy.rego:9)"}},
		{"a failing test covers nothing", doctor + stranger + refused + failing, 1,
			[]UncoveredRule{{"toy.allow", []string{"mypatients/toy/toy.rego:13"}}}, []string{"never_given"},
			[]string{"3 passed, 1 failed\n", "test_nurse_wrongly: FAIL"}},
		{"everything exercised but one reason", doctor + nurse + stranger + refused, 0,
			nil, []string{"never_given"}, []string{"rules covered: 2/2 ", "reason codes exercised: 1/2 "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			report, err := runPolicyTests(context.Background(), toyBundle(tc.tests), &out, false)
			if err != nil {
				t.Fatal(err)
			}
			c := report.Coverage
			if report.Failed != tc.failed || c.Rules != 2 || c.Reasons != 2 || !reflect.DeepEqual(c.Uncovered, tc.uncovered) ||
				!slices.Equal(c.Unexercised, tc.unexercised) {
				t.Errorf("report = %+v", report)
			}
			if report.OK() {
				t.Error("a run with gaps is OK")
			}
			for _, want := range tc.says {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// TestPolicyCoverageComplete is the toy bundle with every rule and reason exercised.
func TestPolicyCoverageComplete(t *testing.T) {
	t.Parallel()
	policy := strings.Replace(toyPolicy, "denial := refused if not allow",
		"denial := never_given if input.role == \"banned\"\n\nelse := refused if not allow", 1)
	bundle := toyBundle(`test_doctor if toy.allow with input as {"role": "doctor"}

test_nurse if toy.allow with input as {"role": "nurse"}

test_stranger if toy.denial == toy.refused with input as {"role": "stranger"}

test_banned if toy.denial == toy.never_given with input as {"role": "banned"}
`)
	bundle["mypatients/toy/toy.rego"] = &fstest.MapFile{Data: []byte(policy)}
	var out bytes.Buffer
	report, err := runPolicyTests(context.Background(), bundle, &out, true)
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() || report.Passed != 4 {
		t.Errorf("report = %+v\n%s", report, out.String())
	}
	for _, want := range []string{"test_nurse: PASS", "rules covered: 2/2 ", "reason codes exercised: 2/2 "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
