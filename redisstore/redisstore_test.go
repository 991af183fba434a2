package redisstore_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mypatients/gateway/redisstore"
	"github.com/mypatients/gateway/redisstore/redistest"
)

type item struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

func TestJSON(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx, rdb := context.Background(), srv.Client
		var got item
		if err := redisstore.GetJSON(ctx, rdb, "t:missing", &got); !errors.Is(err, redisstore.ErrNotFound) {
			t.Errorf("GetJSON(missing) = %v, want ErrNotFound", err)
		}
		if err := redisstore.PutJSON(ctx, rdb, "t:k", item{"a", 1}, 0); err == nil {
			t.Error("PutJSON with no TTL was accepted")
		}
		if err := redisstore.PutJSON(ctx, rdb, "t:k", item{"a", 1}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := redisstore.GetJSON(ctx, rdb, "t:k", &got); err != nil || got != (item{"a", 1}) {
			t.Errorf("GetJSON = %+v, %v", got, err)
		}
		if ttl := rdb.TTL(ctx, "t:k").Val(); ttl <= 0 || ttl > time.Minute {
			t.Errorf("TTL = %s, want (0, 1m]", ttl)
		}
		if ok, err := redisstore.PutJSONIfAbsent(ctx, rdb, "t:k", item{"b", 2}, time.Minute); ok || err != nil {
			t.Errorf("PutJSONIfAbsent on an existing key = %v, %v", ok, err)
		}
		if ok, err := redisstore.PutJSONIfAbsent(ctx, rdb, "t:new", item{"b", 2}, time.Minute); !ok || err != nil {
			t.Errorf("PutJSONIfAbsent on a new key = %v, %v", ok, err)
		}
		if err := redisstore.TakeJSON(ctx, rdb, "t:k", &got); err != nil || got != (item{"a", 1}) {
			t.Errorf("TakeJSON = %+v, %v", got, err)
		}
		if err := redisstore.GetJSON(ctx, rdb, "t:k", &got); !errors.Is(err, redisstore.ErrNotFound) {
			t.Errorf("GetJSON after TakeJSON = %v, want ErrNotFound", err)
		}
	})
}

// TestTakeJSONOnce redeems one value from many goroutines at once: exactly one wins.
func TestTakeJSONOnce(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx := context.Background()
		if err := redisstore.PutJSON(ctx, srv.Client, "t:code", item{"c", 7}, time.Minute); err != nil {
			t.Fatal(err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var v item
				if err := redisstore.TakeJSON(ctx, srv.Client, "t:code", &v); err == nil && v.N == 7 {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d goroutines redeemed the value, want exactly 1", wins.Load())
		}
	})
}

// TestEmbeddedExpires checks that the embedded Redis expires keys in real time, as codes and
// logins rely on.
func TestEmbeddedExpires(t *testing.T) {
	t.Parallel()
	rdb := redistest.Embedded(t).Client
	ctx := context.Background()
	if err := redisstore.PutJSON(ctx, rdb, "t:short", item{}, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if n, _ := rdb.Exists(ctx, "t:short").Result(); n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("key with a 300ms TTL still exists after 5s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestOpenFailsClosed(t *testing.T) {
	t.Parallel()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if _, err := redisstore.Open(context.Background(), redisstore.Options{URL: "redis://" + addr}); err == nil {
		t.Error("Open succeeded against a closed port")
	}
	if _, err := redisstore.Open(context.Background(), redisstore.Options{URL: "http://nope"}); err == nil {
		t.Error("Open accepted a non-redis URL")
	}
}
