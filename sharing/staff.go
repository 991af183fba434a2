package sharing

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
)

// ErrNoSponsorship is returned when the caller may not sponsor: they are staff themselves,
// have no Practitioner (are not a provider), or their account is suspended.
var ErrNoSponsorship = errors.New("sharing: only providers in good standing can sponsor staff")

// canSponsor checks the sponsorship privilege: a provider (a user whose identity names a
// Practitioner), not sponsored staff, not suspended.
func (s *Service) canSponsor(ctx context.Context, c gateway.Caller) error {
	if c.Subject == "" || c.PractitionerID() == "" {
		return ErrNoSponsorship
	}
	if _, err := s.Accounts.Get(ctx, c.Subject); err == nil {
		return ErrNoSponsorship
	} else if !errors.Is(err, accounts.ErrNotFound) {
		return err
	}
	standing, err := s.Accounts.Standing(ctx, c.Subject)
	if err != nil {
		return err
	}
	if standing != accounts.Active {
		return ErrNoSponsorship
	}
	return nil
}

// NewStaff is what a sponsor says about a new staff member.
type NewStaff struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	Email string `json:"email"`
}

func (n NewStaff) validate() error {
	var problems []string
	if strings.TrimSpace(n.Name) == "" || len(n.Name) > 200 {
		problems = append(problems, "a name (at most 200 characters)")
	}
	if strings.TrimSpace(n.Role) == "" || len(n.Role) > 100 {
		problems = append(problems, "a role such as RN or referral coordinator")
	}
	if a, err := mail.ParseAddress(n.Email); err != nil || a.Address != n.Email {
		problems = append(problems, "an email address")
	}
	if len(problems) > 0 {
		return refuse(errInvalidInput, "a staff account needs "+strings.Join(problems, ", "))
	}
	return nil
}

// CreateStaff creates a staff account sponsored by c and emails the staff member a single-use
// link to set up their login at the accounts IdP. Their username is their email address,
// claimed before the account exists so that two staff accounts can never share a login.
func (s *Service) CreateStaff(ctx context.Context, c gateway.Caller, n NewStaff) (accounts.Staff, error) {
	if err := s.canSponsor(ctx, c); err != nil {
		return accounts.Staff{}, err
	}
	if err := n.validate(); err != nil {
		return accounts.Staff{}, err
	}
	id := accounts.NewStaffID(c.IdP)
	if err := s.Accounts.Claim(ctx, n.Email, id); errors.Is(err, accounts.ErrUsernameTaken) {
		return accounts.Staff{}, refuse(errInvalidInput, "this email address already belongs to a staff account")
	} else if err != nil {
		return accounts.Staff{}, err
	}
	st, err := s.Accounts.Sponsor(ctx, accounts.Staff{ID: id, Name: n.Name, Role: n.Role, Email: n.Email,
		Sponsor: c.Subject, SponsorPractitioner: c.FHIRUser}, s.now())
	if err != nil {
		return accounts.Staff{}, err
	}
	sponsorName := c.Username
	if sponsorName == "" {
		sponsorName = "Your sponsoring provider"
	}
	s.event(ctx, "staff account created", "staff", st.ID, "sponsor", c.Subject)
	token, err := s.Accounts.IssueSetup(ctx, st)
	if err != nil {
		return st, fmt.Errorf("sharing: set-up link for the new staff member: %w", err)
	}
	// The link goes to the gateway itself, which serves the set-up page (package accounts).
	setup := strings.TrimRight(s.BaseURL, "/") + accounts.SetupPath + "?token=" + token
	if err := s.Mail.Enqueue(ctx, msgStaffWelcome(st.Email, st.Name, sponsorName, setup)); err != nil {
		return st, fmt.Errorf("sharing: mail the new staff member: %w", err)
	}
	return st, nil
}

// ListStaff returns c's staff accounts.
func (s *Service) ListStaff(ctx context.Context, c gateway.Caller) ([]accounts.Staff, error) {
	if err := s.canSponsor(ctx, c); err != nil {
		return nil, err
	}
	return s.Accounts.List(ctx, c.Subject)
}

// SetStaffStatus suspends, reinstates or removes one of c's staff accounts.
func (s *Service) SetStaffStatus(ctx context.Context, c gateway.Caller, id, status string) (accounts.Staff, error) {
	if err := s.canSponsor(ctx, c); err != nil {
		return accounts.Staff{}, err
	}
	st, err := s.Accounts.SetStatus(ctx, c.Subject, id, status)
	if err == nil {
		s.event(ctx, "staff account status changed", "staff", id, "status", status, "sponsor", c.Subject)
	}
	return st, err
}
