package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway"
)

func (s *Store) suspendedKey(id string) string { return s.prefix + "account:suspended:" + id }

// Suspend marks any account (provider or staff) suspended, for the support team; a
// suspended sponsor's staff lose access with them.
func (s *Store) Suspend(ctx context.Context, id string) error {
	if err := s.rdb.Set(ctx, s.suspendedKey(id), time.Now().UTC().Format(time.RFC3339), 0).Err(); err != nil {
		return fmt.Errorf("accounts: suspend %s: %w", id, err)
	}
	return nil
}

// Reinstate lifts an account suspension.
func (s *Store) Reinstate(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.suspendedKey(id)).Err(); err != nil {
		return fmt.Errorf("accounts: reinstate %s: %w", id, err)
	}
	return nil
}

// Standing returns Suspended when the account id is suspended, else Active.
func (s *Store) Standing(ctx context.Context, id string) (string, error) {
	return standingOf(id, s.rdb.Exists(ctx, s.suspendedKey(id)))
}

// QueueStanding queues Standing's read on pipe, so that it shares a round trip with other
// reads; the function returned gives its answer once pipe has been executed.
func (s *Store) QueueStanding(ctx context.Context, pipe redis.Pipeliner, id string) func() (string, error) {
	cmd := pipe.Exists(ctx, s.suspendedKey(id))
	return func() (string, error) { return standingOf(id, cmd) }
}

func standingOf(id string, cmd *redis.IntCmd) (string, error) {
	n, err := cmd.Result()
	if err != nil {
		return "", fmt.Errorf("accounts: standing of %s: %w", id, err)
	}
	if n > 0 {
		return Suspended, nil
	}
	return Active, nil
}

// ErrInactive is what StandingError wraps: the account is not in good standing. It is a
// gateway.ErrForbidden, so that surfaces which do not import this package refuse it alike.
var ErrInactive = fmt.Errorf("accounts: account not in good standing: %w", gateway.ErrForbidden)

// StandingError says why an account may not act; Reason is a code for the audit record.
type StandingError struct{ Reason string }

func (e StandingError) Error() string { return ErrInactive.Error() + " (" + e.Reason + ")" }
func (e StandingError) Unwrap() error { return ErrInactive }

// Reasons of a StandingError.
const (
	ReasonSuspended        = "account_suspended"
	ReasonRemoved          = "account_removed"
	ReasonStaffSuspended   = "staff_suspended"
	ReasonSponsorSuspended = "sponsor_suspended"
)

// CheckStanding returns nil when user may act: not suspended by the support team and, for
// sponsored staff, neither suspended nor removed by the sponsor, with a sponsor who is not
// suspended. Otherwise a StandingError; any other error means it could not be read. Every
// surface and grant asks it: /api, sign-in, refresh, redemption (the policy reads the same
// facts for /fhir).
func (s *Store) CheckStanding(ctx context.Context, user string) error {
	standing, err := s.Standing(ctx, user)
	if err != nil {
		return err
	}
	if standing != Active {
		return StandingError{Reason: ReasonSuspended}
	}
	st, err := s.Get(ctx, user)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	switch st.Status {
	case Removed:
		return StandingError{Reason: ReasonRemoved}
	case Suspended:
		return StandingError{Reason: ReasonStaffSuspended}
	}
	if standing, err = s.Standing(ctx, st.Sponsor); err != nil {
		return err
	}
	if standing != Active {
		return StandingError{Reason: ReasonSponsorSuspended}
	}
	return nil
}
