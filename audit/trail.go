package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// TrailOptions configures a Trail.
type TrailOptions struct {
	// Prefix starts the stream's key (the gateway's key prefix); Stream is its name.
	Prefix, Stream string
	// MaxLen trims the stream to about this many records; 0 keeps all.
	MaxLen int64
	// Logger receives the JSON log line of every record; nil discards them.
	Logger *slog.Logger
}

// Trail writes each record to a Redis stream, then to the JSON log. The stream is the record
// of truth: Write fails when the stream write fails, and the log line says so.
type Trail struct {
	rdb    redis.UniversalClient
	key    string
	maxLen int64
	log    *slog.Logger
}

// NewTrail returns a Trail appending to the stream o.Prefix + o.Stream.
func NewTrail(rdb redis.UniversalClient, o TrailOptions) *Trail {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Trail{rdb: rdb, key: o.Prefix + o.Stream, maxLen: o.MaxLen, log: log}
}

// Write stores r. The record is JSON-encoded as one stream field, so that nothing in a
// request can forge extra fields or lines (log injection).
func (t *Trail) Write(ctx context.Context, r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("audit: encode record: %w", err)
	}
	id, err := t.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: t.key, MaxLen: t.maxLen, Approx: t.maxLen > 0, Values: map[string]any{"record": string(b)},
	}).Result()
	if err != nil {
		t.log.ErrorContext(ctx, "audit record not stored; data withheld", "request_id", r.RequestID, "err", err)
		return fmt.Errorf("audit: append to %s: %w", t.key, err)
	}
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

// Records returns up to count records of the trail from the oldest on (count <= 0: all).
func (t *Trail) Records(ctx context.Context, count int64) ([]Record, error) {
	var (
		msgs []redis.XMessage
		err  error
	)
	if count > 0 {
		msgs, err = t.rdb.XRangeN(ctx, t.key, "-", "+", count).Result()
	} else {
		msgs, err = t.rdb.XRange(ctx, t.key, "-", "+").Result()
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read %s: %w", t.key, err)
	}
	out := make([]Record, 0, len(msgs))
	for _, m := range msgs {
		r, err := decode(m.Values)
		if err != nil {
			return nil, fmt.Errorf("audit entry %s: %w", m.ID, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// decode reads a record back from the values of a stream entry.
func decode(values map[string]any) (Record, error) {
	var r Record
	s, ok := values["record"].(string)
	if !ok {
		return r, fmt.Errorf("audit: entry has no record field")
	}
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return r, fmt.Errorf("audit: decode record: %w", err)
	}
	return r, nil
}
