// Package redistest gives package tests a fresh embedded Redis behind the same go-redis client
// that production uses, stopped when the test ends. It is for tests only; end-to-end tests
// start a real redis-server instead (see test/).
package redistest

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/redisstore"
)

// Client returns a client of a new embedded Redis; both are closed when t ends.
func Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	emb, err := redisstore.StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	rdb, err := redisstore.Open(context.Background(), redisstore.Options{URL: emb.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}
