package main

import (
	"context"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/accounts/console"
	"github.com/mypatients/gateway/accounts/provider"
	"github.com/mypatients/gateway/accounts/registration"
	"github.com/mypatients/gateway/accounts/sealed"
	"github.com/mypatients/gateway/accounts/secondfactor"
	"github.com/mypatients/gateway/accounts/selfservice"
	"github.com/mypatients/gateway/accounts/uploads"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/mail"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/smart"
	"github.com/mypatients/gateway/upstream"
)

// consolePath is where the support team's console is served.
const consolePath = console.Path

// accountDeps are the parts the accounts provider and its pages are built over.
type accountDeps struct {
	rdb    redis.UniversalClient
	key    *rsa.PrivateKey
	c      *common
	mail   *mail.Outbox
	up     *upstream.Client
	grants *grants.Store
	tokens *smart.Tokens
}

// accountsParts are the accounts provider and its pages, and the hook that records every
// sign-in at another identity provider.
type accountsParts struct {
	provider *provider.Provider
	routes   []func(*http.ServeMux)
	signIns  smart.SignIns
}

// accountsCore is what every accounts page shares.
type accountsCore struct {
	factors *secondfactor.Store
	uploads *uploads.Store
}

// buildAccounts builds the accounts provider at <base_url>/accounts and registers it with
// the SMART server's identity providers, first, as "accounts".
func buildAccounts(ctx context.Context, cfg *config.Config, run *runGroup, log *slog.Logger, d accountDeps) (*accountsParts, error) {
	parts := &accountsParts{signIns: signInHook{accts: d.c.accts, trail: d.c.trail}}
	if !cfg.Accounts.On() {
		return parts, nil
	}
	core, err := newAccountsCore(cfg, run, log, d)
	if err != nil {
		return nil, err
	}
	secret := derivedSecret(d.key, "accounts provider client secret")
	parts.provider, err = provider.New(ctx, provider.Config{
		Issuer: cfg.BaseURL + "/accounts", Name: cfg.Accounts.Name, IDPrefix: "accounts",
		Clients:  []provider.Client{{ID: gatewayClientID, Secret: secret, RedirectURIs: []string{cfg.BaseURL + "/login/accounts/callback"}}},
		Accounts: d.c.accts, Factors: core.factors, SignIn: d.c.signIn, Proxies: d.c.proxies, Audit: d.c.trail, SigningKey: d.key,
		Links: provider.Links{Register: "/accounts/register", ForgotPassword: "/accounts/forgot-password",
			ResetSecondFactor: "/accounts/reset-second-factor", Account: "/accounts/account"},
		Logger: log.With("part", "accounts"),
	})
	if err != nil {
		return nil, err
	}
	self := selfservice.New(selfservice.Deps{Accounts: d.c.accts, Factors: core.factors, Proxies: d.c.proxies,
		Sessions: parts.provider.Sessions, Apps: apps{d.tokens}, Mail: d.mail, Audit: d.c.trail,
		BaseURL: cfg.BaseURL, PassCodeTTL: cfg.Accounts.PassCodeTTL, Logger: log.With("part", "accounts")})
	decider := registration.Decider{Store: registration.NewStore(d.rdb, cfg.Redis.KeyPrefix), Accounts: d.c.accts, Mail: d.mail,
		Audit: d.c.trail, BaseURL: cfg.BaseURL}
	reg := &registration.Pages{Store: decider.Store, Accounts: d.c.accts, Uploads: core.uploads,
		Limit: limits.New(d.rdb, cfg.Redis.KeyPrefix, registration.Rule), Proxies: d.c.proxies,
		Mail: d.mail, Audit: d.c.trail, BaseURL: cfg.BaseURL, Logger: log.With("part", "accounts")}
	parts.routes = append(parts.routes, self.Register, reg.Register)
	if cons := newConsole(cfg, log, d, core, decider, parts.provider); cons != nil {
		parts.routes = append(parts.routes, func(mux *http.ServeMux) { mux.Handle(console.Path, cons) })
	}
	cfg.IdentityProviders = append([]config.IdentityProvider{{ID: "accounts", Name: cfg.Accounts.Name,
		Issuer: cfg.BaseURL + "/accounts", ClientID: gatewayClientID, ClientSecret: secret}}, cfg.IdentityProviders...)
	cfg.Complete()
	return parts, nil
}

func newAccountsCore(cfg *config.Config, run *runGroup, log *slog.Logger, d accountDeps) (accountsCore, error) {
	master, dir, err := uploadsKeyAndDir(cfg, run, log)
	if err != nil {
		return accountsCore{}, err
	}
	totpKey, err := sealed.Derive(master, "totp")
	if err != nil {
		return accountsCore{}, err
	}
	docKey, err := sealed.Derive(master, "uploads")
	if err != nil {
		return accountsCore{}, err
	}
	rpID, origin := passkeyRP(cfg.BaseURL)
	if rpID == "" {
		log.Info("passkeys are off: a WebAuthn relying party needs a host name, not an IP address, in base_url", "base_url", cfg.BaseURL)
	}
	factors, err := secondfactor.New(d.rdb, secondfactor.Options{Prefix: cfg.Redis.KeyPrefix, TOTPKey: totpKey, RPID: rpID, Origin: origin})
	if err != nil {
		return accountsCore{}, err
	}
	return accountsCore{factors: factors,
		uploads: &uploads.Store{Blobs: uploads.Dir(dir), Key: docKey, MaxBytes: cfg.Accounts.Uploads.MaxBytes}}, nil
}

