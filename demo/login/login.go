// Package login signs a demo user in to the gateway the way a browser and a SMART app would,
// without either: it runs the authorization-code flow with PKCE, picks an identity provider
// on the gateway's page, fills in the demo IdP's login form and redeems the code. The
// `mypatients demo token` command and the end-to-end tests use it. It holds no secrets of the
// gateway's and takes no shortcut past its HTTP interface.
package login

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"
)

// Options says which app logs in where.
type Options struct {
	// Gateway is the gateway's base URL, e.g. "http://127.0.0.1:8080".
	Gateway     string
	ClientID    string
	RedirectURI string
	// Scope is the space-separated scope to request.
	Scope string
	// Extra are further authorization request parameters, such as launch or nonce.
	Extra url.Values
	// Patient is the patient to choose on the gateway's patient picker; empty takes the first.
	Patient string
	// Grant, when not nil, are the only scopes left ticked on the consent screen; nil allows
	// everything offered.
	Grant []string
	// Deny presses "Deny" on the consent screen.
	Deny bool
	// SecondFactor, when set, gives the code to type on the accounts provider's second-factor
	// page (a TOTP code); without it, only accounts that need no second factor sign in.
	SecondFactor func() string
}

// Token is the token endpoint's answer.
type Token struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	// The SMART launch context.
	Patient           string           `json:"patient,omitempty"`
	Encounter         string           `json:"encounter,omitempty"`
	FHIRContext       []map[string]any `json:"fhirContext,omitempty"`
	NeedPatientBanner *bool            `json:"need_patient_banner,omitempty"`
	SmartStyleURL     string           `json:"smart_style_url,omitempty"`
}

// Session is one browser: a cookie jar and one authorization flow at a time.
type Session struct {
	opts     Options
	http     *http.Client
	state    string
	verifier string
	chooser  string
}

// NewSession returns a Session with an empty cookie jar.
func NewSession(opts Options) *Session {
	jar, _ := cookiejar.New(nil)
	s := &Session{opts: opts}
	s.http = &http.Client{Jar: jar, CheckRedirect: s.checkRedirect}
	return s
}

// checkRedirect follows redirects like a browser, except that it stops before the gateway's
// IdP callback and before the app's redirect URI, so the caller sees both.
func (s *Session) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > 10 {
		return errors.New("login: too many redirects")
	}
	if isGatewayCallback(s.opts.Gateway, req.URL) || strings.HasPrefix(req.URL.String(), s.opts.RedirectURI) {
		return http.ErrUseLastResponse
	}
	return nil
}

// HTTPClient returns the session's browser-like client, cookies included.
func (s *Session) HTTPClient() *http.Client { return s.http }

// Start sends the authorization request and returns the gateway's sign-in page.
func (s *Session) Start(ctx context.Context) (string, error) {
	s.state, s.verifier = randomString(), oauth2.GenerateVerifier()
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {s.opts.ClientID},
		"redirect_uri":          {s.opts.RedirectURI},
		"scope":                 {s.opts.Scope},
		"state":                 {s.state},
		"aud":                   {strings.TrimRight(s.opts.Gateway, "/") + "/fhir"},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(s.verifier)},
		"code_challenge_method": {"S256"},
	}
	for k, v := range s.opts.Extra {
		q[k] = v
	}
	s.state = q.Get("state")
	body, resp, err := s.get(ctx, s.opts.Gateway+"/oauth/authorize?"+q.Encode())
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("login: authorize answered %d", resp.StatusCode)
	}
	s.chooser = body
	return body, nil
}

// LoginAtIdP picks identity provider idp on the sign-in page, fills in the IdP's login form
// and returns the URL of the gateway callback the IdP redirects to, without visiting it.
func (s *Session) LoginAtIdP(ctx context.Context, idp, username, password string) (*url.URL, error) {
	link, err := findLink(s.chooser, "/login/"+idp+"?")
	if err != nil {
		return nil, err
	}
	page, resp, err := s.get(ctx, resolve(s.opts.Gateway, link))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("login: IdP login page answered %d", resp.StatusCode)
	}
	f, err := parseForm(page)
	if err != nil {
		return nil, err
	}
	f.values.Set("username", username)
	f.values.Set("password", password)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, resp.Request.URL.ResolveReference(f.action).String(), strings.NewReader(f.values.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("login: post credentials: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && s.opts.SecondFactor != nil {
		if resp, err = s.secondFactor(ctx, resp); err != nil {
			return nil, err
		}
		defer resp.Body.Close()
	}
	loc, err := resp.Location()
	if err != nil || !isGatewayCallback(s.opts.Gateway, loc) {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("login: IdP did not sign %s in (status %d): %s", username, resp.StatusCode, text(string(b)))
	}
	return loc, nil
}

