package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Options says how to reach Redis. URL names a standalone server ("redis://host:6379/0" or
// "rediss://..."); otherwise Addrs lists Sentinel addresses (with MasterName) or Cluster nodes.
type Options struct {
	URL        string
	Addrs      []string
	MasterName string
	Username   string
	Password   string
	DB         int
	// MinReplicaAcks, when positive, makes every write wait up to AckTimeout (default 500ms)
	// for that many replicas to have it, and fail otherwise (ErrNotReplicated), so that no
	// acknowledged write is lost when a replica is promoted. Not for Cluster. KeyPrefix names
	// the fence key it writes.
	MinReplicaAcks int
	AckTimeout     time.Duration
	KeyPrefix      string
}

// Open connects to Redis as opts says and checks the connection with a PING.
func Open(ctx context.Context, opts Options) (redis.UniversalClient, error) {
	var rdb redis.UniversalClient
	if opts.URL != "" {
		o, err := redis.ParseURL(opts.URL)
		if err != nil {
			return nil, fmt.Errorf("redisstore: parse URL: %w", err)
		}
		if opts.Password != "" {
			o.Password = opts.Password
		}
		if opts.Username != "" {
			o.Username = opts.Username
		}
		rdb = redis.NewClient(o)
	} else {
		rdb = redis.NewUniversalClient(&redis.UniversalOptions{
			Addrs:      opts.Addrs,
			MasterName: opts.MasterName,
			Username:   opts.Username,
			Password:   opts.Password,
			DB:         opts.DB,
		})
	}
	if opts.MinReplicaAcks > 0 {
		if opts.AckTimeout <= 0 {
			opts.AckTimeout = 500 * time.Millisecond
		}
		rdb.AddHook(&replicaAcks{rdb: rdb, n: opts.MinReplicaAcks, timeout: opts.AckTimeout, fence: opts.KeyPrefix + "replication-fence"})
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redisstore: ping: %w", err)
	}
	return rdb, nil
}

// Embedded is an in-process Redis for the demo. Its state is lost when the process ends.
type Embedded struct {
	srv  *miniredis.Miniredis
	stop chan struct{}
	done chan struct{}
}

// StartEmbedded starts an in-process Redis listening on addr ("" for a free loopback port).
func StartEmbedded(addr string) (*Embedded, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	srv := miniredis.NewMiniRedis()
	if err := srv.StartAddr(addr); err != nil {
		return nil, fmt.Errorf("redisstore: start embedded redis on %s: %w", addr, err)
	}
	e := &Embedded{srv: srv, stop: make(chan struct{}), done: make(chan struct{})}
	go e.expire()
	return e, nil
}

// expire moves miniredis's clock forward in real time: miniredis is made for unit tests and
// never expires keys by itself, but codes and flows must expire in the demo as in production.
// It moves by the time that really passed, not by the tick: a busy machine drops ticks, and
// keys would then outlive their TTL.
func (e *Embedded) expire() {
	defer close(e.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-e.stop:
			return
		case now := <-t.C:
			e.srv.FastForward(now.Sub(last))
			last = now
		}
	}
}

// URL returns the redis:// URL of the embedded server, for Open.
func (e *Embedded) URL() string { return "redis://" + e.srv.Addr() }

// Close stops the embedded server.
func (e *Embedded) Close() {
	close(e.stop)
	<-e.done
	e.srv.Close()
}
