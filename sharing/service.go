// Package sharing is how a clinician comes to see a patient who is not theirs through the PCP
// rule, and how providers sponsor staff: redeeming a family's invitation token ("Validate a
// Token"), requesting PCP access (from the support team) or access from the family (through the
// hospital's patient portal), the family deciding requests, issuing invitations and revoking
// grants, and creating, listing, suspending and removing staff accounts. It holds the Service
// those flows share and both HTTP APIs over it: the clinicians' /api (ClinicianAPI) and the
// patient portal's /api/portal (PortalAPI). Grants and access requests are stored by
// sharing/grants, invitation tokens by sharing/invite, staff accounts by package accounts; mail
// goes through package mail's outbox. It never decides access to data: the policy does, reading
// the grants and sponsorship as facts.
package sharing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/mail"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/sharing/invite"
)

// Mailer queues an email; *mail.Outbox is the real one.
type Mailer interface {
	Enqueue(ctx context.Context, m mail.Message) error
}

// Service carries out the access-management flows. All fields but Logger, Now and
// RequestLimit are required.
type Service struct {
	Grants  *grants.Store
	Invites *invite.Store
	// Accounts keeps account standing, sponsored staff and their logins.
	Accounts *accounts.Store
	Mail     Mailer
	EHR      EHR
	// Audit receives one record per event (audit.WriteAction); an event whose record cannot
	// be written is not carried out.
	Audit audit.Writer
	// RequestLimit bounds the access requests one clinician files (RequestRule); nil: none.
	RequestLimit *limits.Limiter
	// Decider is the authorizer, asked by the exact-match lookup whether the caller may see the
	// patient found (lookup.go); LookupLimit bounds one clinician's lookups (LookupRule).
	Decider     Decider
	LookupLimit *limits.Limiter
	// MRNPrefix starts the hospital's MRNs ("MRN" when empty); a lookup accepts it or not.
	MRNPrefix string
	// SupportEmail receives PCP-access requests.
	SupportEmail string
	// BaseURL is the gateway's public base URL, for links in emails.
	BaseURL string
	// AppURL is where clinicians sign in (the viewer), for links in emails; BaseURL if empty.
	AppURL string
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// RequestRule is how many access requests one clinician may file: enough for a day's
// referrals, too few to flood the support team or the families.
var RequestRule = limits.Rule{Name: "access-requests", Limit: 10, Window: time.Hour}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) appURL() string {
	if s.AppURL != "" {
		return s.AppURL
	}
	return s.BaseURL
}

// record writes ev as a success: the flow goes on only when it is stored.
func (s *Service) record(ctx context.Context, ev audit.Action) error {
	ev.Outcome = audit.Success
	return audit.WriteAction(ctx, s.Audit, ev)
}

// refused writes ev as a failure with reason and returns err, the refusal; when the record
// cannot be written the refusal becomes a fault (503), never an answer given unrecorded.
func (s *Service) refused(ctx context.Context, ev audit.Action, reason string, err error) error {
	ev.Outcome, ev.Reason = audit.Failure, reason
	if aerr := audit.WriteAction(ctx, s.Audit, ev); aerr != nil {
		return fmt.Errorf("sharing: %s refused but not recorded: %w", ev.Event, aerr)
	}
	return err
}

// Errors of the flows, each answered in its own way by the APIs (answer.go).
var (
	// ErrNotClinician is returned for a caller that is not a logged-in user.
	ErrNotClinician = errors.New("sharing: this needs a signed-in clinician")
	// ErrInvalidPatientID is returned for a patient id that is not a FHIR id.
	ErrInvalidPatientID = errors.New("sharing: not a patient id")
	// ErrNoSuchRequest is returned when the patient has no such access request to decide.
	ErrNoSuchRequest = errors.New("sharing: no such request for this patient")
	// ErrNoSuchGrant is returned when the patient has no grant to the clinician to revoke.
	ErrNoSuchGrant = errors.New("sharing: no such grant for this patient")
)

// grantee returns the gateway user id a grant for c goes to: c's sponsor when c is
// sponsored staff (staff see exactly what their sponsor sees), else c.
func (s *Service) grantee(ctx context.Context, c gateway.Caller) (string, error) {
	if c.Subject == "" {
		return "", ErrNotClinician
	}
	st, err := s.Accounts.Get(ctx, c.Subject)
	if errors.Is(err, accounts.ErrNotFound) {
		return c.Subject, nil
	}
	if err != nil {
		return "", err
	}
	return st.Sponsor, nil
}

// byClinician is the start of the record of an event c caused.
func byClinician(event string, c gateway.Caller) audit.Action {
	return audit.Action{Event: event, Actor: c.Subject, Subject: c.Subject, Sponsor: c.Sponsor, Client: c.ClientID}
}

