package registration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/mail"
)

// Mailer queues an email; *mail.Outbox is the real one.
type Mailer interface {
	Enqueue(ctx context.Context, m mail.Message) error
}

// RejectReasons are the codes a rejection gives (they go into the audit record) with the
// sentence the registrant is told.
var RejectReasons = map[string]string{
	"npi_mismatch": "The NPI does not match the name or credentials you gave.",
	"documents":    "A document was missing, unreadable or not signed.",
	"identity":     "We could not confirm your identity from the document you uploaded.",
	"not_eligible": "MyPatients accounts are for MDs, DOs, NPs and PAs who refer patients to the hospital.",
	"duplicate":    "You already have a MyPatients account, or another request of yours is open.",
	"other":        "See the note below.",
}

// Decider carries out the support team's decisions on registrations.
type Decider struct {
	Store    *Store
	Accounts *accounts.Store
	Mail     Mailer
	Audit    audit.Writer
	// BaseURL is the gateway's public base URL, for the set-up link.
	BaseURL string
}

// Decision is who decides, from where.
type Decision struct {
	// Support is the support team member's user id; the audit's Actor is "support:" + it.
	Support, Source string
}

// Link records the Practitioner the support team found for the registrant's NPI.
func (d Decider) Link(ctx context.Context, id, practitioner string) (Registration, error) {
	if !strings.HasPrefix(practitioner, "Practitioner/") {
		return Registration{}, errors.New("registration: link a Practitioner/<id>")
	}
	return d.Store.Update(ctx, id, func(r *Registration) error { r.Practitioner = practitioner; return nil })
}

// Approve creates the registrant's account (their email as username, the linked
// Practitioner, the sponsorship privilege if granted) and mails them a set-up link.
func (d Decider) Approve(ctx context.Context, id string, sponsor bool, by Decision) (Registration, error) {
	r, err := d.Store.Get(ctx, id)
	if err != nil {
		return Registration{}, err
	}
	if r.Status != Pending {
		return Registration{}, ErrDecided
	}
	if r.Practitioner == "" {
		return Registration{}, errors.New("link the registrant's Practitioner first")
	}
	acct := accounts.NewUserID("accounts")
	if err := d.Accounts.Claim(ctx, r.Email, acct); err != nil {
		return Registration{}, err
	}
	prof := accounts.Profile{ID: acct, Kind: accounts.KindClinician, Username: accounts.NormalizeUsername(r.Email), Name: r.Name,
		Email: r.Email, Phone: r.Phone, Credentials: r.Credentials, NPI: r.NPI, Practice: r.Practice, PracticeAddress: r.Address,
		PracticePhone: r.PracticeTel, FHIRUser: r.Practitioner, CanSponsor: sponsor && r.Sponsorship}
	if err := d.Accounts.SaveProfile(ctx, prof); err != nil {
		return Registration{}, err
	}
	r, err = d.Store.Update(ctx, id, func(r *Registration) error {
		now := time.Now().UTC()
		r.Status, r.DecidedAt, r.DecidedBy, r.Account, r.CanSponsor = Approved, &now, by.Support, acct, prof.CanSponsor
		return nil
	})
	if err != nil {
		return Registration{}, err
	}
	token, err := d.Accounts.IssueSetup(ctx, acct)
	if err != nil {
		return r, err
	}
	if err := d.Mail.Enqueue(ctx, msgApproved(r, d.BaseURL+accounts.SetupPath+"?token="+token)); err != nil {
		return r, err
	}
	return r, d.event(ctx, "account.approve", acct, "", by)
}

// Reject closes the registration with reason (a code of RejectReasons) and mails the
// registrant the reason and note.
func (d Decider) Reject(ctx context.Context, id, reason, note string, by Decision) (Registration, error) {
	if _, ok := RejectReasons[reason]; !ok {
		return Registration{}, fmt.Errorf("registration: unknown reason %q", reason)
	}
	r, err := d.Store.Update(ctx, id, func(r *Registration) error {
		now := time.Now().UTC()
		r.Status, r.DecidedAt, r.DecidedBy, r.Reason, r.Note = Rejected, &now, by.Support, reason, note
		return nil
	})
	if err != nil {
		return Registration{}, err
	}
	if err := d.Mail.Enqueue(ctx, msgRejected(r)); err != nil {
		return r, err
	}
	return r, d.event(ctx, "account.reject", "registration:"+r.ID, reason, by)
}

func (d Decider) event(ctx context.Context, name, subject, reason string, by Decision) error {
	return audit.WriteAction(ctx, d.Audit, audit.Action{Event: name, Actor: "support:" + by.Support, Subject: subject,
		Outcome: audit.Success, Reason: reason, Client: "accounts-console", Source: by.Source})
}
