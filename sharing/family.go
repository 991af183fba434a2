package sharing

import (
	"context"
	"errors"
	"fmt"

	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/sharing/invite"
)

// The family's side of sharing, through the patient portal: deciding requests, inviting a
// clinician, revoking a grant. Each is an audited event whose record is written before the
// change.

// Decide approves or denies a pending family request on behalf of the portal user who, the
// event "access_request.approve" or "access_request.deny". Approval grants the patient to the
// request's clinician and emails the requester.
func (s *Service) Decide(ctx context.Context, who PortalUser, patientID, requestID string, approve bool) (grants.Request, error) {
	status, ev := grants.Denied, who.action("access_request.deny")
	if approve {
		status, ev = grants.Approved, who.action("access_request.approve")
	}
	ev.Patients = []string{patientID}
	r, err := s.Grants.GetRequest(ctx, requestID)
	if errors.Is(err, grants.ErrNotFound) || err == nil && (r.PatientID != patientID || r.Kind != grants.KindFamily) {
		return grants.Request{}, s.refused(ctx, ev, "no_such_request", ErrNoSuchRequest) // none, or not this patient's
	}
	if err != nil {
		return grants.Request{}, err
	}
	ev.Subject = r.Clinician
	if r.Status != grants.Pending {
		return grants.Request{}, s.refused(ctx, ev, "already_decided", grants.ErrDecided)
	}
	if err := s.record(ctx, ev); err != nil {
		return grants.Request{}, err
	}
	r, err = s.Grants.Decide(ctx, requestID, status, who.By, s.now())
	switch {
	case errors.Is(err, grants.ErrDecided):
		return r, s.refused(ctx, ev, "already_decided", err) // decided meanwhile
	case errors.Is(err, grants.ErrNotFound):
		return r, s.refused(ctx, ev, "no_such_request", fmt.Errorf("%w: %w", ErrNoSuchRequest, err)) // expired meanwhile
	case err != nil:
		return r, err
	case !approve:
		return r, nil
	}
	g := grants.Grant{PatientID: r.PatientID, MRN: r.MRN, Clinician: r.Clinician, How: grants.ViaRequest, When: s.now().UTC(), By: who.By}
	if err := s.Grants.Put(ctx, g); err != nil {
		return r, fmt.Errorf("sharing: grant on approval: %w", s.refused(ctx, ev, "store_error", err))
	}
	if r.Email != "" {
		if err := s.Mail.Enqueue(ctx, msgRequestApproved(r.Email, r.MRN, s.appURL())); err != nil {
			return r, fmt.Errorf("sharing: mail the requester: %w", err)
		}
	}
	return r, nil
}

// Invite issues an invitation for the patient with this id and MRN on behalf of the portal
// user who, the event "invitation.issue", and emails it to the clinician at email (when given).
// The token is returned so that the portal can print it; it is never stored in clear. Issuing
// also lifts the slow-down of wrong attempts on the MRN: the family can always re-issue.
func (s *Service) Invite(ctx context.Context, who PortalUser, patientID, mrn, email string) (string, invite.Invitation, error) {
	ev := who.action("invitation.issue")
	ev.Patients = []string{patientID}
	p, err := s.EHR.Patient(ctx, patientID)
	if errors.Is(err, ErrNoSuchPatient) || err == nil && (p.MRN == "" || p.MRN != mrn) {
		return "", invite.Invitation{}, s.refused(ctx, ev, "no_such_patient", ErrNoSuchPatient)
	}
	if err != nil {
		return "", invite.Invitation{}, err
	}
	if err := s.record(ctx, ev); err != nil {
		return "", invite.Invitation{}, err
	}
	token, inv, err := s.Invites.Issue(ctx, invite.Invitation{PatientID: p.ID, MRN: p.MRN, By: who.By, Email: email}, s.now())
	if err != nil {
		return "", invite.Invitation{}, s.refused(ctx, ev, "store_error", err)
	}
	if email != "" {
		if err := s.Mail.Enqueue(ctx, msgInvitation(email, invite.Format(token), p.MRN, s.appURL())); err != nil {
			return token, inv, fmt.Errorf("sharing: mail the invitation: %w", err)
		}
	}
	return token, inv, nil
}

// Revoke ends the patient's grant to clinician on behalf of the portal user who, the event
// "grant.revoke".
func (s *Service) Revoke(ctx context.Context, who PortalUser, patientID, clinician string) (grants.Grant, error) {
	ev := who.action("grant.revoke")
	ev.Subject, ev.Patients = clinician, []string{patientID}
	current, err := s.Grants.ForClinician(ctx, clinician, []string{patientID})
	if err != nil {
		return grants.Grant{}, err
	}
	if _, ok := current[patientID]; !ok {
		return grants.Grant{}, s.refused(ctx, ev, "no_such_grant", ErrNoSuchGrant)
	}
	if err := s.record(ctx, ev); err != nil {
		return grants.Grant{}, err
	}
	g, err := s.Grants.Revoke(ctx, patientID, clinician, who.By, s.now())
	if errors.Is(err, grants.ErrNotFound) {
		return g, s.refused(ctx, ev, "no_such_grant", fmt.Errorf("%w: %w", ErrNoSuchGrant, err)) // revoked meanwhile
	}
	return g, err
}