// uploadsKeyAndDir reads the configured key and directory of uploads; in demo mode without
// them, a key is drawn and a temporary directory made for this run.
func uploadsKeyAndDir(cfg *config.Config, run *runGroup, log *slog.Logger) ([]byte, string, error) {
	u := cfg.Accounts.Uploads
	var master []byte
	var err error
	if u.KeyFile != "" {
		if master, err = sealed.Load(u.KeyFile); err != nil {
			return nil, "", fmt.Errorf("accounts.uploads.key_file: %w", err)
		}
	} else {
		master = sealed.Generate()
		log.Warn("accounts.uploads.key_file is not set: uploads and TOTP secrets are sealed with a key drawn for this run")
	}
	dir := u.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "mypatients-uploads-"); err != nil {
			return nil, "", fmt.Errorf("demo uploads directory: %w", err)
		}
		run.onClose(func() { os.RemoveAll(dir) })
		log.Warn("accounts.uploads.dir is not set: uploads go to a temporary directory removed at exit", "dir", dir)
	}
	return master, dir, nil
}

// passkeyRP is the WebAuthn relying party of base: its host and origin, or "" when the host
// is an IP address, which browsers refuse as a relying party id.
func passkeyRP(base string) (string, string) {
	u, err := url.Parse(base)
	if err != nil || net.ParseIP(u.Hostname()) != nil {
		return "", ""
	}
	return u.Hostname(), u.Scheme + "://" + u.Host
}

// derivedSecret is a secret every replica derives alike from the signing key.
func derivedSecret(key *rsa.PrivateKey, purpose string) string {
	m := hmac.New(sha256.New, x509.MarshalPKCS1PrivateKey(key))
	m.Write([]byte(purpose))
	return hex.EncodeToString(m.Sum(nil))
}

// register adds the provider and its pages to mux.
func (p *accountsParts) register(mux *http.ServeMux) {
	if p.provider == nil {
		return
	}
	mux.Handle("/accounts/", p.provider)
	mux.Handle("GET /accounts/static/", http.StripPrefix("/accounts/static/", provider.Static()))
	mux.HandleFunc(accounts.OldSetupPath, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, accounts.SetupPath+"?"+r.URL.RawQuery, http.StatusSeeOther)
	})
	for _, register := range p.routes {
		register(mux)
	}
}

// signInHook creates or links the account of a user of every identity provider but the
// accounts provider, whose accounts exist before they sign in.
type signInHook struct {
	accts *accounts.Store
	trail audit.Writer
}

func (h signInHook) SignedIn(ctx context.Context, s smart.SignIn) error {
	if s.IdP == "accounts" {
		return nil
	}
	return h.accts.LinkHospitalUser(ctx, h.trail, accounts.SignIn{IdP: s.IdP, User: s.User, Username: s.Username, Name: s.Name,
		Email: s.Email, FHIRUser: s.FHIRUser, Client: s.Client, Source: s.Source})
}

// apps shows the self-service pages a user's grants at the SMART server.
type apps struct{ tokens *smart.Tokens }

func (a apps) Apps(ctx context.Context, user string) ([]selfservice.App, error) {
	grants, err := a.tokens.UserGrants(ctx, user)
	var out []selfservice.App
	for _, g := range grants {
		out = append(out, selfservice.App{Client: g.Client, Since: g.Since})
	}
	return out, err
}

func (a apps) RevokeUser(ctx context.Context, user string) error {
	return a.tokens.RevokeUser(ctx, user)
}

// newConsole returns the support console, or nil when accounts.support names no IdP. The
// console signs its users in at that IdP with the gateway's own client there.
func newConsole(cfg *config.Config, log *slog.Logger, d accountDeps, core accountsCore, decider registration.Decider, p *provider.Provider) *console.Console {
	var idp *config.IdentityProvider
	for i := range cfg.IdentityProviders {
		if cfg.IdentityProviders[i].ID == cfg.Accounts.Support.IdP {
			idp = &cfg.IdentityProviders[i]
		}
	}
	if idp == nil {
		log.Info("the support console is off: accounts.support.idp names no identity provider")
		return nil
	}
	return console.New(console.Config{BaseURL: cfg.BaseURL,
		IdP:   console.IdP{ID: idp.ID, Name: idp.Name, Issuer: idp.Issuer, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret},
		Claim: cfg.Accounts.Support.Claim, Value: cfg.Accounts.Support.Value, Accounts: d.c.accts, Registrations: decider,
		Uploads: core.uploads, Requests: d.grants, EHR: console.EHR{FHIR: d.up}, Throttle: p.Throttle(), Mail: d.mail,
		Audit: d.c.trail, Proxies: d.c.proxies, Redis: d.rdb, Prefix: cfg.Redis.KeyPrefix, Logger: log.With("part", "accounts-console")})
}
