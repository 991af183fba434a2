package authz_test

import (
	"context"
	"testing"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/authz"
	"github.com/mypatients/gateway/redisstore"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/upstream"
)

// TestDecideWithGrantsAndSponsors runs the relationship facts through the real policy: a
// grant read fresh from Redis on every decision (so a revocation holds on the very next
// one), and staff deciding as their sponsor, suspended with them.
func TestDecideWithGrantsAndSponsors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	rdb := e.rdb
	gs, ss := grants.NewStore(rdb, "test:"), accounts.NewStore(rdb, "test:", nil)
	e.az.UseRelationships(gs, ss)
	basis := func(c gateway.Caller, patient string) string {
		t.Helper()
		d, err := e.az.Decide(ctx, c, readPatient(patient))
		if err != nil {
			t.Fatal(err)
		}
		if pd := d.Patients[patient]; pd.Allowed {
			return pd.Basis
		} else if pd.Reason != nil {
			return pd.Reason.Code
		}
		return "?"
	}
	step := func(what string, c gateway.Caller, patient, want string) {
		t.Helper()
		if got := basis(c, patient); got != want {
			t.Errorf("%s: %s reading %s = %q, want %q", what, c.Username, patient, got, want)
		}
	}

	step("no grant", specialist, "child-20", "not_pcp")
	g := grants.Grant{PatientID: "child-20", MRN: "MRN100020", Clinician: specialist.Subject, How: grants.ViaRequest,
		When: time.Now(), By: "portal:guardian"}
	if err := gs.Put(ctx, g); err != nil {
		t.Fatal(err)
	}
	step("granted", specialist, "child-20", "patient_grant")
	step("grant is for one patient", specialist, "child-10", "not_pcp")
	step("grant is for one clinician", pcp2, "child-20", "not_pcp")
	ended := time.Now().Add(-time.Minute)
	g.ExpiresAt = &ended
	if err := gs.Put(ctx, g); err != nil {
		t.Fatal(err)
	}
	step("expired", specialist, "child-20", "grant_expired")
	g.ExpiresAt = nil
	if err := gs.Put(ctx, g); err != nil {
		t.Fatal(err)
	}
	if _, err := gs.Revoke(ctx, "child-20", specialist.Subject, "portal:guardian", time.Now()); err != nil {
		t.Fatal(err)
	}
	step("revoked, next decision", specialist, "child-20", "not_pcp")

	step("unsponsored staff", staff, "child-01", "not_pcp")
	// A token names its user's sponsor (captured at issue); the staff record still decides
	// the staff account's status, so a token whose record is gone counts as removed.
	staffToken := staff
	staffToken.Sponsor = pcp.Subject
	step("token names a sponsor, no staff record", staffToken, "child-01", "staff_suspended")
	if _, err := ss.Sponsor(ctx, accounts.Staff{ID: staff.Subject, Sponsor: pcp.Subject, SponsorPractitioner: pcp.FHIRUser,
		Name: "Rosa Garcia, RN", Role: "RN", Email: "rosa@example.org"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	step("staff as sponsor", staff, "child-01", "pcp")
	step("staff as the sponsor the token names", staffToken, "child-01", "pcp")
	otherToken := staff
	otherToken.Sponsor = pcp2.Subject
	if d, err := e.az.Decide(ctx, otherToken, readPatient("child-01")); err == nil {
		t.Errorf("a token naming another sponsor than the staff record: want an error, got %+v", d)
	}
	step("staff through sponsor's practice", staff, "child-07", "pcp_practice")
	step("staff no more than sponsor", staff, "child-10", "not_pcp")
	if err := ss.Suspend(ctx, pcp.Subject); err != nil {
		t.Fatal(err)
	}
	step("sponsor suspended", staff, "child-01", "sponsor_suspended")
	step("suspended user", pcp, "child-01", "account_suspended")
	if _, ok, err := e.az.Narrow(ctx, pcp, "Patient"); ok || err != nil {
		t.Errorf("Narrow lists patients for a suspended user (%v)", err)
	}
	if d, err := e.az.Decide(ctx, pcp, gateway.Request{Interaction: gateway.Read, ResourceType: "Practitioner"}); err != nil ||
		d.Allow || len(d.Reasons) != 1 || d.Reasons[0].Code != "account_suspended" {
		t.Errorf("suspended clinician reading the directory: %+v, %v", d, err)
	}
	if _, ok, err := e.az.Narrow(ctx, staff, "Patient"); ok || err != nil {
		t.Error("Narrow lists patients for staff of a suspended sponsor")
	}
	if err := ss.Reinstate(ctx, pcp.Subject); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.SetStatus(ctx, pcp.Subject, staff.Subject, accounts.Removed); err != nil {
		t.Fatal(err)
	}
	step("staff removed", staff, "child-01", "staff_suspended")
}

// BenchmarkDecideRelationships measures what reading grants, sponsorship and standing fresh
// from Redis on every decision costs, against deciding without them (PCP facts cached as
// usual). The Redis is the embedded one, over loopback TCP.
func BenchmarkDecideRelationships(b *testing.B) {
	ctx := context.Background()
	// newFHIRServer wants a *testing.T only for setup failures and cleanup; it is closed here.
	up := newFHIRServer(&testing.T{})
	defer up.Close()
	client, err := upstream.New(upstream.Options{BaseURL: up.base, BearerToken: gatewayToken, Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	emb, err := redisstore.StartEmbedded("")
	if err != nil {
		b.Fatal(err)
	}
	defer emb.Close()
	rdb, err := redisstore.Open(ctx, redisstore.Options{URL: emb.URL()})
	if err != nil {
		b.Fatal(err)
	}
	defer rdb.Close()
	for _, with := range []bool{false, true} {
		b.Run(map[bool]string{false: "pcp-only", true: "with-grants-and-sponsors"}[with], func(b *testing.B) {
			az, err := authz.New(ctx, authz.Options{Upstream: client, Redis: rdb, KeyPrefix: "bench:", FactsTTL: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			if with {
				az.UseRelationships(grants.NewStore(rdb, "bench:"), accounts.NewStore(rdb, "bench:", nil))
			}
			for b.Loop() {
				if _, err := az.Decide(ctx, pcp, readPatient("child-01")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
