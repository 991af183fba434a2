package forward

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/audit"
)

// sendTimeout bounds one send to a sink.
const sendTimeout = time.Minute

// sinkState is a sink with its cursor key and its wait after failures.
type sinkState struct {
	sink     Sink
	cursor   string // Redis hash: seq, id, shipped_at, error, error_at, failures
	failures int
	next     time.Time
}

// ship sends the next batch after the sink's cursor and moves the cursor past it. The cursor
// moves only after the sink took the whole batch: a crash in between sends it again, which the
// sinks' idempotence absorbs. It reports whether a full batch went (more may be waiting).
func (f *Forwarder) ship(ctx context.Context, s *sinkState) bool {
	if time.Now().Before(s.next) {
		return false
	}
	rdb := f.o.Trail.Redis()
	after, err := rdb.HGet(ctx, s.cursor, "id").Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		f.log.WarnContext(ctx, "audit forwarder: read cursor", "sink", s.sink.Name(), "err", err)
		return false
	}
	entries, err := f.o.Trail.Entries(ctx, after, f.o.Batch)
	if err != nil || len(entries) == 0 {
		return false
	}
	if items := f.items(ctx, entries); len(items) > 0 {
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		err = s.sink.Send(sctx, items)
		cancel()
	}
	if err != nil {
		f.failed(ctx, s, err)
		return false
	}
	last := entries[len(entries)-1]
	s.failures, s.next = 0, time.Time{}
	if err := rdb.HSet(ctx, s.cursor, "seq", maxSeq(entries), "id", last.ID, "shipped_at", time.Now().UnixMilli(), "error", "").Err(); err != nil {
		f.log.WarnContext(ctx, "audit forwarder: move cursor; the batch goes again", "sink", s.sink.Name(), "err", err)
		return false
	}
	return int64(len(entries)) == f.o.Batch
}

// items maps the record entries to AuditEvents. A checkpoint is not shipped; an entry that is
// not a readable record is not either, and the log says so (audit verify tells what it is).
func (f *Forwarder) items(ctx context.Context, entries []audit.Entry) []Item {
	var out []Item
	for _, e := range entries {
		if e.Kind != audit.KindRecord {
			continue
		}
		r, err := e.Record()
		if err != nil || e.Problem != "" {
			f.log.ErrorContext(ctx, "audit forwarder: an entry that is no record of the gateway's is not shipped; run mypatients audit verify",
				"stream_id", e.ID, "problem", e.Problem, "err", err)
			continue
		}
		out = append(out, Item{Seq: e.Seq, ID: e.ID, Events: f.o.Mapper.Events(r, e.Seq)})
	}
	return out
}

// failed records a sink's failure and makes it wait: 1s, doubling up to MaxBackoff.
func (f *Forwarder) failed(ctx context.Context, s *sinkState, err error) {
	s.failures++
	wait := min(time.Second<<min(s.failures-1, 16), f.o.MaxBackoff)
	s.next = time.Now().Add(wait)
	f.log.WarnContext(ctx, "audit forwarder: sink failed; the records wait in the stream", "sink", s.sink.Name(),
		"failures", s.failures, "retry_in", wait, "err", err)
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	if herr := f.o.Trail.Redis().HSet(ctx, s.cursor, "error", msg, "error_at", time.Now().UnixMilli(), "failures", s.failures).Err(); herr != nil {
		f.log.WarnContext(ctx, "audit forwarder: record the failure", "sink", s.sink.Name(), "err", herr)
	}
}

func maxSeq(entries []audit.Entry) int64 {
	var m int64
	for _, e := range entries {
		m = max(m, e.Seq)
	}
	return m
}

// shipped returns the seq up to which a sink has shipped.
func (f *Forwarder) shipped(ctx context.Context, s *sinkState) (int64, error) {
	v, err := f.o.Trail.Redis().HGet(ctx, s.cursor, "seq").Result()
	if err != nil {
		if errors.Is(err, redis.Nil) {
			return 0, nil
		}
		return 0, fmt.Errorf("read cursor of %s: %w", s.sink.Name(), err)
	}
	return strconv.ParseInt(v, 10, 64)
}
