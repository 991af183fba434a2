// Package portal is the clinicians' portal, served by the gateway at / and /portal/...: the
// thin, server-rendered viewer a referring pediatrician uses every day. It signs clinicians in
// as a first-party SMART client of the gateway (mypatients-portal: the authorization-code flow
// with PKCE through /oauth/authorize, the IdP and /oauth/token, authenticated with
// private_key_jwt by the gateway's own signing key), keeps the tokens in an encrypted
// server-side session in Redis, and reads everything through the gateway's own FHIR API and
// /api, so that each page is authorized and audited like any app's request, under its own
// client id. It shows the patients list with why each is visible, the saved list, recent
// patients, search with the "not authorized" notice, the record (banner, encounters and care
// teams, notes, medications, labs with trends, vitals and growth, print views), Validate a
// Token, access requests, staff management and help. Rendering of FHIR is in portal/record,
// charts in portal/charts. It must never read the EHR, the stores of other concerns or the
// policy itself: the gateway decides what it may show.
package portal

import (
	"cmp"
	"crypto/rsa"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/portal/growth"
	"github.com/mypatients/gateway/web"
)

//go:embed templates/*.html static/* help/*.html
var files embed.FS

// IdP is one way to sign in, as the sign-in page shows it.
type IdP struct {
	ID, Name string
	// Issuer is the provider's address, where the sign-in form's redirects end.
	Issuer string
	// Accounts marks the MyPatients accounts provider: its box has the register and
	// forgot-password links. Others are the hospital's sign-in, with PasswordURL.
	Accounts    bool
	PasswordURL string
}

// Links are the accounts provider's pages the portal links to.
type Links struct{ Register, ForgotPassword, EditAccount string }

// Support is how clinicians reach the support team.
type Support struct{ Name, Phone, Email, Hours string }

// Options configures the portal.
type Options struct {
	// BaseURL is the gateway's public base URL; Transport reaches it (a Loopback over the
	// gateway's handlers, or nil for the network).
	BaseURL   string
	Transport http.RoundTripper
	// Key is the gateway's token signing key, which signs the portal's client assertions.
	Key *rsa.PrivateKey
	// Redis holds sessions, saved lists and recent patients, under KeyPrefix.
	Redis     redis.UniversalClient
	KeyPrefix string
	// IdleTimeout and AbsoluteTimeout end sessions.
	IdleTimeout, AbsoluteTimeout time.Duration
	// Location is the hospital's time zone: every time shown is in it.
	Location *time.Location
	IdPs     []IdP
	Links    Links
	Support  Support
	// Help replaces built-in help pages by name (tutorials, faq, privacy, support) with
	// HTML fragments, sanitized before use.
	Help map[string]string
	// Today is the clinical "today" for ages and the "discharged in the last 30 days" filter;
	// nil means time.Now (the demo sets its world's date).
	Today  func() time.Time
	Logger *slog.Logger
}

// Portal serves the portal's pages.
type Portal struct {
	opts       Options
	gw         *gatewayClient
	sessions   *web.Sessions[sessionData]
	signinCSRF web.CSRF
	pages      map[string]*template.Template
	help       map[string]template.HTML
	static     http.Handler
	log        *slog.Logger
	store      lists
	growth     *growth.Reference
}

