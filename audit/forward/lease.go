package forward

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// The lease: one forwarder works at a time, so that one process seals and trims and the sinks
// see one sender. It is a Redis key holding the holder's random value with a TTL; the holder
// renews it every round, and another replica takes over within LeaseTTL of the holder stopping.

// renewScript extends the lease if KEYS[1] is still held by ARGV[1], or takes it if free.
var renewScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`)

// releaseScript deletes KEYS[1] if ARGV[1] holds it.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// lead reports whether this forwarder holds the lease, taking or renewing it.
func (f *Forwarder) lead(ctx context.Context) bool {
	key := f.o.Trail.KeyFor("forwarder:lease")
	held, err := renewScript.Run(ctx, f.o.Trail.Redis(), []string{key}, f.holder, f.o.LeaseTTL.Milliseconds()).Int()
	if err != nil {
		f.log.WarnContext(ctx, "audit forwarder: cannot reach Redis for its lease", "err", err)
		return false
	}
	if held != 1 {
		f.sealed.ok = false // another took over; read where the chain is sealed again when back
	}
	return held == 1
}

// release gives the lease up, so that another replica takes over at once.
func (f *Forwarder) release(ctx context.Context) {
	key := f.o.Trail.KeyFor("forwarder:lease")
	if err := releaseScript.Run(ctx, f.o.Trail.Redis(), []string{key}, f.holder).Err(); err != nil {
		f.log.WarnContext(ctx, "audit forwarder: release the lease", "err", err)
	}
}
