package audit

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/redisstore/redistest"
)

func TestTrailWritesStreamAndLog(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx := context.Background()
		var logBuf bytes.Buffer
		trail := NewTrail(srv.Client, TrailOptions{Prefix: "t:", Stream: "audit", Logger: slog.New(slog.NewJSONHandler(&logBuf, nil))})

		forged := "x\n{\"decision\":\"allow\"}"
		rec := Record{Time: time.Unix(1700000000, 0).UTC(), RequestID: "r1", Event: "fhir.search", User: forged, Client: "demo-app",
			Patients: []string{"child-01"}, ResourceType: "Patient", Interaction: "search", Decision: "deny",
			Query: "family=Rivera&birthdate=2019-04-02", Basis: map[string]string{"child-01": "not_pcp"}, Reason: "not_pcp", Status: 403}
		if err := trail.Write(ctx, rec); err != nil {
			t.Fatal(err)
		}
		msgs, err := srv.Client.XRange(ctx, "t:{audit}", "-", "+").Result()
		if err != nil || len(msgs) != 1 {
			t.Fatalf("stream has %d entries (%v), want 1", len(msgs), err)
		}
		if len(msgs[0].Values) != 3 || msgs[0].Values["seq"] != "1" || msgs[0].Values["prev"] != Genesis {
			t.Errorf("entry has fields %v, want the record, seq 1 and the genesis prev", msgs[0].Values)
		}
		got, err := entryOf(msgs[0]).Record()
		if err != nil {
			t.Fatal(err)
		}
		if got.User != forged || got.Decision != "deny" || got.Basis["child-01"] != "not_pcp" || !got.Time.Equal(rec.Time) || got.Query != rec.Query {
			t.Errorf("round trip = %+v", got)
		}
		// The log line is one JSON line however hostile the user string is, and never holds
		// the query, which may name a patient.
		if lines := strings.Count(strings.TrimSpace(logBuf.String()), "\n"); lines != 0 {
			t.Errorf("log has %d extra lines: %s", lines, logBuf.String())
		}
		if strings.Contains(logBuf.String(), "Rivera") || strings.Contains(logBuf.String(), "2019-04-02") {
			t.Errorf("the log line holds the search's values: %s", logBuf.String())
		}
	})
}

// TestTrailRecords reads the trail back oldest first, all of it or the newest n records, and
// skips what is not a record.
func TestTrailRecords(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx := context.Background()
		trail := NewTrail(srv.Client, TrailOptions{Prefix: "t:", Stream: "audit"})
		for _, id := range []string{"r0", "r1", "r2", "r3", "r4"} {
			if err := trail.Write(ctx, Record{RequestID: id}); err != nil {
				t.Fatal(err)
			}
		}
		all, err := trail.Records(ctx, 0)
		if err != nil || len(all) != 5 || all[0].RequestID != "r0" || all[4].RequestID != "r4" {
			t.Fatalf("Records(0) = %v, %v", all, err)
		}
		if newest, err := trail.Records(ctx, 2); err != nil || len(newest) != 2 || newest[0].RequestID != "r3" || newest[1].RequestID != "r4" {
			t.Errorf("Records(2) = %v, %v, want r3, r4", newest, err)
		}
		if err := srv.Client.XAdd(ctx, &redis.XAddArgs{Stream: "t:{audit}", Values: map[string]any{"other": "x"}}).Err(); err != nil {
			t.Fatal(err)
		}
		if all, err := trail.Records(ctx, 0); err != nil || len(all) != 5 {
			t.Errorf("Records with a foreign entry = %d records, %v", len(all), err)
		}
	})
}

// TestTrailFailsWhenRedisIsDown stops Redis under the trail: Write must report the failure so
// that the caller withholds data.
func TestTrailFailsWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		trail := NewTrail(srv.Client, TrailOptions{Prefix: "t:", Stream: "audit"})
		srv.Stop()
		if err := trail.Write(context.Background(), Record{RequestID: "r"}); err == nil {
			t.Fatal("Write succeeded although Redis is down")
		}
	})
}

// TestTrailChainsConcurrentWriters has two trails (two replicas) write at once: the stream
// numbers their entries 1..n in its own order, each naming the digest of the one before.
func TestTrailChainsConcurrentWriters(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx := context.Background()
		other := redis.NewClient(&redis.Options{Addr: strings.TrimPrefix(srv.URL, "redis://")})
		defer other.Close()
		replicas := []*Trail{NewTrail(srv.Client, TrailOptions{Prefix: "t:", Stream: "audit"}), NewTrail(other, TrailOptions{Prefix: "t:", Stream: "audit"})}
		var wg sync.WaitGroup
		for r, trail := range replicas {
			for g := range 4 {
				wg.Go(func() {
					for i := range 25 {
						if err := trail.Write(ctx, Record{RequestID: fmt.Sprintf("r%d-%d-%d", r, g, i)}); err != nil {
							t.Error(err)
						}
					}
				})
			}
		}
		wg.Wait()
		entries, err := replicas[0].Entries(ctx, "", 0)
		if err != nil || len(entries) != 200 {
			t.Fatalf("%d entries, %v", len(entries), err)
		}
		prev := Genesis
		for i, e := range entries {
			if e.Problem != "" || e.Seq != int64(i+1) || e.Prev != prev {
				t.Fatalf("entry %d = seq %d prev %s problem %q, want seq %d prev %s", i, e.Seq, e.Prev, e.Problem, i+1, prev)
			}
			prev = e.Digest()
		}
		head, err := replicas[1].Head(ctx)
		if err != nil || head.Seq != 200 || head.Digest != prev || head.ID != entries[199].ID {
			t.Errorf("head = %+v, %v", head, err)
		}
	})
}
