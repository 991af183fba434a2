package sharing

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/audit"
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
	if textField("name", n.Name, 200, true, false) != nil {
		problems = append(problems, "a name (one line, at most 200 characters)")
	}
	if textField("role", n.Role, 100, true, false) != nil {
		problems = append(problems, "a role such as RN or referral coordinator")
	}
	if emailField("email", n.Email) != nil {
		problems = append(problems, "an email address")
	}
	if len(problems) > 0 {
		return refuse(errInvalidInput, "a staff account needs "+strings.Join(problems, ", "))
	}
	return nil
}

// byCaller is the start of the record of a staff event by sponsor c about staff id.
func byCaller(event string, c gateway.Caller, id string) audit.Action {
	return audit.Action{Event: event, Actor: c.Subject, Subject: id, Sponsor: c.Subject, Client: c.ClientID}
}

// CreateStaff creates a staff account sponsored by c, the event "staff.create", and emails the
// staff member a single-use link to set up their login ("staff.setup_link.issue"). Their
// username is their email address, claimed before the account exists so that two staff
// accounts can never share a login. An address that is already another account's login is
// answered exactly like a free one, so that the answer tells nobody whose address it is: the
// account is created without a login, and the address's owner is told by email instead of
// getting a link.
func (s *Service) CreateStaff(ctx context.Context, c gateway.Caller, n NewStaff) (accounts.Staff, error) {
	if err := s.canSponsor(ctx, c); err != nil {
		return accounts.Staff{}, err
	}
	if err := n.validate(); err != nil {
		return accounts.Staff{}, err
	}
	if err := s.ownAddress(ctx, c, n.Email); err != nil {
		return accounts.Staff{}, err
	}
	id := accounts.NewStaffID(c.IdP)
	if err := s.record(ctx, byCaller("staff.create", c, id)); err != nil {
		return accounts.Staff{}, err
	}
	claim := s.Accounts.Claim(ctx, n.Email, id)
	if claim != nil && !errors.Is(claim, accounts.ErrUsernameTaken) {
		return accounts.Staff{}, claim
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
	if claim != nil {
		return st, s.Mail.Enqueue(ctx, msgStaffAddressTaken(st.Email, sponsorName))
	}
	return st, s.sendSetupLink(ctx, c, st, sponsorName)
}

// ownAddress refuses an address that already belongs to one of c's own staff accounts: the
// sponsor knows those, so saying so tells them nothing new.
func (s *Service) ownAddress(ctx context.Context, c gateway.Caller, email string) error {
	owner, err := s.Accounts.UsernameOwner(ctx, email)
	if err != nil || owner == "" {
		return err
	}
	if st, err := s.Accounts.Get(ctx, owner); err == nil && st.Sponsor == c.Subject {
		return refuse(errInvalidInput, "you already have a staff account with this email address")
	}
	return nil
}

// sendSetupLink issues st's set-up link and emails it.
func (s *Service) sendSetupLink(ctx context.Context, c gateway.Caller, st accounts.Staff, sponsorName string) error {
	if err := s.record(ctx, byCaller("staff.setup_link.issue", c, st.ID)); err != nil {
		return err
	}
	setup, err := s.setupLink(ctx, st)
	if err != nil {
		return err
	}
	if err := s.Mail.Enqueue(ctx, msgStaffWelcome(st.Email, st.Name, sponsorName, setup)); err != nil {
		return fmt.Errorf("sharing: mail the new staff member: %w", err)
	}
	return nil
}

// setupLink issues a set-up link for st, to the set-up page the accounts provider serves.
func (s *Service) setupLink(ctx context.Context, st accounts.Staff) (string, error) {
	token, err := s.Accounts.IssueSetup(ctx, st.ID)
	if err != nil {
		return "", fmt.Errorf("sharing: set-up link for %s: %w", st.ID, err)
	}
	return strings.TrimRight(s.BaseURL, "/") + accounts.SetupPath + "?token=" + token, nil
}

// ListStaff returns c's staff accounts.
func (s *Service) ListStaff(ctx context.Context, c gateway.Caller) ([]accounts.Staff, error) {
	if err := s.canSponsor(ctx, c); err != nil {
		return nil, err
	}
	return s.Accounts.List(ctx, c.Subject)
}

// SetStaffStatus suspends, reinstates or removes one of c's staff accounts: the events
// "staff.suspend", "staff.reinstate" and "staff.remove". Removal is final.
func (s *Service) SetStaffStatus(ctx context.Context, c gateway.Caller, id, status string) (accounts.Staff, error) {
	if err := s.canSponsor(ctx, c); err != nil {
		return accounts.Staff{}, err
	}
	ev := byCaller("staff."+map[string]string{accounts.Active: "reinstate", accounts.Suspended: "suspend", accounts.Removed: "remove"}[status], c, id)
	if _, err := s.Accounts.StaffOf(ctx, c.Subject, id); err != nil {
		reason := map[error]string{accounts.ErrNotFound: "no_such_staff", accounts.ErrNotYours: "no_such_staff", accounts.ErrRemovedFinal: "removed_final"}
		for kind, code := range reason {
			if errors.Is(err, kind) {
				return accounts.Staff{}, s.refused(ctx, ev, code, err)
			}
		}
		return accounts.Staff{}, err
	}
	if err := s.record(ctx, ev); err != nil {
		return accounts.Staff{}, err
	}
	return s.Accounts.SetStatus(ctx, c.Subject, id, status)
}
