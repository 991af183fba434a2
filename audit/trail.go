package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
)

// Stream is where Trail appends records: *redisstore.Store implements it.
type Stream interface {
	Append(ctx context.Context, stream string, maxLen int64, values map[string]any) (string, error)
}

// Trail writes each record to a Redis stream, then to the JSON log. The stream is the record
// of truth: Write fails when the stream write fails, and the log line says so.
type Trail struct {
	stream Stream
	name   string
	maxLen int64
	log    *slog.Logger
}

// NewTrail returns a Trail appending to the stream called name, trimmed to about maxLen
// records (0 keeps all).
func NewTrail(stream Stream, name string, maxLen int64, log *slog.Logger) *Trail {
	return &Trail{stream: stream, name: name, maxLen: maxLen, log: log}
}

// Write stores r. The record is JSON-encoded as one stream field, so that nothing in a
// request can forge extra fields or lines (log injection).
func (t *Trail) Write(ctx context.Context, r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("audit: encode record: %w", err)
	}
	id, err := t.stream.Append(ctx, t.name, t.maxLen, map[string]any{"record": string(b)})
	if err != nil {
		t.log.ErrorContext(ctx, "audit record not stored; data withheld", "request_id", r.RequestID, "err", err)
		return fmt.Errorf("audit: %w", err)
	}
	t.log.LogAttrs(ctx, slog.LevelInfo, "audit",
		slog.String("audit_id", id),
		slog.String("request_id", r.RequestID),
		slog.String("user", r.User),
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

// Decode reads a record back from the values of a stream entry.
func Decode(values map[string]any) (Record, error) {
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
