package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/audit/auditevent"
	"github.com/mypatients/gateway/audit/auditpage"
	"github.com/mypatients/gateway/audit/forward"
	"github.com/mypatients/gateway/config"
)

// auditParts are the audit trail every flow writes, the keys its checkpoints verify with and
// the auditors' page (nil when no auditors are configured). The forwarder runs from start.
type auditParts struct {
	trail *audit.Trail
	keys  audit.Keyring
	page  *auditpage.Page
}

// buildAudit starts the trail's forwarder and builds the auditors' page.
func buildAudit(cfg *config.Config, run *runGroup, log *slog.Logger, rdb redis.UniversalClient, trail *audit.Trail) (*auditParts, error) {
	p := &auditParts{trail: trail}
	signer, err := checkpointSigner(cfg, log)
	if err != nil {
		return nil, err
	}
	if p.keys, err = trustedKeys(cfg, signer); err != nil {
		return nil, err
	}
	mapper := auditevent.New(cfg.BaseURL)
	sinks := auditSinks(cfg)
	if len(sinks) == 0 && cfg.Audit.MaxLen > 0 {
		log.Warn("audit.max_len is set but no audit repository or files: records trimmed from Redis are gone for good")
	}
	fwd := forward.New(forward.Options{Trail: p.trail, Mapper: mapper, Sinks: sinks, Signer: signer, Keep: cfg.Audit.MaxLen,
		CheckpointEvery: cfg.Audit.CheckpointEvery, CheckpointInterval: cfg.Audit.CheckpointInterval, Logger: log.With("part", "audit-forwarder")})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); fwd.Run(ctx) }()
	run.onClose(func() { cancel(); <-done })
	if a := cfg.Audit.Auditors; a.Enabled() {
		if p.page, err = auditorsPage(cfg, log, rdb, p, mapper, sinkNames(sinks)); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func newTrail(cfg *config.Config, rdb redis.UniversalClient, log *slog.Logger) *audit.Trail {
	return audit.NewTrail(rdb, audit.TrailOptions{Prefix: cfg.Redis.KeyPrefix, Stream: cfg.Audit.Stream, Logger: log})
}

// openTrail is open for the audit commands: the configuration and the trail, and the close of
// its Redis connection.
func (f storeFlags) openTrail(ctx context.Context, environ []string) (*config.Config, *audit.Trail, func(), error) {
	cfg, rdb, err := f.open(ctx, environ)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("audit: %w", err)
	}
	return cfg, newTrail(cfg, rdb, nil), func() { rdb.Close() }, nil
}

// checkpointSigner reads the checkpoint key, or in demo mode without one makes one for the run.
func checkpointSigner(cfg *config.Config, log *slog.Logger) (*audit.Signer, error) {
	if cfg.Audit.CheckpointKey != "" {
		return audit.ParseSigningKey([]byte(cfg.Audit.CheckpointKey))
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("audit: generate a checkpoint key: %w", err)
	}
	s, err := audit.NewSigner(key)
	if err == nil {
		log.Warn("audit checkpoints are signed with a key made for this run; set audit.checkpoint_key_file to keep one",
			"kid", s.KeyID(), "keys", cfg.BaseURL+auditpage.KeysPath)
	}
	return s, err
}

// trustedKeys are the signer's public key and those of audit.trusted_keys_file.
func trustedKeys(cfg *config.Config, signer *audit.Signer) (audit.Keyring, error) {
	keys, err := readKeyring(cfg.Audit.TrustedKeysFile)
	if err != nil {
		return nil, err
	}
	keys.Add(signer.Keyring())
	return keys, nil
}

// readKeyring reads the keys of each file named (PEM or JWKS; "" is skipped).
func readKeyring(files ...string) (audit.Keyring, error) {
	keys := audit.Keyring{}
	for _, f := range files {
		if f == "" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		more, err := audit.ParseKeyring(b)
		if err != nil {
			return nil, fmt.Errorf("audit: %s: %w", f, err)
		}
		keys.Add(more)
	}
	return keys, nil
}

// auditSinks are where the forwarder ships: the repository and the files, as configured.
func auditSinks(cfg *config.Config) []forward.Sink {
	var sinks []forward.Sink
	if r := cfg.Audit.Repository; r.URL != "" {
		sinks = append(sinks, &forward.FHIR{Base: r.URL, BearerToken: r.BearerToken, Client: &http.Client{Timeout: r.Timeout}})
	}
	if f := cfg.Audit.Files; f.Dir != "" {
		sinks = append(sinks, &forward.Files{Dir: f.Dir, MaxBytes: f.MaxBytes})
	}
	return sinks
}

func sinkNames(sinks []forward.Sink) []string {
	names := make([]string, len(sinks))
	for i, s := range sinks {
		names[i] = s.Name()
	}
	return names
}

// auditorsPage builds the auditors' page over the identity provider auditors sign in with.
func auditorsPage(cfg *config.Config, log *slog.Logger, rdb redis.UniversalClient, p *auditParts, m *auditevent.Mapper, sinks []string) (*auditpage.Page, error) {
	a := cfg.Audit.Auditors
	for _, idp := range cfg.IdentityProviders {
		if idp.ID != a.IdP {
			continue
		}
		return auditpage.New(auditpage.Options{Trail: p.trail, Mapper: m, Keys: p.keys, Sinks: sinks, BaseURL: cfg.BaseURL,
			IdP:   auditpage.IdP{ID: idp.ID, Issuer: idp.Issuer, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, Scopes: idp.Scopes},
			Users: a.Users, Claim: a.Claim, Value: a.Value, Redis: rdb, Prefix: cfg.Redis.KeyPrefix, Logger: log.With("part", "auditpage")})
	}
	return nil, fmt.Errorf("audit.auditors.idp %q names no identity provider", a.IdP)
}

// register puts the page and the published keys on mux.
func (p *auditParts) register(mux *http.ServeMux) error {
	if p.page != nil {
		p.page.Register(mux)
	}
	return auditpage.PublishKeys(mux, p.keys)
}
