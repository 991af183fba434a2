package smart

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mypatients/gateway/redisstore"
	"github.com/mypatients/gateway/redisstore/redistest"
)

// putGrantCode stores a code for the public app with g's scopes and context, for pcp.
func putGrantCode(t *testing.T, s *Server, scopes string, ctx *launchContext) string {
	t.Helper()
	return putUserCode(t, s, loggedInUser{Subject: "accounts:u-pcp", Username: "pcp", IdP: "accounts", FHIRUser: "Practitioner/dr-patel"}, scopes, ctx)
}

// putUserCode stores a code for the public app as user's sign-in would.
func putUserCode(t *testing.T, s *Server, user loggedInUser, scopes string, ctx *launchContext) string {
	t.Helper()
	code := newSecret()
	rec := authCode{RedirectURI: "https://app.example.org/cb", CodeChallenge: pkceS256(verifier), Grant: grant{
		ClientID: "app", Scopes: strings.Fields(scopes), Context: ctx, User: user}}
	if err := redisstore.PutJSON(context.Background(), s.rdb, s.codeKey(code), rec, time.Minute); err != nil {
		t.Fatal(err)
	}
	return code
}

func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s, hs := newTestServer(t, srv.Client)
		code := putGrantCode(t, s, "patient/*.rs offline_access", &launchContext{Patient: "child-01", NeedPatientBanner: true})
		status, body, _ := postToken(t, hs.URL, codeForm(code, "https://app.example.org/cb"), "", "")
		if status != http.StatusOK || body["refresh_token"] == nil || body["patient"] != "child-01" {
			t.Fatalf("code: %d %v", status, body)
		}
		first := body["refresh_token"].(string)
		refresh := func(rt string, extra url.Values) (int, map[string]any) {
			f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
			for k, v := range extra {
				f[k] = v
			}
			status, body, _ := postToken(t, hs.URL, f, "", "")
			return status, body
		}
		status, second := refresh(first, nil)
		if status != http.StatusOK || second["refresh_token"] == first || second["patient"] != "child-01" {
			t.Fatalf("refresh: %d %v", status, second)
		}
		if status, b := refresh(second["refresh_token"].(string), url.Values{"scope": {"patient/*.rs user/*.rs"}}); status != http.StatusBadRequest || b["error"] != errInvalidScope {
			t.Errorf("wider scope: %d %v", status, b)
		}
		// A wider scope spent nothing: the token still works.
		status, third := refresh(second["refresh_token"].(string), nil)
		if status != http.StatusOK {
			t.Fatalf("refresh after a refused wider scope: %d %v", status, third)
		}
		second = third
		// Reusing the first token revokes the family.
		if status, b := refresh(first, nil); status != http.StatusBadRequest || b["error"] != errInvalidGrant {
			t.Errorf("reuse: %d %v", status, b)
		}
		if _, err := s.Authenticate(context.Background(), second["access_token"].(string)); err == nil {
			t.Error("an access token of a revoked family still authenticates")
		}
	})
}

