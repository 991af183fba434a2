package config

import (
	"fmt"
	"time"
)

// Audit configures the audit trail (package audit): its Redis stream, the key that signs its
// checkpoints, where the forwarder ships it (audit/forward) and who may read it on the
// auditors' page (audit/auditpage).
type Audit struct {
	// Stream is the Redis stream name (below the key prefix, in braces: one Cluster slot).
	Stream string `yaml:"stream" env:"STREAM"`
	// MaxLen is how many entries the stream keeps at least; older ones are trimmed once every
	// sink has shipped them and a checkpoint seals them. 0 keeps all.
	MaxLen int64 `yaml:"max_len" env:"MAX_LEN"`
	// CheckpointKeyFile is a PEM "PRIVATE KEY" (PKCS #8, Ed25519) signing the checkpoints;
	// required outside demo mode, generated per run in demo mode. Every replica needs the same.
	CheckpointKeyFile string `yaml:"checkpoint_key_file" env:"CHECKPOINT_KEY_FILE"`
	// CheckpointKey is CheckpointKeyFile's content, read at start.
	CheckpointKey string `yaml:"-" env:"-"`
	// TrustedKeysFile holds more public keys (PEM "PUBLIC KEY" blocks or a JWKS) that verify
	// older checkpoints, after the key was changed.
	TrustedKeysFile string `yaml:"trusted_keys_file" env:"TRUSTED_KEYS_FILE"`
	// CheckpointEvery and CheckpointInterval: a checkpoint seals the chain after this many new
	// entries, or this long after the first unsealed one.
	CheckpointEvery    int64           `yaml:"checkpoint_every" env:"CHECKPOINT_EVERY"`
	CheckpointInterval time.Duration   `yaml:"checkpoint_interval" env:"CHECKPOINT_INTERVAL"`
	Repository         AuditRepository `yaml:"repository" envPrefix:"REPOSITORY_"`
	Files              AuditFiles      `yaml:"files" envPrefix:"FILES_"`
	Auditors           Auditors        `yaml:"auditors" envPrefix:"AUDITORS_"`
}

// AuditRepository is the Audit Record Repository: a FHIR server that takes AuditEvents (IHE
// RESTful ATNA).
type AuditRepository struct {
	// URL is its FHIR base URL; empty ships to none.
	URL string `yaml:"url" env:"URL"`
	// BearerToken (or the file holding it) is the gateway's credential there.
	BearerToken     string        `yaml:"bearer_token" env:"BEARER_TOKEN"`
	BearerTokenFile string        `yaml:"bearer_token_file" env:"BEARER_TOKEN_FILE"`
	Timeout         time.Duration `yaml:"timeout" env:"TIMEOUT"`
}

// AuditFiles are rotated NDJSON files of AuditEvents.
type AuditFiles struct {
	// Dir is the directory; empty writes none.
	Dir string `yaml:"dir" env:"DIR"`
	// MaxBytes rotates a file at this size (default 64 MiB); files rotate daily too.
	MaxBytes int64 `yaml:"max_bytes" env:"MAX_BYTES"`
}

// Auditors says who may read the audit trail on the auditors' page: users who sign in with the
// identity provider IdP and are listed in Users or carry Value in their ID token's Claim.
type Auditors struct {
	// IdP is the id of the identity provider (identity_providers[]) auditors sign in with.
	IdP string `yaml:"idp" env:"IDP"`
	// Users are gateway user ids ("<idp>:<subject>").
	Users []string `yaml:"users" env:"USERS"`
	// Claim names an ID-token claim (a string or a list of strings) that must hold Value.
	Claim string `yaml:"claim" env:"CLAIM"`
	Value string `yaml:"value" env:"VALUE"`
}

// Enabled reports whether anyone may use the auditors' page.
func (a Auditors) Enabled() bool { return a.IdP != "" && (len(a.Users) > 0 || a.Claim != "") }

// Demo values of the audit settings: the demo Children's ID has a privacy officer.
const (
	DemoAuditorIdP  = "childrens"
	DemoAuditorUser = "childrens:c-privacy"
)

// completeAudit fills the audit defaults.
func (c *Config) completeAudit() {
	a := &c.Audit
	setDefault(&a.Stream, "audit")
	if a.CheckpointEvery == 0 {
		a.CheckpointEvery = 1000
	}
	setDuration(&a.CheckpointInterval, time.Minute)
	setDuration(&a.Repository.Timeout, 30*time.Second)
	if c.demoChildrensID() && a.Auditors.IdP == "" && len(a.Auditors.Users) == 0 && a.Auditors.Claim == "" {
		a.Auditors.IdP, a.Auditors.Users = DemoAuditorIdP, []string{DemoAuditorUser}
	}
}

// validateAudit reports every problem of the audit settings.
func (c *Config) validateAudit() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	a := c.Audit
	if a.MaxLen < 0 || a.CheckpointEvery < 0 || a.CheckpointInterval < 0 || a.Files.MaxBytes < 0 || a.Repository.Timeout < 0 {
		bad("audit: max_len, checkpoint_every, checkpoint_interval, files.max_bytes and repository.timeout must not be negative")
	}
	if a.CheckpointKeyFile == "" && !c.Demo.On() {
		bad("audit.checkpoint_key_file is required (an Ed25519 PEM private key: mypatients audit keygen writes one)")
	}
	if a.Repository.URL != "" {
		if err := checkHTTPURL(a.Repository.URL); err != nil {
			bad("audit.repository.url: %v", err)
		}
	}
	if a.Repository.BearerToken != "" && a.Repository.BearerTokenFile != "" {
		bad("audit.repository: set bearer_token or bearer_token_file, not both")
	}
	au := a.Auditors
	switch {
	case (len(au.Users) > 0 || au.Claim != "") && au.IdP == "":
		bad("audit.auditors.idp is required with auditors.users or auditors.claim")
	case au.Claim != "" && au.Value == "":
		bad("audit.auditors.value is required with auditors.claim")
	case au.IdP != "" && len(c.IdentityProviders) > 0 && !c.hasIdP(au.IdP):
		bad("audit.auditors.idp %q names no identity provider", au.IdP)
	}
	return errs
}

// demoChildrensID reports whether the demo's Children's ID will be an identity provider: in
// demo mode, unless identity providers are configured without it.
func (c *Config) demoChildrensID() bool {
	return c.Demo.On() && (len(c.IdentityProviders) == 0 || c.hasIdP(DemoAuditorIdP))
}

func (c *Config) hasIdP(id string) bool {
	for _, p := range c.IdentityProviders {
		if p.ID == id {
			return true
		}
	}
	return false
}
