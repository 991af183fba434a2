package redisstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrEvicting is what CheckDurability returns, wrapped, for a Redis that may evict keys under
// memory pressure: it would drop tokens, grants, suspensions and audit records silently.
var ErrEvicting = errors.New("redisstore: Redis may evict keys (maxmemory-policy is not noeviction)")

// Durability is what the gateway needs of its Redis, which is its system of record: it must
// never evict, and it should persist (an append-only file, or RDB snapshots) so that a restart
// loses no grant, suspension or audit record.
type Durability struct {
	MaxMemoryPolicy string
	AOF             bool
	// RDBSaves is the "save" schedule; empty when snapshots are off or it cannot be read.
	RDBSaves string
}

// Persistent reports whether Redis writes its data to disk in some form.
func (d Durability) Persistent() bool { return d.AOF || d.RDBSaves != "" }

// CheckDurability reads the server's eviction and persistence settings (INFO, which managed
// services allow, and CONFIG GET save where permitted). It returns ErrEvicting for any
// maxmemory-policy but noeviction; the caller warns when Persistent is false.
func CheckDurability(ctx context.Context, rdb redis.UniversalClient) (Durability, error) {
	info, err := rdb.Info(ctx, "memory", "persistence").Result()
	if err != nil {
		return Durability{}, fmt.Errorf("redisstore: read INFO: %w", err)
	}
	fields := infoFields(info)
	d := Durability{MaxMemoryPolicy: fields["maxmemory_policy"], AOF: fields["aof_enabled"] == "1"}
	if save, err := rdb.ConfigGet(ctx, "save").Result(); err == nil {
		d.RDBSaves = strings.TrimSpace(save["save"])
	}
	if d.MaxMemoryPolicy != "" && d.MaxMemoryPolicy != "noeviction" {
		return d, fmt.Errorf("%w: it is %s; set maxmemory-policy noeviction", ErrEvicting, d.MaxMemoryPolicy)
	}
	return d, nil
}

// infoFields splits an INFO answer into its key:value lines.
func infoFields(info string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":"); ok && !strings.HasPrefix(k, "#") {
			out[k] = v
		}
	}
	return out
}
