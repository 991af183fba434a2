// Package app is an example third-party SMART app that `mypatients` serves in demo mode
// (127.0.0.1:8765): a real, standalone-launch SMART client registered at the gateway as the
// public client "demo-app". It exists to show what the clinicians' portal does not: a
// third-party app's consent screen and its scoped token. Clinicians use the portal. It discovers the gateway's endpoints, signs the user in with the authorization
// code flow and PKCE S256, then calls the gateway's FHIR API with the bearer token and shows in
// plain HTML what the gateway returned or why it refused. Session state lives in memory only;
// nothing is persisted. It must stay an ordinary client of the gateway: it never imports the
// gateway's packages, reads its stores or looks inside its access tokens.
package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultScope is the scope requested when Options.Scope is empty: read and search access to
// the four resource types the app shows.
const DefaultScope = "user/Patient.rs user/Encounter.rs user/Observation.rs user/MedicationRequest.rs"

// Options configure the demo app.
type Options struct {
	// Addr is where the app listens, for log messages only; the caller owns the listener.
	Addr string
	// RedirectURI is the registered redirect URI, e.g. "http://127.0.0.1:8765/callback". The
	// app serves its callback at this URI's path.
	RedirectURI string
	// ClientID is the app's client id at the gateway ("demo-app"); it is a public client, so
	// it authenticates with PKCE alone.
	ClientID string
	// GatewayBase is the gateway's base URL, e.g. "http://127.0.0.1:8080". Discovery is read
	// from GatewayBase+"/.well-known/smart-configuration"; the FHIR base is GatewayBase+"/fhir".
	GatewayBase string
	// Scope is the space-separated scope to request; empty means DefaultScope.
	Scope string
	// HTTPClient makes every call to the gateway; nil means a client with a 15 s timeout.
	HTTPClient *http.Client
	// Logger receives sign-in and gateway errors (never tokens); nil discards them.
	Logger *slog.Logger
}

// app is the handler returned by New.
type app struct {
	opts         Options
	fhirBase     string
	callbackPath string
	secure       bool // cookies get Secure when the app itself is served over https
	http         *http.Client
	log          *slog.Logger
	disc         *discovery
	sessions     *sessions
}

// New checks opts and returns the app's handler. It does not contact the gateway: discovery
// happens on the first sign-in and is retried until it succeeds, so the app may start before
// the gateway listens.
func New(opts Options) (http.Handler, error) {
	redirect, err := checkOptions(&opts)
	if err != nil {
		return nil, err
	}
	a := &app{
		opts:         opts,
		fhirBase:     strings.TrimRight(opts.GatewayBase, "/") + "/fhir",
		callbackPath: redirect.Path,
		secure:       redirect.Scheme == "https",
		http:         opts.HTTPClient,
		log:          opts.Logger,
		sessions:     newSessions(time.Now),
	}
	if a.http == nil {
		a.http = &http.Client{Timeout: 15 * time.Second}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.disc = newDiscovery(strings.TrimRight(opts.GatewayBase, "/"), a.http)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.handleHome)
	mux.HandleFunc("GET /style.css", handleCSS)
	mux.HandleFunc("GET /login", a.handleLogin)
	mux.HandleFunc("GET "+a.callbackPath, a.handleCallback)
	mux.HandleFunc("GET /patients", a.handlePatients)
	mux.HandleFunc("GET /patients/{id}", a.handlePatient)
	mux.HandleFunc("POST /logout", a.handleLogout)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.showMessage(w, http.StatusNotFound, "Not found", "There is no page at this address.")
	})
	// Sign-out is the only state-changing POST; refuse it (and any other unsafe request)
	// when it comes from another site.
	cop := http.NewCrossOriginProtection()
	return securityHeaders(cop.Handler(mux)), nil
}

// checkOptions fills in defaults and reports every problem at once.
func checkOptions(opts *Options) (*url.URL, error) {
	var errs []error
	if opts.ClientID == "" {
		errs = append(errs, errors.New("ClientID is required"))
	}
	if opts.Scope == "" {
		opts.Scope = DefaultScope
	}
	redirect, err := absoluteURL(opts.RedirectURI)
	if err != nil {
		errs = append(errs, fmt.Errorf("RedirectURI: %w", err))
	} else if redirect.Path == "" || redirect.Path == "/" || redirect.RawQuery != "" {
		errs = append(errs, fmt.Errorf("RedirectURI %q: needs a path of its own and no query", opts.RedirectURI))
	}
	if _, err := absoluteURL(opts.GatewayBase); err != nil {
		errs = append(errs, fmt.Errorf("GatewayBase: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("demo app: %w", err)
	}
	return redirect, nil
}

func absoluteURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return u, nil
}

// securityHeaders sets the headers every page needs: pages show patient data, so nothing is
// cached and no URL leaks through Referer; the CSP allows only our own stylesheet and forms
// (no scripts at all, so injected markup cannot run).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
