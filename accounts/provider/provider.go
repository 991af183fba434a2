// Package provider is the MyPatients accounts provider: an OpenID Provider built on
// zitadel/oidc's op package, served by the gateway itself under /accounts (issuer
// <base_url>/accounts), which the gateway's SMART server signs clinicians in with over real
// HTTP like any identity provider. It owns the sign-in: password, then a second factor (TOTP,
// a recovery code or a passkey) for every account that needs one; throttling per typed
// username (back-off, then a lock the support team lifts) and per client address, both in
// Redis so that every replica counts together; the same answer and the same work for unknown
// usernames; a bound on concurrent password hashes. It issues RS256 id_tokens with sub,
// preferred_username, name, email, fhirUser, groups, acr and amr, and keeps a browser session
// for the account pages (Sessions). Only the authorization code flow with PKCE S256 for
// confidential clients is offered. Accounts, factors and limits are its callers' stores; the
// pending sign-ins themselves (authorization requests, codes, the opaque userinfo tokens) live
// in this process's memory for their few minutes, so that behind several replicas a sign-in
// must stay on one (sticky routing of /accounts/authorize to the code exchange). The demo's
// "Children's ID" runs a second instance of it. It serves no other page.
package provider

import (
	"context"
	"crypto/hkdf"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/accounts/secondfactor"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/limits"
)

// User is what the id_token says about an account.
type User struct {
	// Subject is the stable, opaque "sub" claim: the account id without "<prefix>:".
	Subject  string
	Username string
	Name     string
	Email    string
	// FHIRUser is the user's FHIR resource, e.g. "Practitioner/dr-patel"; empty for staff.
	FHIRUser string
	// Groups go out as the "groups" claim (the support team's role at Children's ID).
	Groups []string
}

// Client is a relying party registered at the provider: a confidential web client that
// authenticates with client_secret_basic or client_secret_post.
type Client struct {
	ID     string
	Secret string
	// RedirectURIs are compared with the request's redirect_uri as exact strings.
	RedirectURIs []string
}

// Links are the self-service pages the sign-in page offers; an empty one is not shown.
type Links struct {
	Register, ForgotPassword, ResetSecondFactor, Account string
}

// Config configures one provider.
type Config struct {
	// Issuer is the provider's absolute URL, e.g. "https://mypatients.example.org/accounts".
	Issuer string
	// Name is shown on the sign-in page.
	Name string
	// IDPrefix starts the ids of its accounts: account "<IDPrefix>:<sub>" signs in as sub.
	IDPrefix string
	Clients  []Client
	// Accounts checks passwords within the process's bound on password hashes.
	Accounts *accounts.Store
	Factors  *secondfactor.Store
	// SignIn are the shared sign-in limits per account and client address (contract 3);
	// Proxies finds the client address behind the trusted proxies.
	SignIn  limits.SignIn
	Proxies limits.Proxies
	// Audit receives signin and signin.failure events.
	Audit audit.Writer
	// SigningKey signs id_tokens; every replica must have the same.
	SigningKey *rsa.PrivateKey
	Links      Links
	Logger     *slog.Logger
}

// Paths served next to zitadel's endpoints, below the issuer.
const (
	loginPath        = "/login"
	secondFactorPath = "/login/second-factor"
	passkeyBeginPath = "/login/passkey/begin"
	passkeyEndPath   = "/login/passkey/finish"
	signInPath       = "/signin"
	signOutPath      = "/signout"
	loggedOutPath    = "/logged-out"
)

// fhirUserScope asks for the fhirUser claim (SMART App Launch 2.0, "fhirUser" scope).
const fhirUserScope = "fhirUser"

const (
	fhirUserClaim = "fhirUser"
	groupsClaim   = "groups"
)

// Provider is a running accounts provider.
type Provider struct {
	cfg      Config
	base     string // the issuer's path, "" or "/accounts"
	store    *store
	provider *op.Provider
	mux      http.Handler
	// Sessions are the browser sessions of the account pages, opened at sign-in.
	Sessions *Sessions
	log      *slog.Logger
}

