package authz

import (
	"context"
	"testing"
	"testing/fstest"
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
