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

const verifier = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ-._~"

// putCode stores a code as a finished login would and returns it.
func putCode(t *testing.T, s *Server, client, redirect string) string {
	t.Helper()
	code := newSecret()
	rec := authCode{RedirectURI: redirect, CodeChallenge: pkceS256(verifier), Grant: grant{ClientID: client, Scopes: []string{"user/*.rs"},
		User: loggedInUser{Subject: "accounts:u-pcp", Username: "pcp", IdP: "accounts", FHIRUser: "Practitioner/dr-patel"}}}
	if err := redisstore.PutJSON(context.Background(), s.rdb, s.codeKey(code), rec, time.Minute); err != nil {
		t.Fatal(err)
	}
	return code
}

func postToken(t *testing.T, base string, form url.Values, basicUser, basicPass string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(basicUser, basicPass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("token endpoint answered non-JSON: %v", err)
	}
	return resp.StatusCode, body, resp.Header
}

func codeForm(code, redirect string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "client_id": {"app"}, "code_verifier": {verifier}}
}

func TestTokenIssueAndAuthenticate(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s, hs := newTestServer(t, srv.Client)
		code := putCode(t, s, "app", "https://app.example.org/cb")
		status, body, h := postToken(t, hs.URL, codeForm(code, "https://app.example.org/cb"), "", "")
		if status != http.StatusOK || body["token_type"] != "Bearer" || body["scope"] != "user/*.rs" || body["expires_in"].(float64) != 3600 {
			t.Fatalf("token response %d %v", status, body)
		}
		if h.Get("Cache-Control") != "no-store" {
			t.Error("token response is cacheable")
		}
		tok := body["access_token"].(string)
		c, err := s.Authenticate(context.Background(), tok)
		if err != nil {
			t.Fatalf("Authenticate(issued token): %v", err)
		}
		if c.Subject != "accounts:u-pcp" || c.ClientID != "app" || c.FHIRUser != "Practitioner/dr-patel" || c.IdP != "accounts" || len(c.Scopes) != 1 || c.TokenID == "" {
			t.Errorf("caller = %+v", c)
		}
		// The code was single-use: replaying it fails and revokes the token it issued.
		status, body, _ = postToken(t, hs.URL, codeForm(code, "https://app.example.org/cb"), "", "")
		if status != http.StatusBadRequest || body["error"] != errInvalidGrant {
			t.Fatalf("replayed code: %d %v", status, body)
		}
		if _, err := s.Authenticate(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("token of a replayed code still works: %v", err)
		}
	})
}

func TestTokenRefusals(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s, hs := newTestServer(t, srv.Client)
		tests := []struct {
			name       string
			form       func(code string) url.Values
			user, pass string
			wantStatus int
			wantError  string
		}{
			{"wrong verifier", func(c string) url.Values {
				f := codeForm(c, "https://app.example.org/cb")
				f.Set("code_verifier", strings.Repeat("x", 43))
				return f
			}, "", "", 400, errInvalidGrant},
			{"short verifier", func(c string) url.Values {
				f := codeForm(c, "https://app.example.org/cb")
				f.Set("code_verifier", "short")
				return f
			}, "", "", 400, errInvalidGrant},
			{"other redirect", func(c string) url.Values { return codeForm(c, "http://127.0.0.1:8765/callback") }, "", "", 400, errInvalidGrant},
			{"unknown client", func(c string) url.Values {
				f := codeForm(c, "https://app.example.org/cb")
				f.Set("client_id", "nobody")
				return f
			}, "", "", 401, errInvalidClient},
			{"code of another client", func(c string) url.Values {
				f := codeForm(c, "https://app.example.org/cb")
				f.Del("client_id")
				return f
			}, "conf", "s3cret", 400, errInvalidGrant},
			{"confidential client, wrong secret", func(c string) url.Values {
				f := codeForm(c, "https://app.example.org/cb")
				f.Del("client_id")
				return f
			}, "conf", "wrong", 401, errInvalidClient},
			{"missing code", func(c string) url.Values {
				f := codeForm(c, "https://app.example.org/cb")
				f.Del("code")
				return f
			}, "", "", 400, errInvalidRequest},
			{"client credentials grant for an app", func(c string) url.Values {
				return url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}}
			}, "", "", 400, errUnauthorizedClient},
			{"unknown grant type", func(c string) url.Values {
				return url.Values{"grant_type": {"password"}, "client_id": {"app"}}
			}, "", "", 400, errUnsupportedGrantType},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code := putCode(t, s, "app", "https://app.example.org/cb")
				status, body, _ := postToken(t, hs.URL, tt.form(code), tt.user, tt.pass)
				if status != tt.wantStatus || body["error"] != tt.wantError {
					t.Errorf("got %d %v, want %d %s", status, body, tt.wantStatus, tt.wantError)
				}
			})
		}
	})
}

func TestAuthenticateRejects(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s, _ := newTestServer(t, srv.Client)
		now := time.Now()
		good := accessClaims{Claims: jwt.Claims{Subject: "accounts:u", ID: "jti-1", IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}, ClientID: "app"}
		if err := redisstore.PutJSON(context.Background(), s.rdb, s.tokenKey("jti-1"), tokenRecord{Subject: "accounts:u", ClientID: "app"}, time.Hour); err != nil {
			t.Fatal(err)
		}
		sign := func(c accessClaims) string {
			tok, err := s.signer.sign(c)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		if _, err := s.Authenticate(context.Background(), sign(good)); err != nil {
			t.Fatalf("good token refused: %v", err)
		}
		expired := good
		expired.Expiry = jwt.NewNumericDate(now.Add(-time.Hour))
		unknown := good
		unknown.ID = "jti-unknown"
		otherClient := good
		otherClient.ClientID = "conf"
		// An ID-token-like JWT signed by the same key but without typ at+jwt.
		plainSigner, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: s.signer.key, KeyID: s.signer.kid}}, nil)
		good.Issuer, good.Audience = s.signer.issuer, jwt.Audience{s.signer.audience}
		untyped, _ := jwt.Signed(plainSigner).Claims(good).Serialize()
		wrongAud := good
		wrongAud.Audience = jwt.Audience{"https://other.example.org/fhir"}
		typedSigner, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: s.signer.key, KeyID: s.signer.kid}}, (&jose.SignerOptions{}).WithType(accessTokenType))
		wrongAudTok, _ := jwt.Signed(typedSigner).Claims(wrongAud).Serialize()
		goodTok := sign(good)
		tampered := goodTok[:len(goodTok)-6] + "AAAAAA"
		for name, tok := range map[string]string{
			"expired": sign(expired), "unknown jti": sign(unknown), "client differs from record": sign(otherClient),
			"no typ": untyped, "wrong audience": wrongAudTok, "tampered signature": tampered, "garbage": "not.a.jwt",
			"alg none": "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0." + strings.Split(goodTok, ".")[1] + ".",
		} {
			if _, err := s.Authenticate(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("%s: Authenticate err = %v, want ErrInvalidToken", name, err)
			}
		}
	})
}
