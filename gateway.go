// Package gateway is the shared vocabulary of an access decision: who is asking (Caller), what
// they ask for (Request) and the answer (Decision). The SMART server produces Callers, the FHIR
// proxy produces Requests, the authorizer produces Decisions and the audit trail records all
// three. Beside them are the rules every surface applies alike: the one FHIR id rule and the
// one bearer-token parser (ids.go), the one authentication step of every API surface, the
// first-party scopes of the gateway's own API and the trusted client address of a request
// (scopes.go), and the errors every surface answers the same way (ErrNoToken,
// ErrInvalidToken, ErrInsufficientScope, ErrForbidden). It holds plain data and tiny helpers only; it
// must not import any other package of ours nor make decisions itself.
package gateway

import (
	"errors"
	"strings"
)

// ErrInvalidToken is what an authenticator's error wraps when the credential itself must not
// be honoured (forged, expired, revoked). Any other error means the credential could not be
// checked (a store was down): the answer is then "try again", never "sign in again".
var ErrInvalidToken = errors.New("invalid access token")

// ErrForbidden is what an error wraps when the rules refuse a request outright: the FHIR API
// would answer it 403 (the policy, the token's scopes or the gateway's own rules).
var ErrForbidden = errors.New("forbidden")

// Caller is the clinician and app behind one FHIR request, as established by a verified access
// token. Nothing in it comes from the request itself.
type Caller struct {
	// Subject is the gateway's stable user id: "<idp id>:<subject at that IdP>".
	Subject string `json:"subject"`
	// Username is the login name shown to people (for example "pcp"); never used for decisions.
	Username string `json:"username,omitempty"`
	// IdP is the id of the identity provider the user logged in with.
	IdP string `json:"idp"`
	// FHIRUser is the user's FHIR resource, "Practitioner/<id>", or empty when unknown.
	FHIRUser string `json:"fhir_user,omitempty"`
	// ClientID is the SMART client the token was issued to.
	ClientID string `json:"client_id"`
	// Scopes are the granted scopes, as issued.
	Scopes []string `json:"scopes"`
	// TokenID is the access token's jti; it identifies the token in audit records without
	// revealing it.
	TokenID string `json:"token_id,omitempty"`
	// Patient is the launch context's patient id, when the token has one; patient-context
	// scopes confine the token to this patient.
	Patient string `json:"patient,omitempty"`
	// Encounter is the launch context's encounter id, when the token has one.
	Encounter string `json:"encounter,omitempty"`
	// Sponsor is, for a sponsored staff user, the sponsoring provider's user id: the staff
	// member sees what the sponsor sees. It is captured when the token is issued (a staff
	// account's sponsor never changes) and is empty for everyone else. Whether the sponsor is
	// still in good standing is a fact read on every decision, never taken from here.
	Sponsor string `json:"sponsor,omitempty"`
}

// PractitionerID returns the id part of FHIRUser when it names a Practitioner, or "".
func (c Caller) PractitionerID() string {
	id, ok := strings.CutPrefix(c.FHIRUser, "Practitioner/")
	if !ok || strings.Contains(id, "/") {
		return ""
	}
	return id
}

// Interactions the gateway knows. Only read interactions ever reach the upstream.
const (
	Read   = "read"
	VRead  = "vread"
	Search = "search"
)

// Request is what one FHIR request asks to do, as far as authorization is concerned.
type Request struct {
	// Interaction is one of Read, VRead or Search.
	Interaction string `json:"interaction"`
	// ResourceType is the FHIR type asked for, for example "Observation".
	ResourceType string `json:"resource_type"`
	// Patients are the ids (bare, without "Patient/") of every patient whose data the request
	// would touch. The decision is about all of them at once.
	Patients []string `json:"patients"`
}

// Decision is the authorizer's answer for one Request.
type Decision struct {
	// Allow is true only when the interaction is permitted and every patient is allowed.
	Allow bool `json:"allow"`
	// Patients holds, for each requested patient, whether and why it is allowed.
	Patients map[string]PatientDecision `json:"patients"`
	// Reasons explain a denial that is not about one patient (scopes, interaction), or
	// summarise the patients' reasons.
	Reasons []Reason `json:"reasons,omitempty"`
	// Basis names the rule that allowed a request naming no patient (a directory read such as
	// "clinician_directory"); per-patient bases are in Patients.
	Basis string `json:"basis,omitempty"`
	// DecisionID identifies this decision in the audit trail.
	DecisionID string `json:"decision_id"`
	// PolicyRevision identifies the policy bundle that decided.
	PolicyRevision string `json:"policy_revision"`
}

// PatientAllowed reports whether the decision allows access to patient id.
func (d Decision) PatientAllowed(id string) bool {
	return d.Patients[id].Allowed
}

// PatientDecision is the answer for one patient.
type PatientDecision struct {
	Allowed bool `json:"allowed"`
	// Basis names the rule that allowed access, for example "pcp" or "pcp_practice".
	Basis string `json:"basis,omitempty"`
	// Reason says why no rule allowed access.
	Reason *Reason `json:"reason,omitempty"`
}

// Reason is a machine-readable code with a sentence a clinician can read.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// NextSteps names, space-separated, what the clinician can do about a refusal:
	// "request-pcp-access", "request-family-access" (a string keeps Reason comparable).
	NextSteps string `json:"next_steps,omitempty"`
}
