// Package fhirproxy is the gateway's FHIR API at /fhir: it authenticates the bearer token,
// parses each request into a canonical read or search of a served type (parameters allowed by
// one table), asks the Authorizer about the patients it names, forwards only the canonical
// request to the upstream FHIR server with the gateway's own credential, checks and filters what
// comes back (a read's patient, each Bundle entry's patient, paging links), writes one audit
// record and only then releases the answer. Every refusal is a FHIR OperationOutcome. Two SMART
// rules of the token's launch context shape a request before the Authorizer sees it (launch.go):
// a token may read its own fhirUser resource, and patient/ scopes confine a search naming no
// patient to the launch patient. Handler.SearchAs lets the gateway itself (the standalone-launch
// patient picker) search as an authenticated caller on this same path, audited alike. It
// depends on small interfaces of its own for authentication, authorization and audit; it must
// not import OPA, the SMART server or any store, and it never decides access itself.
package fhirproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/upstream"
)

// Authenticator verifies a bearer access token. Any error means the token is not acceptable
// and the request is answered 401; the error's text is logged, never shown.
type Authenticator interface {
	Authenticate(ctx context.Context, bearerToken string) (gateway.Caller, error)
}

// Authorizer decides access; the proxy never decides by itself.
type Authorizer interface {
	// Decide answers whether c may perform req for all of req.Patients. An error is a failure
	// to decide and is answered 503 with no data (fail closed).
	Decide(ctx context.Context, c gateway.Caller, req gateway.Request) (gateway.Decision, error)
	// Narrow returns extra upstream search parameters that restrict a search of resourceType
	// naming no patient to the patients c may see (for example an _id list). ok=false means
	// c can see no patient at all: the proxy answers an empty searchset without asking the
	// upstream. The proxy still checks every returned entry with Decide.
	Narrow(ctx context.Context, c gateway.Caller, resourceType string) (params url.Values, ok bool, err error)
}

// Options configures a Handler.
type Options struct {
	// Upstream is the hospital FHIR server, reached with the gateway's own credential.
	Upstream *upstream.Client
	// PublicBase is the FHIR base as clients see it, e.g. "http://127.0.0.1:8080/fhir". Its
	// path is where the Handler is mounted (with the full path, no StripPrefix).
	PublicBase string
	// Authn verifies bearer tokens (the SMART server).
	Authn Authenticator
	// Authz decides access (the authz package, adapted to this interface).
	Authz Authorizer
	// Audit stores one record per request; a failed write withholds the data (503).
	Audit audit.Writer
	// Logger receives one JSON line per request; nil means slog.Default().
	Logger *slog.Logger
	// MaxCount caps _count; 0 means 100.
	MaxCount int
	// Timeout bounds one whole upstream exchange, body included; 0 means 30s. The upstream
	// client's transport has its own connect and header timeouts.
	Timeout time.Duration
	// MaxResponseBytes bounds an upstream body; 0 means 32 MiB. Larger answers are a 502.
	MaxResponseBytes int64
	// PageKey signs the paging links the gateway writes, binding each to the caller's user,
	// client and token; at least 32 bytes. Empty uses a random key, so links stop working when
	// the process restarts (a client then repeats the search).
	PageKey []byte
	// SecurityExtensions are FHIR extensions added to the CapabilityStatement's
	// rest.security, e.g. the SMART oauth-uris extension. Each must be a JSON object.
	SecurityExtensions []json.RawMessage
}

// Handler serves the FHIR API. Create it with New.
type Handler struct {
	up         *upstream.Client
	public     *url.URL
	authn      Authenticator
	authz      Authorizer
	audit      audit.Writer
	log        *slog.Logger
	parser     parser
	links      *linkRewriter
	timeout    time.Duration
	maxBody    int64
	capability []byte
}

// New validates opts and returns a Handler.
func New(opts Options) (*Handler, error) {
	var problems []error
	if opts.Upstream == nil {
		problems = append(problems, errors.New("option Upstream is required"))
	}
	public, err := url.Parse(strings.TrimRight(opts.PublicBase, "/"))
	if err != nil || (public.Scheme != "http" && public.Scheme != "https") || public.Host == "" {
		problems = append(problems, fmt.Errorf("PublicBase %q is not an absolute http(s) URL", opts.PublicBase))
	}
	if opts.Authn == nil || opts.Authz == nil || opts.Audit == nil {
		problems = append(problems, errors.New("options Authn, Authz and Audit are required"))
	}
	if opts.MaxCount < 0 || opts.Timeout < 0 || opts.MaxResponseBytes < 0 {
		problems = append(problems, errors.New("MaxCount, Timeout and MaxResponseBytes must not be negative"))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("fhirproxy: %w", errors.Join(problems...))
	}
	h := &Handler{
		up: opts.Upstream, public: public, authn: opts.Authn, authz: opts.Authz, audit: opts.Audit,
		log: opts.Logger, timeout: opts.Timeout, maxBody: opts.MaxResponseBytes,
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.timeout == 0 {
		h.timeout = 30 * time.Second
	}
	if h.maxBody == 0 {
		h.maxBody = 32 << 20
	}
	maxCount := opts.MaxCount
	if maxCount == 0 {
		maxCount = 100
	}
	types := resourceTable()
	h.parser = parser{prefix: public.Path, types: types,
		refs: newRefResolver(public, opts.Upstream.Base()), maxCount: maxCount}
	if h.links, err = newLinkRewriter(opts.Upstream.Base(), public, &h.parser, opts.PageKey); err != nil {
		return nil, fmt.Errorf("fhirproxy: %w", err)
	}
	if h.capability, err = capabilityStatement(types, public.String(), opts.SecurityExtensions); err != nil {
		return nil, fmt.Errorf("fhirproxy: %w", err)
	}
	return h, nil
}

// ServeHTTP answers one FHIR request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.EscapedPath() == h.public.Path+"/metadata" {
		// The CapabilityStatement is public, static and about no patient, like SMART discovery;
		// it is neither authenticated nor audited.
		h.serveMetadata(w, r)
		return
	}
	ex := h.newExchange(r.Method, r.URL.EscapedPath())
	ex.finish(r.Context(), h.serve(r.Context(), ex, r), func(a *answer) { ex.write(w, a) })
}

