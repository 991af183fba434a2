package forward

// Whether the forwarder keeps up: one batch of 200 records shipped to NDJSON files (written and
// fsynced) and to a FHIR repository stand-in over HTTP, beside the baseline any shipper pays,
// reading and decoding the same 200 entries from a real redis-server. Compare the records/s
// with the gateway's audit write rate (BenchmarkAppendChainedParallel in package audit). Run:
//
//	go test ./audit/forward -run '^$' -bench . -benchmem -count 5

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/audit/auditevent"
	"github.com/mypatients/gateway/redisstore/redistest"
)

const benchBatch = 200

func benchTrail(b *testing.B) *audit.Trail {
	b.Helper()
	trail := audit.NewTrail(redistest.RedisServer(b).Client, audit.TrailOptions{Prefix: "bench:", Stream: "audit"})
	for i := range benchBatch {
		r := audit.Record{Time: time.Now(), RequestID: fmt.Sprintf("BENCH%04d", i), Event: "fhir.search",
			User: "accounts:u-pcp", Username: "pcp", FHIRUser: "Practitioner/dr-patel", Client: "demo-app", TokenID: "jti", Source: "127.0.0.1",
			Patients: []string{"child-01"}, Disclosed: []string{"child-01"}, ResourceType: "Observation", Interaction: "search",
			Query: "_count=20&patient=Patient%2Fchild-01", Decision: "allow", Basis: map[string]string{"child-01": "pcp"},
			DecisionID: "DEC", PolicyRevision: "rev", Status: 200}
		if err := trail.Write(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
	return trail
}

// benchShip ships the same batch once per iteration, the cursor set back each time.
func benchShip(b *testing.B, sink Sink, reset func()) {
	trail := benchTrail(b)
	f := New(Options{Trail: trail, Mapper: auditevent.New("https://gw.example.org"), Sinks: []Sink{sink}, Batch: benchBatch})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := trail.Redis().Del(ctx, f.sinks[0].cursor).Err(); err != nil {
			b.Fatal(err)
		}
		reset()
		if !f.ship(ctx, f.sinks[0]) {
			b.Fatal("the batch was not shipped")
		}
	}
	b.ReportMetric(float64(benchBatch*b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkShipFiles(b *testing.B) {
	s := &Files{Dir: b.TempDir()}
	benchShip(b, s, func() { s.last = 0 })
}

func BenchmarkShipFHIR(b *testing.B) {
	_, srv := newRepository(b)
	benchShip(b, &FHIR{Base: srv.URL, BearerToken: "arr-token"}, func() {})
}

func BenchmarkShipBaselineReadDecode(b *testing.B) {
	trail := benchTrail(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		entries, err := trail.Entries(ctx, "", benchBatch)
		if err != nil || len(entries) != benchBatch {
			b.Fatal(err)
		}
		for _, e := range entries {
			if _, err := e.Record(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(benchBatch*b.N)/b.Elapsed().Seconds(), "records/s")
}