// secondFactor answers the accounts provider's second-factor page with Options.SecondFactor.
func (s *Session) secondFactor(ctx context.Context, page *http.Response) (*http.Response, error) {
	b, _ := io.ReadAll(io.LimitReader(page.Body, 1<<20))
	f, err := parseForm(string(b))
	if err != nil {
		return nil, err
	}
	f.values.Set("method", "totp")
	f.values.Set("code", s.opts.SecondFactor())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, page.Request.URL.ResolveReference(f.action).String(), strings.NewReader(f.values.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("login: post the second factor: %w", err)
	}
	return resp, nil
}

// Finish visits the gateway callback, answers the patient picker and the consent screen
// when the gateway shows them, and returns the authorization code it sends to the app, after
// checking the state.
func (s *Session) Finish(ctx context.Context, callback *url.URL) (string, error) {
	body, resp, err := s.get(ctx, callback.String())
	if err != nil {
		return "", err
	}
	for range 2 {
		if resp.StatusCode != http.StatusOK {
			break
		}
		if body, resp, err = s.answerPage(ctx, body); err != nil {
			return "", err
		}
	}
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), s.opts.RedirectURI) {
		return "", fmt.Errorf("login: gateway callback answered %d: %s", resp.StatusCode, text(body))
	}
	q := loc.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("login: gateway refused: %s: %s", e, q.Get("error_description"))
	}
	if q.Get("state") != s.state {
		return "", errors.New("login: state in the redirect does not match")
	}
	return q.Get("code"), nil
}

// answerPage submits the gateway's patient picker or consent form as Options say.
func (s *Session) answerPage(ctx context.Context, page string) (string, *http.Response, error) {
	f, err := parseForm(page)
	if err != nil {
		return "", nil, err
	}
	switch f.action.Path {
	case "/login/patient":
		choice := s.opts.Patient
		if choice == "" && len(f.options["patient"]) > 0 {
			choice = f.options["patient"][0]
		}
		f.values.Set("patient", choice)
	case "/login/consent":
		for _, sc := range f.options["scope"] {
			if s.opts.Grant == nil || slices.Contains(s.opts.Grant, sc) {
				f.values.Add("scope", sc)
			}
		}
		f.values.Set("decision", "allow")
		if s.opts.Deny {
			f.values.Set("decision", "deny")
		}
	default:
		return "", nil, fmt.Errorf("login: unexpected form to %s: %s", f.action, text(page))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, resolve(s.opts.Gateway, f.action.String()), strings.NewReader(f.values.Encode()))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.http.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("login: post %s: %w", f.action.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(b), resp, err
}

// Verifier returns the PKCE verifier of the session's current flow.
func (s *Session) Verifier() string { return s.verifier }

// State returns the state of the session's current flow.
func (s *Session) State() string { return s.state }

// Exchange redeems code at the token endpoint as a public client.
func (s *Session) Exchange(ctx context.Context, code string) (Token, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {s.opts.RedirectURI},
		"client_id":     {s.opts.ClientID},
		"code_verifier": {s.verifier},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.Gateway+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.http.Do(req)
	if err != nil {
		return Token{}, fmt.Errorf("login: token request: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return Token{}, fmt.Errorf("login: token endpoint answered %d: %s", resp.StatusCode, b)
	}
	var t Token
	if err := json.Unmarshal(b, &t); err != nil {
		return Token{}, fmt.Errorf("login: token response: %w", err)
	}
	return t, nil
}

// Login runs the whole flow for one user at one identity provider.
func Login(ctx context.Context, opts Options, idp, username, password string) (Token, error) {
	s := NewSession(opts)
	if _, err := s.Start(ctx); err != nil {
		return Token{}, err
	}
	cb, err := s.LoginAtIdP(ctx, idp, username, password)
	if err != nil {
		return Token{}, err
	}
	code, err := s.Finish(ctx, cb)
	if err != nil {
		return Token{}, err
	}
	return s.Exchange(ctx, code)
}

func (s *Session) get(ctx context.Context, u string) (string, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("login: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(b), resp, err
}

func isGatewayCallback(gateway string, u *url.URL) bool {
	g, err := url.Parse(gateway)
	return err == nil && u.Host == g.Host && strings.HasPrefix(u.Path, "/login/") && strings.HasSuffix(u.Path, "/callback")
}

func resolve(base, ref string) string {
	b, _ := url.Parse(base)
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return b.ResolveReference(r).String()
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
