package config

import (
	"strings"
	"testing"
)

func TestValidateClientAuth(t *testing.T) {
	t.Parallel()
	jwks := map[string]any{"keys": []any{}}
	secret := strings.Repeat("a", 64)
	redirect := []string{"https://app.example.org/cb"}
	tests := []struct {
		name    string
		client  Client
		wantErr string // empty: valid
	}{
		{"public", Client{ID: "a", Type: "public", RedirectURIs: redirect}, ""},
		{"symmetric", Client{ID: "a", Type: "confidential", SecretSHA256: secret, RedirectURIs: redirect}, ""},
		{"asymmetric inline", Client{ID: "a", Type: "confidential", JWKS: jwks, RedirectURIs: redirect}, ""},
		{"backend by URL, no redirect", Client{ID: "a", Type: "confidential", JWKSURL: "https://x.example/jwks", GrantTypes: []string{"client_credentials"}}, ""},
		{"launch creator, no redirect", Client{ID: "ehr", Type: "confidential", SecretSHA256: secret, LaunchCreator: true}, ""},
		{"public with a secret", Client{ID: "a", Type: "public", SecretSHA256: secret, RedirectURIs: redirect}, "public client has no secret"},
		{"both jwks and jwks_url", Client{ID: "a", Type: "confidential", JWKS: jwks, JWKSURL: "https://x.example/jwks", RedirectURIs: redirect}, "exactly one of jwks and jwks_url"},
		{"backend with a secret", Client{ID: "a", Type: "confidential", SecretSHA256: secret, GrantTypes: []string{"client_credentials"}}, "needs token_endpoint_auth_method private_key_jwt"},
		{"unknown grant", Client{ID: "a", Type: "public", GrantTypes: []string{"password"}, RedirectURIs: redirect}, `grant type "password"`},
		{"asymmetric launch creator", Client{ID: "a", Type: "confidential", JWKS: jwks, LaunchCreator: true, RedirectURIs: redirect}, "launch_creator needs"},
		{"app without redirect", Client{ID: "a", Type: "public"}, "at least one redirect_uri"},
		{"bad auth method", Client{ID: "a", Type: "public", TokenEndpointAuthMethod: "tls_client_auth", RedirectURIs: redirect}, "token_endpoint_auth_method must be"},
	}
	for _, tt := range tests {
		c, err := Load("", nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Clients = []Client{tt.client}
		c.Complete()
		err = c.Validate()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
		}
	}
}
