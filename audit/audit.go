// Package audit records one entry per FHIR request, and per account action of the support
// team: who asked, through which app, for which patients and what, what was decided and why,
// and how it ended. Records go to a Redis stream whose key this package owns (the Trail, which
// also reads them back for the audit command) and to the JSON log. A record never holds a
// token, a FHIR body or any clinical value; callers that cannot write their record must not
// release data. It decides nothing.
package audit

import (
	"context"
	"time"
)

// Record is one audited FHIR request.
type Record struct {
	Time         time.Time `json:"time"`
	RequestID    string    `json:"request_id"`
	User         string    `json:"user"`
	Username     string    `json:"username,omitempty"`
	Sponsor      string    `json:"sponsor,omitempty"` // a staff user's sponsor: records name both
	Client       string    `json:"client"`
	TokenID      string    `json:"token_id,omitempty"`
	Patients     []string  `json:"patients"`
	ResourceType string    `json:"resource_type"`
	Interaction  string    `json:"interaction"`
	// Decision is "allow" or "deny".
	Decision string `json:"decision"`
	// Basis maps each patient to the rule that allowed it ("pcp", "pcp_practice"), or to the
	// reason code it was refused for.
	Basis map[string]string `json:"basis,omitempty"`
	// Reason is the code of the overall denial reason, if any.
	Reason     string `json:"reason,omitempty"`
	DecisionID string `json:"decision_id,omitempty"`
	// PolicyRevision identifies the policy bundle that decided (comma-separated in the
	// unlikely case that a reload fell between two decisions of one request).
	PolicyRevision string `json:"policy_revision,omitempty"`
	// Status is the HTTP status sent to the caller.
	Status int `json:"status"`
	// Actor is who did an administrative action on User's account (decision "suspend" or
	// "reinstate" by the support team's CLI); empty on request records.
	Actor string `json:"actor,omitempty"`
}

// Writer stores records. Write returns an error when the record could not be stored durably;
// the caller must then withhold the response data.
type Writer interface {
	Write(ctx context.Context, r Record) error
}
