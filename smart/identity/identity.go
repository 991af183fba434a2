// Package identity maps a clinician signed in at an identity provider to their Practitioner
// at the EHR. Each provider says how: a claim holding the SMART fhirUser reference (relative,
// or absolute under the EHR's base), or a claim holding an identifier (an NPI, an employee
// number) that is searched as Practitioner?identifier=system|value with the gateway's own
// credential; identifier matches are cached in Redis under keys this package owns. It says
// who a user is, never what they may see, and it never makes an HTTP answer: the SMART server
// turns an Unresolved error into the sign-in page that explains it.
package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/upstream"
)

// Rule says how one identity provider's users are mapped to their Practitioner.
type Rule struct {
	// Claim is the ID-token claim holding "Practitioner/<id>" or "<EHR base>/Practitioner/<id>"
	// (SMART's fhirUser). Used when IdentifierClaim is empty.
	Claim string
	// IdentifierClaim and IdentifierSystem resolve the Practitioner by identifier instead: the
	// claim's value is searched as Practitioner?identifier=<IdentifierSystem>|<value>.
	IdentifierClaim  string
	IdentifierSystem string
	// Required refuses the sign-in of a user whose claim is missing. A claim that is present
	// but cannot be resolved refuses the sign-in whatever Required says.
	Required bool
}

// Reasons an identity is not resolved, for the sign-in page and the warning log.
const (
	ReasonNoClaim     = "no_claim"     // the ID token does not carry the configured claim
	ReasonOtherServer = "other_server" // the fhirUser names another server or is not a Practitioner
	ReasonNotFound    = "not_found"    // no Practitioner has the identifier
	ReasonAmbiguous   = "ambiguous"    // several Practitioners have it
)

// Unresolved is the error of an identity that has no Practitioner. Refuse says whether the
// sign-in must stop; otherwise the user goes on without a Practitioner (staff, say).
type Unresolved struct {
	Reason string
	Refuse bool
}

func (u *Unresolved) Error() string { return "identity: practitioner not resolved: " + u.Reason }

// Options configures a Resolver.
type Options struct {
	// Rules are keyed by identity provider id; a provider without a rule has no practitioners.
	Rules map[string]Rule
	// Upstream is the EHR, searched with the gateway's own credential.
	Upstream *upstream.Client
	// Redis caches identifier matches for CacheTTL under KeyPrefix.
	Redis     redis.UniversalClient
	KeyPrefix string
	CacheTTL  time.Duration
	Logger    *slog.Logger
}

// Resolver maps identities to Practitioners. It is safe for concurrent use.
type Resolver struct {
	opts Options
	log  *slog.Logger
}

// New returns a Resolver for opts.
func New(opts Options) *Resolver {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Resolver{opts: opts, log: log}
}

// Practitioner returns "Practitioner/<id>" for the user of idp whose ID-token claims are
// given. An identity without one is an *Unresolved error (logged as a warning when it refuses
// the sign-in); any other error means the EHR or Redis could not be asked.
func (r *Resolver) Practitioner(ctx context.Context, idp string, claims map[string]any) (string, error) {
	rule, ok := r.opts.Rules[idp]
	if !ok {
		return "", &Unresolved{Reason: ReasonNoClaim}
	}
	ref, err := r.resolve(ctx, rule, claims)
	var un *Unresolved
	if errors.As(err, &un) && un.Refuse {
		r.log.WarnContext(ctx, "identity: a clinician's practitioner could not be resolved; sign-in refused",
			"idp", idp, "reason", un.Reason, "claim", rule.claimName())
	}
	return ref, err
}

func (r *Resolver) resolve(ctx context.Context, rule Rule, claims map[string]any) (string, error) {
	value, ok := claimValue(claims[rule.claimName()])
	if !ok {
		return "", &Unresolved{Reason: ReasonNoClaim, Refuse: rule.Required}
	}
	if rule.IdentifierClaim == "" {
		return r.fhirUser(value)
	}
	return r.byIdentifier(ctx, rule.IdentifierSystem, value)
}

// fhirUser accepts "Practitioner/<id>", or the same absolute under the EHR's base.
func (r *Resolver) fhirUser(ref string) (string, error) {
	rel, ok := r.opts.Upstream.Relative(ref)
	if !ok {
		return "", &Unresolved{Reason: ReasonOtherServer, Refuse: true}
	}
	typ, id, ok := splitRef(rel)
	if !ok || typ != "Practitioner" {
		return "", &Unresolved{Reason: ReasonOtherServer, Refuse: true}
	}
	return "Practitioner/" + id, nil
}

func (rule Rule) claimName() string {
	if rule.IdentifierClaim != "" {
		return rule.IdentifierClaim
	}
	return rule.Claim
}

// claimValue returns a claim as a non-empty string; an NPI may come as a JSON number.
func claimValue(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, v != ""
	case float64:
		if v == float64(int64(v)) && v >= 0 {
			return strconv.FormatInt(int64(v), 10), true
		}
	}
	return "", false
}

// splitRef splits "Type/id" with a valid FHIR id.
func splitRef(ref string) (typ, id string, ok bool) {
	for i := 0; i < len(ref); i++ {
		if ref[i] == '/' {
			typ, id = ref[:i], ref[i+1:]
			return typ, id, typ != "" && gateway.ValidID(id)
		}
	}
	return "", "", false
}

// errStore wraps a cache fault: it is the gateway's, not the user's.
func errStore(what string, err error) error { return fmt.Errorf("identity: %s: %w", what, err) }
