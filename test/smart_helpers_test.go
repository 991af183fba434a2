package test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mypatients/gateway/demo/login"
)

// The SMART checklist tests run the real binary with these registered clients: a public app,
// a symmetric and an asymmetric confidential app, and a backend service whose JWKS is served
// by the test by URL.
const (
	publicApp      = "public-app"
	publicRedirect = "https://app.example.org/cb"
	appOrigin      = "https://app.example.org"
	symApp         = "sym-app"
	symSecret      = "sym-secret-for-tests"
	symRedirect    = "https://sym.example.org/cb"
	asymApp        = "asym-app"
	asymRedirect   = "https://asym.example.org/cb"
	backendApp     = "backend-svc"
	launcherSecret = "launcher-secret-for-tests"
	allScopes      = "openid fhirUser offline_access launch/patient patient/*.rs"
)

var (
	clientKeysOnce sync.Once
	asymKey        *rsa.PrivateKey
	backendKey     *ecdsa.PrivateKey
)

func clientKeys() (*rsa.PrivateKey, *ecdsa.PrivateKey) {
	clientKeysOnce.Do(func() {
		var err error
		if asymKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if backendKey, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
			panic(err)
		}
	})
	return asymKey, backendKey
}

// smartEnv is a gateway started with the SMART test clients.
type smartEnv struct {
	*gateway
	jwksFetches *atomic.Int32
}

// startSmart runs the gateway with the test clients; env adds KEY=VALUE settings.
func startSmart(t *testing.T, env ...string) *smartEnv {
	t.Helper()
	rk, ek := clientKeys()
	fetches := &atomic.Int32{}
	jwksSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Cache-Control", "max-age=60")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &ek.PublicKey, KeyID: "backend-1", Algorithm: "ES384", Use: "sig"}}})
	}))
	t.Cleanup(jwksSrv.Close)
	inline, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &rk.PublicKey, KeyID: "asym-1", Algorithm: "RS384", Use: "sig"}}})
	sum := sha256.Sum256([]byte(symSecret))
	cfg := fmt.Sprintf(`demo:
  enabled: true
clients:
  - id: %s
    name: Public test app
    type: public
    redirect_uris: [%q, "http://127.0.0.1:8765/callback"]
  - id: %s
    type: confidential
    secret_sha256: %s
    resource_server: true
    redirect_uris: [%q]
  - id: %s
    type: confidential
    jwks: %s
    redirect_uris: [%q]
  - id: %s
    type: confidential
    jwks_url: %s
    grant_types: [client_credentials]
    scopes: [system/Patient.rs, system/Observation.rs]
`, publicApp, publicRedirect, symApp, hex.EncodeToString(sum[:]), symRedirect, asymApp, inline, asymRedirect, backendApp, jwksSrv.URL)
	path := filepath.Join(t.TempDir(), "smart.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGatewayWith(t, gatewayOptions{ConfigFile: path, Env: append([]string{"MYPATIENTS_DEMO_LAUNCHER_SECRET=" + launcherSecret}, env...)})
	return &smartEnv{gateway: g, jwksFetches: fetches}
}

func (e *smartEnv) fhirBase() string { return e.base + "/fhir" }

// flow is one authorization through the gateway's pages, up to the code.
type flow struct {
	sess *login.Session
	code string
	opts login.Options
}

// authorize runs the browser part of a flow for user (at the accounts IdP) and returns the
// code; mod may change the options (scope, extra parameters, consent choices).
func (e *smartEnv) authorize(t *testing.T, user string, mod func(*login.Options)) flow {
	t.Helper()
	f, err := e.tryAuthorize(user, mod)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (e *smartEnv) tryAuthorize(user string, mod func(*login.Options)) (flow, error) {
	ctx := context.Background()
	opts := login.Options{Gateway: e.base, ClientID: publicApp, RedirectURI: publicRedirect, Scope: allScopes}
	if mod != nil {
		mod(&opts)
	}
	s := login.NewSession(opts)
	if _, err := s.Start(ctx); err != nil {
		return flow{}, err
	}
	cb, err := s.LoginAtIdP(ctx, "accounts", user, e.password)
	if err != nil {
		return flow{}, err
	}
	code, err := s.Finish(ctx, cb)
	return flow{sess: s, code: code, opts: opts}, err
}

// codeForm is the token request for f's code as a public client.
func (f flow) codeForm() url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {f.code}, "redirect_uri": {f.opts.RedirectURI},
		"client_id": {f.opts.ClientID}, "code_verifier": {f.sess.Verifier()}}
}

// tokenResp is a parsed JSON answer with its status and headers.
type tokenResp struct {
	status int
	body   map[string]any
	header http.Header
}

func (r tokenResp) str(k string) string { s, _ := r.body[k].(string); return s }

// post sends a form to path; basic is "user:pass" or empty.
func (e *smartEnv) post(t *testing.T, path string, form url.Values, basic string, hdr ...string) tokenResp {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if u, p, ok := strings.Cut(basic, ":"); ok {
		req.SetBasicAuth(u, p)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	_ = json.Unmarshal(b, &body)
	return tokenResp{status: resp.StatusCode, body: body, header: resp.Header}
}

// token redeems f's code as a public client and fails the test unless it succeeds.
func (e *smartEnv) token(t *testing.T, f flow) tokenResp {
	t.Helper()
	r := e.post(t, "/oauth/token", f.codeForm(), "")
	if r.status != http.StatusOK {
		t.Fatalf("token: %d %v", r.status, r.body)
	}
	return r
}

// fhir GETs path below the FHIR base with token and returns status and JSON body.
func (e *smartEnv) fhir(t *testing.T, token, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.fhirBase()+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// getJSON GETs an absolute URL.
func getJSON(t *testing.T, u string, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body, resp.Header
}

// createLaunch asks the gateway for an EHR launch as the demo EHR.
func (e *smartEnv) createLaunch(t *testing.T, body string) string {
	t.Helper()
	status, out := e.launchRequest(t, body, "demo-ehr", launcherSecret)
	if status != http.StatusCreated {
		t.Fatalf("create launch: %d %v", status, out)
	}
	return out["launch"].(string)
}

func (e *smartEnv) launchRequest(t *testing.T, body, user, pass string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.base+"/smart/launch", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// wantOAuthError checks a token-endpoint style error.
func wantOAuthError(t *testing.T, what string, r tokenResp, status int, code string) {
	t.Helper()
	if r.status != status || r.str("error") != code || r.str("error_description") == "" {
		t.Errorf("%s: got %d %v, want %d %s with a description", what, r.status, r.body, status, code)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func jwtDate(t time.Time) *jwt.NumericDate { return jwt.NewNumericDate(t) }

// pkceChallenge is the S256 challenge of verifier.
func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
