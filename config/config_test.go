package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadDemoDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Complete()
	if err := c.Validate(); err != nil {
		t.Fatalf("demo defaults do not validate: %v", err)
	}
	if !c.Demo.On() || c.Addr != DefaultAddr || c.BaseURL != "http://127.0.0.1:8080" {
		t.Errorf("demo defaults: demo=%v addr=%q base=%q", c.Demo.On(), c.Addr, c.BaseURL)
	}
	if len(c.Clients) != 1 || c.Clients[0].ID != DemoClientID || c.Clients[0].RedirectURIs[0] != DemoRedirectURI {
		t.Errorf("demo client = %+v", c.Clients)
	}
}

func TestLoadFileEnvOverride(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gw.yaml")
	yaml := `
addr: 0.0.0.0:9000
base_url: https://gw.example.org
upstream:
  url: https://ehr.example.org/fhir
  bearer_token_file: /run/secrets/ehr
  timeout: 12s
redis:
  addrs: [10.0.0.1:26379, 10.0.0.2:26379]
  master_name: mymaster
identity_providers:
  - id: childrens
    name: Children's ID
    issuer: https://sso.example.org
    client_id: gw
    client_secret_file: /run/secrets/sso
clients:
  - id: app
    type: public
    redirect_uris: [https://app.example.org/cb]
tokens:
  signing_key_file: /run/secrets/key.pem
audit:
  checkpoint_key_file: /run/secrets/audit.pem
  repository: {url: "https://arr.example.org/fhir", bearer_token_file: /run/secrets/arr}
  files: {dir: /var/lib/mypatients/audit}
  auditors: {idp: childrens, claim: groups, value: privacy-office}
accounts:
  uploads:
    key_file: /run/secrets/uploads-key
    dir: /var/lib/mypatients/uploads
  support:
    idp: childrens
    value: mypatients-support
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, []string{"MYPATIENTS_ADDR=0.0.0.0:9443", "MYPATIENTS_AUTHZ_FACTS_TTL=5s", "UNRELATED=1"})
	if err != nil {
		t.Fatal(err)
	}
	c.Complete()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.Demo.On() {
		t.Error("demo mode is on with a config file")
	}
	if c.Addr != "0.0.0.0:9443" {
		t.Errorf("env did not override addr: %q", c.Addr)
	}
	if c.Authz.FactsTTL != 5*time.Second || c.Upstream.Timeout != 12*time.Second {
		t.Errorf("durations: facts_ttl=%s timeout=%s", c.Authz.FactsTTL, c.Upstream.Timeout)
	}
	if c.IdentityProviders[0].Practitioner.FHIRUserClaim != "fhirUser" {
		t.Errorf("practitioner.fhir_user_claim default not applied")
	}
	if a := c.Audit; a.CheckpointEvery != 1000 || a.CheckpointInterval != time.Minute || !a.Auditors.Enabled() || len(a.Auditors.Users) != 0 {
		t.Errorf("audit defaults: %+v", a)
	}
}

// TestValidateAudit reports each wrong audit setting.
func TestValidateAudit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no checkpoint key", func(c *Config) { c.Audit.CheckpointKeyFile = "" }, "audit.checkpoint_key_file is required"},
		{"bad repository", func(c *Config) { c.Audit.Repository.URL = "ftp://arr" }, "audit.repository.url"},
		{"two tokens", func(c *Config) { c.Audit.Repository.BearerToken, c.Audit.Repository.BearerTokenFile = "a", "b" }, "not both"},
		{"auditors without idp", func(c *Config) { c.Audit.Auditors = Auditors{Users: []string{"x:y"}} }, "auditors.idp is required"},
		{"claim without value", func(c *Config) { c.Audit.Auditors = Auditors{IdP: "sso", Claim: "groups"} }, "auditors.value is required"},
		{"unknown idp", func(c *Config) { c.Audit.Auditors = Auditors{IdP: "nope", Users: []string{"nope:u"}} }, `"nope" names no identity provider`},
		{"negative", func(c *Config) { c.Audit.MaxLen = -1 }, "must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{Addr: "127.0.0.1:8080", BaseURL: "https://gw.example.org", Upstream: Upstream{URL: "https://ehr.example.org"},
				Redis: Redis{URL: "redis://r:6379"}, IdentityProviders: []IdentityProvider{{ID: "sso", Name: "SSO", Issuer: "https://sso.example.org", ClientID: "gw", ClientSecret: "s"}},
				Tokens: Tokens{SigningKeyFile: "k.pem"}, Log: Log{Level: "info"}, Audit: Audit{CheckpointKeyFile: "a.pem"}}
			off := false
			c.Demo.Enabled, c.Accounts.Enabled = &off, &off
			c.Complete()
			if err := c.Validate(); err != nil {
				t.Fatalf("the base configuration is invalid: %v", err)
			}
			tc.edit(c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLoadRejectsUnknownKeys(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gw.yaml")
	if err := os.WriteFile(path, []byte("adr: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, nil); err == nil || !strings.Contains(err.Error(), "adr") {
		t.Fatalf("Load with a misspelt key: err = %v, want it named", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	off := false
	c := &Config{Demo: Demo{Enabled: &off}, BaseURL: "http://gw.example.org/",
		Clients: []Client{
			{ID: "a", Type: "public", RedirectURIs: []string{"http://app.example.org/cb"}},
			{ID: "a", Type: "confidential", RedirectURIs: []string{"https://x/cb#frag"}},
		},
		IdentityProviders: []IdentityProvider{{ID: "Bad ID"}},
	}
	c.Complete()
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted an empty production configuration")
	}
	for _, want := range []string{
		"upstream.url is required", "redis.url or redis.addrs is required", "signing_key_file is required",
		"base_url", "http is allowed only on loopback", "id is used twice", "needs secret_sha256",
		"fragment", `identity provider "Bad ID": id must be`, "issuer", "client_id is required",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error lacks %q:\n%v", want, err)
		}
	}
}

func TestCheckRedirectURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uri string
		ok  bool
	}{
		{"https://app.example.org/callback", true},
		{"http://127.0.0.1:8765/callback", true},
		{"http://[::1]/cb", true},
		{"org.example.app:/callback", true},
		{"http://localhost.evil.example/cb", false},
		{"http://app.example.org/cb", false},
		{"https://app.example.org/cb#x", false},
		{"javascript:alert(1)", false},
		{"/relative", false},
	}
	for _, tt := range tests {
		if err := CheckRedirectURI(tt.uri); (err == nil) != tt.ok {
			t.Errorf("CheckRedirectURI(%q) = %v, want ok=%v", tt.uri, err, tt.ok)
		}
	}
}
