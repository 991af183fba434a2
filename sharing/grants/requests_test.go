package grants_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/redisstore/redistest"
	"github.com/mypatients/gateway/sharing/grants"
)

// TestRequestsFiledConcurrently files the same request from many callers at once, for many
// patients at once: every caller must get the one pending request, saved, and never an
// error. Every plain SET is held back a little, as a loaded server or network may hold the
// write of the winner of the pending slot, so that a claim not written together with its
// request shows here as the losers' ErrNotFound.
func TestRequestsFiledConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const patients, callers = 40, 12
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		srv.Client.AddHook(slowSets{})
		s := newStore(srv.Client)
		got := make([][]grants.Request, patients)
		created := make([][]bool, patients)
		var wg sync.WaitGroup
		for p := range patients {
			got[p], created[p] = make([]grants.Request, callers), make([]bool, callers)
			ask := grants.Request{Kind: grants.KindFamily, PatientID: fmt.Sprintf("child-%02d", p),
				Requester: "accounts:u-staff", Clinician: "accounts:u-pcp", Name: "Sam Lee"}
			for c := range callers {
				wg.Go(func() {
					r, made, err := s.AddRequest(ctx, ask, time.Now())
					if err != nil {
						t.Errorf("%s, caller %d: %v", ask.PatientID, c, err)
					}
					got[p][c], created[p][c] = r, made
				})
			}
		}
		wg.Wait()
		for p := range patients {
			filed, id := 0, ""
			for c, r := range got[p] {
				if created[p][c] {
					filed, id = filed+1, r.ID
				}
			}
			for c, r := range got[p] {
				if r.ID != id || r.Status != grants.Pending || r.Name != "Sam Lee" {
					t.Errorf("child-%02d, caller %d got %+v, the one filed %q", p, c, r, id)
				}
			}
			saved, err := s.GetRequest(ctx, id)
			if filed != 1 || err != nil || saved.ID != id {
				t.Errorf("child-%02d: %d filed; saved %+v, %v", p, filed, saved, err)
			}
		}
		mine, err := s.RequestsBy(ctx, "accounts:u-staff")
		if err != nil || len(mine) != patients {
			t.Errorf("RequestsBy: %d requests, %v; want %d", len(mine), err, patients)
		}
	})
}

// slowSets delays every SET command by a few milliseconds.
type slowSets struct{}

func (slowSets) DialHook(next redis.DialHook) redis.DialHook { return next }

func (slowSets) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "set" {
			time.Sleep(20 * time.Millisecond)
		}
		return next(ctx, cmd)
	}
}

func (slowSets) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