func TestIntrospectAndRevoke(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s, hs := newTestServer(t, srv.Client, Client{ID: "rs", SecretSHA256: hashSecret("rs-secret"), ResourceServer: true, GrantTypes: []string{}})
		code := putGrantCode(t, s, "openid fhirUser patient/*.rs", &launchContext{Patient: "child-01", Encounter: "e1"})
		_, tok, _ := postToken(t, hs.URL, codeForm(code, "https://app.example.org/cb"), "", "")
		at := tok["access_token"].(string)
		post := func(path string, f url.Values, user, pass string) (int, map[string]any) {
			req, _ := http.NewRequest(http.MethodPost, hs.URL+path, strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if user != "" {
				req.SetBasicAuth(user, pass)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&b)
			return resp.StatusCode, b
		}
		status, b := post("/oauth/introspect", url.Values{"token": {at}}, "rs", "rs-secret")
		if status != http.StatusOK || b["active"] != true || b["patient"] != "child-01" || b["encounter"] != "e1" || b["fhirUser"] != "Practitioner/dr-patel" || b["client_id"] != "app" {
			t.Fatalf("introspect: %d %v", status, b)
		}
		// Another client learns nothing of a token that is not its own.
		if status, b := post("/oauth/introspect", url.Values{"token": {at}}, "conf", "s3cret"); status != http.StatusOK || len(b) != 1 || b["active"] != false {
			t.Errorf("another confidential client introspecting: %d %v", status, b)
		}
		if status, _ := post("/oauth/introspect", url.Values{"token": {at}}, "app", ""); status != http.StatusUnauthorized {
			t.Errorf("a public client may not introspect: %d", status)
		}
		if status, _ := post("/oauth/revoke", url.Values{"token": {at}, "client_id": {"app"}}, "", ""); status != http.StatusOK {
			t.Fatalf("revoke: %d", status)
		}
		if _, b := post("/oauth/introspect", url.Values{"token": {at}}, "rs", "rs-secret"); len(b) != 1 || b["active"] != false {
			t.Errorf("after revocation: %v", b)
		}
	})
}

// TestSponsorCarriedIntoTokens: a staff user's sponsor, captured at sign-in, is in every token
// issued from the grant, refreshed ones too, and only in the store's record of it, never in
// the JWT the app holds.
func TestSponsorCarriedIntoTokens(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s, hs := newTestServer(t, srv.Client)
		staff := loggedInUser{Subject: "accounts:u-staff", Username: "staff", IdP: "accounts", Sponsor: "accounts:u-pcp"}
		code := putUserCode(t, s, staff, "user/*.rs offline_access", nil)
		status, body, _ := postToken(t, hs.URL, codeForm(code, "https://app.example.org/cb"), "", "")
		if status != http.StatusOK {
			t.Fatalf("code: %d %v", status, body)
		}
		f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)}}
		status, refreshed, _ := postToken(t, hs.URL, f, "", "")
		if status != http.StatusOK {
			t.Fatalf("refresh: %d %v", status, refreshed)
		}
		for name, b := range map[string]map[string]any{"code": body, "refresh": refreshed} {
			at := b["access_token"].(string)
			c, err := s.Authenticate(context.Background(), at)
			if err != nil || c.Sponsor != "accounts:u-pcp" || c.Subject != "accounts:u-staff" {
				t.Errorf("%s: caller %+v, %v; want staff sponsored by pcp", name, c, err)
			}
			tok, err := jwt.ParseSigned(at, []jose.SignatureAlgorithm{jose.RS256})
			var claims map[string]any
			if err != nil || tok.UnsafeClaimsWithoutVerification(&claims) != nil || claims["sponsor"] != nil {
				t.Errorf("%s: the JWT names the sponsor or does not parse: %v %v", name, claims, err)
			}
		}
	})
}

type sponsorsFunc func(context.Context, string) (string, error)

func (f sponsorsFunc) SponsorOf(ctx context.Context, user string) (string, error) {
	return f(ctx, user)
}

func (f sponsorsFunc) CheckStanding(context.Context, string) error { return nil }

// TestSponsorOf: without a sponsor directory nobody is staff; a directory that cannot answer
// is an error, never "not staff".
func TestSponsorOf(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, redistest.Embedded(t).Client)
	if got, err := s.sponsorOf(context.Background(), "accounts:u-staff"); got != "" || err != nil {
		t.Errorf("no directory: %q, %v", got, err)
	}
	s.opts.Accounts = sponsorsFunc(func(context.Context, string) (string, error) { return "accounts:u-pcp", nil })
	if got, err := s.sponsorOf(context.Background(), "accounts:u-staff"); got != "accounts:u-pcp" || err != nil {
		t.Errorf("staff: %q, %v", got, err)
	}
	s.opts.Accounts = sponsorsFunc(func(context.Context, string) (string, error) { return "", errors.New("redis down") })
	if _, err := s.sponsorOf(context.Background(), "accounts:u-staff"); err == nil {
		t.Error("a failed lookup reads as not staff")
	}
}
