// Package accounts keeps every account the gateway itself holds, in Redis: the standing of any
// user (suspended by the support team, or active), sponsored staff accounts with the provider
// who sponsors them (staff see exactly what their sponsor sees, no more), and the staff's own
// password logins at the MyPatients accounts identity provider with their single-use set-up
// tokens and the set-up page (Handler). Everything is read fresh, never cached, so that a
// suspension or a redemption holds at once on every replica; set-up tokens are stored only
// hashed and passwords only as argon2id hashes. It owns its Redis keys. It decides nothing about
// patients (the policy reads standing and sponsorship as facts), sends no mail and issues no
// access token.
package accounts

import (
	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/limits"
)

// Account and staff statuses.
const (
	Active    = "active"
	Suspended = "suspended"
	Removed   = "removed"
)

// Store keeps the gateway's accounts in Redis. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	hashes *limits.HashGate
}

// NewStore returns a Store whose keys start with prefix (the gateway's key prefix). Every
// password hash it computes waits for hashes, the process's one bound on memory-hard hashes
// (nil: unbounded, for tests).
func NewStore(rdb redis.UniversalClient, prefix string, hashes *limits.HashGate) *Store {
	return &Store{rdb: rdb, prefix: prefix, hashes: hashes}
}
