package audit

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/redisstore"
)

func TestTrailWritesStreamAndLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	emb, err := redisstore.StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	rdb, err := redisstore.Open(ctx, redisstore.Options{URL: emb.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	store := redisstore.New(rdb, "t:")
	var logBuf bytes.Buffer
	trail := NewTrail(store, "audit", 0, slog.New(slog.NewJSONHandler(&logBuf, nil)))

	forged := "x\n{\"decision\":\"allow\"}"
	rec := Record{Time: time.Unix(1700000000, 0).UTC(), RequestID: "r1", User: forged, Client: "demo-app",
		Patients: []string{"child-01"}, ResourceType: "Patient", Interaction: "read", Decision: "deny",
		Basis: map[string]string{"child-01": "not_pcp"}, Reason: "not_pcp", Status: 403}
	if err := trail.Write(ctx, rec); err != nil {
		t.Fatal(err)
	}
	msgs, err := store.Entries(ctx, "audit", 0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("stream has %d entries (%v), want 1", len(msgs), err)
	}
	if len(msgs[0].Values) != 1 {
		t.Errorf("entry has fields %v, want only the record", msgs[0].Values)
	}
	got, err := Decode(msgs[0].Values)
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
}

// TestTrailFailsWhenRedisIsDown stops Redis under the trail: Write must report the failure so
// that the caller withholds data.
func TestTrailFailsWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	emb, err := redisstore.StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	rdb, err := redisstore.Open(ctx, redisstore.Options{URL: emb.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	trail := NewTrail(redisstore.New(rdb, "t:"), "audit", 0, slog.New(slog.DiscardHandler))
	emb.Close()
	if err := trail.Write(ctx, Record{RequestID: "r"}); err == nil {
		t.Fatal("Write succeeded although Redis is down")
	}
}
