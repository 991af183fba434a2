// Package smart is the gateway's SMART App Launch authorization server and its OpenID Connect
// client of the identity providers clinicians log in with. It serves discovery, the authorize
// endpoint, the identity-provider login and callback, the patient picker and consent pages, EHR
// launch, the token endpoint (code, refresh, client_credentials), introspection, revocation and
// the JWKS. Tokens, built first and on its own, signs, records and checks the access tokens:
// every surface of the gateway authenticates callers through it. Each endpoint lives in its own
// file and follows Parse → Validate → Create → Respond; its short-lived state is in Redis under
// keys it owns (state.go). It decides who the user is and what the app was granted, never which
// patients the user may see: that is authz's job. It imports neither the FHIR API nor any store
// of other concerns: the picker searches through PatientSearcher, the sponsor and the standing
// of an account come through Accounts (of package accounts it takes only the reasons of a
// refused standing, which it tells apps in ReasonParam: refusal.go). Its rate limits are counted in Redis (package limits),
// shared by every replica, keyed by the client address that trusted_proxies vouches for.
package smart

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/limits"
)

// Client is a registered SMART app.
type Client struct {
	ID   string
	Name string
	// Public clients have no secret; confidential ones authenticate with HTTP Basic
	// (SecretSHA256) or with a signed JWT (JWKS or JWKSURL).
	Public bool
	// SecretSHA256 is the hex SHA-256 of a confidential client's secret.
	SecretSHA256 string
	// JWKS (inline JSON) or JWKSURL holds the public keys of a private_key_jwt client.
	JWKS         []byte
	JWKSURL      string
	RedirectURIs []string
	// Scopes limits what may be granted to the client; empty means no limit beyond the
	// server's. A backend service is granted only system/ scopes listed here.
	Scopes []string
	// GrantTypes the client may use; nil means authorization_code and refresh_token.
	GrantTypes []string
	// LaunchCreator lets the client create EHR launch contexts (an EHR, not an app).
	LaunchCreator bool
	// FirstParty marks the gateway's own clients (the clinicians' portal): only they may be
	// granted the first-party scopes (gateway.FirstPartyScopes), and they skip the consent
	// screen (not the sign-in).
	FirstParty bool
	// ResourceServer lets the client introspect tokens issued to other clients.
	ResourceServer bool
}

// Accounts says who sponsors a staff user and whether an account is in good standing;
// *accounts.Store implements it.
type Accounts interface {
	// SponsorOf returns the user id of user's sponsor, or "" when user is not sponsored staff.
	SponsorOf(ctx context.Context, user string) (string, error)
	// CheckStanding returns nil when user may act, an error wrapping gateway.ErrForbidden when
	// the account is suspended or removed (or its sponsor suspended), and any other error when
	// the standing could not be read.
	CheckStanding(ctx context.Context, user string) error
}

// Limits are the SMART server's rate limits, each counted per client address in Redis; a zero
// rule takes its default.
type Limits struct {
	// Authorize bounds the authorization requests one address may create (default 60 a
	// minute): each is kept in Redis until it expires.
	Authorize limits.Rule
	// Endpoints is one budget per address for the token, introspection and revocation
	// endpoints together (default 600 a minute).
	Endpoints limits.Rule
	// AssertionFailures bounds the failed client assertions per claimed client and address
	// (default 20 in 10 minutes).
	AssertionFailures limits.Rule
}

func (l *Limits) complete() {
	if l.Authorize.Limit == 0 {
		l.Authorize = limits.Rule{Name: "authorize", Limit: 60, Window: time.Minute}
	}
	if l.Endpoints.Limit == 0 {
		l.Endpoints = limits.Rule{Name: "oauth-endpoints", Limit: 600, Window: time.Minute}
	}
	if l.AssertionFailures.Limit == 0 {
		l.AssertionFailures = limits.Rule{Name: "assertion-failures", Limit: 20, Window: 10 * time.Minute}
	}
}

// SignIn is one user signed in at an identity provider, as SignIns hears of it.
type SignIn struct {
	IdP, User, Username, Name, Email, FHIRUser string
	// ACR and AMR are how the IdP says it authenticated the user (OIDC Core §2).
	ACR string
	AMR []string
	// Client is the app the user signs in to; Source the client address.
	Client, Source string
}

// ErrSignInRefused wraps the reason SignIns refuses a sign-in; its text is for the user.
var ErrSignInRefused = errors.New("sign-in refused")

// SignIns hears of every sign-in before the app gets its code: it may create or link the
// user's account. An error wrapping ErrSignInRefused refuses the sign-in with its message;
// any other error is a fault (the sign-in fails closed).
type SignIns interface {
	SignedIn(ctx context.Context, s SignIn) error
}

// IdP is an OpenID Provider clinicians log in with.
type IdP struct {
	ID, Name, Issuer       string
	ClientID, ClientSecret string
	Scopes                 []string
}

// Practitioners finds the Practitioner a signed-in user is, from their ID-token claims;
// *identity.Resolver implements it. An *identity.Unresolved error means the user has none (and
// says whether the sign-in must stop); any other error means it could not be found out.
type Practitioners interface {
	Practitioner(ctx context.Context, idp string, claims map[string]any) (string, error)
}

