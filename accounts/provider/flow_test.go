package provider

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// noFollow never follows a redirect, so a test sees exactly where the IdP would send a browser.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestAuthorizeRefusesUnregisteredRedirectURI(t *testing.T) {
	t.Parallel()
	p := startIdP(t, "accounts")
	r := newRP(t, p, oauth2.AuthStyleInHeader)
	tests := []struct{ name, clientID, redirectURI string }{
		{"other host", testClientID, "http://evil.test/login/accounts/callback"},
		{"trailing slash", testClientID, testRedirectURI + "/"},
		{"longer path", testClientID, testRedirectURI + "x"},
		{"extra query", testClientID, testRedirectURI + "?next=http://evil.test"},
		{"other case", testClientID, strings.ToUpper(testRedirectURI[:11]) + testRedirectURI[11:]},
		{"https instead of http", testClientID, "https" + strings.TrimPrefix(testRedirectURI, "http")},
		{"unknown client", "someone-else", testRedirectURI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := r.oauth
			cfg.ClientID, cfg.RedirectURL = tt.clientID, tt.redirectURI
			authURL := cfg.AuthCodeURL("st", oidc.Nonce("n"), oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
			resp, err := noFollow.Get(authURL)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("status %d, Location %q, body %q; want 400 and no redirect",
					resp.StatusCode, resp.Header.Get("Location"), body)
			}
		})
	}
}

func TestAuthorizeErrorsGoBackToTheClient(t *testing.T) {
	t.Parallel()
	p := startIdP(t, "accounts")
	r := newRP(t, p, oauth2.AuthStyleInHeader)
	v := oauth2.GenerateVerifier()
	tests := []struct {
		name, wantError string
		opts            []oauth2.AuthCodeOption
	}{
		{"no PKCE", "invalid_request", nil},
		{"PKCE plain", "invalid_request", []oauth2.AuthCodeOption{
			oauth2.SetAuthURLParam("code_challenge", v), oauth2.SetAuthURLParam("code_challenge_method", "plain")}},
		{"prompt none", "login_required", []oauth2.AuthCodeOption{
			oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "none")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, err := noFollow.Get(r.oauth.AuthCodeURL("st-1", tt.opts...))
			if err != nil {
				t.Fatal(err)
			}
			readBody(t, resp)
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), testRedirectURI+"?") {
				t.Fatalf("status %d, Location %q; want 302 to the client", resp.StatusCode, resp.Header.Get("Location"))
			}
			if q := loc.Query(); q.Get("error") != tt.wantError || q.Get("state") != "st-1" || q.Get("code") != "" {
				t.Errorf("redirect query %v, want error=%s state=st-1 and no code", q, tt.wantError)
			}
		})
	}
}

func TestTokenExchangeRefusals(t *testing.T) {
	t.Parallel()
	good := func(ctx context.Context, r *rp, f flow, code string) (*oauth2.Token, error) {
		return r.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.verifier))
	}
	tests := []struct {
		name string
		// replay exchanges the code correctly before the bad attempt.
		replay    bool
		bad       func(context.Context, *rp, flow, string) (*oauth2.Token, error)
		wantError string
		// laterGood is whether the right exchange still works after the bad attempt: a failed
		// attempt must not burn the code, a redeemed code must stay dead.
		laterGood bool
	}{
		{"code replay", true, good, "invalid_grant", false},
		{"wrong PKCE verifier", false, func(ctx context.Context, r *rp, _ flow, code string) (*oauth2.Token, error) {
			return r.oauth.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		}, "invalid_grant", true},
		{"no PKCE verifier", false, func(ctx context.Context, r *rp, _ flow, code string) (*oauth2.Token, error) {
			return r.oauth.Exchange(ctx, code)
		}, "invalid_request", true},
		{"wrong client secret", false, func(ctx context.Context, r *rp, f flow, code string) (*oauth2.Token, error) {
			cfg := r.oauth
			cfg.ClientSecret = "guess"
			return cfg.Exchange(ctx, code, oauth2.VerifierOption(f.verifier))
		}, "invalid_client", true},
		{"other redirect_uri", false, func(ctx context.Context, r *rp, f flow, code string) (*oauth2.Token, error) {
			cfg := r.oauth
			cfg.RedirectURL = testRedirectURI + "x"
			return cfg.Exchange(ctx, code, oauth2.VerifierOption(f.verifier))
		}, "invalid_grant", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startIdP(t, "accounts")
			r := newRP(t, p, oauth2.AuthStyleInHeader)
			f := r.newFlow()
			code := login(t, newBrowser(t), f, "pcp")
			var first *oauth2.Token
			if tt.replay {
				var err error
				if first, err = good(t.Context(), r, f, code); err != nil {
					t.Fatalf("first exchange: %v", err)
				}
			}

			_, err := tt.bad(t.Context(), r, f, code)
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != tt.wantError {
				t.Fatalf("bad exchange: error %v, want OAuth error %s", err, tt.wantError)
			}
			if _, err := good(t.Context(), r, f, code); (err == nil) != tt.laterGood {
				t.Errorf("right exchange afterwards: error %v, want success %v", err, tt.laterGood)
			}
			if first != nil {
				// RFC 6749 §4.1.2: a replayed code revokes what was issued for it.
				if _, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(first)); err == nil {
					t.Error("access token of a replayed code still works at userinfo")
				}
			}
		})
	}
}

func TestDiscoveryAdvertisesWhatTheGatewayNeeds(t *testing.T) {
	t.Parallel()
	p := startIdP(t, "childrens")
	r := newRP(t, p, oauth2.AuthStyleInHeader)
	var meta struct {
		Issuer          string   `json:"issuer"`
		Scopes          []string `json:"scopes_supported"`
		Claims          []string `json:"claims_supported"`
		PKCEMethods     []string `json:"code_challenge_methods_supported"`
		AuthMethods     []string `json:"token_endpoint_auth_methods_supported"`
		SigningAlgs     []string `json:"id_token_signing_alg_values_supported"`
		EndSession      string   `json:"end_session_endpoint"`
		UserinfoEndpont string   `json:"userinfo_endpoint"`
	}
	if err := r.provider.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what string
		list []string
		want string
	}{
		{"scopes_supported", meta.Scopes, "fhirUser"},
		{"claims_supported", meta.Claims, "fhirUser"},
		{"code_challenge_methods_supported", meta.PKCEMethods, "S256"},
		{"token_endpoint_auth_methods_supported", meta.AuthMethods, "client_secret_basic"},
		{"token_endpoint_auth_methods_supported", meta.AuthMethods, "client_secret_post"},
		{"id_token_signing_alg_values_supported", meta.SigningAlgs, "RS256"},
	}
	for _, c := range checks {
		if !strings.Contains(" "+strings.Join(c.list, " ")+" ", " "+c.want+" ") {
			t.Errorf("%s = %v, want it to contain %s", c.what, c.list, c.want)
		}
	}
	if meta.Issuer != p.issuer || meta.EndSession != p.issuer+"/end_session" || meta.UserinfoEndpont != p.issuer+"/userinfo" {
		t.Errorf("issuer %q, end_session %q, userinfo %q", meta.Issuer, meta.EndSession, meta.UserinfoEndpont)
	}
}
