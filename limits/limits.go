// Package limits is what the gateway's surfaces use to stay available to the innocent: a
// limiter shared by every replica (a counter per key in Redis, checked and counted in one
// atomic step), the client address of a request as the configured trusted proxies vouch for it
// (Proxies), a process-wide bound on concurrent memory-hard password hashes with a short queue
// (HashGate), and the sign-in limits built from them (SignIn). A limit is keyed by account
// where there is one and by the client address where there is not. It decides nothing about
// who may do what and knows no flow: callers name their limits and keys.
package limits

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Rule is one limit: at most Limit attempts per key in a window of Window, which starts with
// the key's first attempt. Name keeps the counters of different rules apart.
type Rule struct {
	Name   string
	Limit  int64
	Window time.Duration
}

// Limiter counts attempts per key in Redis, so that every replica shares one budget. It is
// safe for concurrent use; a nil *Limiter allows everything.
type Limiter struct {
	rdb    redis.UniversalClient
	prefix string
	rule   Rule
}

// New returns a Limiter for rule whose keys start with prefix (the gateway's key prefix).
func New(rdb redis.UniversalClient, prefix string, rule Rule) *Limiter {
	return &Limiter{rdb: rdb, prefix: prefix, rule: rule}
}

// Result is the answer for one attempt.
type Result struct {
	// Allowed is false when the attempt is over the limit.
	Allowed bool
	// Count is the number of attempts in the window, this one included.
	Count int64
	// RetryAfter is how long until the window ends.
	RetryAfter time.Duration
}

// takeScript counts one attempt and returns the count and the milliseconds left in the window:
// one script, so that concurrent attempts can never all see a count under the limit.
var takeScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`)

// refundScript gives one attempt back, never below zero.
var refundScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return n
`)

// key is where the counter of key lives. Keys are hashed: they may be typed usernames (which
// people fill with their password by mistake) and must not be kept in clear or grow unbounded.
func (l *Limiter) key(key string) string {
	sum := sha256.Sum256([]byte(key))
	return l.prefix + "limit:" + l.rule.Name + ":" + hex.EncodeToString(sum[:16])
}

// Take counts one attempt for key and says whether it is within the limit. The attempt is
// counted whatever the answer; Refund gives it back when it must not count (a success, or an
// attempt refused for another limit's sake).
func (l *Limiter) Take(ctx context.Context, key string) (Result, error) {
	if l == nil {
		return Result{Allowed: true}, nil
	}
	v, err := takeScript.Run(ctx, l.rdb, []string{l.key(key)}, l.rule.Window.Milliseconds()).Int64Slice()
	if err != nil || len(v) != 2 {
		return Result{}, fmt.Errorf("limits: count %s: %w", l.rule.Name, err)
	}
	return Result{Allowed: v[0] <= l.rule.Limit, Count: v[0], RetryAfter: time.Duration(v[1]) * time.Millisecond}, nil
}

// Refund gives back one attempt of key.
func (l *Limiter) Refund(ctx context.Context, key string) error {
	if l == nil {
		return nil
	}
	if err := refundScript.Run(ctx, l.rdb, []string{l.key(key)}).Err(); err != nil && err != redis.Nil {
		return fmt.Errorf("limits: refund %s: %w", l.rule.Name, err)
	}
	return nil
}

// Count returns the attempts of key in the current window, without counting one.
func (l *Limiter) Count(ctx context.Context, key string) (int64, error) {
	if l == nil {
		return 0, nil
	}
	n, err := l.rdb.Get(ctx, l.key(key)).Int64()
	if err == redis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("limits: read %s: %w", l.rule.Name, err)
	}
	return n, nil
}

// Reset forgets the attempts of key.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	if l == nil {
		return nil
	}
	if err := l.rdb.Del(ctx, l.key(key)).Err(); err != nil {
		return fmt.Errorf("limits: reset %s: %w", l.rule.Name, err)
	}
	return nil
}

// Rule returns the limiter's rule.
func (l *Limiter) Rule() Rule { return l.rule }
