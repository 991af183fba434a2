package forward

import (
	"context"
	"time"
)

// trimEvery is how often the forwarder trims the stream.
const trimEvery = 10 * time.Second

// seal makes a checkpoint when CheckpointEvery entries wait to be sealed, or any has waited
// CheckpointInterval. A chain that breaks is sealed up to the break and logged as an error on
// every round until someone looks (mypatients audit verify names the place).
func (f *Forwarder) seal(ctx context.Context) {
	if f.o.Signer == nil {
		return
	}
	t := f.o.Trail
	if !f.sealed.ok {
		cp, _, err := t.LastCheckpoint(ctx, f.o.Signer.Keyring())
		if err != nil {
			f.log.WarnContext(ctx, "audit forwarder: find the newest checkpoint", "err", err)
		}
		f.sealed.to, f.sealed.when, f.sealed.ok = cp.To, cp.Time, true
	}
	head, err := t.Head(ctx)
	if err != nil {
		f.log.WarnContext(ctx, "audit forwarder: read the chain's head", "err", err)
		return
	}
	pending := head.Seq - f.sealed.to
	if pending <= 0 || (pending < f.o.CheckpointEvery && time.Since(f.sealed.when) < f.o.CheckpointInterval) {
		return
	}
	cp, sealed, err := t.SealNext(ctx, f.o.Signer, 10*f.o.CheckpointEvery)
	if err != nil {
		f.log.ErrorContext(ctx, "audit forwarder: the audit chain could not be sealed", "err", err)
	}
	if sealed {
		// The checkpoint's own entry counts as sealed here, or every interval would bring a
		// checkpoint over the checkpoint before it alone.
		f.sealed.to, f.sealed.when = cp.To+1, time.Now()
	}
}

// trim trims the stream to Keep entries, never past what any sink has yet to ship, and only at
// a checkpoint's start (audit.Trail.TrimSealed). Without a signer nothing is trimmed: the
// stream could not be verified after it.
func (f *Forwarder) trim(ctx context.Context) {
	if f.o.Keep <= 0 || f.o.Signer == nil || time.Since(f.trimmed) < trimEvery {
		return
	}
	f.trimmed = time.Now()
	head, err := f.o.Trail.Head(ctx)
	if err != nil {
		return
	}
	upTo := head.Seq - f.o.Keep
	for _, s := range f.sinks {
		shipped, err := f.shipped(ctx, s)
		if err != nil {
			f.log.WarnContext(ctx, "audit forwarder: not trimming", "err", err)
			return
		}
		upTo = min(upTo, shipped)
	}
	if upTo <= 0 {
		return
	}
	if n, err := f.o.Trail.TrimSealed(ctx, upTo); err != nil {
		f.log.WarnContext(ctx, "audit forwarder: trim", "err", err)
	} else if n > 0 {
		f.log.InfoContext(ctx, "audit stream trimmed behind what was shipped and sealed", "entries", n, "up_to_seq", upTo)
	}
}
