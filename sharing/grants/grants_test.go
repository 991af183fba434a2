package grants_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/redisstore/redistest"
	"github.com/mypatients/gateway/sharing/grants"
)

func newStore(rdb redis.UniversalClient) *grants.Store {
	return grants.NewStore(rdb, "test:")
}

func TestGrantsIndexedBothWaysAndRevocable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s := newStore(srv.Client)
		now := time.Now().UTC().Truncate(time.Second)
		for _, g := range []grants.Grant{
			{PatientID: "child-20", MRN: "MRN100020", Clinician: "accounts:u-specialist", How: grants.ViaRequest, When: now, By: "g20"},
			{PatientID: "child-21", MRN: "MRN100021", Clinician: "accounts:u-specialist", How: grants.ViaInvitation, When: now.Add(time.Second), By: "g21"},
			{PatientID: "child-20", MRN: "MRN100020", Clinician: "accounts:u-pcp2", How: grants.ViaInvitation, When: now.Add(2 * time.Second), By: "g20"},
		} {
			if err := s.Put(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Put(ctx, grants.Grant{PatientID: "child-1", Clinician: "x", How: "magic"}); err == nil {
			t.Error("a grant with an unknown How was stored")
		}
		mine, err := s.ForClinician(ctx, "accounts:u-specialist", []string{"child-20", "child-21", "child-22"})
		if err != nil || len(mine) != 2 || mine["child-21"].How != grants.ViaInvitation {
			t.Fatalf("ForClinician = %v, %v", mine, err)
		}
		theirs, err := s.ForPatient(ctx, "child-20")
		if err != nil || len(theirs) != 2 || theirs[0].Clinician != "accounts:u-specialist" {
			t.Fatalf("ForPatient = %v, %v", theirs, err)
		}
		g, err := s.Revoke(ctx, "child-20", "accounts:u-specialist", "g20", now)
		if err != nil || g.RevokedAt == nil || g.RevokedBy != "g20" {
			t.Fatalf("Revoke = %+v, %v", g, err)
		}
		if _, err := s.Revoke(ctx, "child-20", "accounts:u-specialist", "g20", now); !errors.Is(err, grants.ErrNotFound) {
			t.Errorf("second revoke: %v", err)
		}
		mine, _ = s.ForClinician(ctx, "accounts:u-specialist", []string{"child-20"})
		theirs, _ = s.ForPatient(ctx, "child-20")
		history, _ := s.Revoked(ctx, "child-20")
		if len(mine) != 0 || len(theirs) != 1 || len(history) != 1 {
			t.Errorf("after revoke: clinician %v, patient %v, history %v", mine, theirs, history)
		}
	})
}

func TestRequestDecidedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s := newStore(srv.Client)
		ask := grants.Request{Kind: grants.KindFamily, PatientID: "child-20", Requester: "accounts:u-specialist",
			Clinician: "accounts:u-specialist", Name: "Dr. Moreau"}
		var wg sync.WaitGroup
		asked := make([]grants.Request, 8)
		var made atomic.Int32
		for i := range asked {
			wg.Go(func() {
				r, created, err := s.AddRequest(ctx, ask, time.Now())
				if err != nil {
					t.Error(err)
				}
				if created {
					made.Add(1)
				}
				asked[i] = r
			})
		}
		wg.Wait()
		r := asked[0]
		if made.Load() != 1 || r.ID == "" || r.Status != grants.Pending || slices.ContainsFunc(asked, func(o grants.Request) bool { return o.ID != r.ID }) {
			t.Fatalf("eight concurrent requests for one patient: %d filed, %+v", made.Load(), asked)
		}
		if mine, _ := s.RequestsBy(ctx, "accounts:u-specialist"); len(mine) != 1 || mine[0].ID != r.ID {
			t.Errorf("RequestsBy = %+v", mine)
		}
		pending, _ := s.RequestsForPatient(ctx, "child-20", grants.Pending)
		if len(pending) != 1 {
			t.Fatalf("pending = %v", pending)
		}
		results := make([]error, 6)
		for i := range results {
			wg.Go(func() {
				status := grants.Approved
				if i%2 == 1 {
					status = grants.Denied
				}
				_, results[i] = s.Decide(ctx, r.ID, status, "g20", time.Now())
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range results {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, grants.ErrDecided) && !errors.Is(err, redis.TxFailedErr):
				t.Errorf("Decide: %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d decisions won, want 1", ok)
		}
		if pending, _ := s.RequestsForPatient(ctx, "child-20", grants.Pending); len(pending) != 0 {
			t.Errorf("still pending after a decision: %v", pending)
		}
		if again, created, err := s.AddRequest(ctx, ask, time.Now()); err != nil || !created || again.ID == r.ID {
			t.Errorf("a new request after the decision: %+v %v %v", again, created, err)
		}
		if _, err := s.GetRequest(ctx, "nope"); !errors.Is(err, grants.ErrNotFound) {
			t.Errorf("unknown request: %v", err)
		}
	})
}
