package audit

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
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
		rec := Record{Time: time.Unix(1700000000, 0).UTC(), RequestID: "r1", User: forged, Client: "demo-app",
			Patients: []string{"child-01"}, ResourceType: "Patient", Interaction: "read", Decision: "deny",
			Basis: map[string]string{"child-01": "not_pcp"}, Reason: "not_pcp", Status: 403}
		if err := trail.Write(ctx, rec); err != nil {
			t.Fatal(err)
		}
		msgs, err := srv.Client.XRange(ctx, "t:audit", "-", "+").Result()
		if err != nil || len(msgs) != 1 {
			t.Fatalf("stream has %d entries (%v), want 1", len(msgs), err)
		}
		if len(msgs[0].Values) != 1 {
			t.Errorf("entry has fields %v, want only the record", msgs[0].Values)
		}
		got, err := decode(msgs[0].Values)
		if err != nil {
			t.Fatal(err)
		}
		if got.User != forged || got.Decision != "deny" || got.Basis["child-01"] != "not_pcp" || !got.Time.Equal(rec.Time) {
			t.Errorf("round trip = %+v", got)
		}
		// The log line is one JSON line however hostile the user string is.
		if lines := strings.Count(strings.TrimSpace(logBuf.String()), "\n"); lines != 0 {
			t.Errorf("log has %d extra lines: %s", lines, logBuf.String())
		}
	})
}

// TestTrailRecords reads the trail back oldest first, all of it or the first n records.
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
		if first, err := trail.Records(ctx, 2); err != nil || len(first) != 2 || first[1].RequestID != "r1" {
			t.Errorf("Records(2) = %v, %v", first, err)
		}
		if err := srv.Client.XAdd(ctx, &redis.XAddArgs{Stream: "t:audit", Values: map[string]any{"other": "x"}}).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := trail.Records(ctx, 0); err == nil {
			t.Error("Records read an entry without a record")
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
