package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// TrailOptions configures a Trail.
type TrailOptions struct {
	// Prefix starts the keys (the gateway's key prefix); Stream names the stream. The stream
	// key is Prefix + "{" + Stream + "}": the braces keep the stream, its head and the
	// forwarder's state in one Redis Cluster slot, as the append script needs.
	Prefix, Stream string
	// Logger receives the JSON log line of every record; nil discards them.
	Logger *slog.Logger
}

// Trail writes each record to a Redis stream, chained to the entry before it, then to the JSON
// log. The stream is the record of truth: Write fails when the stream write fails, and the log
// line says so. The stream is never trimmed here: the forwarder trims it behind what it has
// shipped (package audit/forward).
type Trail struct {
	rdb  redis.UniversalClient
	base string
	log  *slog.Logger
}

// NewTrail returns a Trail over the stream o.Prefix + "{" + o.Stream + "}".
func NewTrail(rdb redis.UniversalClient, o TrailOptions) *Trail {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Trail{rdb: rdb, base: o.Prefix + "{" + o.Stream + "}", log: log}
}

// Key is the stream's key.
func (t *Trail) Key() string { return t.base }

// KeyFor names a key beside the stream, in its Cluster slot, for state kept about it.
func (t *Trail) KeyFor(name string) string { return t.base + ":" + name }

// Redis is the trail's client, for the state kept beside it.
func (t *Trail) Redis() redis.UniversalClient { return t.rdb }

// Write stores r. The record is JSON-encoded as one stream field, so that nothing in a
// request can forge extra fields or lines (log injection).
func (t *Trail) Write(ctx context.Context, r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("audit: encode record: %w", err)
	}
	id, _, err := t.append(ctx, KindRecord, b, "")
	if err != nil {
		t.log.ErrorContext(ctx, "audit record not stored; data withheld", "request_id", r.RequestID, "err", err)
		return err
	}
	// Never the query: it may hold names or birth dates.
	t.log.LogAttrs(ctx, slog.LevelInfo, "audit",
		slog.String("audit_id", id),
		slog.String("request_id", r.RequestID),
		slog.String("event", r.Event),
		slog.String("user", r.User),
		slog.String("actor", r.Actor),
		slog.String("subject", r.Subject),
		slog.String("outcome", r.Outcome),
		slog.String("source", r.Source),
		slog.String("client", r.Client),
		slog.Any("patients", r.Patients),
		slog.String("resource_type", r.ResourceType),
		slog.String("interaction", r.Interaction),
		slog.String("decision", r.Decision),
		slog.Any("basis", r.Basis),
		slog.String("reason", r.Reason),
		slog.String("decision_id", r.DecisionID),
		slog.Int("status", r.Status),
	)
	return nil
}

// append chains one entry to the stream in one round trip and returns its id and seq.
func (t *Trail) append(ctx context.Context, kind string, payload []byte, sig string) (string, int64, error) {
	res, err := appendScript.Run(ctx, t.rdb, []string{t.base, t.KeyFor("head")},
		kind, payload, Digest(kind, payload), sig, Genesis).Slice()
	if err != nil {
		return "", 0, fmt.Errorf("audit: append to %s: %w", t.base, err)
	}
	if len(res) != 2 {
		return "", 0, fmt.Errorf("audit: append to %s: unexpected reply %v", t.base, res)
	}
	id, _ := res[0].(string)
	seq, _ := res[1].(int64)
	return id, seq, nil
}

// Entries returns up to count entries after the stream id after ("" from the start; count <= 0:
// all), oldest first.
func (t *Trail) Entries(ctx context.Context, after string, count int64) ([]Entry, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	var (
		msgs []redis.XMessage
		err  error
	)
	if count > 0 {
		msgs, err = t.rdb.XRangeN(ctx, t.base, start, "+", count).Result()
	} else {
		msgs, err = t.rdb.XRange(ctx, t.base, start, "+").Result()
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read %s: %w", t.base, err)
	}
	out := make([]Entry, len(msgs))
	for i, m := range msgs {
		out[i] = entryOf(m)
	}
	return out, nil
}

// Entry returns the entry with stream id id.
func (t *Trail) Entry(ctx context.Context, id string) (Entry, error) {
	msgs, err := t.rdb.XRangeN(ctx, t.base, id, id, 1).Result()
	if err != nil {
		return Entry{}, fmt.Errorf("audit: read %s: %w", t.base, err)
	}
	if len(msgs) == 0 {
		return Entry{}, fmt.Errorf("audit: entry %s: %w", id, errNoEntry)
	}
	return entryOf(msgs[0]), nil
}

// Records returns the trail's records oldest first: all of them (count <= 0), or the newest
// count, for an operator asking what just happened.
func (t *Trail) Records(ctx context.Context, count int64) ([]Record, error) {
	var out []Record
	err := t.Scan(ctx, Range{}, func(e Entry, r Record) bool {
		out = append(out, r)
		if count > 0 && int64(len(out)) > count {
			out = out[1:]
		}
		return true
	})
	return out, err
}

// Head is the newest entry as the append script left it.
type Head struct {
	Seq    int64
	Digest string
	ID     string
}

// Head returns the head; a trail never written has seq 0 and the genesis digest.
func (t *Trail) Head(ctx context.Context) (Head, error) {
	v, err := t.rdb.HGetAll(ctx, t.KeyFor("head")).Result()
	if err != nil {
		return Head{}, fmt.Errorf("audit: read head of %s: %w", t.base, err)
	}
	if len(v) == 0 {
		return Head{Digest: Genesis}, nil
	}
	seq, err := strconv.ParseInt(v["seq"], 10, 64)
	if err != nil {
		return Head{}, fmt.Errorf("audit: head of %s: bad seq %q", t.base, v["seq"])
	}
	return Head{Seq: seq, Digest: v["digest"], ID: v["id"]}, nil
}

// TrimBefore removes the entries older than the stream id minID.
func (t *Trail) TrimBefore(ctx context.Context, minID string) (int64, error) {
	n, err := t.rdb.XTrimMinID(ctx, t.base, minID).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("audit: trim %s: %w", t.base, err)
	}
	return n, nil
}