// Options configures a Server.
type Options struct {
	// Tokens signs, records and checks the access tokens; its base URL, Redis and clock are
	// the Server's too.
	Tokens         *Tokens
	Clients        []Client
	IdPs           []IdP
	AccessTokenTTL time.Duration
	CodeTTL        time.Duration
	LoginTTL       time.Duration
	// RefreshTokenTTL is the idle lifetime of refresh tokens; BackendTokenTTL the lifetime of
	// client_credentials tokens; LaunchTTL the lifetime of an EHR launch context.
	RefreshTokenTTL time.Duration
	BackendTokenTTL time.Duration
	LaunchTTL       time.Duration
	// Accounts is asked, when a user signs in, who sponsors them (the answer goes with every
	// token issued from that sign-in, Caller.Sponsor) and, at sign-in and at every refresh,
	// whether their account is in good standing. Without it nobody is staff or suspended.
	Accounts Accounts
	// SignIns hears of each sign-in; nil hears nothing.
	SignIns SignIns
	// Audit receives the "signin" and "signin.failure" events; required.
	Audit audit.Writer
	// Limits are the rate limits; Proxies says whose X-Forwarded-For names the client.
	Limits  Limits
	Proxies limits.Proxies
	// Patients feeds the standalone patient picker; without it launch/patient is refused.
	Patients PatientSearcher
	// Practitioners maps a signed-in user to their Practitioner; without it nobody has one.
	Practitioners Practitioners
	// HTTPClient is used to talk to the identity providers.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Server is the SMART authorization server.
type Server struct {
	*Tokens
	opts     Options
	clients  map[string]Client
	idps     map[string]*idp
	idpOrder []string
	// authorizeLimit, endpoints and assertFails are the counters of Options.Limits.
	authorizeLimit, endpoints, assertFails *limits.Limiter
	jwks                                   *jwksCache
	origins                                map[string]bool
	style                                  styleSheet
	log                                    *slog.Logger
}

// New checks opts and returns a Server. Identity providers are discovered lazily, on the first
// login through each, so that the gateway starts even while an IdP is down.
func New(opts Options) (*Server, error) {
	if opts.Tokens == nil {
		return nil, errors.New("smart: Tokens are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	setDuration(&opts.RefreshTokenTTL, 30*24*time.Hour)
	setDuration(&opts.BackendTokenTTL, 5*time.Minute)
	setDuration(&opts.LaunchTTL, 5*time.Minute)
	opts.Limits.complete()
	rdb, prefix := opts.Tokens.rdb, opts.Tokens.prefix
	s := &Server{
		Tokens:         opts.Tokens,
		opts:           opts,
		clients:        map[string]Client{},
		idps:           map[string]*idp{},
		log:            opts.Logger,
		authorizeLimit: limits.New(rdb, prefix, opts.Limits.Authorize),
		endpoints:      limits.New(rdb, prefix, opts.Limits.Endpoints),
		assertFails:    limits.New(rdb, prefix, opts.Limits.AssertionFailures),
		jwks:           newJWKSCache(opts.HTTPClient),
		origins:        map[string]bool{},
		style:          newStyleSheet(),
	}
	if err := s.addClients(opts.Clients); err != nil {
		return nil, err
	}
	return s, s.addIdPs(opts.IdPs)
}

func (s *Server) addClients(cs []Client) error {
	for _, c := range cs {
		if err := c.check(); err != nil {
			return err
		}
		s.clients[c.ID] = c
		for _, o := range c.origins() {
			s.origins[o] = true
		}
	}
	return nil
}

func (s *Server) addIdPs(ps []IdP) error {
	for _, p := range ps {
		if _, dup := s.idps[p.ID]; dup {
			return fmt.Errorf("smart: identity provider %q registered twice", p.ID)
		}
		s.idps[p.ID] = &idp{conf: p, redirectURL: s.baseURL + "/login/" + p.ID + "/callback", httpClient: s.opts.HTTPClient}
		s.idpOrder = append(s.idpOrder, p.ID)
	}
	return nil
}

// Register adds the server's endpoints to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /.well-known/smart-configuration", s.handleSMARTConfiguration)
	mux.HandleFunc("GET /fhir/.well-known/smart-configuration", s.handleSMARTConfiguration)
	mux.HandleFunc("GET /.well-known/jwks.json", s.handleJWKS)
	mux.HandleFunc("GET /oauth/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /oauth/authorize", s.handleAuthorize)
	mux.HandleFunc("GET /login/{idp}", s.handleLoginStart)
	mux.HandleFunc("GET /login/{idp}/callback", s.handleLoginCallback)
	mux.HandleFunc("POST /oauth/token", s.corsRegistered(s.handleToken))
	mux.HandleFunc("OPTIONS /oauth/token", s.corsRegistered(nil))
	mux.HandleFunc("POST /oauth/introspect", s.corsRegistered(s.handleIntrospect))
	mux.HandleFunc("OPTIONS /oauth/introspect", s.corsRegistered(nil))
	mux.HandleFunc("POST /oauth/revoke", s.corsRegistered(s.handleRevoke))
	mux.HandleFunc("OPTIONS /oauth/revoke", s.corsRegistered(nil))
	mux.HandleFunc("GET /.well-known/openid-configuration", s.handleOpenIDConfiguration)
	mux.HandleFunc("GET /smart/style/{file}", s.handleStyle)
	mux.HandleFunc("POST /smart/launch", s.handleCreateLaunch)
	mux.HandleFunc("POST /login/patient", s.handlePickPatient)
	mux.HandleFunc("POST /login/consent", s.handleConsent)
}

func setDuration(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}
