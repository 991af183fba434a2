package idp

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Failed sign-ins allowed before the login page answers 429. A username may fail 5 times, then
// once every 30 seconds; one client address 20 times, then once every 6 seconds (it may stand
// for several people on one machine, as in the demo, and it is what slows a spray over many
// usernames).
const (
	userFailureBurst = 5
	userFailureEvery = 30 * time.Second
	ipFailureBurst   = 20
	ipFailureEvery   = 6 * time.Second
	// maxLimiterKeys bounds each table; idle entries are pruned long before.
	maxLimiterKeys = 10000
)

// failureLimiter counts failed sign-ins per username and per client address with token buckets.
// Only failures take tokens, so a user who types the password right is never slowed down; but
// once a bucket is empty every attempt on that key is refused, right password or not, so a
// guess that would have been correct cannot be told apart.
type failureLimiter struct {
	byUser, byIP *keyedLimiter
}

func newFailureLimiter() *failureLimiter {
	return &failureLimiter{
		byUser: newKeyedLimiter(rate.Every(userFailureEvery), userFailureBurst),
		byIP:   newKeyedLimiter(rate.Every(ipFailureEvery), ipFailureBurst),
	}
}

// blocked reports whether an attempt for user from ip must be refused without checking it.
func (f *failureLimiter) blocked(user, ip string, now time.Time) bool {
	return f.byUser.blocked(user, now) || f.byIP.blocked(ip, now)
}

// fail records one failed attempt for user from ip.
func (f *failureLimiter) fail(user, ip string, now time.Time) {
	f.byUser.take(user, now)
	f.byIP.take(ip, now)
}

// prune forgets every key whose bucket has filled up again.
func (f *failureLimiter) prune(now time.Time) {
	f.byUser.prune(now)
	f.byIP.prune(now)
}

// keyedLimiter is one token bucket per key, created on the first failure.
type keyedLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newKeyedLimiter(limit rate.Limit, burst int) *keyedLimiter {
	return &keyedLimiter{limit: limit, burst: burst, buckets: map[string]*rate.Limiter{}}
}

func (k *keyedLimiter) blocked(key string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	b, ok := k.buckets[key]
	return ok && b.TokensAt(now) < 1
}

func (k *keyedLimiter) take(key string, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	b, ok := k.buckets[key]
	if !ok {
		if len(k.buckets) >= maxLimiterKeys {
			k.pruneLocked(now)
		}
		for victim := range k.buckets { // still full: make room at random
			if len(k.buckets) < maxLimiterKeys {
				break
			}
			delete(k.buckets, victim)
		}
		b = rate.NewLimiter(k.limit, k.burst)
		k.buckets[key] = b
	}
	b.AllowN(now, 1)
}

func (k *keyedLimiter) prune(now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pruneLocked(now)
}

func (k *keyedLimiter) pruneLocked(now time.Time) {
	for key, b := range k.buckets {
		if b.TokensAt(now) >= float64(k.burst) {
			delete(k.buckets, key)
		}
	}
}
