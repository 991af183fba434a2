package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mypatients/gateway"
)

// maxListedPatients bounds the _id list Narrow builds when a principal has both practice
// patients and granted patients. Beyond it the list falls back to the practice's patients
// alone: the granted ones can still be read and searched by id.
const maxListedPatients = 500

// Narrow returns the search parameters to add to a search of resourceType that names no
// patient, so that the upstream returns only patients the principal may plausibly see: those
// whose general practitioner is the principal, one of the principal's own PractitionerRoles,
// a member of one of the principal's practices or any PractitionerRole at those practices, or
// one of the practices itself. For example:
//
//	general-practitioner=Organization/practice-maple,Practitioner/dr-okafor,Practitioner/dr-patel,
//	PractitionerRole/role-okafor-maple,PractitionerRole/role-patel-maple
//
// Patients whose families granted the principal access are listed too. FHIR cannot say "these
// practitioners' patients or these ids" in one query, so a principal with both gets an _id
// list: the practice's patients, read from the upstream with the gateway's credential, plus the
// granted ones (at most maxListedPatients; beyond that the granted ones are left out of the
// list). A principal with grants only gets _id=<granted>.
//
// The search is confined, not authorized: the caller must still put every returned patient
// through Decide and drop those not allowed. Only Patient searches can be narrowed
// (ErrNotNarrowable otherwise). A principal whose account the policy finds not in good
// standing, or with no relationship at all, gets ok false, which the caller answers with an
// empty Bundle: FHIR has no search that matches nothing.
func (a *Authorizer) Narrow(ctx context.Context, c gateway.Caller, resourceType string) (params url.Values, ok bool, err error) {
	if resourceType != "Patient" {
		return nil, false, ErrNotNarrowable
	}
	r, err := a.read(ctx, c, nil) // reads.go
	if err != nil {
		return nil, false, err
	}
	st, err := a.whoCounts(ctx, c, r)
	if err != nil {
		return nil, false, err
	}
	if ok, err := a.inGoodStanding(ctx, c, st); !ok || err != nil {
		return nil, false, err
	}
	principal, facts, err := a.principal(ctx, a.cache, st.counted)
	if err != nil {
		return nil, false, err
	}
	refs, err := a.pcpRefs(ctx, principal, facts)
	if err != nil {
		return nil, false, err
	}
	granted, err := a.grantedPatients(ctx, principal.ID)
	if err != nil {
		return nil, false, err
	}
	byPCP := url.Values{"general-practitioner": {strings.Join(refs, ",")}}
	switch {
	case len(refs) == 0 && len(granted) == 0:
		return nil, false, nil
	case len(granted) == 0:
		return byPCP, true, nil
	case len(refs) == 0:
		return url.Values{"_id": {strings.Join(granted, ",")}}, true, nil
	}
	ids, err := a.patientIDs(ctx, byPCP, maxListedPatients-len(granted))
	if err != nil {
		return nil, false, err
	}
	if ids == nil {
		a.log.WarnContext(ctx, "authz: too many patients to list granted ones with the practice's", "principal", principal.ID)
		return byPCP, true, nil
	}
	return url.Values{"_id": {strings.Join(sortedSet(append(ids, granted...)), ",")}}, true, nil
}

// pcpRefs lists every reference a patient of principal's practices may name as its general
// practitioner, sorted: the principal, their own roles, and each practice with its members
// and roles. None for a principal without a Practitioner.
func (a *Authorizer) pcpRefs(ctx context.Context, principal Principal, facts practitionerFacts) ([]string, error) {
	if principal.Practitioner == "" {
		return nil, nil
	}
	refs := append([]string{principal.Practitioner}, facts.Roles...)
	for _, org := range principal.Practices {
		roster, err := a.practice(ctx, org)
		if err != nil {
			return nil, err
		}
		refs = append(append(append(refs, org), roster.Members...), roster.Roles...)
	}
	return sortedSet(refs), nil
}

// inGoodStanding asks the policy's standing decision whether the relationships of the
// principal st counts matter at all, so that Narrow lists no patient for an account not in
// good standing.
func (a *Authorizer) inGoodStanding(ctx context.Context, c gateway.Caller, st standing) (bool, error) {
	input := buildInput(c, gateway.Request{Interaction: gateway.Search, ResourceType: "Patient"}, principalOf(st.counted), map[string]PCP{})
	st.addTo(&input, time.Now())
	sd, err := a.policy.Load().standingOf(ctx, input)
	if err != nil {
		return false, err
	}
	if !*sd.InGoodStanding {
		a.log.DebugContext(ctx, "authz: not narrowing for an account not in good standing",
			"subject", c.Subject, "reason", sd.Reason.Code, "policy_revision", a.PolicyRevision())
	}
	return *sd.InGoodStanding, nil
}

// grantedPatients lists the patients with a grant to principal, sorted; none without a
// grant reader.
func (a *Authorizer) grantedPatients(ctx context.Context, principal string) ([]string, error) {
	if a.grants == nil || principal == "" {
		return nil, nil
	}
	ids, err := a.grants.Patients(ctx, principal)
	if err != nil {
		return nil, fmt.Errorf("authz: granted patients of %s: %w", principal, err)
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return !gateway.ValidID(id) })
	return sortedSet(ids), nil
}

// patientIDs returns the ids of the patients the upstream finds for query, or nil when there
// are more than limit.
func (a *Authorizer) patientIDs(ctx context.Context, query url.Values, limit int) ([]string, error) {
	q := url.Values{"_count": {"100"}}
	for k, v := range query {
		q[k] = v
	}
	found, err := searchAll(ctx, a.up, "Patient", q)
	if err != nil {
		return nil, err
	}
	if len(found) > limit {
		return nil, nil
	}
	ids := make([]string, 0, len(found))
	for _, raw := range found {
		var p struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &p); err != nil || !gateway.ValidID(p.ID) {
			return nil, fmt.Errorf("authz: list patients: an entry without a valid id")
		}
		ids = append(ids, p.ID)
	}
	return ids, nil
}
