package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mypatients/gateway/audit"
)

// ValidUserID accepts a gateway user id, "<idp>:<sub>", with no spaces or control characters:
// a typo should fail before it suspends an account that does not exist.
func ValidUserID(id string) bool {
	idp, sub, ok := strings.Cut(id, ":")
	return ok && idp != "" && sub != "" && len(id) <= 200 &&
		!strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// StandingChange is the support team suspending or reinstating one account.
type StandingChange struct {
	// Account is the gateway user id of the account.
	Account string
	// Suspend suspends the account; false reinstates it.
	Suspend bool
	// Reason is why, and Actor who acted: both go into the audit trail.
	Reason, Actor string
	// Client names the tool the change was made with, in the audit record.
	Client string
}

// ChangeStanding suspends or reinstates ch.Account, at once for every replica (a suspended
// provider's staff lose access with them). Its event, "account.suspend" or
// "account.reinstate" with the actor as "support:<actor>", the sponsor of a staff account and
// the reason given as the record's note, is written first: without its record nothing
// changes.
func (s *Store) ChangeStanding(ctx context.Context, trail audit.Writer, ch StandingChange) error {
	action, change := "reinstate", s.Reinstate
	if ch.Suspend {
		action, change = "suspend", s.Suspend
	}
	sponsor, err := s.SponsorOf(ctx, ch.Account)
	if err != nil {
		return fmt.Errorf("account %s: %w", action, err)
	}
	ev := audit.Action{Event: "account." + action, Outcome: audit.Success, Actor: "support:" + ch.Actor,
		Subject: ch.Account, Sponsor: sponsor, Client: ch.Client, Note: ch.Reason}
	if err := audit.WriteAction(ctx, trail, ev); err != nil {
		return fmt.Errorf("account %s: not done, the audit record could not be stored: %w", action, err)
	}
	if err := change(ctx, ch.Account); err != nil {
		ev.Outcome, ev.Reason = audit.Failure, "store_error"
		return fmt.Errorf("account %s: %w", action, errors.Join(err, audit.WriteAction(ctx, trail, ev)))
	}
	return nil
}

// SponsorOf returns the user id of the provider who sponsors user, or "" when user is not
// sponsored staff. A staff account's sponsor never changes, so callers may keep the answer
// (the SMART server puts it in the tokens it issues); whether the sponsor is in good standing
// must be read fresh.
func (s *Store) SponsorOf(ctx context.Context, user string) (string, error) {
	st, err := s.Get(ctx, user)
	switch {
	case errors.Is(err, ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	}
	return st.Sponsor, nil
}

// Account is what the support team is shown of one account.
type Account struct {
	ID       string `json:"id"`
	Standing string `json:"standing"`
	Staff    *Staff `json:"staff,omitempty"`
	// LoginSetUp says whether a staff member has chosen their password yet.
	LoginSetUp *bool `json:"login_set_up,omitempty"`
	// SponsorStanding is a staff member's sponsor's standing: suspended means no access.
	SponsorStanding string `json:"sponsor_standing,omitempty"`
}

// Describe returns the standing of account id and, for staff, the staff record, whether their
// login is set up and their sponsor's standing.
func (s *Store) Describe(ctx context.Context, id string) (Account, error) {
	standing, err := s.Standing(ctx, id)
	if err != nil {
		return Account{}, err
	}
	a := Account{ID: id, Standing: standing}
	st, err := s.Get(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return a, nil
	case err != nil:
		return Account{}, err
	}
	a.Staff = &st
	set, err := s.HasPassword(ctx, st.Email)
	if err != nil {
		return Account{}, err
	}
	a.LoginSetUp = &set
	if a.SponsorStanding, err = s.Standing(ctx, st.Sponsor); err != nil {
		return Account{}, err
	}
	return a, nil
}
