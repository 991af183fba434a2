package redisstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mypatients/gateway/redisstore"
	"github.com/mypatients/gateway/redisstore/redistest"
)

// TestCheckDurability reads a real redis-server's settings as they are changed. It never turns
// on appendonly: the server would write its files into this package's folder (the production-
// mode test covers an appendonly Redis, in a folder of its own).
func TestCheckDurability(t *testing.T) {
	t.Parallel()
	srv := redistest.RedisServer(t)
	ctx := context.Background()
	set := func(k, v string) {
		if err := srv.Client.ConfigSet(ctx, k, v).Err(); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		policy, appendonly, save string
		evicting, persistent     bool
	}{
		{"noeviction", "no", "", false, false},
		{"noeviction", "no", "3600 1", false, true},
		{"allkeys-lru", "no", "3600 1", true, true},
		{"volatile-ttl", "no", "", true, false},
	}
	for _, tt := range tests {
		set("maxmemory-policy", tt.policy)
		set("appendonly", tt.appendonly)
		set("save", tt.save)
		d, err := redisstore.CheckDurability(ctx, srv.Client)
		if errors.Is(err, redisstore.ErrEvicting) != tt.evicting || (err != nil && !tt.evicting) {
			t.Errorf("%+v: err %v, want evicting=%v", tt, err, tt.evicting)
		}
		if d.Persistent() != tt.persistent || d.MaxMemoryPolicy != tt.policy {
			t.Errorf("%+v: read %+v", tt, d)
		}
	}
}