// serve authenticates and parses an HTTP request, then serves it. Each step's refusal ends it.
func (h *Handler) serve(ctx context.Context, ex *exchange, r *http.Request) *answer {
	if rf := h.authenticate(ctx, ex, r); rf != nil {
		return refused(rf)
	}
	req, rf := h.parseRequest(r)
	if rf != nil {
		return refused(rf)
	}
	return h.serveParsed(ctx, ex, req)
}

// serveParsed runs the checks of a canonical request by the exchange's authenticated caller in
// order and returns its answer; HTTP requests and SearchAs meet here. Each step's refusal ends
// it.
func (h *Handler) serveParsed(ctx context.Context, ex *exchange, req *fhirRequest) *answer {
	ex.setRequest(req)
	if req.PageToken != "" && !h.links.verify(*ex.caller, req) {
		return refused(forbidden(reasonPageToken, "This paging link belongs to another session; repeat the search instead."))
	}
	c := withFHIRUserRead(*ex.caller, req) // the token's own fhirUser resource: launch.go
	ex.caller = &c
	if req.Interaction == gateway.Search {
		return h.search(ctx, ex, req)
	}
	return h.read(ctx, ex, req)
}

// authenticate extracts the bearer token (RFC 6750 §2.1: the Authorization header only) and
// verifies it.
func (h *Handler) authenticate(ctx context.Context, ex *exchange, r *http.Request) *refusal {
	token, err := gateway.BearerToken(r.Header)
	if err != nil {
		return &refusal{Status: http.StatusUnauthorized, Code: codeLogin, Reason: reasonUnauthenticated,
			Diagnostics: "A bearer access token is required."}
	}
	caller, err := h.authn.Authenticate(ctx, token)
	switch {
	case errors.Is(err, gateway.ErrInvalidToken):
		return &refusal{Status: http.StatusUnauthorized, Code: codeLogin, Reason: reasonInvalidToken,
			Diagnostics: "The access token is invalid or expired.", Err: err}
	case err != nil:
		// The token could not be checked (its store is down): fail closed, but tell the app to
		// retry rather than to send the clinician through sign-in again.
		return &refusal{Status: http.StatusServiceUnavailable, Code: codeTransient, Reason: reasonAuthnError,
			Diagnostics: "Your sign-in could not be checked right now; no data was released. Try again shortly.", Err: err}
	}
	ex.caller = &caller
	return nil
}

// decide asks the authorizer and records the decision in the exchange for the audit record.
func (h *Handler) decide(ctx context.Context, ex *exchange, interaction, typ string, patients []string) (gateway.Decision, *refusal) {
	d, err := h.authz.Decide(ctx, *ex.caller, gateway.Request{Interaction: interaction, ResourceType: typ, Patients: patients})
	if err != nil {
		return gateway.Decision{}, authzFailed(fmt.Errorf("decide %s %s: %w", interaction, typ, err))
	}
	ex.noteDecision(d)
	return d, nil
}

// denialMessage is the plain-words reason of a denial, for the caller.
func denialMessage(d gateway.Decision) string {
	for _, r := range d.Reasons {
		if r.Message != "" {
			return r.Message
		}
	}
	for _, id := range sortedKeys(d.Patients) {
		if pd := d.Patients[id]; !pd.Allowed && pd.Reason != nil && pd.Reason.Message != "" {
			return pd.Reason.Message
		}
	}
	return "Access denied."
}

// denialNextSteps are the next steps the policy offers for a denial: those of the first
// refused patient that has any.
func denialNextSteps(d gateway.Decision) []string {
	for _, r := range d.Reasons {
		if r.NextSteps != "" {
			return strings.Fields(r.NextSteps)
		}
	}
	for _, id := range sortedKeys(d.Patients) {
		if pd := d.Patients[id]; !pd.Allowed && pd.Reason != nil && pd.Reason.NextSteps != "" {
			return strings.Fields(pd.Reason.NextSteps)
		}
	}
	return nil
}

// denialReason is the machine code of a denial, for the audit record.
func denialReason(d gateway.Decision) string {
	for _, r := range d.Reasons {
		if r.Code != "" {
			return r.Code
		}
	}
	for _, id := range sortedKeys(d.Patients) {
		if pd := d.Patients[id]; !pd.Allowed && pd.Reason != nil {
			return pd.Reason.Code
		}
	}
	return "denied"
}
