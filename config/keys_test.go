package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadKeys: the key files are parsed as the gateway uses them, so that a missing file, an
// EC key or a short page key fails the check, and a page key of 32 raw bytes (newlines and
// spaces among them) is taken whole.
func TestReadKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ek)
	rsaPEM := write("rsa.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}))
	ecPEM := write("ec.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))
	raw := []byte("\n \t" + strings.Repeat("k", 26) + " \n\r")
	for _, tc := range []struct {
		name, signing, page, want string
	}{
		{"good", rsaPEM, write("page", raw), ""},
		{"missing signing key", filepath.Join(dir, "nope.pem"), "", "tokens.signing_key_file"},
		{"EC signing key", ecPEM, "", "want an RSA key"},
		{"not PEM", write("junk.pem", []byte("junk")), "", "no PEM block"},
		{"short page key", "", write("short", raw[:31]), "at least 32"},
		{"missing page key", "", filepath.Join(dir, "nope"), "tokens.page_key_file"},
	} {
		c := &Config{Tokens: Tokens{SigningKeyFile: tc.signing, PageKeyFile: tc.page}}
		err := c.ReadSecretFiles()
		if tc.want == "" {
			if err != nil || c.Tokens.SigningKey == nil || string(c.Tokens.PageKey) != string(raw) {
				t.Errorf("%s: %v, key %v, page key %q", tc.name, err, c.Tokens.SigningKey != nil, c.Tokens.PageKey)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// TestDemoStaysOnLoopback: demo mode refuses every listener, base URL or upstream that is not
// on loopback, each reported.
func TestDemoStaysOnLoopback(t *testing.T) {
	t.Parallel()
	on := true
	c := &Config{Addr: "0.0.0.0:8080", BaseURL: "https://mypatients.example.org", Demo: Demo{Enabled: &on, AppAddr: "off", SSOAddr: "192.0.2.1:8083"},
		Upstream: Upstream{URL: "https://ehr.example.org/fhir"}}
	c.Complete()
	err := c.Validate()
	for _, want := range []string{`addr "0.0.0.0:8080"`, "demo.sso_addr", "base_url", "upstream.url"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("demo off loopback: %v; want %q named", err, want)
		}
	}
	ok := &Config{Demo: Demo{Enabled: &on}, Upstream: Upstream{URL: "http://127.0.0.1:9999/fhir"}}
	ok.Complete()
	if err := ok.Validate(); err != nil {
		t.Errorf("loopback demo: %v", err)
	}
	pub := &Config{Demo: Demo{Enabled: &on}, Clients: []Client{{ID: "portal", Type: "public", FirstParty: true, RedirectURIs: []string{"https://p.example.org/cb"}}},
		TrustedProxies: []string{"10.0.0.0/8", "nonsense"}}
	pub.Complete()
	err = pub.Validate()
	for _, want := range []string{"must be confidential", `trusted_proxies: "nonsense"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v; want %q", err, want)
		}
	}
}
