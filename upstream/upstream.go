// Package upstream is the gateway's own connection to the hospital's FHIR server: its base URL,
// the gateway's credential and the HTTP transport with its timeouts. The FHIR proxy forwards
// clinicians' requests through it and the authorizer fetches relationship facts with it. It
// knows nothing about users or policy, and it must never forward a caller's credential.
package upstream

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrNotFound is returned by GetJSON when the upstream answers 404 or 410.
var ErrNotFound = errors.New("upstream: resource not found")

// maxFactBody bounds what GetJSON reads; fact lookups are single resources or small pages.
const maxFactBody = 8 << 20

// Options configures a Client.
type Options struct {
	// BaseURL is the FHIR base, for example "https://ehr.example.org/fhir".
	BaseURL string
	// BearerToken is the gateway's own static credential at the upstream; empty sends none.
	BearerToken string
	// Backend, when set, obtains the credential with SMART Backend Services instead.
	Backend *Backend
	// TLS is the CA bundle and client certificate toward the EHR.
	TLS TLS
	// ConnectTimeout bounds dialing; HeaderTimeout bounds waiting for response headers;
	// Timeout bounds a whole fact lookup.
	ConnectTimeout, HeaderTimeout, Timeout time.Duration
	// Instrument, when set, wraps the round tripper below the credential and above the
	// circuit breaker, so that it sees every attempt (metrics, traces).
	Instrument func(http.RoundTripper) http.RoundTripper
	// BreakerThreshold is how many consecutive failures (transport errors, 5xx) open the
	// circuit (0 means 5); BreakerCooldown is how long it stays open (0 means 10s). The data
	// reads and the fact lookups each have a breaker of their own.
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// DataConcurrency and FactConcurrency bound the requests in flight of each lane (0 means
	// 64 and 32): neither can take the other's share of the upstream.
	DataConcurrency, FactConcurrency int
	// CallerConcurrency bounds the FHIR requests one caller may have in flight at once (0
	// means 8), so that no single clinician can exhaust the upstream or its breakers (Admit).
	CallerConcurrency int
}

// Client talks to the upstream FHIR server as the gateway.
type Client struct {
	base        *url.URL
	data, facts http.RoundTripper
	breakers    []*breaker
	callers     *callers
	timeout     time.Duration
}

// New returns a Client for opts.
func New(opts Options) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("upstream: base URL %q is not an absolute http(s) URL", opts.BaseURL)
	}
	tr, err := newTransport(opts)
	if err != nil {
		return nil, err
	}
	threshold, cooldown := opts.BreakerThreshold, opts.BreakerCooldown
	if threshold <= 0 {
		threshold = 5
	}
	if cooldown <= 0 {
		cooldown = 10 * time.Second
	}
	var backend *backendToken
	if opts.Backend != nil {
		// The token endpoint is asked through the same TLS and proxy settings, outside the
		// EHR's circuit breakers.
		client := &http.Client{Transport: tr, Timeout: opts.Timeout + opts.ConnectTimeout}
		if backend, err = newBackendToken(*opts.Backend, base.String(), client); err != nil {
			return nil, err
		}
	}
	c := &Client{base: base, timeout: opts.Timeout, callers: &callers{limit: cmp.Or(opts.CallerConcurrency, 8), busy: map[string]int{}}}
	lane := func(n int) http.RoundTripper {
		b := newBreaker(newLane(tr, n), threshold, cooldown)
		c.breakers = append(c.breakers, b)
		var next http.RoundTripper = b
		if opts.Instrument != nil {
			next = opts.Instrument(b)
		}
		return &authorizing{next: next, static: opts.BearerToken, backend: backend}
	}
	c.data, c.facts = lane(cmp.Or(opts.DataConcurrency, 64)), lane(cmp.Or(opts.FactConcurrency, 32))
	return c, nil
}

// Admit takes one of the caller's slots of upstream work (CallerConcurrency); release gives
// it back. ErrBusy means the caller has as many requests in flight as one caller may.
func (c *Client) Admit(caller string) (release func(), err error) { return c.callers.admit(caller) }

// Base returns a copy of the upstream FHIR base URL.
func (c *Client) Base() *url.URL {
	u := *c.base
	return &u
}

// Transport returns the round tripper for the clinicians' data reads, in their own lane behind
// their own circuit breaker (ErrCircuitOpen while open). It sets the gateway's own credential,
// replacing anything the request carries.
func (c *Client) Transport() http.RoundTripper { return c.data }

// URL returns the absolute upstream URL for a path below the base ("Patient/123") and query.
func (c *Client) URL(path string, query url.Values) *url.URL {
	u := c.Base()
	u.Path = u.Path + "/" + strings.TrimLeft(path, "/")
	u.RawPath = ""
	u.RawQuery = query.Encode()
	return u
}

// GetJSON reads path (relative to the base) with query as the gateway, in the fact lookups'
// lane, and decodes the JSON answer into v. A 404 or 410 is ErrNotFound; any other non-2xx status is an error.
func (c *Client) GetJSON(ctx context.Context, path string, query url.Values, v any) error {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(path, query).String(), nil)
	if err != nil {
		return fmt.Errorf("upstream: build request for %s: %w", path, err)
	}
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("Prefer", "handling=strict")
	resp, err := c.facts.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("upstream: GET %s: %w", path, Classify(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &StatusError{Path: path, Status: resp.StatusCode}
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxFactBody)).Decode(v); err != nil {
		return fmt.Errorf("upstream: decode %s: %w", path, err)
	}
	return nil
}
