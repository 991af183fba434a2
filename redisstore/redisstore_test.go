package redisstore

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// backends returns a Store on a real redis-server and one on the embedded Redis: the same
// suite must pass on both, since the demo and production share the code above them.
func backends(t *testing.T) map[string]*Store {
	t.Helper()
	ctx := context.Background()
	emb, err := StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	stores := map[string]*Store{}
	for name, url := range map[string]string{"embedded": emb.URL(), "redis-server": realRedis(t)} {
		rdb, err := Open(ctx, Options{URL: url})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { rdb.Close() })
		stores[name] = New(rdb, "t:")
	}
	return stores
}

func realRedis(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed: apt-get install -y redis-server (bash .ci/run does it)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(path, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return "redis://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not start", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type item struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

func TestStore(t *testing.T) {
	t.Parallel()
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var got item
			if err := s.GetJSON(ctx, "missing", &got); !errors.Is(err, ErrNotFound) {
				t.Errorf("GetJSON(missing) = %v, want ErrNotFound", err)
			}
			if err := s.PutJSON(ctx, "k", item{"a", 1}, 0); err == nil {
				t.Error("PutJSON with no TTL was accepted")
			}
			if err := s.PutJSON(ctx, "k", item{"a", 1}, time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := s.GetJSON(ctx, "k", &got); err != nil || got != (item{"a", 1}) {
				t.Errorf("GetJSON = %+v, %v", got, err)
			}
			if ttl := s.Client().TTL(ctx, s.Key("k")).Val(); ttl <= 0 || ttl > time.Minute {
				t.Errorf("TTL = %s, want (0, 1m]", ttl)
			}
			if ok, err := s.PutJSONIfAbsent(ctx, "k", item{"b", 2}, time.Minute); ok || err != nil {
				t.Errorf("PutJSONIfAbsent on an existing key = %v, %v", ok, err)
			}
			if ok, _ := s.Exists(ctx, "k"); !ok {
				t.Error("Exists(k) = false")
			}
			if err := s.Delete(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if ok, _ := s.Exists(ctx, "k"); ok {
				t.Error("key exists after Delete")
			}
		})
	}
}

// TestTakeJSONOnce redeems one value from many goroutines at once: exactly one wins.
func TestTakeJSONOnce(t *testing.T) {
	t.Parallel()
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			if err := s.PutJSON(ctx, "code", item{"c", 7}, time.Minute); err != nil {
				t.Fatal(err)
			}
			var wins atomic.Int32
			var wg sync.WaitGroup
			for range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var v item
					if err := s.TakeJSON(ctx, "code", &v); err == nil && v.N == 7 {
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
}

func TestStream(t *testing.T) {
	t.Parallel()
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			for i := range 5 {
				if _, err := s.Append(ctx, "audit", 0, map[string]any{"n": i}); err != nil {
					t.Fatal(err)
				}
			}
			all, err := s.Entries(ctx, "audit", 0)
			if err != nil || len(all) != 5 || all[0].Values["n"] != "0" || all[4].Values["n"] != "4" {
				t.Fatalf("Entries = %v, %v", all, err)
			}
			first, _ := s.Entries(ctx, "audit", 2)
			if len(first) != 2 {
				t.Errorf("Entries(2) returned %d", len(first))
			}
		})
	}
}

// TestEmbeddedExpires checks that the embedded Redis expires keys in real time, as codes and
// logins rely on.
func TestEmbeddedExpires(t *testing.T) {
	t.Parallel()
	s := backends(t)["embedded"]
	ctx := context.Background()
	if err := s.PutJSON(ctx, "short", item{}, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ok, _ := s.Exists(ctx, "short"); !ok {
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
	if _, err := Open(context.Background(), Options{URL: "redis://" + addr}); err == nil {
		t.Error("Open succeeded against a closed port")
	}
	if _, err := Open(context.Background(), Options{URL: "http://nope"}); err == nil {
		t.Error("Open accepted a non-redis URL")
	}
}
