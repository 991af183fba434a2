// Package idp is the demo OpenID Provider: a small in-memory OIDC server built on zitadel/oidc's
// op package. It signs the demo users in with one shared password on a plain HTML form and
// issues RS256 id_tokens carrying sub, preferred_username, name, email and the SMART fhirUser
// claim. The demo runs two instances: "accounts" (MyPatients accounts, which later grows into the
// portal's real accounts IdP) and "childrens" (Children's ID, standing in for the hospital SSO).
// Only the authorization code flow for confidential clients with PKCE S256 is offered; refresh
// tokens and every other grant are refused. Besides its fixed users, the accounts instance signs
// in the gateway's sponsored staff from package accounts (StaffAccounts), and
// SeedDemoSponsorship makes the demo user staff pcp's staff. What must not live here: anything
// the gateway's request path calls directly (the gateway only ever talks OIDC to it over HTTP),
// and durable state of its own; all its state is in memory, so registration, pass codes or TOTP
// will need a store interface of their own rather than more maps in this one.
package idp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/limits"
)

// User is one account of the demo IdP.
type User struct {
	// Subject is the stable, opaque "sub" claim; it must not change across restarts because the
	// gateway keys users by it.
	Subject string
	// Username is what the user types on the login page; also the preferred_username claim.
	Username string
	// Name is the display name (the "name" claim).
	Name string
	// Email is the "email" claim.
	Email string
	// FHIRUser is the user's FHIR resource, e.g. "Practitioner/dr-patel", sent as the fhirUser
	// claim; empty for users without one.
	FHIRUser string
}

// Accounts checks the password of a user kept elsewhere. Authenticate returns ok false for
// every wrong username or password alike, and an error only when it could not check at all.
// The User's Subject must be stable and must not collide with a demo user's.
type Accounts interface {
	Authenticate(ctx context.Context, username, password string) (u User, ok bool, err error)
	// Standing returns nil when the user with this sub claim (a demo user's too) may sign in,
	// an error wrapping gateway.ErrForbidden when the account is suspended or removed, and any
	// other error when it could not be read.
	Standing(ctx context.Context, sub string) error
}

// Client is a relying party registered at the IdP: a confidential web client that
// authenticates with client_secret_basic or client_secret_post.
type Client struct {
	ID     string
	Secret string
	// RedirectURIs are compared with the request's redirect_uri as exact strings. They are also
	// accepted as post_logout_redirect_uri at the end_session endpoint.
	RedirectURIs []string
}

// Config configures one IdP instance.
type Config struct {
	// Issuer is the IdP's absolute base URL without a path, e.g. "http://127.0.0.1:8082"; plain
	// http is accepted because the demo runs on loopback.
	Issuer string
	// Name is the display name shown on the login page.
	Name string
	// Password is the one demo password of all users.
	Password string
	Users    []User
	Clients  []Client
	// Accounts, when set, signs in users kept outside this process (the gateway's sponsored
	// staff, whose passwords are in Redis) after the demo users: a username that is not a
	// demo user is checked there with its own password, never the demo one.
	Accounts Accounts
	// SignIn limits failed sign-ins per account and per client address (package limits,
	// shared by replicas); Proxies says whose X-Forwarded-For names the client. Zero limiters
	// limit nothing.
	SignIn  limits.SignIn
	Proxies limits.Proxies
	// Audit, when set, receives a "signin.failure" event for every refused sign-in; a record
	// that cannot be written refuses the sign-in (503).
	Audit audit.Writer
	// Logger receives sign-in events (never passwords); nil discards them. The zitadel library
	// logs protocol errors through slog.Default, which this package does not touch.
	Logger *slog.Logger
}

// Paths served next to zitadel's endpoints.
const (
	loginPath     = "/login"
	loggedOutPath = "/logged-out"
)

// fhirUserScope asks for the fhirUser claim (SMART App Launch 2.0, "fhirUser" scope).
const fhirUserScope = "fhirUser"

// fhirUserClaim is the name of the claim carrying the user's FHIR resource reference.
const fhirUserClaim = "fhirUser"

// New builds the IdP's HTTP handler. It generates a fresh RSA signing key (RS256) and serves
// discovery, JWKS, authorize, token, userinfo, end_session and the login page. ctx bounds the
// background pruning of expired sign-ins and tokens; cancel it when the server stops.
func New(ctx context.Context, cfg Config) (http.Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("idp %q: invalid config: %w", cfg.Name, err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	key, err := newSigningKey()
	if err != nil {
		return nil, fmt.Errorf("idp %q: %w", cfg.Name, err)
	}
	st := newStore(cfg, key)
	provider, err := newProvider(cfg.Issuer, st)
	if err != nil {
		return nil, fmt.Errorf("idp %q: create provider: %w", cfg.Name, err)
	}
	lp := newLoginPage(cfg, st, provider, logger)
	issuerCtx := op.NewIssuerInterceptor(provider.IssuerFromRequest)

	mux := http.NewServeMux()
	mux.Handle(loginPath, issuerCtx.Handler(lp))
	mux.HandleFunc("GET "+loggedOutPath, lp.loggedOut)
	mux.Handle("/", provider)
	go st.pruneEvery(ctx, pruneInterval)
	return mux, nil
}

// newProvider configures zitadel's OpenID Provider for the code flow only.
func newProvider(issuer string, st *store) (*op.Provider, error) {
	// The crypto key encrypts authorization codes and opaque access tokens; a fresh one per
	// process is right for an in-memory store whose entries die with the process anyway.
	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, fmt.Errorf("generate crypto key: %w", err)
	}
	cfg := &op.Config{
		CryptoKey:                cryptoKey,
		DefaultLogoutRedirectURI: loggedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		SupportedScopes:          []string{"openid", "profile", "email", fhirUserScope},
		SupportedClaims:          append(slices.Clone(op.DefaultSupportedClaims), fhirUserClaim),
	}
	return op.NewProvider(cfg, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
}

// validate reports every problem of the configuration at once.
func (c Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("issuer %q must be an absolute http(s) URL", c.Issuer)
	} else if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		bad("issuer %q must not have a path, query or fragment", c.Issuer)
	}
	if c.Name == "" {
		bad("name is required")
	}
	if c.Password == "" {
		bad("password is required")
	}
	if len(c.Users) == 0 {
		bad("at least one user is required")
	}
	seen := map[string]bool{}
	for i, u := range c.Users {
		if u.Subject == "" || u.Username == "" {
			bad("user %d: subject and username are required", i)
		}
		if seen["s:"+u.Subject] || seen["u:"+normalizeUsername(u.Username)] {
			bad("user %d (%q): duplicate subject or username", i, u.Username)
		}
		seen["s:"+u.Subject], seen["u:"+normalizeUsername(u.Username)] = true, true
	}
	for i, cl := range c.Clients {
		if cl.ID == "" || cl.Secret == "" {
			bad("client %d: id and secret are required", i)
		}
		if seen["c:"+cl.ID] {
			bad("client %q: duplicate id", cl.ID)
		}
		seen["c:"+cl.ID] = true
		if len(cl.RedirectURIs) == 0 {
			bad("client %q: at least one redirect URI is required", cl.ID)
		}
		for _, ru := range cl.RedirectURIs {
			if u, err := url.Parse(ru); err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
				bad("client %q: redirect URI %q must be absolute without a fragment", cl.ID, ru)
			}
		}
	}
	return errors.Join(errs...)
}
