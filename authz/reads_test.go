package authz_test

import (
	"context"
	"testing"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/redisstore/redistest"
	"github.com/mypatients/gateway/sharing/grants"
)

// TestDecideReadsRedisOnce: once the facts are cached, a decision about a patient reads
// everything it needs from Redis (standing, staff record, grants, facts) in one round trip;
// a sponsored staff member's, in two (their sponsor's practitioner is in the staff record).
// Every decision still reads them afresh.
func TestDecideReadsRedisOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	rt := &redistest.RoundTrips{}
	e.rdb.AddHook(rt)
	ss := accounts.NewStore(e.rdb, "test:", nil)
	e.az.UseRelationships(grants.NewStore(e.rdb, "test:"), ss)
	if _, err := ss.Sponsor(ctx, accounts.Staff{ID: staff.Subject, Sponsor: pcp.Subject,
		SponsorPractitioner: pcp.FHIRUser}, time.Now()); err != nil {
		t.Fatal(err)
	}
	sponsored := staff
	sponsored.Sponsor = pcp.Subject
	for _, tc := range []struct {
		name string
		c    gateway.Caller
		want int64
	}{{"pcp", pcp, 1}, {"sponsored staff", sponsored, 2}} {
		for i := range 3 {
			rt.Take()
			d, err := e.az.Decide(ctx, tc.c, readPatient("child-01"))
			if err != nil || !d.Allow {
				t.Fatalf("%s: %+v, %v", tc.name, d, err)
			}
			if n := rt.Take(); i > 0 && n != tc.want { // the first decision fetches and caches the facts
				t.Errorf("%s: decision %d took %d round trips to Redis, want %d", tc.name, i, n, tc.want)
			}
		}
	}
}
