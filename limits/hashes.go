package limits

import (
	"context"
	"errors"
	"time"
)

// ErrBusy is HashGate's answer when too many password checks are running and waiting: the
// caller answers 503 with a Retry-After, and nothing was hashed.
var ErrBusy = errors.New("limits: too many password checks at once; try again in a few seconds")

// HashGate bounds how many memory-hard hashes (argon2id, 64 MiB each) run at once in the
// process, with a short queue in front: a flood of sign-ins can cost at most
// concurrent × the hash's memory, and everyone beyond the queue is told to come back rather
// than held. A nil *HashGate bounds nothing.
type HashGate struct {
	slots chan struct{} // held while hashing
	line  chan struct{} // held while hashing or waiting
	wait  time.Duration
}

// NewHashGate lets concurrent hashes run at once and queue more wait, each at most wait.
func NewHashGate(concurrent, queue int, wait time.Duration) *HashGate {
	concurrent = max(concurrent, 1)
	return &HashGate{slots: make(chan struct{}, concurrent), line: make(chan struct{}, concurrent+max(queue, 0)), wait: wait}
}

// Do runs hash when a slot is free, before anything is hashed: ErrBusy when the queue is full
// or no slot came free within the wait, ctx's error when the caller went away.
func (g *HashGate) Do(ctx context.Context, hash func()) error {
	if g == nil {
		hash()
		return nil
	}
	select {
	case g.line <- struct{}{}:
	default:
		return ErrBusy
	}
	defer func() { <-g.line }()
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
	case <-timer.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g.slots }()
	hash()
	return nil
}
