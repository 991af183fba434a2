package authz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/upstream"
)

// patientFact is what is cached of one patient under "facts:pcp:<id>": its PCPs as the policy
// sees them and, read with them, the practices of each PCP practitioner (the organizations of
// their active roles), so that a decision learns whether a PCP shares the caller's practice
// without listing any practice.
type patientFact struct {
	PCP
	// PracticesOf maps each of PCP.Practitioners to its practices.
	PracticesOf map[string][]string `json:"practices_of"`
}

// patientFacts returns the facts of every patient in ids, fetched concurrently (at most
// a.fetchers at a time). The first failure cancels the rest and is returned.
func (a *Authorizer) patientFacts(ctx context.Context, cache factCache, ids []string) (map[string]patientFact, error) {
	ctx, span := factSpan(ctx, "authz.facts.patients")
	defer span.End()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		out = make(map[string]patientFact, len(ids))
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
			pcp, err := a.patientFact(ctx, cache, id)
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

// patientFact returns one patient's facts, from the cache or the upstream. A patient the
// upstream does not have, and an id that cannot exist, get empty facts: the decision must
// look the same as for an existing patient of someone else.
func (a *Authorizer) patientFact(ctx context.Context, cache factCache, id string) (patientFact, error) {
	if !gateway.ValidID(id) {
		a.log.DebugContext(ctx, "authz: patient id is not a FHIR id; no facts", "patient", id)
		return patientFact{PCP: PCP{Practitioners: []string{}, Organizations: []string{}}}, nil
	}
	return cachedFact(ctx, cache, patientFactName(id), func(ctx context.Context) (patientFact, error) {
		pcp, err := fetchPatientPCP(ctx, a.up, id)
		if err != nil {
			return patientFact{}, err
		}
		f := patientFact{PCP: pcp, PracticesOf: map[string][]string{}}
		for _, who := range pcp.Practitioners {
			roles, err := a.rolesOf(ctx, a.cache, strings.TrimPrefix(who, "Practitioner/"))
			if err != nil {
				return patientFact{}, fmt.Errorf("authz: facts of patient %q: %w", id, err)
			}
			f.PracticesOf[who] = roles.Practices
		}
		return f, nil
	})
}

// pcps is the policy's pcp_of: each patient's PCPs.
func pcps(patients map[string]patientFact) map[string]PCP {
	out := make(map[string]PCP, len(patients))
	for id, f := range patients {
		out[id] = f.PCP
	}
	return out
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
