package invite_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/redisstore/redistest"
	"github.com/mypatients/gateway/sharing/invite"
)

func newStore(rdb redis.UniversalClient) (*invite.Store, redis.UniversalClient) {
	return invite.NewStore(rdb, "test:"), rdb
}

var inv = invite.Invitation{PatientID: "child-19", MRN: "MRN100019", By: "portal:guardian-19", Email: "dr@example.org"}

func TestRedeem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s, rdb := newStore(srv.Client)
		now := time.Now()
		token, issued, err := s.Issue(ctx, inv, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(token) != 26 || !issued.ExpiresAt.Equal(now.UTC().Add(invite.Validity)) {
			t.Fatalf("token %q, expires %v", token, issued.ExpiresAt)
		}
		keys, _ := rdb.Keys(ctx, "*").Result()
		for _, k := range keys {
			if strings.Contains(k, token) {
				t.Errorf("the token is stored in clear in key %s", k)
			}
		}
		steps := []struct {
			name, token, mrn string
			at               time.Time
			want             error
		}{
			{"unknown token", "AAAAAAAAAAAAAAAAAAAAAAAAAA", inv.MRN, now, invite.ErrInvalid},
			{"wrong MRN", token, "MRN100018", now, invite.ErrInvalid},
			{"after six months", token, inv.MRN, now.Add(invite.Validity + time.Second), invite.ErrInvalid},
			{"right MRN, printed form", strings.ToLower(invite.Format(token)), inv.MRN, now.Add(time.Hour), nil},
			{"used", token, inv.MRN, now.Add(2 * time.Hour), invite.ErrInvalid},
			{"released", token, inv.MRN, now.Add(3 * time.Hour), nil},
		}
		for _, st := range steps {
			if st.name == "released" {
				if err := s.Release(ctx, token); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Redeem(ctx, st.token, st.mrn, "accounts:u-specialist", st.at)
			if !errors.Is(err, st.want) {
				t.Fatalf("%s: err %v, want %v", st.name, err, st.want)
			}
			if err == nil && (got.PatientID != inv.PatientID || got.MRN != inv.MRN || got.By != inv.By) {
				t.Errorf("%s: redeemed %+v", st.name, got)
			}
		}
	})
}

func TestRedeemOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s, _ := newStore(srv.Client)
		token, _, err := s.Issue(ctx, inv, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range 8 {
			wg.Go(func() {
				_, err := s.Redeem(ctx, token, inv.MRN, "user-"+string(rune('a'+i)), time.Now())
				if err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d redemptions succeeded, want 1", wins)
		}
	})
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s, _ := newStore(srv.Client)
		s.Limit = 3
		now := time.Now()
		for i := range 3 {
			if _, err := s.Redeem(ctx, "WRONG", "MRN1", "guesser", now); !errors.Is(err, invite.ErrInvalid) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if _, err := s.Redeem(ctx, "WRONG", "MRN2", "guesser", now); !errors.Is(err, invite.ErrRateLimited) {
			t.Errorf("per-user limit: %v", err)
		}
		for i := range 2 {
			_, _ = s.Redeem(ctx, "WRONG", "MRN1", "other-"+string(rune('a'+i)), now)
		}
		if _, err := s.Redeem(ctx, "WRONG", "MRN1", "fresh-user", now); !errors.Is(err, invite.ErrRateLimited) {
			t.Errorf("per-MRN limit: %v", err)
		}
		if _, err := s.Redeem(ctx, "WRONG", "MRN3", "fresh-user-2", now.Add(2*time.Hour)); !errors.Is(err, invite.ErrInvalid) {
			t.Errorf("next window: %v", err)
		}
	})
}
