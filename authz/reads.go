package authz

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/sharing/grants"
)

// reads are the Redis reads one decision needs, queued on one pipeline so that together they
// cost one round trip: the standing of the user and of the sponsor their token names, the
// user's staff record, the grants to the principal among the request's patients, and the
// cached facts of the user's practitioner and of each patient. Each store queues its own
// commands (it still owns its keys), and nothing is cached here: every request reads afresh,
// so a revocation or suspension holds on its very next request. A read that the guesses made
// before the round trip missed (a staff member's sponsor's practitioner; the sponsor of a
// token that names none) is made afterwards, on its own.
type reads struct {
	standing map[string]func() (string, error) // by account id
	staff    func() (accounts.Staff, error)    // the caller's staff record
	grants   map[string]func() (map[string]grants.Grant, error)
	facts    map[string]*redis.StringCmd // by fact name
}

// read queues the reads of a decision by c about patients and runs them.
func (a *Authorizer) read(ctx context.Context, c gateway.Caller, patients []string) (*reads, error) {
	pipe := a.cache.rdb.Pipeline()
	r := &reads{standing: map[string]func() (string, error){}, grants: map[string]func() (map[string]grants.Grant, error){},
		facts: map[string]*redis.StringCmd{}}
	if a.sponsors != nil {
		r.staff = a.sponsors.QueueGet(ctx, pipe, c.Subject)
		for _, id := range []string{c.Subject, c.Sponsor} {
			if id != "" {
				r.standing[id] = a.sponsors.QueueStanding(ctx, pipe, id)
			}
		}
	}
	if len(patients) > 0 { // a request naming no patient is decided without relationships
		principal := cmp.Or(c.Sponsor, c.Subject)
		if a.grants != nil {
			r.grants[principal] = a.grants.QueueForClinician(ctx, pipe, principal, sortedSet(patients))
		}
		if id := c.PractitionerID(); c.Sponsor == "" && practitionerRef(c) != "" {
			r.facts[practitionerFactName(id)] = a.cache.queue(ctx, pipe, practitionerFactName(id))
		}
		for _, id := range sortedSet(patients) {
			if gateway.ValidID(id) {
				r.facts[patientFactName(id)] = a.cache.queue(ctx, pipe, patientFactName(id))
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) { // a missing key is an answer
		return nil, fmt.Errorf("authz: read the decision's facts: %w", err)
	}
	return r, nil
}

// standingOf returns the standing of account id, from r when it was read there.
func (a *Authorizer) standingOf(ctx context.Context, r *reads, id string) (string, error) {
	if r != nil && r.standing[id] != nil {
		return r.standing[id]()
	}
	return a.sponsors.Standing(ctx, id)
}

// staffOf returns c's staff record, from r when it was read there.
func (a *Authorizer) staffOf(ctx context.Context, r *reads, c gateway.Caller) (accounts.Staff, error) {
	if r != nil && r.staff != nil {
		return r.staff()
	}
	return a.sponsors.Get(ctx, c.Subject)
}

// grantsTo returns the grants to principal among patients (sorted), from r when read there.
func (a *Authorizer) grantsTo(ctx context.Context, r *reads, principal string, patients []string) (map[string]grants.Grant, error) {
	if r != nil && r.grants[principal] != nil {
		return r.grants[principal]()
	}
	return a.grants.ForClinician(ctx, principal, patients)
}

// cache is the fact cache answering first from the facts r read.
func (r *reads) cache(c factCache) factCache {
	if r != nil {
		c.read = r.facts
	}
	return c
}
