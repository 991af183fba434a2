package forward

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/audit"
)

// warnEvery is how often the forwarder says in the log that a sink is behind; lagWarning is
// how far behind a sink must be for it to say so.
const (
	warnEvery  = time.Minute
	lagWarning = time.Minute
)

// Status is how far the trail's worker has come: the chain's head, what the stream holds,
// the newest checkpoint and each sink's progress.
type Status struct {
	Head           int64        `json:"head_seq"`
	Entries        int64        `json:"stream_entries"`
	Sealed         int64        `json:"sealed_seq"`
	LastCheckpoint *time.Time   `json:"last_checkpoint,omitempty"`
	Sinks          []SinkStatus `json:"sinks"`
}

// SinkStatus is one sink's progress: Behind entries wait, the oldest since OldestWaiting (Lag
// ago); the last failure, if the sink is failing now.
type SinkStatus struct {
	Name          string     `json:"sink"`
	Shipped       int64      `json:"shipped_seq"`
	Behind        int64      `json:"behind"`
	OldestWaiting *time.Time `json:"oldest_waiting,omitempty"`
	LagSeconds    float64    `json:"lag_seconds"`
	LastShipped   *time.Time `json:"last_shipped,omitempty"`
	Error         string     `json:"error,omitempty"`
	ErrorAt       *time.Time `json:"error_at,omitempty"`
	Failures      int        `json:"failures,omitempty"`
}

// ReadStatus reads the status of trail and of the sinks named; keys verify the newest
// checkpoint (nil: not looked for).
func ReadStatus(ctx context.Context, trail *audit.Trail, sinks []string, keys audit.Keyring) (Status, error) {
	head, err := trail.Head(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{Head: head.Seq, Sinks: []SinkStatus{}}
	if st.Entries, err = trail.Redis().XLen(ctx, trail.Key()).Result(); err != nil {
		return st, fmt.Errorf("audit: length of %s: %w", trail.Key(), err)
	}
	if keys != nil {
		if cp, ok, _ := trail.LastCheckpoint(ctx, keys); ok {
			st.Sealed, st.LastCheckpoint = cp.To, &cp.Time
		}
	}
	for _, name := range sinks {
		s, err := sinkStatus(ctx, trail, name, head.Seq)
		if err != nil {
			return st, err
		}
		st.Sinks = append(st.Sinks, s)
	}
	return st, nil
}

func sinkStatus(ctx context.Context, trail *audit.Trail, name string, head int64) (SinkStatus, error) {
	v, err := trail.Redis().HGetAll(ctx, trail.KeyFor("shipped:"+name)).Result()
	if err != nil {
		return SinkStatus{}, fmt.Errorf("audit: cursor of %s: %w", name, err)
	}
	s := SinkStatus{Name: name, Error: v["error"], LastShipped: msTime(v["shipped_at"])}
	s.Shipped, _ = strconv.ParseInt(v["seq"], 10, 64)
	s.Failures, _ = strconv.Atoi(v["failures"])
	s.Behind = max(head-s.Shipped, 0)
	if s.Error != "" {
		s.ErrorAt = msTime(v["error_at"])
	} else {
		s.Failures = 0
	}
	next, err := trail.Entries(ctx, v["id"], 1)
	if err != nil {
		return s, err
	}
	if len(next) == 1 {
		ms, _ := strconv.ParseInt(strings.SplitN(next[0].ID, "-", 2)[0], 10, 64)
		oldest := time.UnixMilli(ms).UTC()
		s.OldestWaiting, s.LagSeconds = &oldest, time.Since(oldest).Seconds()
	}
	return s, nil
}

func msTime(v string) *time.Time {
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms == 0 {
		return nil
	}
	t := time.UnixMilli(ms).UTC()
	return &t
}

// warnLag says in the log, once a minute, which sinks are more than a minute behind.
func (f *Forwarder) warnLag(ctx context.Context) {
	if time.Since(f.warned) < warnEvery || len(f.sinks) == 0 {
		return
	}
	f.warned = time.Now()
	names := make([]string, len(f.sinks))
	for i, s := range f.sinks {
		names[i] = s.sink.Name()
	}
	st, err := ReadStatus(ctx, f.o.Trail, names, nil)
	if err != nil && !errors.Is(err, redis.Nil) {
		f.log.WarnContext(ctx, "audit forwarder: read status", "err", err)
		return
	}
	for _, s := range st.Sinks {
		if s.LagSeconds > lagWarning.Seconds() {
			f.log.WarnContext(ctx, "audit forwarder: a sink is behind", "sink", s.Name, "behind", s.Behind,
				"lag_seconds", int64(s.LagSeconds), "error", s.Error)
		}
	}
}
