// Package audit records one entry per FHIR request and one per access-management or sign-in
// event (staff accounts, access requests, invitations, grants, account standing, set-up links,
// sign-ins, the auditors' own questions): who acted, on whose account, through which app and
// from where, for which patients and what, what was decided and why, and how it ended. Records
// go to a Redis stream whose keys this package owns (the Trail), each chained to the one before
// by hash and sealed by signed checkpoints (chain.go, checkpoint.go), so that Verify finds any
// record removed, changed, reordered or inserted; the Trail also reads them back for the
// auditors' questions (query.go). Events are built and written by one function, WriteAction,
// which every flow calls. A record never holds a token, password, pass code, email body, FHIR
// body or any clinical value; callers that cannot write their record must not release data or
// report a change. It decides nothing; the AuditEvent form that leaves the gateway is package
// audit/auditevent's, the shipping audit/forward's.
package audit

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/mypatients/gateway"
)

// Record is one audited FHIR request or access-management event.
type Record struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id"`
	// Event names what happened, dotted: "fhir.read", "fhir.search", "staff.create",
	// "invitation.redeem_failure", "signin", ... (the events are listed in README.md).
	Event    string `json:"event,omitempty"`
	User     string `json:"user"`
	Username string `json:"username,omitempty"`
	// FHIRUser is the user's FHIR resource ("Practitioner/<id>"), when known.
	FHIRUser     string   `json:"fhir_user,omitempty"`
	Sponsor      string   `json:"sponsor,omitempty"` // a staff user's sponsor: records name both
	Client       string   `json:"client"`
	TokenID      string   `json:"token_id,omitempty"`
	Patients     []string `json:"patients"`
	ResourceType string   `json:"resource_type,omitempty"`
	Interaction  string   `json:"interaction,omitempty"`
	// Resource is what a read or vread named: "Type/id" or "Type/id/_history/vid".
	Resource string `json:"resource,omitempty"`
	// Query is a search's canonical query as the caller asked it (before the gateway narrowed
	// it), "name=value&…", or the question an auditor asked. It may hold names or birth dates:
	// it goes to the Audit Record Repository (BALP's query entity) and to the auditors, never
	// to a log line.
	Query string `json:"query,omitempty"`
	// Decision is "allow" or "deny" (FHIR requests).
	Decision string `json:"decision,omitempty"`
	// Basis maps each patient to the rule that allowed it ("pcp", "pcp_practice"), or to the
	// reason code it was refused for.
	Basis map[string]string `json:"basis,omitempty"`
	// Disclosed are the patients some of whose data the answer released: what an accounting
	// of disclosures lists.
	Disclosed []string `json:"disclosed,omitempty"`
	// Reason is a code: of the overall denial of a FHIR request, or of why an event ended as
	// it did. Never free text from a user.
	Reason     string `json:"reason,omitempty"`
	DecisionID string `json:"decision_id,omitempty"`
	// PolicyRevision identifies the policy bundle that decided (comma-separated in the
	// unlikely case that a reload fell between two decisions of one request).
	PolicyRevision string `json:"policy_revision,omitempty"`
	// Status is the HTTP status sent to the caller (FHIR requests).
	Status int `json:"status,omitempty"`
	// Actor is who acted in an event: a user id, "portal:<by>" for the patient portal's user,
	// "support:<id>" for the support team.
	Actor string `json:"actor,omitempty"`
	// Subject is the account an event acted on.
	Subject string `json:"subject,omitempty"`
	// Outcome is "success" or "failure" (events).
	Outcome string `json:"outcome,omitempty"`
	// Source is the client address as the gateway trusts it (see trusted_proxies).
	Source string `json:"source,omitempty"`
	// Note is the support team's own words for an action taken from the command line, or the
	// route a refused API call tried (api.refused); never anything a clinician or an anonymous
	// caller typed.
	Note string `json:"note,omitempty"`
	// ACR and AMR are how the identity provider says a sign-in was authenticated (OIDC Core
	// §2: the context class and the methods, RFC 8176), on "signin" records.
	ACR string   `json:"acr,omitempty"`
	AMR []string `json:"amr,omitempty"`
}

// Writer stores records. Write returns an error when the record could not be stored durably;
// the caller must then withhold the response data, or not make the change.
type Writer interface {
	Write(ctx context.Context, r Record) error
}

// Outcomes of an event.
const (
	Success = "success"
	Failure = "failure"
)

// Action is one access-management or sign-in event as its flow knows it.
type Action struct {
	// Event is the dotted event name; Outcome Success or Failure; Reason a code.
	Event, Outcome, Reason string
	// Actor acted on Subject's account (Sponsor: the subject's or actor's sponsor, if staff).
	Actor, Subject, Sponsor string
	Patients                []string
	// Client is the app or service the action came through.
	Client string
	// Source is the client address; empty takes the request's (gateway.ClientAddr).
	Source string
	// Note: see Record.Note.
	Note string
	// Query is the question an auditor asked ("q=patient&patient=child-01&…"), for the
	// auditors' own events: never free text.
	Query string
	// ACR and AMR: see Record.ACR.
	ACR string
	AMR []string
}

// WriteAction builds the record of one event and writes it to w: the one writer of event
// records, which every flow calls. Its error means the record is not stored and the flow must
// fail closed.
func WriteAction(ctx context.Context, w Writer, a Action) error {
	if w == nil {
		return fmt.Errorf("audit: no trail for %s", a.Event)
	}
	if a.Outcome != Success && a.Outcome != Failure {
		return fmt.Errorf("audit: event %s: outcome %q", a.Event, a.Outcome)
	}
	if a.Source == "" {
		a.Source = gateway.ClientAddr(ctx)
	}
	patients := a.Patients
	if patients == nil {
		patients = []string{}
	}
	rec := Record{Time: time.Now().UTC(), RequestID: "ev-" + strings.ToLower(rand.Text()), Event: a.Event,
		Actor: a.Actor, Subject: a.Subject, Sponsor: a.Sponsor, Patients: patients, Outcome: a.Outcome,
		Reason: a.Reason, Client: a.Client, Source: a.Source, Note: a.Note, Query: a.Query, ACR: a.ACR, AMR: a.AMR}
	// A stored record outlives the request that made it: a client hanging up must not cancel it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return w.Write(ctx, rec)
}

// Failed reports whether the record is of a refused request or a failed action.
func (r Record) Failed() bool {
	return r.Decision == "deny" || r.Outcome == Failure || r.Status >= 400
}

// Acting is who acted: the actor of an event, else the user of a FHIR request.
func (r Record) Acting() string {
	if r.Actor != "" {
		return r.Actor
	}
	return r.User
}
