package provider

import (
	"context"
	"testing"
	"time"

	"github.com/mypatients/gateway/redisstore/redistest"
)

// TestThrottle: five failures are free, then the next attempt waits, longer each time; at
// LockAfter consecutive failures the username is locked until unlocked; a known and an
// unknown username are counted alike, and case does not matter.
func TestThrottle(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx := context.Background()
		th := Throttle{rdb: srv.Client, prefix: "t:"}
		for i := 1; i <= LockAfter; i++ {
			locked, err := th.fail(ctx, "Jo@example.org")
			if err != nil || locked != (i == LockAfter) {
				t.Fatalf("failure %d: locked %v, %v", i, locked, err)
			}
			ref, _ := th.check(ctx, "jo@example.org ")
			switch {
			case i < freeFailures && ref != nil:
				t.Errorf("after %d failures: refused %+v", i, ref)
			case i >= freeFailures && i < LockAfter && (ref == nil || ref.locked || ref.wait <= 0 || ref.wait > backoff(int64(i))):
				t.Errorf("after %d failures: %+v, want a wait up to %v", i, ref, backoff(int64(i)))
			case i == LockAfter && (ref == nil || !ref.locked):
				t.Errorf("after %d failures: %+v, want locked", i, ref)
			}
		}
		if b := backoff(freeFailures); b != 30*time.Second {
			t.Errorf("first back-off %v", b)
		}
		if b := backoff(40); b != maxBackoff {
			t.Errorf("back-off after 40 failures %v, want %v", b, maxBackoff)
		}
		if locked, _ := th.Locked(ctx, "JO@EXAMPLE.ORG"); !locked {
			t.Error("Locked = false")
		}
		if err := th.Unlock(ctx, "jo@example.org"); err != nil {
			t.Fatal(err)
		}
		if ref, err := th.check(ctx, "jo@example.org"); ref != nil || err != nil {
			t.Errorf("after unlock: %+v, %v", ref, err)
		}
	})
}
