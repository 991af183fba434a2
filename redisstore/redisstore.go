// Package redisstore holds the gateway's shared state in Redis: short-lived login flows,
// authorization codes, token records, cached relationship facts and the audit stream. It offers
// a few typed operations over go-redis's UniversalClient (standalone, Sentinel or Cluster) and
// an embedded in-process server for the demo. Every key has an explicit TTL. Callers define the
// narrow interfaces they need; this package knows nothing about what the values mean.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotFound is returned when a key does not exist (or has expired).
var ErrNotFound = errors.New("redisstore: not found")

// Store is a key/value and stream store over one Redis deployment. Keys are namespaced with
// the store's prefix so that several gateways can share one Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// New returns a Store over rdb whose keys all start with prefix (for example "mypatients:").
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix}
}

// Client returns the underlying client, for health checks and shutdown.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Key returns the full Redis key for name.
func (s *Store) Key(name string) string { return s.prefix + name }

// PutJSON stores v as JSON under key for ttl. A ttl of zero or less is refused: nothing the
// gateway keeps lives forever by accident.
func (s *Store) PutJSON(ctx context.Context, key string, v any, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("redisstore: put %s: ttl must be positive", key)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("redisstore: encode %s: %w", key, err)
	}
	if err := s.rdb.Set(ctx, s.Key(key), b, ttl).Err(); err != nil {
		return fmt.Errorf("redisstore: put %s: %w", key, err)
	}
	return nil
}

// PutJSONIfAbsent is PutJSON that succeeds only when key does not exist yet; it reports
// whether v was stored.
func (s *Store) PutJSONIfAbsent(ctx context.Context, key string, v any, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("redisstore: put %s: ttl must be positive", key)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false, fmt.Errorf("redisstore: encode %s: %w", key, err)
	}
	err = s.rdb.SetArgs(ctx, s.Key(key), b, redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("redisstore: put %s: %w", key, err)
	}
	return true, nil
}

// GetJSON decodes the value under key into v.
func (s *Store) GetJSON(ctx context.Context, key string, v any) error {
	b, err := s.rdb.Get(ctx, s.Key(key)).Bytes()
	return s.decode(key, b, err, v)
}

// TakeJSON atomically reads and deletes the value under key, so that exactly one caller can
// redeem a single-use value.
func (s *Store) TakeJSON(ctx context.Context, key string, v any) error {
	b, err := s.rdb.GetDel(ctx, s.Key(key)).Bytes()
	return s.decode(key, b, err, v)
}

func (s *Store) decode(key string, b []byte, err error, v any) error {
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

// Exists reports whether key exists.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.Key(key)).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: exists %s: %w", key, err)
	}
	return n == 1, nil
}

// Delete removes key; deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.Key(key)).Err(); err != nil {
		return fmt.Errorf("redisstore: delete %s: %w", key, err)
	}
	return nil
}

// Append adds an entry with values to stream, trimming the stream to about maxLen entries
// (0 keeps everything), and returns the entry id.
func (s *Store) Append(ctx context.Context, stream string, maxLen int64, values map[string]any) (string, error) {
	id, err := s.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: s.Key(stream),
		MaxLen: maxLen,
		Approx: maxLen > 0,
		Values: values,
	}).Result()
	if err != nil {
		return "", fmt.Errorf("redisstore: append to %s: %w", stream, err)
	}
	return id, nil
}

// Entries returns up to count entries of stream from the oldest on (count <= 0: all).
func (s *Store) Entries(ctx context.Context, stream string, count int64) ([]redis.XMessage, error) {
	var (
		msgs []redis.XMessage
		err  error
	)
	if count > 0 {
		msgs, err = s.rdb.XRangeN(ctx, s.Key(stream), "-", "+", count).Result()
	} else {
		msgs, err = s.rdb.XRange(ctx, s.Key(stream), "-", "+").Result()
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: read %s: %w", stream, err)
	}
	return msgs, nil
}
