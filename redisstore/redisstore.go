// Package redisstore opens the gateway's Redis (a standalone server, Sentinel or Cluster, through
// go-redis's UniversalClient), runs the embedded in-process Redis of the demo, and offers a few
// JSON helper functions over a client with ErrNotFound for a missing key. That is all it does.
//
// The persistence style of the gateway: each concern owns its keys. A store (smart's login
// flows, codes and tokens; the audit stream; grants, invitations, accounts, the mail outbox;
// authz's fact cache) calls go-redis directly with key names of its own under the configured
// key prefix, gives every key that may expire an explicit TTL, and maps redis.Nil to a sentinel
// of its own, wrapped with %w. Package redistest runs each store's tests against a real
// redis-server and the embedded Redis alike. This package must not learn what any key or value
// means.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotFound is what the JSON helpers return, wrapped, when a key does not exist (or has
// expired).
var ErrNotFound = errors.New("redisstore: not found")

// PutJSON stores v as JSON under key for ttl. A ttl of zero or less is refused: nothing the
// gateway keeps lives forever by accident.
func PutJSON(ctx context.Context, rdb redis.Cmdable, key string, v any, ttl time.Duration) error {
	b, err := encode(key, v, ttl)
	if err != nil {
		return err
	}
	if err := rdb.Set(ctx, key, b, ttl).Err(); err != nil {
		return fmt.Errorf("redisstore: put %s: %w", key, err)
	}
	return nil
}

// PutJSONIfAbsent is PutJSON that succeeds only when key does not exist yet; it reports
// whether v was stored.
func PutJSONIfAbsent(ctx context.Context, rdb redis.Cmdable, key string, v any, ttl time.Duration) (bool, error) {
	b, err := encode(key, v, ttl)
	if err != nil {
		return false, err
	}
	err = rdb.SetArgs(ctx, key, b, redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("redisstore: put %s: %w", key, err)
	}
	return true, nil
}

// GetJSON decodes the value under key into v.
func GetJSON(ctx context.Context, rdb redis.Cmdable, key string, v any) error {
	b, err := rdb.Get(ctx, key).Bytes()
	return decode(key, b, err, v)
}

// TakeJSON atomically reads and deletes the value under key (GETDEL), so that exactly one
// caller can redeem a single-use value.
func TakeJSON(ctx context.Context, rdb redis.Cmdable, key string, v any) error {
	b, err := rdb.GetDel(ctx, key).Bytes()
	return decode(key, b, err, v)
}

func encode(key string, v any, ttl time.Duration) ([]byte, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("redisstore: put %s: ttl must be positive", key)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("redisstore: encode %s: %w", key, err)
	}
	return b, nil
}

func decode(key string, b []byte, err error, v any) error {
	switch {
	case errors.Is(err, redis.Nil):
		return fmt.Errorf("redisstore: %s: %w", key, ErrNotFound)
	case err != nil:
		return fmt.Errorf("redisstore: get %s: %w", key, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("redisstore: decode %s: %w", key, err)
	}
	return nil
}
