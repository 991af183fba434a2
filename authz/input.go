package authz

import (
	"slices"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/smart/scope"
)

// Input is the policy's input document (Rego `input`), shaped for a human reader: every
// fact is computed here in Go so that the policy only compares values. Its JSON Schema is
// policies/input.schema.json; every list is present (possibly empty), never null.
type Input struct {
	// User is who is logged in.
	User User `json:"user"`
	// Principal is the person whose relationships count: the user, or for a sponsored staff
	// member the sponsor (see relationships.go).
	Principal Principal `json:"principal"`
	// Request is what the request asks to do.
	Request RequestInput `json:"request"`
	// Token is what the app's access token permits.
	Token Token `json:"token"`
	// Facts are the relationships of the named patients.
	Facts Facts `json:"facts"`
	// Sponsorship is present when the user is sponsored staff (see relationships.go).
	Sponsorship *Sponsorship `json:"sponsorship,omitempty"`
	// Now is the time of the request (RFC 3339, UTC), against which grants' ends are compared.
	Now string `json:"now,omitempty"`
}

// User identifies the logged-in user. Its id, username and identity provider are recorded,
// never compared; its practitioner and standing are.
type User struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	IdP      string `json:"idp"`
	// Practitioner is the user's own FHIR resource when it is a Practitioner
	// ("Practitioner/<id>"), absent otherwise: the directory is for clinicians.
	Practitioner string `json:"practitioner,omitempty"`
	// Standing is "active" or "suspended" (the user's own account).
	Standing string `json:"standing,omitempty"`
}

// Principal is the person whose relationships to patients count, with their practices.
type Principal struct {
	// ID is the gateway user id of the principal.
	ID string `json:"id"`
	// Practitioner is "Practitioner/<id>", or absent when the principal has none.
	Practitioner string `json:"practitioner,omitempty"`
	// Practices are the organizations ("Organization/<id>") of the principal's active
	// PractitionerRoles.
	Practices []string `json:"practices"`
	// PracticeMembers are the principal's practitioner and those PCP practitioners of the
	// request's patients ("Practitioner/<id>") with an active role at any of Practices: the
	// members that can matter, found from each PCP's own roles (facts.go).
	PracticeMembers []string `json:"practice_members"`
}

// RequestInput is gateway.Request in the policy's words.
type RequestInput struct {
	Interaction  string   `json:"interaction"`
	ResourceType string   `json:"resource_type"`
	Patients     []string `json:"patients"`
}

// Token describes the app's access token.
type Token struct {
	ClientID string  `json:"client_id"`
	Scopes   []Scope `json:"scopes"`
	// Patient is the launch patient; patient/ scopes reach only this patient. Empty: none.
	Patient string `json:"patient,omitempty"`
}

// Scope is one SMART resource scope with its permissions as single letters out of
// "c", "r", "u", "d", "s" (v1 "read" is ["r", "s"]).
type Scope struct {
	Context  string   `json:"context"`
	Resource string   `json:"resource"`
	Perms    []string `json:"perms"`
	// Query is a v2 granular constraint such as "category=laboratory"; absent for none.
	Query string `json:"query,omitempty"`
}

// Facts are the relationship facts of the request's patients.
type Facts struct {
	// PCPOf maps each named patient's id to its primary care providers.
	PCPOf map[string]PCP `json:"pcp_of"`
	// Grants maps a named patient's id to the family's grant to the principal, if any.
	Grants map[string]GrantFact `json:"grants,omitempty"`
}

// PCP is Patient.generalPractitioner normalised: a Practitioner reference goes to
// Practitioners, an Organization to Organizations, and a PractitionerRole to both its
// practitioner and its organization. Both lists are sorted, without duplicates.
type PCP struct {
	Practitioners []string `json:"practitioners"`
	Organizations []string `json:"organizations"`
}

// buildInput assembles the input document. principal and pcpOf come from the fact
// gatherer; nothing here reaches the network.
func buildInput(c gateway.Caller, req gateway.Request, principal Principal, pcpOf map[string]PCP) Input {
	return Input{
		User:      User{ID: c.Subject, Username: c.Username, IdP: c.IdP, Practitioner: practitionerRef(c)},
		Principal: principal,
		Request: RequestInput{
			Interaction:  req.Interaction,
			ResourceType: req.ResourceType,
			Patients:     nonNil(req.Patients),
		},
		Token: Token{ClientID: c.ClientID, Scopes: tokenScopes(c.Scopes), Patient: c.Patient},
		Facts: Facts{PCPOf: pcpOf},
	}
}

// tokenScopes turns the granted scope strings into the policy's scope objects. Strings that
// are not resource scopes (openid, launch, fhirUser) or do not parse are left out: a scope
// the gateway cannot read permits nothing.
func tokenScopes(granted []string) []Scope {
	out := []Scope{}
	for _, s := range granted {
		r, ok, err := scope.ParseResource(s)
		if !ok || err != nil {
			continue
		}
		perms := make([]string, 0, len(r.Perms))
		for _, p := range r.Perms {
			perms = append(perms, string(p))
		}
		out = append(out, Scope{Context: r.Context, Resource: r.Type, Perms: perms, Query: r.Query})
	}
	return out
}

// practitionerRef returns "Practitioner/<id>" for a caller whose fhirUser is a Practitioner
// with a valid id, or "".
func practitionerRef(c gateway.Caller) string {
	id := c.PractitionerID()
	if id == "" || !gateway.ValidID(id) {
		return ""
	}
	return "Practitioner/" + id
}

// nonNil returns s, or an empty slice for nil, so that JSON shows [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// sortedSet returns the distinct values of s, sorted, never nil.
func sortedSet(s []string) []string {
	out := slices.Clone(nonNil(s))
	slices.Sort(out)
	return slices.Compact(out)
}
