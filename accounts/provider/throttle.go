package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// The provider's own sign-in back-off, on top of the shared windowed limits (limits.SignIn):
// per typed username (whether or not it is an account, so that it never tells), five
// consecutive failures (wrong passwords or codes) are free, then each one makes the next
// attempt wait, 30 seconds doubling up to 15 minutes, and after LockAfter consecutive failures
// the username is locked until the support team unlocks it. A success clears the count. The
// state is in Redis, under keys of the provider, so that every replica sees it.
const (
	freeFailures = 5
	// LockAfter is the consecutive failures that lock a username.
	LockAfter    = 100
	firstBackoff = 30 * time.Second
	maxBackoff   = 15 * time.Minute
	failureKeep  = 30 * 24 * time.Hour
)

// Throttle keeps the back-off and lock of sign-ins.
type Throttle struct {
	rdb    redis.UniversalClient
	prefix string
}

func (t Throttle) key(kind, username string) string {
	return t.prefix + "signin-" + kind + ":" + hashID(normalize(username))
}

// refusal says why an attempt may not even be checked: wait for a while, or locked.
type refusal struct {
	wait   time.Duration
	locked bool
}

// check reports whether an attempt for username must be refused unchecked.
func (t Throttle) check(ctx context.Context, username string) (*refusal, error) {
	pipe := t.rdb.Pipeline()
	fails, wait := pipe.Get(ctx, t.key("fail", username)), pipe.PTTL(ctx, t.key("wait", username))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("provider: read sign-in back-off: %w", err)
	}
	if n, _ := fails.Int64(); n >= LockAfter {
		return &refusal{locked: true}, nil
	}
	if d := wait.Val(); d > 0 {
		return &refusal{wait: d}, nil
	}
	return nil, nil
}

// fail counts a failed attempt and starts its back-off; it reports whether the username is
// now locked.
func (t Throttle) fail(ctx context.Context, username string) (bool, error) {
	key := t.key("fail", username)
	pipe := t.rdb.TxPipeline()
	n := pipe.Incr(ctx, key)
	pipe.Expire(ctx, key, failureKeep)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, fmt.Errorf("provider: count a sign-in failure: %w", err)
	}
	if n.Val() >= freeFailures {
		if err := t.rdb.Set(ctx, t.key("wait", username), 1, backoff(n.Val())).Err(); err != nil {
			return false, fmt.Errorf("provider: start the back-off: %w", err)
		}
	}
	return n.Val() >= LockAfter, nil
}

// backoff is the wait after the n-th consecutive failure: 30 s after the fifth, doubling.
func backoff(n int64) time.Duration {
	shift := min(n-freeFailures, 10)
	return min(firstBackoff<<shift, maxBackoff)
}

// succeed clears the username's failures.
func (t Throttle) succeed(ctx context.Context, username string) error {
	if err := t.rdb.Del(ctx, t.key("fail", username), t.key("wait", username)).Err(); err != nil {
		return fmt.Errorf("provider: clear sign-in failures: %w", err)
	}
	return nil
}

// Unlock lifts the lock and back-off of username: the support team's action.
func (t Throttle) Unlock(ctx context.Context, username string) error { return t.succeed(ctx, username) }

// Locked reports whether username is locked.
func (t Throttle) Locked(ctx context.Context, username string) (bool, error) {
	n, err := t.rdb.Get(ctx, t.key("fail", username)).Int64()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	return n >= LockAfter, err
}
