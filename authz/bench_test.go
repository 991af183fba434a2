package authz_test

// One whole decision for the demo's PCP case as the FHIR API asks it on every request: the
// standing and sponsorship reads, the cached practitioner and patient facts and the grants,
// all from a real redis-server, then the policy. Beside it, one Redis GET round trip to the
// same server, the unit the decision's round trips are counted in.
//
// Run with: go test ./authz -run '^$' -bench . -benchmem -count 5

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/authz"
	"github.com/mypatients/gateway/redisstore/redistest"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/upstream"
)

func BenchmarkDecidePCP(b *testing.B) {
	ctx := context.Background()
	up := newFHIRServer(b)
	client, err := upstream.New(upstream.Options{BaseURL: up.base, BearerToken: gatewayToken, Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	rdb := redistest.RedisServer(b).Client
	az, err := authz.New(ctx, authz.Options{Upstream: client, Redis: rdb, KeyPrefix: "bench:", FactsTTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	az.UseRelationships(grants.NewStore(rdb, "bench:"), accounts.NewStore(rdb, "bench:", nil))
	if _, err := az.Decide(ctx, pcp, readPatient("child-01")); err != nil { // caches the facts
		b.Fatal(err)
	}
	before := up.requests.Load()
	b.ReportAllocs()
	authz.LoopWithP50(b, func() {
		d, err := az.Decide(ctx, pcp, readPatient("child-01"))
		if err != nil || !d.Allow || d.Patients["child-01"].Basis != "pcp" {
			b.Fatalf("decision %+v, %v", d, err)
		}
	})
	if n := up.requests.Load() - before; n != 0 {
		b.Fatalf("the upstream was asked %d times: facts were not cached", n)
	}
}

func BenchmarkDecidePCPBaselineRedisGET(b *testing.B) {
	ctx := context.Background()
	rdb := redistest.RedisServer(b).Client
	b.ReportAllocs()
	authz.LoopWithP50(b, func() {
		if err := rdb.Get(ctx, "bench:missing").Err(); err != redis.Nil {
			b.Fatal(err)
		}
	})
}
