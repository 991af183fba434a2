// Package selfservice is the account holder's own pages of the accounts provider: setting up
// a login from an emailed link (a password, then a second factor), enrolling an authenticator
// app or a passkey with one-time recovery codes, resetting a forgotten password or a lost
// second factor with a pass code sent by email, and Edit Account (profile, email, password,
// second factors, sessions, "sign out everywhere"). The seed's security questions are gone:
// NIST SP 800-63B forbids knowledge-based authenticators, and the pages say so. Every change
// is audited; a reset or "sign out everywhere" ends every session and revokes every token of
// the account. It signs nobody in: the provider does. Its pages write through package web.
package selfservice

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/accounts/provider"
	"github.com/mypatients/gateway/accounts/secondfactor"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/mail"
	"github.com/mypatients/gateway/web"
)

// Apps are the apps signed in as a user at the gateway, and the way to sign them all out.
type Apps interface {
	Apps(ctx context.Context, user string) ([]App, error)
	RevokeUser(ctx context.Context, user string) error
}

// App is one app signed in as the user.
type App struct {
	Client string
	Since  time.Time
}

// Mailer queues an email; *mail.Outbox is the real one.
type Mailer interface {
	Enqueue(ctx context.Context, m mail.Message) error
}

// Deps are what the pages work with. All are required but Logger.
type Deps struct {
	Accounts *accounts.Store
	Factors  *secondfactor.Store
	Proxies  limits.Proxies
	Sessions *provider.Sessions
	Apps     Apps
	Mail     Mailer
	Audit    audit.Writer
	// BaseURL is the gateway's public base URL, for links in emails.
	BaseURL     string
	PassCodeTTL time.Duration
	Logger      *slog.Logger
}

// Paths of the pages.
const (
	SetupPath   = accounts.SetupPath
	EnrollPath  = "/accounts/enroll"
	ForgotPath  = "/accounts/forgot-password"
	ResetSFPath = "/accounts/reset-second-factor"
	AccountPath = "/accounts/account"
	signInPath  = "/accounts/signin"
)

// Limits of the pages, counted in Redis for every replica: set-up posts per client address
// (a person mistyping passes, a script trying tokens does not), and the reset flows' requests
// per client address and per typed address, whether or not it is an account's.
var (
	SetupRule       = limits.Rule{Name: "setup", Limit: 10, Window: 15 * time.Minute}
	ResetByAddress  = limits.Rule{Name: "reset-address", Limit: 20, Window: 15 * time.Minute}
	ResetByUsername = limits.Rule{Name: "reset-username", Limit: 10, Window: 15 * time.Minute}
)

// Pages serves the self-service pages.
type Pages struct {
	d                         Deps
	csrf                      web.CSRF
	setup, resetIP, resetUser *limits.Limiter
}

// New returns the pages.
func New(d Deps) *Pages {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	rdb, prefix := d.Accounts.Redis(), d.Accounts.Prefix()
	return &Pages{d: d, csrf: web.CSRF{Cookie: "mp_csrf_self", Path: "/accounts/"},
		setup: limits.New(rdb, prefix, SetupRule), resetIP: limits.New(rdb, prefix, ResetByAddress),
		resetUser: limits.New(rdb, prefix, ResetByUsername)}
}

// Register adds the pages to mux.
func (p *Pages) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+SetupPath, p.showSetup)
	mux.HandleFunc("POST "+SetupPath, p.submitSetup)
	mux.HandleFunc("GET "+EnrollPath, p.showEnroll)
	mux.HandleFunc("POST "+EnrollPath, p.confirmTOTP)
	mux.HandleFunc("POST "+EnrollPath+"/passkey/begin", p.passkeyBegin)
	mux.HandleFunc("POST "+EnrollPath+"/passkey/finish", p.passkeyFinish)
	mux.HandleFunc("GET "+EnrollPath+"/codes", p.showCodes)
	for _, f := range []flow{forgotFlow, resetSFFlow} {
		mux.HandleFunc("GET "+f.path, p.showAsk(f))
		mux.HandleFunc("POST "+f.path, p.sendCode(f))
		mux.HandleFunc("POST "+f.path+"/code", p.checkCode(f))
		mux.HandleFunc("POST "+f.path+"/verify", p.verify(f))
		mux.HandleFunc("POST "+f.path+"/finish", p.finish(f))
	}
	mux.HandleFunc("GET "+AccountPath, p.showAccount)
	mux.HandleFunc("POST "+AccountPath+"/{action}", p.accountAction)
	mux.HandleFunc("GET "+AccountPath+"/email/verify", p.verifyEmail)
}

// event writes the audit record of an action on account; the action fails when it cannot.
func (p *Pages) event(ctx context.Context, r *http.Request, name, account, reason string) error {
	return audit.WriteAction(ctx, p.d.Audit, audit.Action{Event: name, Actor: account, Subject: account, Outcome: audit.Success,
		Reason: reason, Client: "accounts-self-service", Source: p.d.Proxies.Addr(r)})
}

// signOutEverywhere ends every session of the account at the provider and revokes every
// token the gateway issued for it.
func (p *Pages) signOutEverywhere(ctx context.Context, account string) error {
	if err := p.d.Sessions.RevokeAll(ctx, account); err != nil {
		return err
	}
	return p.d.Apps.RevokeUser(ctx, account)
}