// Redeem uses an invitation token for mrn and grants the patient to c (or c's sponsor). A
// redemption that fails is the event "invitation.redeem_failure"; one that succeeds is
// "invitation.redeem", recorded before the grant exists (and the invitation released again
// when the record or the grant cannot be stored).
func (s *Service) Redeem(ctx context.Context, c gateway.Caller, token, mrn string) (grants.Grant, error) {
	to, err := s.grantee(ctx, c)
	if err != nil {
		return grants.Grant{}, err
	}
	ev := byClinician("invitation.redeem", c)
	ev.Subject = to
	inv, err := s.Invites.Redeem(ctx, token, mrn, c.Subject, s.now())
	if err != nil {
		failure := ev
		failure.Event = "invitation.redeem_failure"
		return grants.Grant{}, s.refused(ctx, failure, invite.Reason(err), err)
	}
	ev.Patients = []string{inv.PatientID}
	g := grants.Grant{PatientID: inv.PatientID, MRN: inv.MRN, Clinician: to, How: grants.ViaInvitation,
		When: s.now().UTC(), By: inv.By}
	if err := s.record(ctx, ev); err != nil {
		return grants.Grant{}, errors.Join(err, s.Invites.Release(ctx, token))
	}
	if err := s.Grants.Put(ctx, g); err != nil {
		err = errors.Join(err, s.Invites.Release(ctx, token))
		return grants.Grant{}, fmt.Errorf("sharing: grant after redeeming: %w", s.refused(ctx, ev, "store_error", err))
	}
	return g, nil
}

// Contact is what a requester tells about themselves.
type Contact struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Phone    string `json:"phone,omitempty"`
	Practice string `json:"practice,omitempty"`
	Note     string `json:"note,omitempty"`
}

// RequestAccess records c's request of kind for patientID, the event "access_request.file".
// A clinician's requests are limited (RequestLimit), and a second pending request for the same
// patient and kind is not filed again: created is false and the pending one is returned. A
// PCP request is emailed to the support team; a family request waits for the patient portal.
// A patient id the hospital does not have is filed like any other, so that requests never
// tell a clinician which patients exist. label is how the clinician named the patient (the
// query of their lookup); empty is the id.
func (s *Service) RequestAccess(ctx context.Context, c gateway.Caller, kind, patientID, label string, who Contact) (r grants.Request, created bool, err error) {
	to, err := s.grantee(ctx, c)
	if err != nil {
		return grants.Request{}, false, err
	}
	if !gateway.ValidID(patientID) {
		return grants.Request{}, false, ErrInvalidPatientID
	}
	ev := byClinician("access_request.file", c)
	ev.Subject, ev.Patients = to, []string{patientID}
	if r, err := s.Grants.PendingRequest(ctx, kind, patientID, to); err == nil {
		return r, false, s.refused(ctx, ev, "duplicate", nil)
	} else if !errors.Is(err, grants.ErrNotFound) {
		return grants.Request{}, false, err
	}
	if n, err := s.RequestLimit.Take(ctx, c.Subject); err != nil {
		return grants.Request{}, false, err
	} else if !n.Allowed {
		limited := fmt.Errorf("%w: %w", errTooManyRequests, limits.LimitedError{RetryAfter: n.RetryAfter})
		return grants.Request{}, false, s.refused(ctx, ev, "rate_limited", limited)
	}
	p, err := s.EHR.Patient(ctx, patientID)
	if errors.Is(err, ErrNoSuchPatient) {
		p, err = PatientInfo{ID: patientID}, nil // the support team sees the empty MRN
	}
	if err != nil {
		return grants.Request{}, false, err
	}
	ev.Reason = kind + "_access"
	if err := s.record(ctx, ev); err != nil {
		return grants.Request{}, false, err
	}
	r, created, err = s.Grants.AddRequest(ctx, grants.Request{Kind: kind, PatientID: p.ID, MRN: p.MRN, Requester: c.Subject,
		Clinician: to, Name: who.Name, Email: who.Email, Phone: who.Phone, Practice: who.Practice, Note: who.Note,
		Label: cmp.Or(label, patientID)}, s.now())
	if err != nil || !created || kind != grants.KindPCP {
		return r, created, err
	}
	m := msgPCPRequest(s.SupportEmail, requestMail{ID: r.ID, MRN: p.MRN, Name: who.Name, User: c.Subject,
		Email: who.Email, Phone: who.Phone, Practice: who.Practice, Note: who.Note})
	if err := s.Mail.Enqueue(ctx, m); err != nil {
		return r, created, fmt.Errorf("sharing: mail the support team: %w", err)
	}
	return r, created, nil
}

// PortalUser is who acted through the patient portal: its client and the portal's own user.
type PortalUser struct{ Client, By string }

func (p PortalUser) action(event string) audit.Action {
	return audit.Action{Event: event, Actor: "portal:" + p.By, Client: p.Client}
}
