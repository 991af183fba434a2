// Package console is the support team's provisioning console, under /accounts/console/: its
// members sign in through the hospital's identity provider (Children's ID) and are admitted
// only with the configured group or role claim. It shows the queue of registrations with
// their documents, looks the registrant's Practitioner up in the EHR by NPI and links it,
// approves (with or without sponsorship privileges) or rejects with a reason; it shows the
// queue of "Request PCP access" requests, marked done once the EHR is updated or declined
// with a reason, the clinician being told by email; and it finds any account to suspend,
// reinstate, unlock or re-send a set-up link, what the account CLI does through the same
// functions. Every action is audited with the support person's identity as the actor. It
// holds no policy and grants no access to patients itself.
package console

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/accounts/provider"
	"github.com/mypatients/gateway/accounts/registration"
	"github.com/mypatients/gateway/accounts/uploads"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/mail"
	"github.com/mypatients/gateway/sharing/grants"
)

// Path is where the console is served.
const Path = "/accounts/console/"

// IdP is the identity provider the support team signs in with.
type IdP struct {
	ID, Name, Issuer, ClientID, ClientSecret string
}

// Practitioners finds Practitioners in the EHR by NPI.
type Practitioners interface {
	ByNPI(ctx context.Context, npi string) ([]Practitioner, error)
}

// Practitioner is what the console shows of a Practitioner found by NPI.
type Practitioner struct {
	Reference, Name string
}

// Mailer queues an email; *mail.Outbox is the real one.
type Mailer interface {
	Enqueue(ctx context.Context, m mail.Message) error
}

// Config configures the console. All fields are required but Logger and HTTPClient.
type Config struct {
	BaseURL string
	IdP     IdP
	// Claim and Value mark the support team: the ID token's Claim holds Value, or a list
	// with Value in it.
	Claim, Value  string
	Accounts      *accounts.Store
	Registrations registration.Decider
	Uploads       *uploads.Store
	Requests      *grants.Store
	EHR           Practitioners
	// Throttle lifts a sign-in lock; Setup re-sends a set-up link.
	Throttle   provider.Throttle
	Mail       Mailer
	Audit      audit.Writer
	Proxies    limits.Proxies
	Redis      redis.UniversalClient
	Prefix     string
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Console serves the console's pages.
type Console struct {
	cfg      Config
	sessions *provider.Sessions
	log      *slog.Logger

	mu  sync.Mutex
	rp  *oidc.Provider
	mux *http.ServeMux
}

// New returns the console.
func New(cfg Config) *Console {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	c := &Console{cfg: cfg, log: cfg.Logger, sessions: provider.NewSessions(cfg.Redis, cfg.Prefix+"console:", Path)}
	c.mux = http.NewServeMux()
	c.routes()
	return c
}

// ServeHTTP serves the console. Cross-origin posts are refused before any form is read.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.NewCrossOriginProtection().Handler(c.mux).ServeHTTP(w, r)
}

func (c *Console) routes() {
	m := c.mux
	m.HandleFunc("GET "+Path+"login", c.login)
	m.HandleFunc("GET "+Path+"callback", c.callback)
	m.HandleFunc("POST "+Path+"signout", c.support(c.signOut))
	m.HandleFunc("GET "+Path+"{$}", c.support(c.home))
	m.HandleFunc("GET "+Path+"registrations/{id}", c.support(c.showRegistration))
	m.HandleFunc("GET "+Path+"registrations/{id}/documents/{doc}", c.support(c.document))
	m.HandleFunc("POST "+Path+"registrations/{id}/{action}", c.support(c.decideRegistration))
	m.HandleFunc("POST "+Path+"requests/{id}/{action}", c.support(c.decideRequest))
	m.HandleFunc("GET "+Path+"accounts", c.support(c.findAccount))
	m.HandleFunc("POST "+Path+"accounts/{action}", c.support(c.accountAction))
}

// oauth returns the OAuth configuration and verifier of the support IdP, discovering it on
// first use; a failed discovery is tried again next time.
func (c *Console) oauth(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rp == nil {
		rp, err := oidc.NewProvider(oidc.ClientContext(ctx, c.cfg.HTTPClient), c.cfg.IdP.Issuer)
		if err != nil {
			return nil, nil, err
		}
		c.rp = rp
	}
	conf := &oauth2.Config{ClientID: c.cfg.IdP.ClientID, ClientSecret: c.cfg.IdP.ClientSecret, Endpoint: c.rp.Endpoint(),
		RedirectURL: c.cfg.BaseURL + Path + "callback", Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	return conf, c.rp.Verifier(&oidc.Config{ClientID: c.cfg.IdP.ClientID}), nil
}
