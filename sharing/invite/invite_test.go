package invite_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/mypatients/gateway/limits"
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

// TestRateLimits: a guesser is stopped by their own limit; their wrong guesses on an MRN only
// slow it down (one attempt a minute), so the invited clinician still gets in; a re-issued
// invitation lifts the slow-down.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s, _ := newStore(srv.Client)
		now := time.Now()
		token, _, err := s.Issue(ctx, invite.Invitation{PatientID: "child-19", MRN: "MRN1", By: "g"}, now)
		if err != nil {
			t.Fatal(err)
		}
		for i := range invite.UserRule.Limit {
			if _, err := s.Redeem(ctx, "WRONG", "MRN1", "guesser", now); !errors.Is(err, invite.ErrInvalid) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		var limited limits.LimitedError
		if _, err := s.Redeem(ctx, "WRONG", "MRN2", "guesser", now); !errors.Is(err, invite.ErrRateLimited) || !errors.As(err, &limited) || limited.RetryAfter <= 0 {
			t.Errorf("per-user limit: %v", err)
		}
		if _, err := s.Redeem(ctx, token, "MRN1", "invited", now); err != nil {
			t.Errorf("the invited clinician after ten wrong guesses by another: %v", err)
		}
		token2, _, _ := s.Issue(ctx, invite.Invitation{PatientID: "child-19", MRN: "MRN1", By: "g"}, now)
		for i := range invite.MRNFailureRule.Limit {
			_, _ = s.Redeem(ctx, "WRONG", "MRN1", fmt.Sprintf("other-%d", i), now)
		}
		if _, err := s.Redeem(ctx, "WRONG", "MRN1", "other-a", now); !errors.Is(err, invite.ErrInvalid) {
			t.Errorf("first attempt of the slowed minute: %v", err)
		}
		if _, err := s.Redeem(ctx, token2, "MRN1", "invited", now); !errors.Is(err, invite.ErrSlowed) {
			t.Errorf("second attempt of the slowed minute: %v", err)
		}
		token3, _, _ := s.Issue(ctx, invite.Invitation{PatientID: "child-19", MRN: "MRN1", By: "g"}, now)
		if _, err := s.Redeem(ctx, token3, "MRN1", "invited", now); err != nil {
			t.Errorf("after the family re-issued: %v", err)
		}
		for _, err := range []error{invite.ErrInvalid, invite.ErrRateLimited, invite.ErrSlowed, errors.New("x")} {
			if invite.Reason(err) == "" {
				t.Errorf("no reason for %v", err)
			}
		}
	})
}
