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
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/mail"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/sharing/invite"
)

// Mailer queues an email; *mail.Outbox is the real one.
type Mailer interface {
	Enqueue(ctx context.Context, m mail.Message) error
}

// Service carries out the access-management flows. All fields but Logger and Now are required.
type Service struct {
	Grants  *grants.Store
	Invites *invite.Store
	// Accounts keeps account standing, sponsored staff and their logins.
	Accounts *accounts.Store
	Mail     Mailer
	EHR      EHR
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

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// event logs one access-management event for the audit log; never a token or a name.
func (s *Service) event(ctx context.Context, msg string, args ...any) {
	logger(s.Logger).InfoContext(ctx, msg, append([]any{"part", "patient-access"}, args...)...)
}

func (s *Service) appURL() string {
	if s.AppURL != "" {
		return s.AppURL
	}
	return s.BaseURL
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

// Redeem uses an invitation token for mrn and grants the patient to c (or c's sponsor).
func (s *Service) Redeem(ctx context.Context, c gateway.Caller, token, mrn string) (grants.Grant, error) {
	to, err := s.grantee(ctx, c)
	if err != nil {
		return grants.Grant{}, err
	}
	inv, err := s.Invites.Redeem(ctx, token, mrn, c.Subject, s.now())
	if err != nil {
		return grants.Grant{}, err
	}
	g := grants.Grant{PatientID: inv.PatientID, MRN: inv.MRN, Clinician: to, How: grants.ViaInvitation,
		When: s.now().UTC(), By: inv.By}
	if err := s.Grants.Put(ctx, g); err != nil {
		if rerr := s.Invites.Release(ctx, token); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return grants.Grant{}, fmt.Errorf("sharing: grant after redeeming: %w", err)
	}
	s.event(ctx, "invitation redeemed; access granted", "patient", g.PatientID, "clinician", g.Clinician, "redeemed_by", c.Subject, "granted_by", g.By)
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

// RequestAccess records c's request of kind for patientID. A PCP request is emailed to the
// support team; a family request waits for the patient portal, and portal reports whether
// the family has a portal account to see it.
func (s *Service) RequestAccess(ctx context.Context, c gateway.Caller, kind, patientID string, who Contact) (r grants.Request, portal bool, err error) {
	to, err := s.grantee(ctx, c)
	if err != nil {
		return grants.Request{}, false, err
	}
	if !gateway.ValidID(patientID) {
		return grants.Request{}, false, ErrInvalidPatientID
	}
	p, err := s.EHR.Patient(ctx, patientID)
	if errors.Is(err, ErrNoSuchPatient) {
		// Answered like a patient whose family has no portal account, so that requests do
		// not tell a clinician which patients exist; the support team sees the empty MRN.
		p, err = PatientInfo{ID: patientID}, nil
	}
	if err != nil {
		return grants.Request{}, false, err
	}
	r, err = s.Grants.AddRequest(ctx, grants.Request{Kind: kind, PatientID: p.ID, MRN: p.MRN, Requester: c.Subject,
		Clinician: to, Name: who.Name, Email: who.Email, Phone: who.Phone, Practice: who.Practice, Note: who.Note}, s.now())
	if err != nil {
		return grants.Request{}, false, err
	}
	s.event(ctx, "access requested", "request", r.ID, "kind", kind, "patient", p.ID, "requester", c.Subject, "portal_account", p.PortalAccount)
	if kind == grants.KindPCP {
		m := msgPCPRequest(s.SupportEmail, requestMail{ID: r.ID, MRN: p.MRN, Name: who.Name, User: c.Subject,
			Email: who.Email, Phone: who.Phone, Practice: who.Practice, Note: who.Note})
		if err := s.Mail.Enqueue(ctx, m); err != nil {
			return r, p.PortalAccount, fmt.Errorf("sharing: mail the support team: %w", err)
		}
	}
	return r, p.PortalAccount, nil
}

// Decide approves or denies a pending family request on behalf of the portal user by.
// Approval grants the patient to the request's clinician and emails the requester.
func (s *Service) Decide(ctx context.Context, patientID, requestID string, approve bool, by string) (grants.Request, error) {
	r, err := s.Grants.GetRequest(ctx, requestID)
	if errors.Is(err, grants.ErrNotFound) || err == nil && (r.PatientID != patientID || r.Kind != grants.KindFamily) {
		return grants.Request{}, ErrNoSuchRequest // none, or not this patient's to decide
	}
	if err != nil {
		return grants.Request{}, err
	}
	status := grants.Denied
	if approve {
		status = grants.Approved
	}
	r, err = s.Grants.Decide(ctx, requestID, status, by, s.now())
	if errors.Is(err, grants.ErrNotFound) {
		return r, fmt.Errorf("%w: %w", ErrNoSuchRequest, err) // expired meanwhile
	}
	if err != nil {
		return r, err
	}
	s.event(ctx, "access request decided", "request", r.ID, "status", status, "patient", r.PatientID, "clinician", r.Clinician, "by", by)
	if !approve {
		return r, nil
	}
	g := grants.Grant{PatientID: r.PatientID, MRN: r.MRN, Clinician: r.Clinician, How: grants.ViaRequest, When: s.now().UTC(), By: by}
	if err := s.Grants.Put(ctx, g); err != nil {
		return r, fmt.Errorf("sharing: grant on approval: %w", err)
	}
	if r.Email != "" {
		if err := s.Mail.Enqueue(ctx, msgRequestApproved(r.Email, r.MRN, s.appURL())); err != nil {
			return r, fmt.Errorf("sharing: mail the requester: %w", err)
		}
	}
	return r, nil
}

// Invite issues an invitation for the patient with this id and MRN, on behalf of the portal
// user by, and emails it to the clinician at email (when given). The token is returned so
// that the portal can print it; it is never stored in clear.
func (s *Service) Invite(ctx context.Context, patientID, mrn, email, by string) (string, invite.Invitation, error) {
	p, err := s.EHR.Patient(ctx, patientID)
	if err != nil {
		return "", invite.Invitation{}, err
	}
	if p.MRN == "" || p.MRN != mrn {
		return "", invite.Invitation{}, ErrNoSuchPatient
	}
	token, inv, err := s.Invites.Issue(ctx, invite.Invitation{PatientID: p.ID, MRN: p.MRN, By: by, Email: email}, s.now())
	if err != nil {
		return "", invite.Invitation{}, err
	}
	s.event(ctx, "invitation issued", "patient", p.ID, "by", by, "emailed", email != "", "expires_at", inv.ExpiresAt)
	if email != "" {
		if err := s.Mail.Enqueue(ctx, msgInvitation(email, invite.Format(token), p.MRN, s.appURL())); err != nil {
			return token, inv, fmt.Errorf("sharing: mail the invitation: %w", err)
		}
	}
	return token, inv, nil
}

// Revoke ends the patient's grant to clinician on behalf of the portal user by.
func (s *Service) Revoke(ctx context.Context, patientID, clinician, by string) (grants.Grant, error) {
	g, err := s.Grants.Revoke(ctx, patientID, clinician, by, s.now())
	if errors.Is(err, grants.ErrNotFound) {
		return g, fmt.Errorf("%w: %w", ErrNoSuchGrant, err)
	}
	if err != nil {
		return g, err
	}
	s.event(ctx, "access revoked", "patient", patientID, "clinician", clinician, "by", by)
	return g, nil
}
