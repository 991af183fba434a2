package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/upstream"
)

// practitionerFacts is what the upstream says about one practitioner's practices. It is
// cached under "facts:practitioner:<id>".
type practitionerFacts struct {
	// Practices are "Organization/<id>" of the practitioner's active roles.
	Practices []string `json:"practices"`
	// Members are "Practitioner/<id>" with an active role at any of Practices, and the
	// practitioner.
	Members []string `json:"members"`
	// Roles are "PractitionerRole/<id>" of the practitioner's own roles and of every role at
	// Practices, active or not: a patient may list any of them as its PCP. Narrow uses them.
	Roles []string `json:"roles"`
}

// principal returns the policy's principal for c, with the facts behind it. A caller
// without a Practitioner has no practices and no practice members.
func (a *Authorizer) principal(ctx context.Context, cache factCache, c gateway.Caller) (Principal, practitionerFacts, error) {
	p := principalOf(c)
	if p.Practitioner == "" {
		return p, practitionerFacts{Practices: []string{}, Members: []string{}, Roles: []string{}}, nil
	}
	id := c.PractitionerID()
	facts, err := cachedFact(ctx, cache, "practitioner:"+id, func(ctx context.Context) (practitionerFacts, error) {
		return fetchPractitionerFacts(ctx, a.up, id)
	})
	if err != nil {
		return Principal{}, practitionerFacts{}, err
	}
	p.Practices = facts.Practices
	p.PracticeMembers = facts.Members
	return p, facts, nil
}

// principalOf is the principal for c without practices: all a request naming no patient
// needs, since no relationship decides it.
func principalOf(c gateway.Caller) Principal {
	return Principal{ID: c.Subject, Practitioner: practitionerRef(c), Practices: []string{}, PracticeMembers: []string{}}
}

// fetchPractitionerFacts finds the practitioner's practices (the organizations of their
// PractitionerRoles) and the practitioners with a role at each of them.
func fetchPractitionerFacts(ctx context.Context, up *upstream.Client, id string) (practitionerFacts, error) {
	self := "Practitioner/" + id
	own, err := searchRoles(ctx, up, url.Values{"practitioner": {self}})
	if err != nil {
		return practitionerFacts{}, err
	}
	members, roles := []string{self}, []string{}
	var practices []string
	for _, r := range own {
		roles = append(roles, "PractitionerRole/"+r.ID)
		if org := refOf(up, r.Organization, "Organization"); org != "" && active(r) {
			practices = append(practices, org)
		}
	}
	practices = sortedSet(practices)
	for _, org := range practices {
		atPractice, err := searchRoles(ctx, up, url.Values{"organization": {org}})
		if err != nil {
			return practitionerFacts{}, err
		}
		for _, r := range atPractice {
			roles = append(roles, "PractitionerRole/"+r.ID)
			if who := refOf(up, r.Practitioner, "Practitioner"); who != "" && active(r) {
				members = append(members, who)
			}
		}
	}
	return practitionerFacts{Practices: practices, Members: sortedSet(members), Roles: sortedSet(roles)}, nil
}

// active reports whether a role is in use; FHIR says a role without "active" is active.
func active(r roleResource) bool { return r.Active == nil || *r.Active }

// searchRoles returns the PractitionerRoles matching query that have a usable id.
func searchRoles(ctx context.Context, up *upstream.Client, query url.Values) ([]roleResource, error) {
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

// patientFacts returns the PCP facts of every patient in ids, fetched concurrently (at most
// a.fetchers at a time). The first failure cancels the rest and is returned.
func (a *Authorizer) patientFacts(ctx context.Context, cache factCache, ids []string) (map[string]PCP, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		out = make(map[string]PCP, len(ids))
		sem = make(chan struct{}, a.fetchers)
	)
	for _, id := range sortedSet(ids) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			defer func() {
				if r := recover(); r != nil {
					cancel(fmt.Errorf("authz: facts of patient %q: panic: %v", id, r))
				}
			}()
			pcp, err := a.patientPCP(ctx, cache, id)
			if err != nil {
				cancel(err)
				return
			}
			mu.Lock()
			out[id] = pcp
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// patientPCP returns one patient's PCP facts, from the cache or the upstream. A patient the
// upstream does not have, and an id that cannot exist, get empty facts: the decision must
// look the same as for an existing patient of someone else.
func (a *Authorizer) patientPCP(ctx context.Context, cache factCache, id string) (PCP, error) {
	if !gateway.ValidID(id) {
		a.log.DebugContext(ctx, "authz: patient id is not a FHIR id; no facts", "patient", id)
		return PCP{Practitioners: []string{}, Organizations: []string{}}, nil
	}
	return cachedFact(ctx, cache, "patient:"+id, func(ctx context.Context) (PCP, error) {
		return fetchPatientPCP(ctx, a.up, id)
	})
}

// fetchPatientPCP reads Patient/<id> and normalises its generalPractitioner references,
// resolving each PractitionerRole to its practitioner and organization.
func fetchPatientPCP(ctx context.Context, up *upstream.Client, id string) (PCP, error) {
	var practitioners, organizations []string
	var p patientResource
	err := up.GetJSON(ctx, "Patient/"+id, nil, &p)
	switch {
	case errors.Is(err, upstream.ErrNotFound):
		return PCP{Practitioners: []string{}, Organizations: []string{}}, nil
	case err != nil:
		return PCP{}, fmt.Errorf("authz: facts of patient %q: %w", id, err)
	case p.ResourceType != "Patient" || p.ID != id:
		return PCP{}, fmt.Errorf("authz: facts of patient %q: upstream answered with %s/%s", id, p.ResourceType, p.ID)
	}
	for _, gp := range p.GeneralPractitioner {
		typ, ref, ok := normalizeRef(up, gp.Reference, "Practitioner", "Organization", "PractitionerRole")
		switch {
		case !ok:
		case typ == "Practitioner":
			practitioners = append(practitioners, typ+"/"+ref)
		case typ == "Organization":
			organizations = append(organizations, typ+"/"+ref)
		default:
			who, org, err := resolveRole(ctx, up, ref)
			if err != nil {
				return PCP{}, fmt.Errorf("authz: facts of patient %q: %w", id, err)
			}
			practitioners = appendIf(practitioners, who)
			organizations = appendIf(organizations, org)
		}
	}
	return PCP{Practitioners: sortedSet(practitioners), Organizations: sortedSet(organizations)}, nil
}

// resolveRole returns the practitioner and organization of PractitionerRole/<id>, either
// possibly empty. A role the upstream does not have contributes nothing.
func resolveRole(ctx context.Context, up *upstream.Client, id string) (practitioner, organization string, err error) {
	var r roleResource
	err = up.GetJSON(ctx, "PractitionerRole/"+id, nil, &r)
	switch {
	case errors.Is(err, upstream.ErrNotFound):
		return "", "", nil
	case err != nil:
		return "", "", fmt.Errorf("resolve PractitionerRole %q: %w", id, err)
	case r.ResourceType != "PractitionerRole" || r.ID != id:
		return "", "", fmt.Errorf("resolve PractitionerRole %q: upstream answered with %s/%s", id, r.ResourceType, r.ID)
	}
	return refOf(up, r.Practitioner, "Practitioner"), refOf(up, r.Organization, "Organization"), nil
}

func appendIf(s []string, v string) []string {
	if v == "" {
		return s
	}
	return append(s, v)
}
