package authz

import (
	"context"
	"log/slog"
	"testing"
	"testing/fstest"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/policies"
)

// TestStandingFaultsAreErrors: a standing decision of the wrong shape, or one that
// contradicts itself, is an error, so that Narrow fails closed.
func TestStandingFaultsAreErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, src := range map[string]string{
		"undefined":          `decision := {"in_good_standing": true} if false`,
		"no basis":           `decision := {"in_good_standing": true}`,
		"good with a reason": `decision := {"in_good_standing": true, "basis": "own_account", "reason": {"code": "x", "message": "y"}}`,
		"bad without reason": `decision := {"in_good_standing": false}`,
		"bad with a basis":   `decision := {"in_good_standing": false, "basis": "own_account", "reason": {"code": "x", "message": "y"}}`,
		"unknown field":      `decision := {"in_good_standing": true, "basis": "own_account", "why": 1}`,
		"not an object":      `decision := true`,
	} {
		p, err := LoadPolicy(ctx, fstest.MapFS{
			".manifest":                    {Data: []byte(`{"roots": ["mypatients"]}`)},
			"mypatients/standing/bad.rego": {Data: []byte("package mypatients.standing\n\n" + src)},
		})
		if err != nil {
			t.Fatalf("%s: the bundle must load, so that evaluation is what fails: %v", name, err)
		}
		if sd, err := p.standingOf(ctx, Input{}); err == nil {
			t.Errorf("%s: want an error, got %+v", name, sd)
		}
	}
}

// TestNarrowAsksThePolicyForStanding: whether Narrow lists patients for an account is the
// policy's standing decision, not a rule in Go. A policy that finds nobody in good standing
// makes it list nothing, even for an active clinician.
func TestNarrowAsksThePolicyForStanding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, err := LoadPolicy(ctx, fstest.MapFS{
		".manifest": {Data: []byte(`{"roots": ["mypatients"]}`)},
		"mypatients/standing/nobody.rego": {Data: []byte(`package mypatients.standing

decision := {"in_good_standing": false, "reason": {"code": "x", "message": "nobody"}}
`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &Authorizer{log: slog.New(slog.DiscardHandler)}
	a.policy.Store(p)
	c := gateway.Caller{Subject: "accounts:u-pcp", FHIRUser: "Practitioner/dr-patel"}
	if ok, err := a.inGoodStanding(ctx, c, standing{counted: c, user: "active"}); ok || err != nil {
		t.Fatalf("inGoodStanding = %v, %v under a policy that finds nobody in good standing", ok, err)
	}
	a.policy.Store(mustLoad(t))
	if ok, err := a.inGoodStanding(ctx, c, standing{counted: c, user: "active"}); !ok || err != nil {
		t.Fatalf("inGoodStanding = %v, %v for an active clinician under the real policy", ok, err)
	}
}

func mustLoad(t *testing.T) *Policy {
	t.Helper()
	p, err := LoadPolicy(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
