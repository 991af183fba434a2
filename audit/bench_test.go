package audit_test

// One audit write to a real redis-server as the FHIR API makes it for an allowed read: the
// record encoded, appended to the stream (XADD) and logged as a JSON line. Beside it, a bare
// XADD of the same encoded record with go-redis, and a PING: the round trip alone.
//
// Run with: go test ./audit -run '^$' -bench . -benchmem -count 5

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/redisstore/redistest"
)

// readRecord is the record of pcp reading child-01 through the demo app.
func readRecord() audit.Record {
	return audit.Record{Time: time.Now().UTC(), RequestID: "Q3ZK5M2WJ4XH7N6PRB4TYCDEF", User: "accounts:u-pcp",
		Username: "pcp", Client: "demo-app", TokenID: "b8Jq0X2pVfRkW1sLmN3oYtZc", Patients: []string{"child-01"},
		ResourceType: "Patient", Interaction: "read", Decision: "allow", Basis: map[string]string{"child-01": "pcp"},
		DecisionID: "R7N2KQ4M5WJX3H6PZB8TYCDAB", PolicyRevision: "sha256:0123456789abcdef", Status: 200}
}

func BenchmarkAuditWrite(b *testing.B) {
	ctx := context.Background()
	trail := audit.NewTrail(redistest.RedisServer(b).Client, audit.TrailOptions{Prefix: "bench:", Stream: "audit",
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	r := readRecord()
	b.ReportAllocs()
	for b.Loop() {
		if err := trail.Write(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuditWriteBaselineXAdd(b *testing.B) {
	ctx := context.Background()
	rdb := redistest.RedisServer(b).Client
	rec, err := json.Marshal(readRecord())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "bench:audit", Values: map[string]any{"record": string(rec)}}).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuditWriteBaselinePing(b *testing.B) {
	ctx := context.Background()
	rdb := redistest.RedisServer(b).Client
	b.ReportAllocs()
	for b.Loop() {
		if err := rdb.Ping(ctx).Err(); err != nil {
			b.Fatal(err)
		}
	}
}