// New builds the provider. ctx bounds the background pruning of expired sign-ins.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("accounts provider %q: invalid config: %w", cfg.Name, err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	u, _ := url.Parse(cfg.Issuer)
	base := strings.TrimRight(u.Path, "/")
	p := &Provider{cfg: cfg, base: base, log: cfg.Logger,
		Sessions: NewSessions(cfg.Accounts.Redis(), cfg.Accounts.Prefix()+"provider:"+cfg.IDPrefix+":", base+"/")}
	p.store = newStore(cfg, newSigningKey(cfg.SigningKey))
	var err error
	if p.provider, err = newOP(cfg, p.store); err != nil {
		return nil, fmt.Errorf("accounts provider %q: %w", cfg.Name, err)
	}
	p.mux = p.routes()
	go p.store.pruneEvery(ctx, pruneInterval)
	return p, nil
}

func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	issuerCtx := op.NewIssuerInterceptor(p.provider.IssuerFromRequest)
	mux.Handle(loginPath, issuerCtx.Handler(http.HandlerFunc(p.login)))
	mux.Handle("POST "+secondFactorPath, issuerCtx.Handler(http.HandlerFunc(p.secondFactor)))
	mux.HandleFunc("POST "+passkeyBeginPath, p.passkeyBegin)
	mux.Handle("POST "+passkeyEndPath, issuerCtx.Handler(http.HandlerFunc(p.passkeyFinish)))
	mux.HandleFunc("GET "+signInPath, p.signInForAccountPages)
	mux.HandleFunc("POST "+signOutPath, p.signOut)
	mux.HandleFunc("GET "+loggedOutPath, p.loggedOut)
	mux.Handle("/", p.provider)
	// Cross-origin posts are refused by Sec-Fetch-Site/Origin before any form token is read.
	return http.StripPrefix(p.base, http.NewCrossOriginProtection().Handler(mux))
}

// ServeHTTP serves the provider's endpoints and pages under its issuer's path.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.mux.ServeHTTP(w, r) }

// Path returns the absolute path of one of the provider's pages.
func (p *Provider) Path(page string) string { return p.base + page }

// newOP configures zitadel's OpenID Provider for the code flow only. Its crypto key, which
// encrypts codes and opaque access tokens, is derived from the signing key, so every replica
// has the same one.
func newOP(cfg Config, st *store) (*op.Provider, error) {
	der := x509.MarshalPKCS1PrivateKey(cfg.SigningKey)
	k, err := hkdf.Key(sha256.New, der, nil, "mypatients accounts provider crypto key "+cfg.IDPrefix, 32)
	if err != nil {
		return nil, err
	}
	var cryptoKey [32]byte
	copy(cryptoKey[:], k)
	c := &op.Config{
		CryptoKey:                cryptoKey,
		DefaultLogoutRedirectURI: strings.TrimRight(cfg.Issuer, "/") + loggedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		SupportedScopes:          []string{"openid", "profile", "email", fhirUserScope},
		SupportedClaims:          append(slices.Clone(op.DefaultSupportedClaims), fhirUserClaim, groupsClaim, "acr", "amr"),
	}
	return op.NewProvider(c, st, op.StaticIssuer(cfg.Issuer), op.WithAllowInsecure())
}

// validate reports every problem of the configuration at once.
func (c Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("issuer %q must be an absolute http(s) URL", c.Issuer)
	} else if u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Path, "/") {
		bad("issuer %q must not have a query, fragment or trailing slash", c.Issuer)
	}
	if c.Name == "" || c.IDPrefix == "" {
		bad("name and id prefix are required")
	}
	if c.Accounts == nil || c.Factors == nil || c.Audit == nil || c.SigningKey == nil {
		bad("accounts, factors, audit and a signing key are required")
	}
	seen := map[string]bool{}
	for i, cl := range c.Clients {
		if cl.ID == "" || cl.Secret == "" {
			bad("client %d: id and secret are required", i)
		}
		if seen[cl.ID] {
			bad("client %q: duplicate id", cl.ID)
		}
		seen[cl.ID] = true
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