// New checks opts and returns the portal.
func New(opts Options) (*Portal, error) {
	if opts.Redis == nil || opts.Key == nil || opts.BaseURL == "" {
		return nil, errors.New("portal: BaseURL, Key and Redis are required")
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Today == nil {
		opts.Today = time.Now
	}
	opts.IdleTimeout = cmp.Or(opts.IdleTimeout, 15*time.Minute)
	opts.AbsoluteTimeout = cmp.Or(opts.AbsoluteTimeout, 12*time.Hour)
	gw, err := newGatewayClient(opts.BaseURL, opts.Transport, opts.Key)
	if err != nil {
		return nil, err
	}
	p := &Portal{opts: opts, gw: gw, log: cmp.Or(opts.Logger, slog.Default()),
		signinCSRF: web.CSRF{Cookie: "mp_portal_signin", Path: "/portal/signin"},
		store:      lists{rdb: opts.Redis, prefix: opts.KeyPrefix + "portal:"}}
	secure := strings.HasPrefix(opts.BaseURL, "https://")
	p.sessions = &web.Sessions[sessionData]{Redis: opts.Redis, Prefix: opts.KeyPrefix + "portal:", Name: "mp_portal",
		Secure: secure, Idle: opts.IdleTimeout, Absolute: opts.AbsoluteTimeout}
	if p.pages, err = parsePages(p.funcs()); err != nil {
		return nil, err
	}
	if p.help, err = helpPages(opts.Help); err != nil {
		return nil, err
	}
	if p.growth, err = growth.Load(); err != nil {
		return nil, err
	}
	sub, _ := fs.Sub(files, "static")
	p.static = http.StripPrefix("/portal/static/", http.FileServerFS(sub))
	return p, nil
}

// Register adds the portal's routes to mux.
func (p *Portal) Register(mux *http.ServeMux) {
	protect := http.NewCrossOriginProtection()
	page := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, protect.Handler(h)) }
	page("GET /{$}", p.home)
	page("GET /portal/{$}", p.home)
	page("GET /portal/signin", p.signinPage)
	page("POST /portal/signin", p.startSignin)
	page("GET /portal/callback", p.callback)
	page("POST /portal/signout", p.signedIn(p.signout))
	page("GET /portal/saved", p.signedIn(p.savedPage))
	page("POST /portal/saved", p.signedIn(p.changeSaved))
	page("GET /portal/search", p.signedIn(p.searchPage))
	page("POST /portal/request", p.signedIn(p.requestAccess))
	page("GET /portal/patients/{id}", p.signedIn(p.recordPage))
	page("GET /portal/patients/{id}/print", p.signedIn(p.printRecord))
	page("GET /portal/patients/{id}/encounters/{enc}", p.signedIn(p.encounterPage))
	page("GET /portal/patients/{id}/notes", p.signedIn(p.tab("notes", p.notesPage)))
	page("GET /portal/patients/{id}/notes/{doc}", p.signedIn(p.notePage))
	page("GET /portal/patients/{id}/notes/{doc}/print", p.signedIn(p.printNote))
	page("GET /portal/patients/{id}/notes/{doc}/pdf", p.signedIn(p.notePDF))
	page("GET /portal/patients/{id}/meds", p.signedIn(p.tab("meds", p.medsPage)))
	page("GET /portal/patients/{id}/labs", p.signedIn(p.tab("labs", p.labsPage)))
	page("GET /portal/patients/{id}/labs/{code}", p.signedIn(p.tab("labs", p.trendPage)))
	page("GET /portal/patients/{id}/vitals", p.signedIn(p.tab("vitals", p.vitalsPage)))
	page("GET /portal/token", p.signedIn(p.tokenPage))
	page("POST /portal/token", p.signedIn(p.redeemToken))
	page("GET /portal/requests", p.signedIn(p.requestsPage))
	page("GET /portal/staff", p.signedIn(p.staffPage))
	page("POST /portal/staff", p.signedIn(p.createStaff))
	page("GET /portal/staff/{sid}/remove", p.signedIn(p.confirmRemove))
	page("POST /portal/staff/{sid}/{action}", p.signedIn(p.staffAction))
	page("GET /portal/help", p.helpPage)
	page("GET /portal/help/{page}", p.helpPage)
	mux.Handle("GET /portal/static/", p.staticFiles())
}

// staticFiles serves the style sheet, script and illustrations: public, cacheable, never
// sniffed.
func (p *Portal) staticFiles() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'")
		p.static.ServeHTTP(w, r)
	})
}

func (p *Portal) today() time.Time { return p.opts.Today().In(p.opts.Location) }

// fault logs a failure of the portal's own, with its cause (never shown to the clinician).
func (p *Portal) fault(r *http.Request, what string, err error) {
	p.log.ErrorContext(r.Context(), "portal: "+what, "path", r.URL.Path, "err", err)
}
