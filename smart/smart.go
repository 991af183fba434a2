// Package smart is the gateway's SMART App Launch authorization server and its OpenID Connect
// client of the identity providers clinicians log in with. It serves discovery, the authorize
// endpoint, the identity-provider login and callback, the patient picker and consent pages, EHR
// launch, the token endpoint (code, refresh, client_credentials), introspection, revocation and
// the JWKS. Tokens, built first and on its own, signs, records and checks the access tokens:
// every surface of the gateway authenticates callers through it. Each endpoint lives in its own
// file and follows Parse → Validate → Create → Respond; its short-lived state is in Redis under
// keys it owns (state.go). It decides who the user is and what the app was granted, never which
// patients the user may see: that is authz's job. It imports neither the FHIR API nor any store
// of other concerns: the picker searches through PatientSearcher, the sponsor of staff comes
// through Sponsors.
package smart

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"
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
}

// Sponsors says who sponsors a staff user; *accounts.Store implements it.
type Sponsors interface {
	// SponsorOf returns the user id of user's sponsor, or "" when user is not sponsored staff.
	SponsorOf(ctx context.Context, user string) (string, error)
}

// IdP is an OpenID Provider clinicians log in with.
type IdP struct {
	ID, Name, Issuer       string
	ClientID, ClientSecret string
	Scopes                 []string
	// FHIRUserClaim is the ID-token claim that holds "Practitioner/<id>".
	FHIRUserClaim string
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
	// Sponsors is asked, when a user signs in, who sponsors them; the answer goes with every
	// token issued from that sign-in (Caller.Sponsor). Without it nobody is staff.
	Sponsors Sponsors
	// Patients feeds the standalone patient picker; without it launch/patient is refused.
	Patients PatientSearcher
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
	limiter  *limiter
	// assertFails limits failed client assertions per client id.
	assertFails *limiter
	jwks        *jwksCache
	origins     map[string]bool
	style       styleSheet
	log         *slog.Logger
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
	s := &Server{
		Tokens:  opts.Tokens,
		opts:    opts,
		clients: map[string]Client{},
		idps:    map[string]*idp{},
		log:     opts.Logger,
		// Token redemption: a code is 256 random bits, so this only keeps floods off Redis.
		limiter: newLimiter(rate.Every(100*time.Millisecond), 20),
		// A client whose assertions keep failing from one address gets 20 tries, then one
		// every 6 seconds.
		assertFails: newLimiter(rate.Every(6*time.Second), 20),
		jwks:        newJWKSCache(opts.HTTPClient),
		origins:     map[string]bool{},
		style:       newStyleSheet(),
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
