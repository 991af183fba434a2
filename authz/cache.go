package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// errNotCached is what factCache.get returns, wrapped, for a fact it does not hold (never
// cached, or expired).
var errNotCached = errors.New("authz: fact not cached")

// factCache keeps the relationship facts read from the upstream in Redis, each under
// "<prefix>facts:<kind>:<id>" for the facts TTL: a changed PCP or practice takes effect at the
// latest that long after the change. It owns these keys; nothing else reads or writes them.
type factCache struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
	// read holds facts already read for this request (reads.go), by name; get answers from it
	// first.
	read map[string]*redis.StringCmd
}

func (c factCache) key(name string) string { return c.prefix + "facts:" + name }

// get decodes the fact cached under name into v.
func (c factCache) get(ctx context.Context, name string, v any) error {
	cmd, ok := c.read[name]
	if !ok {
		cmd = c.rdb.Get(ctx, c.key(name))
	}
	b, err := cmd.Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return fmt.Errorf("%s: %w", name, errNotCached)
	case err != nil:
		return fmt.Errorf("authz: read cached %s: %w", name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("authz: decode cached %s: %w", name, err)
	}
	return nil
}

// queue queues the read of the fact under name on pipe.
func (c factCache) queue(ctx context.Context, pipe redis.Pipeliner, name string) *redis.StringCmd {
	return pipe.Get(ctx, c.key(name))
}

// put caches v under name for the facts TTL.
func (c factCache) put(ctx context.Context, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("authz: encode %s: %w", name, err)
	}
	if err := c.rdb.Set(ctx, c.key(name), b, c.ttl).Err(); err != nil {
		return fmt.Errorf("authz: cache %s: %w", name, err)
	}
	return nil
}

// cachedFact returns the fact under name from the cache, or fetches it and caches it. A cache
// fault is an error, never a reason to skip the cache silently: a Redis outage must be
// visible, and the caller fails closed.
func cachedFact[T any](ctx context.Context, c factCache, name string, fetch func(context.Context) (T, error)) (T, error) {
	var v T
	err := c.get(ctx, name, &v)
	if !errors.Is(err, errNotCached) {
		return v, err
	}
	v, err = fetch(ctx)
	if err != nil {
		return v, err
	}
	return v, c.put(ctx, name, v)
}
