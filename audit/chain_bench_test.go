package audit

// The cost of chaining under load: many goroutines writing at once, as a loaded gateway does,
// the chained write (encode, digest, and the append script: read the head, XADD with seq and
// prev, move the head, in one EVALSHA) beside the unchained write it replaced (encode and a
// plain XADD), on a real redis-server in the same run. The script runs inside Redis's single
// thread, so this is where its extra work would show; bench_test.go has the one-at-a-time
// write beside a bare XADD and a PING. Run with:
//
//	go test ./audit -run '^$' -bench . -benchmem -count 5

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/redisstore/redistest"
)

// benchRecord is the record of pcp reading child-01 through the demo app, every field filled.
func benchRecord() Record {
	return Record{Time: time.Now().UTC(), RequestID: "Q3ZK5M2WJ4XH7N6PRB4TYCDEF", Event: "fhir.read", User: "accounts:u-pcp",
		Username: "pcp", FHIRUser: "Practitioner/dr-patel", Client: "demo-app", TokenID: "b8Jq0X2pVfRkW1sLmN3oYtZc",
		Source: "127.0.0.1", Patients: []string{"child-01"}, Disclosed: []string{"child-01"}, ResourceType: "Patient",
		Interaction: "read", Resource: "Patient/child-01", Decision: "allow", Basis: map[string]string{"child-01": "pcp"},
		DecisionID: "R7N2KQ4M5WJX3H6PZB8TYCDAB", PolicyRevision: "sha256:0123456789abcdef", Status: 200}
}

func BenchmarkAppendChainedParallel(b *testing.B) {
	trail := NewTrail(redistest.RedisServer(b).Client, TrailOptions{Prefix: "bench:", Stream: "audit"})
	ctx, r := context.Background(), benchRecord()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := trail.Write(ctx, r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkAppendUnchainedParallel(b *testing.B) {
	rdb := redistest.RedisServer(b).Client
	ctx, r := context.Background(), benchRecord()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec, err := json.Marshal(r)
			if err != nil {
				b.Error(err)
				return
			}
			if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "bench:{audit}", Values: map[string]any{"record": string(rec)}}).Err(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
