package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotReplicated is what a write returns, wrapped, when fewer replicas than required
// acknowledged it in time: it may be lost in a failover, so the caller treats it as failed.
var ErrNotReplicated = errors.New("redisstore: the write was not acknowledged by enough replicas")

// replicaAcks makes every write wait until enough replicas have it. Redis replicates
// asynchronously, so a write the master acknowledged can vanish when Sentinel promotes a
// replica that had not received it yet; a token, grant, suspension or audit record must not.
// After a command or pipeline that writes, it writes a fence key and sends WAIT on one
// connection: the replication stream is ordered, so replicas that have the fence have the
// write before it too, whichever connection made it.
type replicaAcks struct {
	rdb     redis.UniversalClient
	n       int
	timeout time.Duration
	fence   string
}

type fencing struct{}

func (h *replicaAcks) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *replicaAcks) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if err := next(ctx, cmd); err != nil || !writes(cmd) || ctx.Value(fencing{}) != nil {
			return err
		}
		return h.await(ctx)
	}
}

func (h *replicaAcks) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if err != nil || ctx.Value(fencing{}) != nil {
			return err
		}
		for _, c := range cmds {
			if writes(c) {
				return h.await(ctx)
			}
		}
		return nil
	}
}

// await writes the fence and waits for h.n replicas to have it.
func (h *replicaAcks) await(ctx context.Context) error {
	ctx = context.WithValue(ctx, fencing{}, true)
	pipe := h.rdb.Pipeline()
	pipe.Incr(ctx, h.fence)
	wait := pipe.Do(ctx, "WAIT", h.n, h.timeout.Milliseconds())
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrNotReplicated, err)
	}
	if got, _ := wait.Int(); got < h.n {
		return fmt.Errorf("%w: %d of %d within %s", ErrNotReplicated, got, h.n, h.timeout)
	}
	return nil
}

// readOnly are the commands the gateway sends that change nothing; every other is taken to
// write (a wrong guess costs one WAIT, never a lost write).
var readOnly = map[string]bool{
	"get": true, "mget": true, "exists": true, "ttl": true, "pttl": true, "type": true, "strlen": true,
	"hget": true, "hmget": true, "hgetall": true, "hexists": true, "hlen": true, "hkeys": true, "hvals": true,
	"smembers": true, "sismember": true, "smismember": true, "scard": true,
	"zrange": true, "zrangebyscore": true, "zrevrange": true, "zrevrangebyscore": true, "zcard": true, "zscore": true, "zcount": true,
	"lrange": true, "llen": true, "lindex": true,
	"xrange": true, "xrevrange": true, "xlen": true, "xread": true, "xinfo": true, "xpending": true,
	"scan": true, "sscan": true, "hscan": true, "zscan": true, "keys": true,
	"ping": true, "info": true, "config": true, "hello": true, "client": true, "select": true, "auth": true,
	"wait": true, "multi": true, "exec": true, "discard": true, "watch": true, "unwatch": true, "echo": true,
}

func writes(cmd redis.Cmder) bool { return !readOnly[strings.ToLower(cmd.Name())] }
