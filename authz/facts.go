package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/upstream"
)

// practitionerFacts is what the upstream says about one practitioner's own roles, cached
// under "facts:practitioner:<id>". It never lists a whole practice, so it costs the same in a
// practice of three and of thousands.
type practitionerFacts struct {
	// Practices are "Organization/<id>" of the practitioner's active roles.
	Practices []string `json:"practices"`
	// Roles are "PractitionerRole/<id>" of the practitioner's own roles, active or not.
	Roles []string `json:"roles"`
}

// practiceFacts is a practice's roster, cached under "facts:practice:<org id>". Only Narrow
// needs it: a patient list names the whole practice.
type practiceFacts struct {
	// Members are "Practitioner/<id>" with an active role at the practice.
	Members []string `json:"members"`
	// Roles are "PractitionerRole/<id>" of every role at the practice, active or not: a
	// patient may list any of them as its PCP.
	Roles []string `json:"roles"`
}

// principal returns the policy's principal for c, with their practices and the facts behind
// them; PracticeMembers holds the principal alone until withPracticeMembers adds the PCPs that
// share a practice with them. A caller without a Practitioner has no practices.
func (a *Authorizer) principal(ctx context.Context, cache factCache, c gateway.Caller) (Principal, practitionerFacts, error) {
	p := principalOf(c)
	if p.Practitioner == "" {
		return p, practitionerFacts{Practices: []string{}, Roles: []string{}}, nil
	}
	ctx, span := factSpan(ctx, "authz.facts.principal")
	defer span.End()
	facts, err := a.rolesOf(ctx, cache, c.PractitionerID())
	if err != nil {
		return Principal{}, practitionerFacts{}, err
	}
	p.Practices = facts.Practices
	p.PracticeMembers = []string{p.Practitioner}
	return p, facts, nil
}

// principalOf is the principal for c without practices: all a request naming no patient
// needs, since no relationship decides it.
func principalOf(c gateway.Caller) Principal {
	return Principal{ID: c.Subject, Practitioner: practitionerRef(c), Practices: []string{}, PracticeMembers: []string{}}
}

// rolesOf returns a practitioner's own roles and practices, from the cache or the upstream.
func (a *Authorizer) rolesOf(ctx context.Context, cache factCache, id string) (practitionerFacts, error) {
	return cachedFact(ctx, cache, practitionerFactName(id), func(ctx context.Context) (practitionerFacts, error) {
		return fetchRolesOf(ctx, a.up, id)
	})
}

// practitionerFactName and patientFactName name the cached facts (reads.go queues them).
func practitionerFactName(id string) string { return "practitioner:" + id }
func patientFactName(id string) string      { return "pcp:" + id }

// withPracticeMembers adds to p.PracticeMembers every PCP practitioner of the patients with an
// active role at one of p's practices. Each patient's facts carry their PCPs' practices, so a
// decision costs the same whatever the size of the practice.
func withPracticeMembers(p *Principal, patients map[string]patientFact) {
	for _, f := range patients {
		for who, orgs := range f.PracticesOf {
			if slices.ContainsFunc(orgs, func(org string) bool { return slices.Contains(p.Practices, org) }) {
				p.PracticeMembers = append(p.PracticeMembers, who)
			}
		}
	}
	p.PracticeMembers = sortedSet(p.PracticeMembers)
}

// fetchRolesOf reads the practitioner's own PractitionerRoles.
func fetchRolesOf(ctx context.Context, up *upstream.Client, id string) (practitionerFacts, error) {
	own, err := searchRoles(ctx, up, url.Values{"practitioner": {"Practitioner/" + id}})
	if err != nil {
		return practitionerFacts{}, err
	}
	roles, practices := []string{}, []string{}
	for _, r := range own {
		roles = append(roles, "PractitionerRole/"+r.ID)
		if org := refOf(up, r.Organization, "Organization"); org != "" && active(r) {
			practices = append(practices, org)
		}
	}
	return practitionerFacts{Practices: sortedSet(practices), Roles: sortedSet(roles)}, nil
}

// practice returns a practice's roster, from the cache or the upstream.
func (a *Authorizer) practice(ctx context.Context, org string) (practiceFacts, error) {
	return cachedFact(ctx, a.cache, "practice:"+strings.TrimPrefix(org, "Organization/"), func(ctx context.Context) (practiceFacts, error) {
		at, err := searchRoles(ctx, a.up, url.Values{"organization": {org}})
		if err != nil {
			return practiceFacts{}, err
		}
		members, roles := []string{}, []string{}
		for _, r := range at {
			roles = append(roles, "PractitionerRole/"+r.ID)
			if who := refOf(a.up, r.Practitioner, "Practitioner"); who != "" && active(r) {
				members = append(members, who)
			}
		}
		return practiceFacts{Members: sortedSet(members), Roles: sortedSet(roles)}, nil
	})
}

// active reports whether a role is in use; FHIR says a role without "active" is active.
func active(r roleResource) bool { return r.Active == nil || *r.Active }

// searchRoles returns the PractitionerRoles matching query that have a usable id, in pages of
// factPageSize.
func searchRoles(ctx context.Context, up *upstream.Client, query url.Values) ([]roleResource, error) {
	query.Set("_count", strconv.Itoa(factPageSize))
	raw, err := searchAll(ctx, up, "PractitionerRole", query)
	if err != nil {
		return nil, err
	}
	var roles []roleResource
	for _, r := range raw {
		var role roleResource
		if err := json.Unmarshal(r, &role); err != nil {
			return nil, fmt.Errorf("authz: decode PractitionerRole: %w", err)
		}
		if gateway.ValidID(role.ID) {
			roles = append(roles, role)
		}
	}
	return roles, nil
}

// refOf returns ref normalised to "Type/id" when it names typ, or "".
func refOf(up *upstream.Client, ref *reference, typ string) string {
	if ref == nil {
		return ""
	}
	if t, id, ok := normalizeRef(up, ref.Reference, typ); ok {
		return t + "/" + id
	}
	return ""
}

// factSpan starts a span under the request's own, with the tracer that made it (none when
// the request is not traced): the facts are the part of a decision that reaches the EHR.
func factSpan(ctx context.Context, name string) (context.Context, trace.Span) {
	return trace.SpanFromContext(ctx).TracerProvider().Tracer("github.com/mypatients/gateway/authz").Start(ctx, name)
}
