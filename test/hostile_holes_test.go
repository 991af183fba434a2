package test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mypatients/gateway/demo/login"
)

// TestSmallerHoles (finding 8): introspection of another app's token, skipping the patient
// picker, a chosen login cookie, framing, client-authentication oracles and access-request
// oracles, each tried the ways a hostile caller would.
func TestSmallerHoles(t *testing.T) {
	t.Parallel()
	w := startAccessWorld(t, "pcp", "specialist")
	// Another app's bearer token learns nothing of the shell's token.
	app := w.thirdPartyToken(t, "pcp", "user/*.rs")
	for _, bearer := range []string{app.AccessToken, w.portalToken(t)} {
		req, _ := http.NewRequest(http.MethodPost, w.base+"/oauth/introspect", strings.NewReader(url.Values{"token": {w.tokens["pcp"]}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != `{"active":false}`+"\n" {
			t.Errorf("another client introspecting the shell's token: %d %s", resp.StatusCode, b)
		}
	}

	// The picker cannot be skipped: a consent post straight after the picker gets no patient/ scope.
	opts := w.loginOptions()
	opts.Scope = "launch/patient patient/*.rs"
	s := login.NewSession(opts)
	if _, err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	cb, err := s.LoginAtIdP(context.Background(), "accounts", "pcp", w.password)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.HTTPClient().Get(cb.String())
	if err != nil {
		t.Fatal(err)
	}
	picker, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	hidden := regexp.MustCompile(`name="(pending|csrf)" value="([^"]+)"`).FindAllStringSubmatch(string(picker), -1)
	if len(hidden) != 2 || !strings.Contains(string(picker), "Choose a patient") {
		t.Fatalf("no picker: %.300s", picker)
	}
	skip := url.Values{hidden[0][1]: {hidden[0][2]}, hidden[1][1]: {hidden[1][2]}, "decision": {"allow"}, "scope": {"patient/*.rs", "launch/patient"}}
	resp, err = s.HTTPClient().PostForm(w.base+"/login/consent", skip)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc, _ := resp.Location(); loc == nil || loc.Query().Get("error") != "access_denied" || loc.Query().Get("code") != "" {
		t.Errorf("consent without a chosen patient: %d %v", resp.StatusCode, loc)
	}

	// A login cookie the browser brings is never adopted.
	chosen := strings.Repeat("A", 43)
	q := url.Values{"response_type": {"code"}, "client_id": {"demo-app"}, "redirect_uri": {"http://127.0.0.1:8765/callback"},
		"scope": {"user/*.rs"}, "aud": {w.base + "/fhir"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	req, _ := http.NewRequest(http.MethodGet, w.base+"/oauth/authorize?"+q.Encode(), nil)
	req.AddCookie(&http.Cookie{Name: "mp_login", Value: chosen})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	chooser, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var minted string
	for _, c := range resp.Cookies() {
		if c.Name == "mp_login" {
			minted = c.Value
		}
	}
	if minted == "" || minted == chosen {
		t.Errorf("the gateway kept the browser's own login cookie: %q", minted)
	}
	if link := regexp.MustCompile(`href="(/login/accounts\?[^"]+)"`).FindSubmatch(chooser); link != nil {
		req, _ := http.NewRequest(http.MethodGet, w.base+strings.ReplaceAll(string(link[1]), "&amp;", "&"), nil)
		req.AddCookie(&http.Cookie{Name: "mp_login", Value: chosen})
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a login continued with the chosen cookie: %d", resp.StatusCode)
		}
	}

	// No page can be framed, the IdP's sign-in form included.
	f := w.openIdPForm(t)
	for _, page := range []string{"/demo/portal/?patient=child-20", "/api/access-requests/signup-instructions", "/account/setup?token=X", "/oauth/authorize?client_id=x", f.action + "?authRequestID=" + f.id} {
		if !strings.HasPrefix(page, "http") {
			page = w.base + page
		}
		resp, err := http.Get(page)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s can be framed: %v", page, resp.Header)
		}
	}

	// Every failed client authentication reads alike: unknown client, unknown key, bad signature, garbage.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	sign := func(iss, kid string) string {
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS384, Key: other}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
		raw, _ := jwt.Signed(signer).Claims(jwt.Claims{Issuer: iss, Subject: iss, Audience: jwt.Audience{w.base + "/oauth/token"},
			ID: rand.Text(), Expiry: jwt.NewNumericDate(time.Now().Add(time.Minute))}).Serialize()
		return raw
	}
	var bodies []string
	for _, assertion := range []string{sign("nobody", "k1"), sign("patient-portal", "unknown-kid"), sign("patient-portal", "portal-1"), "garbage.garbage.garbage", ""} {
		resp, err := http.PostForm(w.base+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"system/Patient.rs"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		bodies = append(bodies, resp.Status+" "+string(b))
	}
	for _, basic := range [][2]string{{"nobody", "x"}, {"demo-ehr", "wrong"}} {
		req, _ := http.NewRequest(http.MethodPost, w.base+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(basic[0], basic[1])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		bodies = append(bodies, resp.Status+" "+string(b))
	}
	for i, b := range bodies {
		if b != bodies[0] || !strings.Contains(b, `"error":"invalid_client"`) {
			t.Errorf("client authentication failure %d answers %q, the first %q", i, b, bodies[0])
		}
	}

	// Access requests answer alike for a patient the hospital has and for a made-up id.
	ask := func(patient string) map[string]any {
		status, out := w.api(t, "POST", "/api/access-requests", w.tokens["specialist"],
			map[string]string{"patient": patient, "kind": "family", "name": "Dr. Claire Moreau", "email": specialistEmail})
		if status != http.StatusCreated {
			t.Fatalf("request for %s: %d %v", patient, status, out)
		}
		delete(out, "request")
		return out
	}
	for _, pair := range [][2]string{{"child-20", "child-99"}, {"child-21", "no-such-child"}} {
		if a, b := ask(pair[0]), ask(pair[1]); jsonString(a) != jsonString(b) {
			t.Errorf("request answers tell %s from %s: %v / %v", pair[0], pair[1], a, b)
		}
	}
}

// TestCheckConfigRefusesWhatServeWould (findings 8 and the key files): demo mode off loopback
// fails the check, every way; so do a missing or EC signing key and a short page key, while 32
// raw bytes of page key pass, as serve takes them.
func TestCheckConfigRefusesWhatServeWould(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, env := range map[string][]string{
		"demo on 0.0.0.0":     {"MYPATIENTS_ADDR=0.0.0.0:18080"},
		"demo with https":     {"MYPATIENTS_BASE_URL=https://mypatients.example.org"},
		"demo, real upstream": {"MYPATIENTS_UPSTREAM_URL=https://ehr.example.org/fhir"},
		"demo IdP published":  {"MYPATIENTS_DEMO_SSO_ADDR=0.0.0.0:18083"},
	} {
		if code, out := runCLI(t, env, "serve", "--check-config"); code == 0 || !strings.Contains(out, "demo mode") {
			t.Errorf("%s passed the check (%d):\n%s", name, code, out)
		}
	}
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ek)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec := write("ec.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	good := write("rsa.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}))
	raw := write("page.key", []byte(" \n\t"+strings.Repeat("\x00", 26)+"\n \r"))
	for _, tc := range []struct {
		name string
		env  []string
		ok   bool
	}{
		{"EC signing key", []string{"MYPATIENTS_TOKENS_SIGNING_KEY_FILE=" + ec}, false},
		{"missing signing key", []string{"MYPATIENTS_TOKENS_SIGNING_KEY_FILE=" + filepath.Join(dir, "none.pem")}, false},
		{"short page key", []string{"MYPATIENTS_TOKENS_PAGE_KEY_FILE=" + write("short.key", []byte("0123456789"))}, false},
		{"32 raw bytes of page key and an RSA key", []string{"MYPATIENTS_TOKENS_PAGE_KEY_FILE=" + raw, "MYPATIENTS_TOKENS_SIGNING_KEY_FILE=" + good}, true},
	} {
		code, out := runCLI(t, tc.env, "serve", "--check-config")
		if (code == 0) != tc.ok {
			t.Errorf("%s: exit %d, want ok=%v:\n%s", tc.name, code, tc.ok, out)
		}
	}
}
