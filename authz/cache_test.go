package authz

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mypatients/gateway/redisstore/redistest"
)

func TestFactCache(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx := context.Background()
		rdb := srv.Client
		c := factCache{rdb: rdb, prefix: "t:", ttl: time.Minute}
		var pcp PCP
		if err := c.get(ctx, "patient:child-01", &pcp); !errors.Is(err, errNotCached) {
			t.Fatalf("get of a missing fact: %v, want errNotCached", err)
		}
		fetches := 0
		fetch := func(context.Context) (PCP, error) {
			fetches++
			return PCP{Practitioners: []string{"Practitioner/dr-patel"}, Organizations: []string{}}, nil
		}
		for range 2 {
			got, err := cachedFact(ctx, c, "patient:child-01", fetch)
			if err != nil || len(got.Practitioners) != 1 || got.Practitioners[0] != "Practitioner/dr-patel" {
				t.Fatalf("cachedFact = %+v, %v", got, err)
			}
		}
		if fetches != 1 {
			t.Fatalf("fetched %d times, want once", fetches)
		}
		// The cache owns its keys under the prefix, each with the facts TTL.
		if ttl := rdb.TTL(ctx, "t:facts:patient:child-01").Val(); ttl <= 0 || ttl > time.Minute {
			t.Fatalf("TTL of t:facts:patient:child-01 = %s, want at most a minute", ttl)
		}
		// A fetch that fails caches nothing; a value that does not decode is an error, not a miss.
		boom := errors.New("upstream down")
		if _, err := cachedFact(ctx, c, "patient:child-02", func(context.Context) (PCP, error) { return PCP{}, boom }); !errors.Is(err, boom) {
			t.Fatalf("failing fetch: %v", err)
		}
		if n := rdb.Exists(ctx, "t:facts:patient:child-02").Val(); n != 0 {
			t.Fatal("a failed fetch was cached")
		}
		rdb.Set(ctx, "t:facts:patient:child-03", "not json", time.Minute)
		if _, err := cachedFact(ctx, c, "patient:child-03", fetch); err == nil || errors.Is(err, errNotCached) || fetches != 1 {
			t.Fatalf("corrupt cached value: %v after %d fetches; want an error and no fetch", err, fetches)
		}
		rdb.Close()
		if _, err := cachedFact(ctx, c, "patient:child-01", fetch); err == nil || errors.Is(err, errNotCached) {
			t.Fatalf("closed Redis: %v, want an error that is not a miss", err)
		}
	})
}
