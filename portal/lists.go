package portal

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// lists are each user's Saved Patient List and recently viewed patients, in Redis under the
// portal's prefix: patient ids only, never a name. Staff keep their own.
type lists struct {
	rdb    redis.UniversalClient
	prefix string
}

const (
	recentMax = 10
	// listTTL forgets the lists of a user who has not used them for a year.
	listTTL = 365 * 24 * time.Hour
)

func (l lists) savedKey(user string) string  { return l.prefix + "saved:" + user }
func (l lists) recentKey(user string) string { return l.prefix + "recent:" + user }

// saved returns the user's saved patients, most recently added first.
func (l lists) saved(ctx context.Context, user string) ([]string, error) {
	ids, err := l.rdb.ZRevRange(ctx, l.savedKey(user), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("portal: read saved list: %w", err)
	}
	return ids, nil
}

func (l lists) isSaved(ctx context.Context, user, id string) (bool, error) {
	_, err := l.rdb.ZScore(ctx, l.savedKey(user), id).Result()
	if err == redis.Nil {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("portal: read saved list: %w", err)
	}
	return true, nil
}

// setSaved adds or removes id.
func (l lists) setSaved(ctx context.Context, user, id string, save bool) error {
	k := l.savedKey(user)
	_, err := l.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		if save {
			pipe.ZAdd(ctx, k, redis.Z{Score: float64(time.Now().UnixMilli()), Member: id})
		} else {
			pipe.ZRem(ctx, k, id)
		}
		pipe.Expire(ctx, k, listTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("portal: change saved list: %w", err)
	}
	return nil
}

// viewed puts id first among the user's recent patients.
func (l lists) viewed(ctx context.Context, user, id string) error {
	k := l.recentKey(user)
	_, err := l.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.LRem(ctx, k, 0, id)
		pipe.LPush(ctx, k, id)
		pipe.LTrim(ctx, k, 0, recentMax-1)
		pipe.Expire(ctx, k, listTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("portal: record recent patient: %w", err)
	}
	return nil
}

func (l lists) recent(ctx context.Context, user string) ([]string, error) {
	ids, err := l.rdb.LRange(ctx, l.recentKey(user), 0, recentMax-1).Result()
	if err != nil {
		return nil, fmt.Errorf("portal: read recent patients: %w", err)
	}
	return ids, nil
}
