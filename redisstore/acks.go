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
// A command, or a plain pipeline, is sent with WAIT behind it down the same connection, so
// WAIT counts the replicas of the very node that took the write, even while Sentinel moves
// the master. A transaction (MULTI ... EXEC) is followed by a fence: a write to a fence key
// and WAIT, on one connection. The replication stream is ordered, so replicas that have the
// fence have the transaction too, unless the master moved between the two; that window is
// the transactions' alone (they are rare: sign-in throttles, registrations, the outbox).
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
		if !writes(cmd) || ctx.Value(fencing{}) != nil {
			return next(ctx, cmd)
		}
		ctx = context.WithValue(ctx, fencing{}, true)
		pipe := h.rdb.Pipeline()
		_ = pipe.Process(ctx, cmd)
		wait := h.waitCmd(ctx)
		_ = pipe.Process(ctx, wait)
		_, _ = pipe.Exec(ctx)
		if err := cmd.Err(); err != nil {
			return err
		}
		return h.acked(wait)
	}
}

func (h *replicaAcks) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if ctx.Value(fencing{}) != nil || !anyWrites(cmds) {
			return next(ctx, cmds)
		}
		if len(cmds) > 0 && strings.EqualFold(cmds[0].Name(), "multi") {
			if err := next(ctx, cmds); err != nil {
				return err
			}
			return h.awaitFence(ctx)
		}
		wait := h.waitCmd(ctx)
		err := next(ctx, append(cmds[:len(cmds):len(cmds)], wait))
		if err != nil && wait.Err() != err {
			return err
		}
		return h.acked(wait)
	}
}

func (h *replicaAcks) waitCmd(ctx context.Context) *redis.IntCmd {
	return redis.NewIntCmd(ctx, "WAIT", h.n, h.timeout.Milliseconds())
}

// acked reports whether WAIT counted enough replicas.
func (h *replicaAcks) acked(wait *redis.IntCmd) error {
	got, err := wait.Result()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotReplicated, err)
	}
	if got < int64(h.n) {
		return fmt.Errorf("%w: %d of %d within %s", ErrNotReplicated, got, h.n, h.timeout)
	}
	return nil
}

// awaitFence writes the fence and waits for h.n replicas to have it.
func (h *replicaAcks) awaitFence(ctx context.Context) error {
	ctx = context.WithValue(ctx, fencing{}, true)
	pipe := h.rdb.Pipeline()
	pipe.Incr(ctx, h.fence)
	wait := h.waitCmd(ctx)
	_ = pipe.Process(ctx, wait)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrNotReplicated, err)
	}
	return h.acked(wait)
}

func anyWrites(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if writes(c) {
			return true
		}
	}
	return false
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
