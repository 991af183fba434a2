// Package fhirproxy is the gateway's FHIR API at /fhir. Each request goes through a short
// pipeline whose steps are files of their own, in this order (ServeHTTP reads as the list):
// authenticate.go verifies the bearer token; parse.go turns the request into a canonical read or
// search of a served type, with the parameters one table allows (params.go); decide.go asks the
// Authorizer about the patients the request names, or narrows a search naming none; fetch.go
// sends only the canonical request upstream, with the gateway's own credential; filter.go reads
// what came back and whose it is, decide.go asks about the patients found in it, and filter.go
// keeps only what is allowed (a read's resource, each Bundle entry, paging links); audit.go
// writes one audit record, and only then answer.go releases the answer. Every refusal is a FHIR
// OperationOutcome (refusal.go). Two SMART rules of the token's launch context shape a request
// before the Authorizer sees it (launch.go). Handler.SearchAs lets the gateway itself (the
// standalone-launch patient picker) search as an authenticated caller on this same path,
// audited alike. It depends on small interfaces of its own for authentication, authorization
// and audit; it must not import OPA, the SMART server or any store, and it never decides
// access itself: every decision, the directory's included, is the Authorizer's.
package fhirproxy

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/upstream"
)

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
	trail      audit.Writer
	log        *slog.Logger
	parser     parser
	links      *linkRewriter
	scrub      scrubber
	scans      scanPool
	timeout    time.Duration
	maxBody    int64
	capability []byte
}

// New validates opts and returns a Handler.
func New(opts Options) (*Handler, error) {
	public, err := opts.check()
	if err != nil {
		return nil, fmt.Errorf("fhirproxy: %w", err)
	}
	h := &Handler{
		up: opts.Upstream, public: public, authn: opts.Authn, authz: opts.Authz, trail: opts.Audit,
		log: cmp.Or(opts.Logger, slog.Default()), timeout: cmp.Or(opts.Timeout, 30*time.Second),
		maxBody: cmp.Or(opts.MaxResponseBytes, 32<<20), scrub: newScrubber(opts.Upstream.Base(), public),
	}
	types := resourceTable()
	h.parser = parser{prefix: public.Path, types: types, typeNames: map[string]string{},
		refs: newRefResolver(public, opts.Upstream.Base()), maxCount: cmp.Or(opts.MaxCount, 100)}
	for name := range types {
		h.parser.typeNames[name] = name
	}
	if h.links, err = newLinkRewriter(opts.Upstream.Base(), public, &h.parser, opts.PageKey); err != nil {
		return nil, fmt.Errorf("fhirproxy: %w", err)
	}
	if h.capability, err = capabilityStatement(types, public.String(), opts.SecurityExtensions); err != nil {
		return nil, fmt.Errorf("fhirproxy: %w", err)
	}
	return h, nil
}

// check returns the parsed PublicBase, or every problem of the options at once.
func (opts Options) check() (*url.URL, error) {
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
	return public, errors.Join(problems...)
}

// exchange is one request as its steps returned it: who asked, what was parsed, what was
// decided and the answer. The steps never see it; the audit record and the log line are built
// from it.
type exchange struct {
	id, method, path string // path: the escaped URL path, for the log
	start            time.Time
	caller           *gateway.Caller // nil: the request was not authenticated
	req              *fhirRequest    // nil: it was not parsed (or, for SearchAs, is no search)
	decided          decisions
	answer           *answer
}

// newExchange starts the exchange of one request.
func newExchange(method, path string) exchange {
	// The request id is always ours: a client's X-Request-Id would let it forge or collide
	// with other records in the audit trail.
	return exchange{id: rand.Text(), method: method, path: path, start: time.Now()}
}

// ServeHTTP answers one FHIR request. It is the whole pipeline: each step returns what it found
// or a refusal that ends the request, and the audit record is built from what the steps
// returned.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.EscapedPath() == h.public.Path+"/metadata" {
		// The CapabilityStatement is public, static and about no patient, like SMART discovery;
		// it is neither authenticated nor audited.
		h.serveMetadata(w)
		return
	}
	ctx, ex := r.Context(), newExchange(r.Method, r.URL.EscapedPath())
	caller, rf := h.authenticate(ctx, r.Header) // authenticate.go
	if rf == nil {
		ex.caller = &caller
		ex.req, rf = h.parse(r) // parse.go
	}
	if rf == nil {
		ex.decided, ex.answer = h.serve(ctx, ex.id, caller, ex.req) // decide, fetch, filter
	} else {
		ex.answer = refused(rf)
	}
	done := h.audit(ctx, ex)           // audit.go: no record, no data
	writeAnswer(w, ex.id, done.answer) // answer.go
	h.logLine(ctx, ex, done)
}

// serve runs the steps of a parsed request by an authenticated caller; HTTP requests and
// SearchAs meet here. The Authorizer is asked in two places only: decideBefore, about what the
// request names, before the upstream is asked; decideFound, about what the answer holds that
// no decision covers yet. It returns every decision taken, for the audit record, and the
// answer.
func (h *Handler) serve(ctx context.Context, id string, c gateway.Caller, req *fhirRequest) (decisions, *answer) {
	release, err := h.up.Admit(cmp.Or(c.Subject, "client:"+c.ClientID)) // one caller's share of the upstream
	if err != nil {
		return nil, refused(busy(err))
	}
	defer release()
	if rf := h.links.checkPage(c, req); rf != nil { // links.go
		return nil, refused(rf)
	}
	c = withFHIRUserRead(c, req)                // launch.go
	named, q, rf := h.decideBefore(ctx, c, req) // decide.go
	switch {
	case rf != nil:
		return named, refused(rf)
	case q.nothing:
		return named, encoded(h.emptySearchset(c, req)) // filter.go
	}
	reply, rf := h.fetch(ctx, id, req, q.query) // fetch.go
	if rf != nil {
		return named, refused(rf)
	}
	got, rf := h.inspectReply(ctx, req, reply) // filter.go
	if rf != nil {
		return named, refused(rf)
	}
	// The scan's buffers go back after the release: nothing of got is used then.
	defer h.scans.put(got.scan)
	found, rf := h.decideFound(ctx, c, req, named, got) // decide.go
	all := slices.Concat(named, found)
	if rf != nil {
		return all, refused(rf)
	}
	return all, h.release(c, req, q.added, got, all.access()) // filter.go
}
