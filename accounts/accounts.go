// Package accounts keeps every account the gateway itself holds, in Redis: each person's
// profile (clinicians who registered, sponsored staff, hospital users linked from Children's
// ID), the standing of any user (suspended by the support team, or active), sponsored staff
// with the provider who sponsors them (staff see exactly what their sponsor sees, no more),
// password logins with their single-use set-up tokens, and the single-use pass codes of the
// reset flows. Everything is read fresh, never cached, so that a suspension or a redemption
// holds at once on every replica; tokens and pass codes are stored only hashed and passwords
// only as argon2id hashes. It owns its Redis keys. The pages, the OpenID Provider, second
// factors, registrations and the console live in its sub-packages. It decides nothing about
// patients (the policy reads standing and sponsorship as facts), sends no mail (it only words
// the set-up link's, SetupLinkMail) and issues no access token.
package accounts

import (
	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/limits"
)

// SetupPath is the set-up page of the accounts provider; an emailed set-up link is
// <base_url>/accounts/setup?token=<token>. OldSetupPath is where links sent before the
// provider moved under /accounts pointed; it redirects.
const (
	SetupPath    = "/accounts/setup"
	OldSetupPath = "/account/setup"
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

// Redis returns the store's Redis client, for the provider's sessions beside the accounts.
func (s *Store) Redis() redis.UniversalClient { return s.rdb }

// Prefix returns the key prefix the store was made with.
func (s *Store) Prefix() string { return s.prefix }
