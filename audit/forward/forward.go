// Package forward is the audit trail's worker beside the request path: it ships every record,
// as FHIR AuditEvents, to the Audit Record Repository (a FHIR server taking IHE RESTful ATNA's
// POST, sink FHIR) and/or to rotated NDJSON files (sink Files), at least once and idempotently;
// it seals the chain with signed checkpoints; and it trims the Redis stream, only behind what
// every sink has shipped and only where a checkpoint starts. Each sink keeps its own cursor in
// Redis, so a sink that is down (for an hour or a day) delays only itself and loses nothing:
// the records wait in the stream, which the request path keeps writing as the fail-closed gate.
// Every replica runs a Forwarder; a lease in Redis lets one of them work at a time. It never
// writes a record itself and never decides anything about a request.
package forward

import (
	"context"
	"crypto/rand"
	"log/slog"
	"time"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/audit/auditevent"
)

// Item is one record on its way out: its place in the chain and its AuditEvents.
type Item struct {
	Seq    int64
	ID     string
	Events []auditevent.AuditEvent
}

// Sink receives AuditEvents.
type Sink interface {
	// Name names the sink in its cursor and in status: "fhir", "files".
	Name() string
	// Send delivers the whole batch. Delivery must be idempotent: an item sent again after an
	// error or a crash is kept once. An error means some items may not have arrived; the same
	// batch comes again.
	Send(ctx context.Context, batch []Item) error
}

// Options configure a Forwarder. Trail and Mapper are required.
type Options struct {
	Trail  *audit.Trail
	Mapper *auditevent.Mapper
	Sinks  []Sink
	// Signer seals the chain; nil makes no checkpoints (and then nothing is trimmed).
	Signer *audit.Signer
	// CheckpointEvery seals after this many new entries (default 1000), CheckpointInterval
	// after this long with any new entry (default 1m).
	CheckpointEvery    int64
	CheckpointInterval time.Duration
	// Keep is how many entries the stream keeps at least (audit.max_len); 0 never trims.
	Keep int64
	// Batch is how many entries one send carries at most (default 200).
	Batch int64
	// Poll is how often an idle forwarder looks for new entries (default 500ms); MaxBackoff
	// bounds the wait between attempts at a failing sink (default 10s).
	Poll, MaxBackoff time.Duration
	// LeaseTTL is how long the lease outlives a forwarder that stopped (default 15s).
	LeaseTTL time.Duration
	Logger   *slog.Logger
}

// Forwarder is one replica's worker.
type Forwarder struct {
	o      Options
	log    *slog.Logger
	holder string // this forwarder's lease value
	sinks  []*sinkState
	sealed struct {
		to   int64
		when time.Time
		ok   bool // known since this forwarder took the lease
	}
	warned, trimmed time.Time
}

// New returns a forwarder with o's defaults filled in.
func New(o Options) *Forwarder {
	setDefault(&o.CheckpointEvery, 1000)
	setDefault(&o.Batch, 200)
	setDefault(&o.CheckpointInterval, time.Minute)
	setDefault(&o.Poll, 500*time.Millisecond)
	setDefault(&o.MaxBackoff, 10*time.Second)
	setDefault(&o.LeaseTTL, 15*time.Second)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Forwarder{o: o, log: o.Logger, holder: rand.Text()}
	for _, s := range o.Sinks {
		f.sinks = append(f.sinks, &sinkState{sink: s, cursor: o.Trail.KeyFor("shipped:" + s.Name())})
	}
	return f
}

func setDefault[T int64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Run works until ctx ends, then gives the lease up.
func (f *Forwarder) Run(ctx context.Context) {
	defer f.release(context.WithoutCancel(ctx))
	for {
		busy := false
		if f.lead(ctx) {
			busy = f.Step(ctx)
		}
		wait := f.o.Poll
		if busy {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// Step does one round: seal if due, one batch to each sink that is not waiting out a failure,
// trim, and a word in the log when a sink falls behind. It reports whether there is more to do
// at once. Run calls it while holding the lease; tests call it directly.
func (f *Forwarder) Step(ctx context.Context) bool {
	f.seal(ctx)
	busy := false
	for _, s := range f.sinks {
		if f.ship(ctx, s) {
			busy = true
		}
	}
	f.trim(ctx)
	f.warnLag(ctx)
	return busy
}
