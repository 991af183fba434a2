// Package authz decides whether a caller may read the FHIR data of the patients a request
// names, or the hospital directory when it names none. It gathers the facts in Go (the
// principal's practitioner, practices and practice members and each patient's primary care
// providers, read from the upstream FHIR server with the gateway's own credential and kept in
// its own fact cache in Redis; the family's grants and the accounts' standing, read fresh),
// builds the policy input document and asks the embedded Rego policy (package policies) with
// OPA. It is the only package that imports OPA. Every rule lives in the policy: nothing here
// decides access, standing or a reason, and Narrow only confines a search that Decide then
// checks entry by entry. Every fault (upstream, Redis, policy) is returned as an error, and
// callers must then deny; it never makes an HTTP response or an audit record itself. For
// auditors it also runs the policy's own tests with rule and reason-code coverage
// (policytest.go, coverage.go) and explains one decision on a document they give, with the
// rules that produced it (document.go, explain.go); both read OPA's evaluation trace through
// the index of the policy's rules in rulebook.go.
package authz

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/policies"
	"github.com/mypatients/gateway/upstream"
)

// ErrNotNarrowable is returned by Narrow for a resource type whose searches cannot be
// confined to visible patients; the caller refuses such a search.
var ErrNotNarrowable = errors.New("authz: this search cannot be confined to visible patients")

// Options configures an Authorizer.
type Options struct {
	// Upstream is the hospital FHIR server, reached with the gateway's own credential.
	Upstream *upstream.Client
	// Redis keeps the facts read from the upstream for FactsTTL, under KeyPrefix. Required.
	Redis     redis.UniversalClient
	KeyPrefix string
	// FactsTTL bounds how stale a fact may be: a changed PCP or practice takes effect at
	// the latest this long after the change. Must be positive.
	FactsTTL time.Duration
	// Logger receives debug lines about decisions; nil discards them.
	Logger *slog.Logger
}

// fetchers bounds how many patients' facts one request fetches at the same time.
const fetchers = 8

// Authorizer makes access decisions. It is safe for concurrent use.
type Authorizer struct {
	up       *upstream.Client
	cache    factCache
	log      *slog.Logger
	fetchers int
	// grants and sponsors are read on every decision; nil leaves those facts out (see
	// UseRelationships).
	grants   GrantReader
	sponsors SponsorReader
	// policy is swapped as a whole when policies are reloaded, so a request evaluates either
	// the old or the new bundle, never a mixture.
	policy atomic.Pointer[Policy]
}

// New returns an Authorizer deciding with the embedded policy bundle, compiled and
// prepared once here.
func New(ctx context.Context, opts Options) (*Authorizer, error) {
	var problems []error
	if opts.Upstream == nil {
		problems = append(problems, errors.New("authz: an upstream client is required"))
	}
	if opts.Redis == nil {
		problems = append(problems, errors.New("authz: a Redis client for the facts cache is required"))
	}
	if opts.FactsTTL <= 0 {
		problems = append(problems, fmt.Errorf("authz: facts TTL must be positive, not %s", opts.FactsTTL))
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p, err := LoadPolicy(ctx, policies.FS)
	if err != nil {
		return nil, err
	}
	a := &Authorizer{up: opts.Upstream, cache: factCache{rdb: opts.Redis, prefix: opts.KeyPrefix, ttl: opts.FactsTTL},
		log: log, fetchers: fetchers}
	a.policy.Store(p)
	return a, nil
}

// PolicyRevision identifies the policy bundle the Authorizer decides with.
func (a *Authorizer) PolicyRevision() string { return a.policy.Load().Revision() }

// Decide gathers the facts for c and req, evaluates the policy and returns its decision with
// a fresh DecisionID. An error means no decision could be made; the caller must deny.
func (a *Authorizer) Decide(ctx context.Context, c gateway.Caller, req gateway.Request) (gateway.Decision, error) {
	r, err := a.read(ctx, c, req.Patients) // reads.go: one round trip to Redis
	if err != nil {
		return gateway.Decision{}, err
	}
	st, err := a.whoCounts(ctx, c, r)
	if err != nil {
		return gateway.Decision{}, err
	}
	// A request naming no patient (a directory read) is decided without relationships, so
	// it asks the upstream nothing.
	principal, facts := principalOf(st.counted), r.cache(a.cache)
	if len(req.Patients) > 0 {
		if principal, _, err = a.principal(ctx, facts, st.counted); err != nil {
			return gateway.Decision{}, err
		}
	}
	patients, err := a.patientFacts(ctx, facts, req.Patients)
	if err != nil {
		return gateway.Decision{}, err
	}
	withPracticeMembers(&principal, patients)
	input := buildInput(c, req, principal, pcps(patients))
	st.addTo(&input, time.Now())
	if err := a.addGrants(ctx, r, &input, req.Patients); err != nil {
		return gateway.Decision{}, err
	}
	d, err := a.policy.Load().Evaluate(ctx, input)
	if err != nil {
		return gateway.Decision{}, err
	}
	d.DecisionID = rand.Text()
	a.log.DebugContext(ctx, "authz: decision",
		"decision_id", d.DecisionID, "allow", d.Allow, "subject", c.Subject,
		"interaction", req.Interaction, "resource_type", req.ResourceType,
		"patients", len(req.Patients), "basis", d.Basis, "policy_revision", d.PolicyRevision)
	return d, nil
}
