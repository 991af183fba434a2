package mail

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Deliverer sends one message; *Sender is the real one.
type Deliverer interface {
	Send(ctx context.Context, m Message) error
}

// Outbox queues messages in Redis and delivers them with retries. Enqueue returns once the
// message is stored; Run delivers. Messages move atomically (LMOVE) from the queue to an
// in-flight list while being sent, so a crash mid-send puts them back on the next start:
// delivery is at least once. The keys share the hash tag {mail} so that LMOVE and the
// pipelines work on Redis Cluster.
type Outbox struct {
	rdb     redis.UniversalClient
	queue   string
	flight  string
	dead    string
	send    Deliverer
	log     *slog.Logger
	maxTry  int
	backoff time.Duration
	poll    time.Duration
}

// OutboxOptions configures an Outbox.
type OutboxOptions struct {
	// Prefix starts the Redis keys (the gateway's key prefix).
	Prefix string
	Send   Deliverer
	Logger *slog.Logger
	// MaxAttempts before a message is set aside in the dead list; 0 means 20.
	MaxAttempts int
	// Backoff is the first retry delay, doubled per attempt up to an hour; 0 means 5s.
	Backoff time.Duration
	// Poll is how often an empty queue is looked at; 0 means 1s.
	Poll time.Duration
}

// NewOutbox returns an Outbox.
func NewOutbox(rdb redis.UniversalClient, o OutboxOptions) *Outbox {
	ob := &Outbox{rdb: rdb, queue: o.Prefix + "{mail}:outbox", flight: o.Prefix + "{mail}:sending",
		dead: o.Prefix + "{mail}:dead", send: o.Send, log: o.Logger, maxTry: o.MaxAttempts, backoff: o.Backoff, poll: o.Poll}
	if ob.log == nil {
		ob.log = slog.New(slog.DiscardHandler)
	}
	if ob.maxTry == 0 {
		ob.maxTry = 20
	}
	if ob.backoff == 0 {
		ob.backoff = 5 * time.Second
	}
	if ob.poll == 0 {
		ob.poll = time.Second
	}
	return ob
}

// Enqueue stores m for delivery.
func (o *Outbox) Enqueue(ctx context.Context, m Message) error {
	if m.To == "" {
		return errors.New("mail: a message needs a recipient")
	}
	m.ID, m.Queued = rand.Text(), time.Now().UTC()
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("mail: encode: %w", err)
	}
	if err := o.rdb.RPush(ctx, o.queue, b).Err(); err != nil {
		return fmt.Errorf("mail: enqueue: %w", err)
	}
	return nil
}

// Run delivers queued messages until ctx ends. It first puts back whatever an earlier run
// left in flight.
func (o *Outbox) Run(ctx context.Context) {
	for {
		if err := o.rdb.LMove(ctx, o.flight, o.queue, "RIGHT", "LEFT").Err(); err != nil {
			break
		}
	}
	for ctx.Err() == nil {
		worked, err := o.step(ctx)
		if err != nil && ctx.Err() == nil {
			o.log.Warn("mail outbox", "err", err)
		}
		if !worked {
			select {
			case <-ctx.Done():
			case <-time.After(o.poll):
			}
		}
	}
}

// Drain delivers what is queued until the queue is empty, a delivery fails or ctx ends: at
// shutdown, after Run has stopped, so that mail accepted is sent before the process goes.
// What it cannot deliver stays queued for the next start.
func (o *Outbox) Drain(ctx context.Context) {
	for ctx.Err() == nil {
		if worked, err := o.step(ctx); err != nil || !worked {
			return
		}
	}
}

// step takes one message and tries it; it reports whether there was one.
func (o *Outbox) step(ctx context.Context) (bool, error) {
	raw, err := o.rdb.LMove(ctx, o.queue, o.flight, "LEFT", "RIGHT").Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take: %w", err)
	}
	var m Message
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		o.rdb.LRem(ctx, o.flight, 1, raw)
		return true, fmt.Errorf("decode queued message: %w", err)
	}
	if time.Now().Before(m.NotBefore) {
		// Not due yet: back to the end of the queue. A queue of only such messages is
		// polled, not spun.
		return false, o.requeue(ctx, raw, m, false)
	}
	sendCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = o.send.Send(sendCtx, m)
	cancel()
	if err == nil {
		o.log.Info("mail sent", "id", m.ID, "attempts", m.Attempts+1)
		return true, o.rdb.LRem(ctx, o.flight, 1, raw).Err()
	}
	o.log.Warn("mail not sent; will retry", "id", m.ID, "attempt", m.Attempts+1, "err", err)
	return true, o.requeue(ctx, raw, m, true)
}

// requeue puts m back on the queue (or on the dead list after too many failures) and takes
// the in-flight copy away.
func (o *Outbox) requeue(ctx context.Context, raw string, m Message, failed bool) error {
	target := o.queue
	if failed {
		m.Attempts++
		delay := o.backoff << min(m.Attempts-1, 10)
		m.NotBefore = time.Now().Add(min(delay, time.Hour))
		if m.Attempts >= o.maxTry {
			target = o.dead
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err = o.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, target, b)
		p.LRem(ctx, o.flight, 1, raw)
		return nil
	})
	if err != nil {
		return fmt.Errorf("requeue: %w", err)
	}
	return nil
}

// Pending returns how many messages wait in the queue or are being sent.
func (o *Outbox) Pending(ctx context.Context) (int64, error) {
	a, err := o.rdb.LLen(ctx, o.queue).Result()
	if err != nil {
		return 0, fmt.Errorf("mail: pending: %w", err)
	}
	b, err := o.rdb.LLen(ctx, o.flight).Result()
	if err != nil {
		return 0, fmt.Errorf("mail: pending: %w", err)
	}
	return a + b, nil
}
