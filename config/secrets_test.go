package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadSecretFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "ehr")
	if err := os.WriteFile(tokenFile, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Config{
		Upstream:          Upstream{BearerTokenFile: tokenFile},
		Redis:             Redis{PasswordFile: empty},
		IdentityProviders: []IdentityProvider{{ID: "sso", ClientSecretFile: filepath.Join(dir, "missing")}},
	}
	err := c.ReadSecretFiles()
	if c.Upstream.BearerToken != "s3cret-token" {
		t.Errorf("bearer token = %q, want the file's trimmed content", c.Upstream.BearerToken)
	}
	if err == nil || !strings.Contains(err.Error(), "redis.password_file") || !strings.Contains(err.Error(), `"sso": client_secret_file`) {
		t.Errorf("ReadSecretFiles error = %v, want both the empty and the missing file named", err)
	}
}
