package idp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/redisstore/redistest"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const (
	testPassword    = "correct horse battery staple"
	testClientID    = "gateway"
	testSecret      = "gateway-secret"
	testRedirectURI = "http://gateway.test/login/accounts/callback"
	// The sign-in limits of the test IdPs: failed attempts per account and per address.
	testAccountLimit = 5
	testAddressLimit = 20
)

// testIdP is a running IdP with one registered client, reached over real HTTP.
type testIdP struct {
	issuer string
	srv    *httptest.Server
}

// startIdP runs New behind an httptest server. The issuer is only known once the listener is
// bound, so the server is created unstarted and gets its handler after New.
func startIdP(t *testing.T, idpID string) *testIdP {
	t.Helper()
	return startIdPWith(t, idpID, nil)
}

// startIdPWith is startIdP with Config.Accounts.
func startIdPWith(t *testing.T, idpID string, accts Accounts) *testIdP {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	rdb := redistest.Embedded(t).Client
	h, err := New(ctx, Config{
		Issuer:   issuer,
		Name:     "Test IdP " + idpID,
		Password: testPassword,
		Users:    DemoUsers(idpID),
		Clients:  []Client{{ID: testClientID, Secret: testSecret, RedirectURIs: []string{testRedirectURI}}},
		Accounts: accts,
		SignIn: limits.SignIn{
			Account: limits.New(rdb, "t:", limits.Rule{Name: "signin-account", Limit: testAccountLimit, Window: time.Minute}),
			Address: limits.New(rdb, "t:", limits.Rule{Name: "signin-address", Limit: testAddressLimit, Window: time.Minute}),
		},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(func() { srv.Close(); cancel() })
	return &testIdP{issuer: issuer, srv: srv}
}

// rp is the relying party side, as the gateway does it: go-oidc discovery and verification,
// x/oauth2 for the code flow.
type rp struct {
	provider *oidc.Provider
	oauth    oauth2.Config
}

func newRP(t *testing.T, p *testIdP, style oauth2.AuthStyle) *rp {
	t.Helper()
	provider, err := oidc.NewProvider(t.Context(), p.issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	ep := provider.Endpoint()
	ep.AuthStyle = style
	return &rp{provider: provider, oauth: oauth2.Config{
		ClientID: testClientID, ClientSecret: testSecret, Endpoint: ep, RedirectURL: testRedirectURI,
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", "fhirUser"},
	}}
}

// flow is one authorization request in progress.
type flow struct {
	state, nonce, verifier string
	authURL                string
}

func (r *rp) newFlow() flow {
	f := flow{state: randomString(), nonce: randomString(), verifier: oauth2.GenerateVerifier()}
	f.authURL = r.oauth.AuthCodeURL(f.state, oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier))
	return f
}

func randomString() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newBrowser is a cookie-keeping client that follows redirects within the IdP but stops at the
// client's redirect URI, like a browser whose next hop is the gateway.
func newBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), "http://gateway.test/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// loginForm is the sign-in form as a browser sees it.
type loginForm struct {
	action string
	fields url.Values // hidden inputs
}

var (
	formRe   = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// openLogin follows authURL to the login page and parses its form.
func openLogin(t *testing.T, b *http.Client, authURL string) loginForm {
	t.Helper()
	resp, err := b.Get(authURL)
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize: status %d, body %q", resp.StatusCode, body)
	}
	m := formRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no login form in %q", body)
	}
	action, err := resp.Request.URL.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatalf("form action: %v", err)
	}
	f := loginForm{action: action.String(), fields: url.Values{}}
	for _, h := range hiddenRe.FindAllStringSubmatch(body, -1) {
		f.fields.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return f
}

// submit posts the form with the given credentials; redirects inside the IdP are followed.
func (f loginForm) submit(t *testing.T, b *http.Client, username, password string) (*http.Response, string) {
	t.Helper()
	v := url.Values{"username": {username}, "password": {password}}
	for k := range f.fields {
		v.Set(k, f.fields.Get(k))
	}
	resp, err := b.PostForm(f.action, v)
	if err != nil {
		t.Fatalf("post login: %v", err)
	}
	return resp, readBody(t, resp)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

// login runs the browser part of the flow and returns the code the client receives.
func login(t *testing.T, b *http.Client, f flow, username string) string {
	t.Helper()
	resp, body := openLogin(t, b, f.authURL).submit(t, b, username, testPassword)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login as %s: status %d, want a redirect to the client; body %q", username, resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), testRedirectURI+"?") {
		t.Fatalf("redirect to %q, want %s?...", resp.Header.Get("Location"), testRedirectURI)
	}
	if got := loc.Query().Get("state"); got != f.state {
		t.Fatalf("state %q, want %q", got, f.state)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in %s", loc)
	}
	return code
}

// idTokenClaims are the claims the gateway reads.
type idTokenClaims struct {
	Subject           string `json:"sub"`
	PreferredUsername string `json:"preferred_username"`
	Name              string `json:"name"`
	Email             string `json:"email"`
	FHIRUser          string `json:"fhirUser"`
}

func TestCodeFlowWithGoOIDC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		idp, username string
		style         oauth2.AuthStyle
		want          idTokenClaims
	}{
		{"accounts", "pcp", oauth2.AuthStyleInHeader, idTokenClaims{Subject: "u-pcp", PreferredUsername: "pcp",
			Name: "Dr. Priya Patel", Email: "priya.patel@maple-pediatrics.example.org", FHIRUser: "Practitioner/dr-patel"}},
		{"accounts", "staff", oauth2.AuthStyleInParams, idTokenClaims{Subject: "u-staff", PreferredUsername: "staff",
			Name: "Rosa Garcia, RN", Email: "rosa.garcia@maple-pediatrics.example.org"}},
		{"childrens", "HospDoc", oauth2.AuthStyleInParams, idTokenClaims{Subject: "c-hospdoc", PreferredUsername: "hospdoc",
			Name: "Dr. Samir Haddad", Email: "samir.haddad@childrens.example.org", FHIRUser: "Practitioner/dr-haddad"}},
	}
	for _, tt := range tests {
		t.Run(tt.idp+"/"+tt.username, func(t *testing.T) {
			t.Parallel()
			p := startIdP(t, tt.idp)
			r := newRP(t, p, tt.style)
			f := r.newFlow()
			code := login(t, newBrowser(t), f, tt.username)

			tok, err := r.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(f.verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := r.provider.Verifier(&oidc.Config{ClientID: testClientID}).Verify(t.Context(), raw)
			if err != nil {
				t.Fatalf("verify id_token: %v", err)
			}
			if idt.Nonce != f.nonce {
				t.Errorf("nonce %q, want %q", idt.Nonce, f.nonce)
			}
			var got idTokenClaims
			if err := idt.Claims(&got); err != nil {
				t.Fatal(err)
			}
			var amr struct {
				AMR []string `json:"amr"`
			}
			if err := idt.Claims(&amr); err != nil || !slices.Equal(amr.AMR, []string{"pwd"}) {
				t.Errorf("amr %v (%v), want [pwd]", amr.AMR, err)
			}
			if got != tt.want {
				t.Errorf("id_token claims\n got %+v\nwant %+v", got, tt.want)
			}

			ui, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			var uiClaims idTokenClaims
			if err := ui.Claims(&uiClaims); err != nil {
				t.Fatal(err)
			}
			if uiClaims != tt.want {
				t.Errorf("userinfo claims\n got %+v\nwant %+v", uiClaims, tt.want)
			}
		})
	}
}
