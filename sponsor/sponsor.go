// Package sponsor keeps sponsored staff accounts and the standing of every account: a provider
// with sponsorship privilege creates staff accounts (nurses, referral coordinators, office
// managers) who see exactly what their sponsor sees, no more. It stores, in Redis, each staff
// account with its sponsor, the sponsor's staff list, and suspensions of any account. It is
// read fresh on every request (no cache) so that a suspension holds at once on every replica.
// It decides nothing about patients and sends no mail.
package sponsor

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Account and staff statuses.
const (
	Active    = "active"
	Suspended = "suspended"
	Removed   = "removed"
)

// Errors the HTTP layer maps to answers.
var (
	ErrNotFound  = errors.New("sponsor: no such staff account")
	ErrNotYours  = errors.New("sponsor: staff account belongs to another sponsor")
	ErrStaffOnly = errors.New("sponsor: staff cannot sponsor")
)

// Staff is a sponsored staff account.
type Staff struct {
	// ID is the staff member's gateway user id ("<idp>:<sub>").
	ID    string `json:"id"`
	Name  string `json:"name"`
	Role  string `json:"role"`
	Email string `json:"email"`
	// Sponsor is the sponsor's gateway user id and SponsorPractitioner their
	// "Practitioner/<id>", captured from the sponsor's verified token when sponsoring: it is
	// the practitioner whose relationships the staff member inherits.
	Sponsor             string    `json:"sponsor"`
	SponsorPractitioner string    `json:"sponsor_practitioner"`
	Status              string    `json:"status"`
	CreatedAt           time.Time `json:"created_at"`
}

// Store keeps staff accounts and account standing in Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewStore returns a Store whose keys start with prefix.
func NewStore(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix}
}

func (s *Store) staffKey(id string) string     { return s.prefix + "staff:" + id }
func (s *Store) sponsoredBy(id string) string  { return s.prefix + "staff:by-sponsor:" + id }
func (s *Store) suspendedKey(id string) string { return s.prefix + "account:suspended:" + id }

// NewStaffID returns a fresh user id for a staff account created at the accounts IdP idp.
func NewStaffID(idp string) string { return idp + ":staff-" + strings.ToLower(rand.Text()[:16]) }

// Sponsor records st as sponsored by st.Sponsor. A sponsor that is itself sponsored staff
// gets ErrStaffOnly: staff cannot sponsor.
func (s *Store) Sponsor(ctx context.Context, st Staff, now time.Time) (Staff, error) {
	if st.ID == "" || st.Sponsor == "" || st.SponsorPractitioner == "" || st.ID == st.Sponsor {
		return Staff{}, errors.New("sponsor: a staff account needs an id, a sponsor and the sponsor's practitioner")
	}
	if _, err := s.Get(ctx, st.Sponsor); err == nil {
		return Staff{}, ErrStaffOnly
	} else if !errors.Is(err, ErrNotFound) {
		return Staff{}, err
	}
	st.Status, st.CreatedAt = Active, now.UTC()
	if err := s.save(ctx, st); err != nil {
		return Staff{}, err
	}
	if err := s.rdb.SAdd(ctx, s.sponsoredBy(st.Sponsor), st.ID).Err(); err != nil {
		return Staff{}, fmt.Errorf("sponsor: index staff: %w", err)
	}
	return st, nil
}

func (s *Store) save(ctx context.Context, st Staff) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("sponsor: encode: %w", err)
	}
	if err := s.rdb.Set(ctx, s.staffKey(st.ID), b, 0).Err(); err != nil {
		return fmt.Errorf("sponsor: save staff %s: %w", st.ID, err)
	}
	return nil
}

// Get returns the staff account of user id, or ErrNotFound when id is not sponsored staff.
func (s *Store) Get(ctx context.Context, id string) (Staff, error) {
	raw, err := s.rdb.Get(ctx, s.staffKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Staff{}, fmt.Errorf("sponsor: %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Staff{}, fmt.Errorf("sponsor: read staff %s: %w", id, err)
	}
	var st Staff
	if err := json.Unmarshal(raw, &st); err != nil {
		return Staff{}, fmt.Errorf("sponsor: decode staff %s: %w", id, err)
	}
	return st, nil
}

// List returns the sponsor's staff, oldest first, removed ones included.
func (s *Store) List(ctx context.Context, sponsor string) ([]Staff, error) {
	ids, err := s.rdb.SMembers(ctx, s.sponsoredBy(sponsor)).Result()
	if err != nil {
		return nil, fmt.Errorf("sponsor: list staff: %w", err)
	}
	out := []Staff{}
	for _, id := range ids {
		st, err := s.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b Staff) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// SetStatus changes the status of the sponsor's staff member id to Active, Suspended or
// Removed. A sponsor may change only their own staff (ErrNotYours).
func (s *Store) SetStatus(ctx context.Context, sponsor, id, status string) (Staff, error) {
	if status != Active && status != Suspended && status != Removed {
		return Staff{}, fmt.Errorf("sponsor: unknown status %q", status)
	}
	st, err := s.Get(ctx, id)
	if err != nil {
		return Staff{}, err
	}
	if st.Sponsor != sponsor {
		return Staff{}, ErrNotYours
	}
	st.Status = status
	return st, s.save(ctx, st)
}

// Suspend marks any account (provider or staff) suspended, for the support team; a
// suspended sponsor's staff lose access with them.
func (s *Store) Suspend(ctx context.Context, id string) error {
	if err := s.rdb.Set(ctx, s.suspendedKey(id), time.Now().UTC().Format(time.RFC3339), 0).Err(); err != nil {
		return fmt.Errorf("sponsor: suspend %s: %w", id, err)
	}
	return nil
}

// Reinstate lifts an account suspension.
func (s *Store) Reinstate(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.suspendedKey(id)).Err(); err != nil {
		return fmt.Errorf("sponsor: reinstate %s: %w", id, err)
	}
	return nil
}

// Standing returns Suspended when the account id is suspended, else Active.
func (s *Store) Standing(ctx context.Context, id string) (string, error) {
	n, err := s.rdb.Exists(ctx, s.suspendedKey(id)).Result()
	if err != nil {
		return "", fmt.Errorf("sponsor: standing of %s: %w", id, err)
	}
	if n > 0 {
		return Suspended, nil
	}
	return Active, nil
}
