package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ReadSecretFiles replaces every *_file setting by the secret it names, so that secrets can
// come from files mounted by the platform rather than from the YAML or the environment, and
// parses the key files as the gateway uses them (readKeys). It reports every unreadable,
// empty or unusable file at once.
func (c *Config) ReadSecretFiles() error {
	var errs []error
	read := func(what, path string, dst *string) {
		if path == "" {
			return
		}
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			return
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			errs = append(errs, fmt.Errorf("%s: %s is empty", what, path))
			return
		}
		*dst = s
	}
	read("upstream.bearer_token_file", c.Upstream.BearerTokenFile, &c.Upstream.BearerToken)
	read("redis.password_file", c.Redis.PasswordFile, &c.Redis.Password)
	read("access.mail.password_file", c.Access.Mail.PasswordFile, &c.Access.Mail.Password)
	read("audit.checkpoint_key_file", c.Audit.CheckpointKeyFile, &c.Audit.CheckpointKey)
	read("audit.repository.bearer_token_file", c.Audit.Repository.BearerTokenFile, &c.Audit.Repository.BearerToken)
	for i := range c.IdentityProviders {
		p := &c.IdentityProviders[i]
		read(fmt.Sprintf("identity provider %q: client_secret_file", p.ID), p.ClientSecretFile, &p.ClientSecret)
	}
	errs = append(errs, c.readKeys()...)
	return errors.Join(errs...)
}
