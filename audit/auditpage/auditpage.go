// Package auditpage is the auditors' read-only page on the audit trail, at /audit/: a privacy
// officer signs in with the hospital's identity provider, and if they hold the auditor role (a
// listed user id, or a configured ID-token claim) asks the trail's questions (every access to
// one patient, everything one user did, every refusal with its reason, in a time range), sees
// how far the forwarder and the checkpoints have come, and downloads the answer as NDJSON of
// FHIR AuditEvent. Every sign-in, refused or not, and every question asked is itself recorded
// in the trail (DICOM "Audit Log Used"). It changes nothing of the trail and holds no state but
// its sessions (package web's, encrypted in Redis). Pages are written through package web; the page is
// self-contained so that the clinicians' portal can link it from its header.
package auditpage

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/audit/auditevent"
	"github.com/mypatients/gateway/web"
)

// Path is where the page lives; its sign-in callback is Path + "callback".
const Path = "/audit/"

// ClientName names the page in the audit records of what auditors do.
const ClientName = "mypatients-auditor"

// Options configure the page. All but Sinks, Keys and Logger are required.
type Options struct {
	Trail  *audit.Trail
	Mapper *auditevent.Mapper
	// Keys verify checkpoints for the status shown; Sinks are the forwarder's sink names.
	Keys  audit.Keyring
	Sinks []string
	// BaseURL is the gateway's public base URL; the IdP must allow BaseURL + Path + "callback"
	// as a redirect URI of ClientID.
	BaseURL string
	// IdP is the identity provider auditors sign in with.
	IdP IdP
	// Users are the gateway user ids ("<idp>:<subject>") with the auditor role; Claim and
	// Value an ID-token claim that gives it.
	Users        []string
	Claim, Value string
	// Redis and Prefix hold the sessions.
	Redis  redis.UniversalClient
	Prefix string
	Logger *slog.Logger
}

// IdP is the OpenID Provider auditors sign in with.
type IdP struct {
	ID, Issuer, ClientID, ClientSecret string
	Scopes                             []string
	HTTPClient                         *http.Client
}

// Page is the auditors' page.
type Page struct {
	o        Options
	log      *slog.Logger
	sessions *web.Sessions[session]

	mu       sync.Mutex
	provider *oidc.Provider
}

// New returns the page.
func New(o Options) (*Page, error) {
	if o.Trail == nil || o.Mapper == nil || o.Redis == nil || o.IdP.Issuer == "" || o.IdP.ClientID == "" {
		return nil, fmt.Errorf("auditpage: Trail, Mapper, Redis and an identity provider are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	secure := strings.HasPrefix(o.BaseURL, "https://")
	return &Page{o: o, log: o.Logger, sessions: &web.Sessions[session]{Redis: o.Redis, Prefix: o.Prefix + "{auditpage}:",
		Name: "mp_audit", Secure: secure, Idle: 30 * time.Minute, Absolute: 8 * time.Hour}}, nil
}

// Register adds the page's routes to mux.
func (p *Page) Register(mux *http.ServeMux) {
	protect := http.NewCrossOriginProtection()
	mux.HandleFunc("GET "+Path+"{$}", p.home)
	mux.HandleFunc("GET "+Path+"login", p.login)
	mux.HandleFunc("GET "+Path+"callback", p.callback)
	mux.HandleFunc("GET "+Path+"export", p.export)
	mux.Handle("POST "+Path+"logout", protect.Handler(http.HandlerFunc(p.logout)))
}

// client returns the OAuth configuration and ID-token verifier, discovering the provider on
// first use (a failed discovery is tried again on the next sign-in).
func (p *Page) client(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider == nil {
		hc := p.o.IdP.HTTPClient
		if hc == nil {
			hc = &http.Client{Timeout: 10 * time.Second}
		}
		prov, err := oidc.NewProvider(oidc.ClientContext(ctx, hc), p.o.IdP.Issuer)
		if err != nil {
			return nil, nil, fmt.Errorf("auditpage: discover %s: %w", p.o.IdP.Issuer, err)
		}
		p.provider = prov
	}
	scopes := p.o.IdP.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile"}
	}
	cfg := &oauth2.Config{ClientID: p.o.IdP.ClientID, ClientSecret: p.o.IdP.ClientSecret, Endpoint: p.provider.Endpoint(),
		RedirectURL: p.o.BaseURL + Path + "callback", Scopes: scopes}
	return cfg, p.provider.Verifier(&oidc.Config{ClientID: p.o.IdP.ClientID}), nil
}

// record writes what an auditor did to the trail. A question whose record cannot be written is
// not answered.
func (p *Page) record(ctx context.Context, a audit.Action) error {
	a.Client = ClientName
	if err := audit.WriteAction(ctx, p.o.Trail, a); err != nil {
		p.log.ErrorContext(ctx, "auditpage: the auditor's action was not recorded; refused", "event", a.Event, "err", err)
		return err
	}
	return nil
}

// message writes a plain page.
func message(w http.ResponseWriter, status int, title, text string) {
	web.WriteMessage(w, status, web.Message{Title: title, Text: text,
		Note: "The auditors' page of the MyPatients gateway."})
}

// KeysPath is where the checkpoint verification keys are published, to anyone.
const KeysPath = Path + "checkpoint-keys.json"

// PublishKeys serves keys as a JSON Web Key Set at KeysPath: what `mypatients audit verify`
// and any outside verifier check the checkpoints with.
func PublishKeys(mux *http.ServeMux, keys audit.Keyring) error {
	jwks, err := keys.JWKS()
	if err != nil {
		return err
	}
	mux.HandleFunc("GET "+KeysPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "max-age=300")
		_, _ = w.Write(jwks)
	})
	return nil
}
