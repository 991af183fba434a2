package config

import (
	"errors"
	"fmt"
	"time"
)

// Accounts configures the MyPatients accounts provider the gateway serves under /accounts:
// registration with its uploads, the support team's console, the reset flows.
type Accounts struct {
	// Enabled serves the provider (default on). Off leaves only the configured identity
	// providers, such as the hospital's SSO.
	Enabled *bool `yaml:"enabled" env:"ENABLED"`
	// Name is how the sign-in page names it.
	Name string `yaml:"name" env:"NAME"`
	// PassCodeTTL is how long an emailed pass code works.
	PassCodeTTL time.Duration   `yaml:"pass_code_ttl" env:"PASS_CODE_TTL"`
	Uploads     Uploads         `yaml:"uploads" envPrefix:"UPLOADS_"`
	Support     AccountsSupport `yaml:"support" envPrefix:"SUPPORT_"`
}

// On reports whether the accounts provider is served.
func (a Accounts) On() bool { return a.Enabled == nil || *a.Enabled }

// Uploads says where registrants' documents are kept and how.
type Uploads struct {
	// KeyFile holds the 32-byte key (or its 64 hex characters) that encrypts documents and
	// TOTP secrets at rest; every replica needs the same file.
	KeyFile string `yaml:"key_file" env:"KEY_FILE"`
	// Dir is the directory documents are stored in, encrypted.
	Dir string `yaml:"dir" env:"DIR"`
	// MaxBytes is the largest document accepted.
	MaxBytes int64 `yaml:"max_bytes" env:"MAX_BYTES"`
}

// AccountsSupport says who the support team is: members of the identity provider IdP whose ID token
// claim Claim holds Value (a string or one of a list).
type AccountsSupport struct {
	IdP   string `yaml:"idp" env:"IDP"`
	Claim string `yaml:"claim" env:"CLAIM"`
	Value string `yaml:"value" env:"VALUE"`
}

// Demo values of the accounts settings.
const (
	DemoSupportIdP   = "childrens"
	DemoSupportValue = "mypatients-support"
)

func (c *Config) completeAccounts() {
	a := &c.Accounts
	setDefault(&a.Name, "MyPatients accounts")
	setDuration(&a.PassCodeTTL, 10*time.Minute)
	if a.Uploads.MaxBytes == 0 {
		a.Uploads.MaxBytes = 10 << 20
	}
	setDefault(&a.Support.Claim, "groups")
	if c.demoChildrensID() {
		setDefault(&a.Support.IdP, DemoSupportIdP)
		setDefault(&a.Support.Value, DemoSupportValue)
	}
}

func (c *Config) validateAccounts() []error {
	a := c.Accounts
	if !a.On() {
		return nil
	}
	var errs []error
	if !c.Demo.On() && (a.Uploads.KeyFile == "" || a.Uploads.Dir == "") {
		errs = append(errs, errors.New("accounts.uploads.key_file and accounts.uploads.dir are required (or set accounts.enabled: false)"))
	}
	if a.Uploads.MaxBytes < 0 || a.PassCodeTTL < 0 {
		errs = append(errs, errors.New("accounts.uploads.max_bytes and accounts.pass_code_ttl must not be negative"))
	}
	if (a.Support.IdP == "") != (a.Support.Value == "") {
		errs = append(errs, errors.New("accounts.support: set idp and value together (the console is off without them)"))
	}
	if a.Support.IdP == "accounts" {
		errs = append(errs, errors.New("accounts.support.idp: the support team signs in through the hospital's identity provider, not MyPatients accounts"))
	}
	if a.Support.IdP != "" && !c.Demo.On() && !c.hasIdP(a.Support.IdP) {
		errs = append(errs, fmt.Errorf("accounts.support.idp %q is not in identity_providers", a.Support.IdP))
	}
	for _, p := range c.IdentityProviders {
		if p.ID == "accounts" {
			errs = append(errs, errors.New(`identity_providers: the id "accounts" is the built-in accounts provider's`))
		}
	}
	return errs
}
