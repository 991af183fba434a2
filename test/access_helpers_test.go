package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/demo/login"
	"github.com/mypatients/gateway/mail"
)

// accessWorld is a gateway started with a patient-portal backend client and a real SMTP
// server in the test, with the access tokens of the users the access tests need.
type accessWorld struct {
	*gateway
	smtp       *mail.Capture
	portalKey  *rsa.PrivateKey
	tokens     map[string]string
	configFile string
}

// startAccessWorld runs the gateway on redis-server, registers "patient-portal" (private_key_jwt,
// system/Patient.rs) as the patient portal and sends mail to an in-test SMTP server.
func startAccessWorld(t *testing.T, users ...string) *accessWorld {
	t.Helper()
	return startAccessWorldWith(t, nil, "", users...)
}

// startAccessWorldWith is startAccessWorld with extra environment settings and YAML appended
// to the configuration file.
func startAccessWorldWith(t *testing.T, env []string, yaml string, users ...string) *accessWorld {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	capture := mail.StartCapture(ln)
	t.Cleanup(func() { capture.Close() })
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "portal-1", Algorithm: "RS384", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`demo: {enabled: true}
clients:
  - {id: demo-app, name: Demo SMART app, type: public, redirect_uris: ["http://127.0.0.1:8765/callback"]}
  - id: patient-portal
    name: MyChildren's patient portal
    type: confidential
    grant_types: [client_credentials]
    scopes: [system/Patient.rs]
    jwks: %s
access:
  portal_clients: [patient-portal]
  support_email: support@test.example.org
  mail: {smtp_addr: "%s", tls: none, from: "MyPatients <no-reply@test.example.org>"}
`, jwks, ln.Addr()) + yaml
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	w := &accessWorld{gateway: startGatewayWith(t, gatewayOptions{RedisURL: startRedis(t), ConfigFile: file, Env: env}),
		smtp: capture, portalKey: key, tokens: map[string]string{}, configFile: file}
	for _, u := range users {
		tok, err := login.Login(context.Background(), w.shellOptions(), "accounts", u, w.password)
		if err != nil {
			t.Fatalf("login %s: %v", u, err)
		}
		w.tokens[u] = tok.AccessToken
	}
	return w
}

// shellOptions sign in as the demo shell, the first-party client that may call /api.
func (g *gateway) shellOptions() login.Options {
	return login.Options{Gateway: g.base, ClientID: login.ShellClientID, RedirectURI: login.ShellRedirectURI, Scope: login.ShellScope}
}

// portalToken gets a backend-services access token as the patient portal.
func (w *accessWorld) portalToken(t *testing.T) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS384, Key: w.portalKey},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "portal-1"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	assertion, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: "patient-portal", Subject: "patient-portal", Audience: jwt.Audience{w.base + "/oauth/token"},
		ID: rand.Text(), IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)),
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(w.base+"/oauth/token", url.Values{
		"grant_type": {"client_credentials"}, "scope": {"system/Patient.rs"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("portal client_credentials: %d %s", resp.StatusCode, b)
	}
	return tok.AccessToken
}

// api calls the gateway's JSON API and returns the status and the decoded body.
func (w *accessWorld) api(t *testing.T, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	status, _, out := w.apiWithHeaders(t, method, path, token, body)
	return status, out
}

// apiWithHeaders is api that also returns the answer's headers.
func (w *accessWorld) apiWithHeaders(t *testing.T, method, path, token string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, w.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %d, body is not JSON: %.300s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, resp.Header, out
}

// read reads one FHIR resource as user and returns the status and body.
func (w *accessWorld) read(t *testing.T, user, path string) (int, string) {
	t.Helper()
	status, body := w.fhir(t, http.MethodGet, path, w.tokens[user])
	return status, string(body)
}

// waitMail waits until a captured message to `to` whose subject contains subject arrives.
func (w *accessWorld) waitMail(t *testing.T, to, subject string) mail.Captured {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range w.smtp.Messages() {
			if len(m.To) == 1 && m.To[0] == to && strings.Contains(m.Subject, subject) {
				return m
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no mail to %s about %q; got %+v", to, subject, w.smtp.Messages())
	return mail.Captured{}
}

// redis returns a client of the gateway's Redis, for setting up what the API cannot yet do
// (an old invitation).
func (w *accessWorld) redis(t *testing.T) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(w.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}
