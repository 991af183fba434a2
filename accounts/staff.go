package accounts

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

// Errors of sponsorship, which the HTTP layer maps to answers.
var (
	ErrNotFound  = errors.New("accounts: no such account")
	ErrNotYours  = errors.New("accounts: staff account belongs to another sponsor")
	ErrStaffOnly = errors.New("accounts: staff cannot sponsor")
	// ErrRemovedFinal: a removed staff account never returns.
	ErrRemovedFinal = errors.New("accounts: a removed staff account cannot be changed")
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

func (s *Store) staffKey(id string) string    { return s.prefix + "staff:" + id }
func (s *Store) sponsoredBy(id string) string { return s.prefix + "staff:by-sponsor:" + id }

// NewStaffID returns a fresh user id for a staff account created at the accounts IdP idp.
func NewStaffID(idp string) string { return idp + ":staff-" + strings.ToLower(rand.Text()[:16]) }

// Sponsor records st as sponsored by st.Sponsor. A sponsor that is itself sponsored staff
// gets ErrStaffOnly: staff cannot sponsor.
func (s *Store) Sponsor(ctx context.Context, st Staff, now time.Time) (Staff, error) {
	if st.ID == "" || st.Sponsor == "" || st.SponsorPractitioner == "" || st.ID == st.Sponsor {
		return Staff{}, errors.New("accounts: a staff account needs an id, a sponsor and the sponsor's practitioner")
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
		return Staff{}, fmt.Errorf("accounts: index staff: %w", err)
	}
	return st, nil
}

func (s *Store) save(ctx context.Context, st Staff) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("accounts: encode: %w", err)
	}
	if err := s.rdb.Set(ctx, s.staffKey(st.ID), b, 0).Err(); err != nil {
		return fmt.Errorf("accounts: save staff %s: %w", st.ID, err)
	}
	return nil
}

// Get returns the staff account of user id, or ErrNotFound when id is not sponsored staff.
func (s *Store) Get(ctx context.Context, id string) (Staff, error) {
	return staffOf(id, s.rdb.Get(ctx, s.staffKey(id)))
}

// QueueGet queues Get's read on pipe, so that it shares a round trip with other reads; the
// function returned gives its answer once pipe has been executed.
func (s *Store) QueueGet(ctx context.Context, pipe redis.Pipeliner, id string) func() (Staff, error) {
	cmd := pipe.Get(ctx, s.staffKey(id))
	return func() (Staff, error) { return staffOf(id, cmd) }
}

func staffOf(id string, cmd *redis.StringCmd) (Staff, error) {
	raw, err := cmd.Bytes()
	if errors.Is(err, redis.Nil) {
		return Staff{}, fmt.Errorf("accounts: %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Staff{}, fmt.Errorf("accounts: read staff %s: %w", id, err)
	}
	var st Staff
	if err := json.Unmarshal(raw, &st); err != nil {
		return Staff{}, fmt.Errorf("accounts: decode staff %s: %w", id, err)
	}
	return st, nil
}

// List returns the sponsor's staff, oldest first, removed ones included.
func (s *Store) List(ctx context.Context, sponsor string) ([]Staff, error) {
	ids, err := s.rdb.SMembers(ctx, s.sponsoredBy(sponsor)).Result()
	if err != nil {
		return nil, fmt.Errorf("accounts: list staff: %w", err)
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
// Removed. A sponsor may change only their own staff (ErrNotYours). Removal is final
// (ErrRemovedFinal afterwards): the account never signs in again, and its address is released
// so that a new account may use it.
func (s *Store) SetStatus(ctx context.Context, sponsor, id, status string) (Staff, error) {
	st, err := s.StaffOf(ctx, sponsor, id)
	if err != nil {
		return Staff{}, err
	}
	if status != Active && status != Suspended && status != Removed {
		return Staff{}, fmt.Errorf("accounts: unknown status %q", status)
	}
	st.Status = status
	if err := s.save(ctx, st); err != nil {
		return Staff{}, err
	}
	if status == Removed {
		return st, s.releaseLogin(ctx, st)
	}
	return st, nil
}

// StaffOf returns the sponsor's staff member id when it may still be changed: ErrNotFound,
// ErrNotYours or ErrRemovedFinal otherwise.
func (s *Store) StaffOf(ctx context.Context, sponsor, id string) (Staff, error) {
	st, err := s.Get(ctx, id)
	switch {
	case err != nil:
		return Staff{}, err
	case st.Sponsor != sponsor:
		return Staff{}, ErrNotYours
	case st.Status == Removed:
		return Staff{}, ErrRemovedFinal
	}
	return st, nil
}

// releaseScript deletes a login only while it still belongs to the removed account.
var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// releaseLogin deletes the login (username and password hash) of a removed staff account.
func (s *Store) releaseLogin(ctx context.Context, st Staff) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.loginKey(st.Email)}, st.ID).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("accounts: release the login of removed %s: %w", st.ID, err)
	}
	return nil
}

// UsernameOwner returns the account id holding username, or "" when it is free.
func (s *Store) UsernameOwner(ctx context.Context, username string) (string, error) {
	id, err := s.rdb.HGet(ctx, s.loginKey(username), "id").Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("accounts: read login: %w", err)
	}
	return id, nil
}
