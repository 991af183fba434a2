package redisstore_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/redisstore"
	"github.com/mypatients/gateway/redisstore/redistest"
)

// TestReplicaAcks: with min_replica_acks set, every kind of write (a command, a script, a
// pipeline, a transaction) fails closed while the master has no replica, and succeeds once one
// has it; reads never wait.
func TestReplicaAcks(t *testing.T) {
	t.Parallel()
	master, replica := redistest.RedisServer(t), redistest.RedisServer(t)
	ctx := context.Background()
	// A short wait while no replica can answer, a long one once one can: a busy machine may
	// take a while to acknowledge.
	open := func(wait time.Duration) redis.UniversalClient {
		rdb, err := redisstore.Open(ctx, redisstore.Options{URL: master.URL, MinReplicaAcks: 1, AckTimeout: wait, KeyPrefix: "t:"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rdb.Close() })
		return rdb
	}
	rdb := open(100 * time.Millisecond)
	script := redis.NewScript(`return redis.call("SET", KEYS[1], ARGV[1])`)
	writes := map[string]func() error{
		"command": func() error { return rdb.Set(ctx, "t:a", "1", 0).Err() },
		"script":  func() error { return script.Run(ctx, rdb, []string{"t:b"}, "1").Err() },
		"pipeline": func() error {
			_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error { p.Get(ctx, "t:a"); p.Set(ctx, "t:c", "1", 0); return nil })
			return err
		},
		"transaction": func() error {
			_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "t:d", "1", 0); return nil })
			return err
		},
	}
	for name, write := range writes {
		if err := write(); !errors.Is(err, redisstore.ErrNotReplicated) {
			t.Errorf("%s with no replica: %v, want ErrNotReplicated", name, err)
		}
	}
	if err := rdb.Get(ctx, "t:a").Err(); err != nil {
		t.Errorf("a read with no replica: %v", err)
	}

	u, _ := url.Parse(master.URL)
	host, port, _ := strings.Cut(u.Host, ":")
	if err := replica.Client.ReplicaOf(ctx, host, port).Err(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		info, _ := master.Client.Info(ctx, "replication").Result()
		if strings.Contains(info, "state=online") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica did not connect: %s", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
	rdb = open(10 * time.Second)
	for name, write := range writes {
		if err := write(); err != nil {
			t.Errorf("%s with a replica: %v", name, err)
		}
	}
	if v, err := replica.Client.Get(ctx, "t:c").Result(); err != nil || v != "1" {
		t.Errorf("the pipeline's write on the replica: %q %v", v, err)
	}
}
