package audit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// sealPoint is where the newest checkpoint ended: its last seq, the chain value there and the
// stream id of that entry.
type sealPoint struct {
	To     int64
	Chain  string
	LastID string
	// Entry is the checkpoint's own stream id ("" before the first checkpoint).
	Entry string
}

// SealNext seals the entries after the newest checkpoint, at most limit of them, with a new
// checkpoint signed by s, and returns it; sealed is false when there was nothing to seal. Only
// one process may seal at a time (the forwarder holds a lease for it). It stops at the first
// entry that does not follow the chain and returns an error naming it, after sealing what came
// before: a checkpoint attests only an unbroken chain.
func (t *Trail) SealNext(ctx context.Context, s *Signer, limit int64) (cp Checkpoint, sealed bool, err error) {
	p, err := t.lastSeal(ctx, s.Keyring())
	if err != nil {
		return cp, false, err
	}
	entries, err := t.Entries(ctx, p.LastID, limit)
	if err != nil || len(entries) == 0 {
		return cp, false, err
	}
	cp = Checkpoint{From: p.To, FromChain: p.Chain, FirstID: entries[0].ID, Chain: p.Chain}
	var broken error
	last := p.To
	for _, e := range entries {
		if e.Problem != "" || e.Seq != last+1 {
			broken = fmt.Errorf("audit: the chain breaks at stream id %s after seq %d; run mypatients audit verify", e.ID, last)
			break
		}
		cp.Chain, cp.To, cp.LastID, last = Link(cp.Chain, e.Seq, e.Digest()), e.Seq, e.ID, e.Seq
	}
	if cp.To == p.To {
		return cp, false, broken
	}
	cp.Time = time.Now().UTC().Truncate(time.Millisecond)
	entry, err := t.Seal(ctx, s, cp)
	if err != nil {
		return cp, false, err
	}
	// Remember the newest checkpoint, and where each one starts: the stream is trimmed only
	// there (TrimSealed).
	pipe := t.rdb.TxPipeline()
	pipe.Set(ctx, t.KeyFor("sealed"), entry.ID, 0)
	pipe.ZAdd(ctx, t.KeyFor("checkpoints"), redis.Z{Score: float64(cp.From), Member: cp.FirstID})
	if _, err := pipe.Exec(ctx); err != nil {
		return cp, true, fmt.Errorf("audit: remember the newest checkpoint: %w", err)
	}
	return cp, true, broken
}

// TrimSealed trims the stream at the newest checkpoint start at or before seq upTo: the
// entries before it go, that checkpoint's whole run stays, so that what remains still verifies
// from that checkpoint on. It returns how many entries went.
func (t *Trail) TrimSealed(ctx context.Context, upTo int64) (int64, error) {
	starts, err := t.rdb.ZRevRangeByScoreWithScores(ctx, t.KeyFor("checkpoints"), &redis.ZRangeBy{
		Max: strconv.FormatInt(upTo, 10), Min: "-inf", Count: 1}).Result()
	if err != nil {
		return 0, fmt.Errorf("audit: read checkpoint starts: %w", err)
	}
	if len(starts) == 0 {
		return 0, nil
	}
	id, _ := starts[0].Member.(string)
	n, err := t.TrimBefore(ctx, id)
	if err != nil {
		return 0, err
	}
	// Older starts lie before the stream's beginning now.
	err = t.rdb.ZRemRangeByScore(ctx, t.KeyFor("checkpoints"), "-inf", "("+strconv.FormatFloat(starts[0].Score, 'f', 0, 64)).Err()
	return n, err
}

// LastCheckpoint returns the newest checkpoint that verifies with keys, if any.
func (t *Trail) LastCheckpoint(ctx context.Context, keys Keyring) (Checkpoint, bool, error) {
	p, err := t.lastSeal(ctx, keys)
	if err != nil || p.Entry == "" {
		return Checkpoint{}, false, err
	}
	e, err := t.Entry(ctx, p.Entry)
	if err != nil {
		return Checkpoint{}, false, err
	}
	cp, err := keys.Checkpoint(e)
	return cp, err == nil, err
}

// lastSeal finds the newest checkpoint: the remembered one when it still verifies, else the
// newest verifiable one searching back from the stream's end, else the stream's beginning.
func (t *Trail) lastSeal(ctx context.Context, keys Keyring) (sealPoint, error) {
	if id, err := t.rdb.Get(ctx, t.KeyFor("sealed")).Result(); err == nil {
		if e, err := t.Entry(ctx, id); err == nil {
			if cp, err := keys.Checkpoint(e); err == nil {
				return sealPoint{To: cp.To, Chain: cp.Chain, LastID: cp.LastID, Entry: e.ID}, nil
			}
		}
	} else if !errors.Is(err, redis.Nil) {
		return sealPoint{}, fmt.Errorf("audit: read the newest checkpoint's id: %w", err)
	}
	return t.searchSeal(ctx, keys)
}

// searchSeal reads the stream backwards for the newest checkpoint that verifies with keys.
func (t *Trail) searchSeal(ctx context.Context, keys Keyring) (sealPoint, error) {
	end := "+"
	for {
		msgs, err := t.rdb.XRevRangeN(ctx, t.base, end, "-", scanPage).Result()
		if err != nil {
			return sealPoint{}, fmt.Errorf("audit: read %s: %w", t.base, err)
		}
		for _, m := range msgs {
			e := entryOf(m)
			if cp, err := keys.Checkpoint(e); e.Problem == "" && err == nil {
				return sealPoint{To: cp.To, Chain: cp.Chain, LastID: cp.LastID, Entry: e.ID}, nil
			}
			if e.Problem == "" && e.Seq == 1 {
				return sealPoint{Chain: Genesis}, nil
			}
		}
		if len(msgs) < scanPage {
			if len(msgs) == 0 && end == "+" {
				return sealPoint{Chain: Genesis}, nil
			}
			return sealPoint{}, errors.New("audit: the stream holds no checkpoint and does not start at seq 1: cannot tell where to seal from; run mypatients audit verify")
		}
		end = "(" + msgs[len(msgs)-1].ID
	}
}
