// Package registration is how a clinician (MD, DO, NP or PA) asks for a MyPatients account:
// the online form with the documents the seed asked to fax, uploaded instead (checked and
// sealed by package uploads), the email address verified by a link, a page where the
// registrant sees where the request stands, and the decision the support team makes in the
// console (Approve, Reject), which creates the account and mails its set-up link, or mails
// the reason. Registrations live in Redis under keys it owns; links are stored only hashed.
// It decides nothing by itself: people do.
package registration

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/accounts/uploads"
)

// Statuses of a registration.
const (
	Unverified = "unverified" // the email address is not confirmed yet
	Pending    = "pending"    // waiting for the support team
	Approved   = "approved"
	Rejected   = "rejected"
)

// Kinds of document.
const (
	DocCertification = "certification" // the signed Certification & Agreement
	DocIdentity      = "identity"      // a driver's license or passport
	DocSponsorship   = "sponsorship"   // the Sponsorship Agreement
)

// Registration is one clinician's request for an account.
type Registration struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"`
	Name        string     `json:"name"`
	Credentials string     `json:"credentials"`
	NPI         string     `json:"npi"`
	Practice    string     `json:"practice"`
	Address     string     `json:"practice_address"`
	PracticeTel string     `json:"practice_phone"`
	Phone       string     `json:"phone,omitempty"`
	Email       string     `json:"email"`
	Sponsorship bool       `json:"sponsorship"`
	Documents   []Document `json:"documents"`
	CreatedAt   time.Time  `json:"created_at"`
	VerifiedAt  *time.Time `json:"verified_at,omitempty"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	// DecidedBy is the support team member; Reason the code of a rejection and Note what
	// they wrote to the registrant.
	DecidedBy string `json:"decided_by,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Note      string `json:"note,omitempty"`
	// Practitioner is the EHR's Practitioner linked by NPI; Account the account created.
	Practitioner string `json:"practitioner,omitempty"`
	CanSponsor   bool   `json:"can_sponsor,omitempty"`
	Account      string `json:"account,omitempty"`
}

// Document is one uploaded document of a registration.
type Document struct {
	Kind string `json:"kind"`
	uploads.Document
}

// Store keeps registrations in Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewStore returns a Store under prefix.
func NewStore(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix + "registration:"}
}

// keep is how long a registration is kept after it is made.
const keep = 400 * 24 * time.Hour

// verifyTTL is how long the email link works.
const verifyTTL = 24 * time.Hour

func (s *Store) key(id string) string { return s.prefix + id }
func (s *Store) linkKey(kind, token string) string {
	sum := sha256.Sum256([]byte(token))
	return s.prefix + kind + ":" + hex.EncodeToString(sum[:])
}
func (s *Store) queueKey() string { return s.prefix + "queue" }

// ErrNotFound is an unknown, expired or used link, or an unknown registration.
var ErrNotFound = errors.New("registration: not found")

// Add stores a new registration and returns it with its email link and status link.
func (s *Store) Add(ctx context.Context, r Registration) (Registration, string, string, error) {
	r.ID, r.Status, r.CreatedAt = rand.Text(), Unverified, time.Now().UTC()
	verify, status := rand.Text(), rand.Text()+rand.Text()
	if err := s.save(ctx, r); err != nil {
		return Registration{}, "", "", err
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.linkKey("verify", verify), r.ID, verifyTTL)
		p.Set(ctx, s.linkKey("status", status), r.ID, keep)
		return nil
	})
	if err != nil {
		return Registration{}, "", "", fmt.Errorf("registration: store links: %w", err)
	}
	return r, verify, status, nil
}

func (s *Store) save(ctx context.Context, r Registration) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := s.rdb.Set(ctx, s.key(r.ID), b, keep).Err(); err != nil {
		return fmt.Errorf("registration: save %s: %w", r.ID, err)
	}
	return nil
}

// Get returns registration id.
func (s *Store) Get(ctx context.Context, id string) (Registration, error) {
	raw, err := s.rdb.Get(ctx, s.key(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Registration{}, ErrNotFound
	}
	if err != nil {
		return Registration{}, fmt.Errorf("registration: read %s: %w", id, err)
	}
	var r Registration
	return r, json.Unmarshal(raw, &r)
}

// ByStatusLink returns the registration of a status link.
func (s *Store) ByStatusLink(ctx context.Context, token string) (Registration, error) {
	id, err := s.rdb.Get(ctx, s.linkKey("status", token)).Result()
	if errors.Is(err, redis.Nil) {
		return Registration{}, ErrNotFound
	}
	if err != nil {
		return Registration{}, fmt.Errorf("registration: read link: %w", err)
	}
	return s.Get(ctx, id)
}

// Verify uses an email link up and puts its registration in the support team's queue.
func (s *Store) Verify(ctx context.Context, token string) (Registration, error) {
	id, err := s.rdb.GetDel(ctx, s.linkKey("verify", token)).Result()
	if errors.Is(err, redis.Nil) {
		return Registration{}, ErrNotFound
	}
	if err != nil {
		return Registration{}, fmt.Errorf("registration: use link: %w", err)
	}
	r, err := s.Get(ctx, id)
	if err != nil || r.Status != Unverified {
		return r, err
	}
	now := time.Now().UTC()
	r.Status, r.VerifiedAt = Pending, &now
	if err := s.save(ctx, r); err != nil {
		return Registration{}, err
	}
	return r, s.rdb.SAdd(ctx, s.queueKey(), r.ID).Err()
}

// Queue returns the registrations waiting for the support team, oldest first.
func (s *Store) Queue(ctx context.Context) ([]Registration, error) {
	ids, err := s.rdb.SMembers(ctx, s.queueKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("registration: queue: %w", err)
	}
	var out []Registration
	for _, id := range ids {
		r, err := s.Get(ctx, id)
		if errors.Is(err, ErrNotFound) || (err == nil && r.Status != Pending) {
			s.rdb.SRem(ctx, s.queueKey(), id)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Registration) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// ErrDecided means the registration was decided already (or is not verified).
var ErrDecided = errors.New("registration: not waiting for a decision")

// Update applies change to a pending registration in one WATCH transaction and drops it
// from the queue once decided.
func (s *Store) Update(ctx context.Context, id string, change func(*Registration) error) (Registration, error) {
	var out Registration
	err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		r, err := s.Get(ctx, id)
		if err != nil {
			return err
		}
		if r.Status != Pending {
			return ErrDecided
		}
		if err := change(&r); err != nil {
			return err
		}
		b, _ := json.Marshal(r)
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, s.key(id), b, keep)
			if r.Status != Pending {
				p.SRem(ctx, s.queueKey(), id)
			}
			return nil
		})
		out = r
		return err
	}, s.key(id))
	return out, err
}
