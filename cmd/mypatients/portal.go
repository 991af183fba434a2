package main

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/portal"
	"github.com/mypatients/gateway/smart"
)

// portalClient is the built-in first-party client of the clinicians' portal: confidential,
// private_key_jwt with the gateway's own signing key (every replica has it, so the portal
// needs no secret of its own), redirected to <base_url>/portal/callback.
func portalClient(cfg *config.Config, key *rsa.PrivateKey) (smart.Client, error) {
	jwks, err := portal.ClientJWKS(key)
	if err != nil {
		return smart.Client{}, err
	}
	return smart.Client{ID: config.PortalClientID, Name: "MyPatients", JWKS: jwks, FirstParty: true,
		RedirectURIs: []string{cfg.BaseURL + "/portal/callback"}}, nil
}

// newPortal builds the portal over the gateway's own handler h, which it reaches in process.
func newPortal(cfg *config.Config, log *slog.Logger, rdb redis.UniversalClient, key *rsa.PrivateKey, h http.Handler,
	today func() time.Time) (*portal.Portal, error) {
	loc, err := time.LoadLocation(cfg.Portal.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("portal.time_zone: %w", err)
	}
	help, err := readHelp(cfg.Portal.HelpDir)
	if err != nil {
		return nil, err
	}
	var idps []portal.IdP
	for _, p := range cfg.IdentityProviders {
		idps = append(idps, portal.IdP{ID: p.ID, Name: p.Name, Issuer: p.Issuer, Accounts: p.ID == cfg.Portal.AccountsIdP, PasswordURL: p.PasswordURL})
	}
	pc := cfg.Portal
	return portal.New(portal.Options{
		BaseURL: cfg.BaseURL, Transport: portal.Loopback{Handler: h}, Key: key, Redis: rdb, KeyPrefix: cfg.Redis.KeyPrefix,
		IdleTimeout: pc.IdleTimeout, AbsoluteTimeout: pc.AbsoluteTimeout, Location: loc, IdPs: idps,
		Links:   portal.Links{Register: pc.RegisterURL, ForgotPassword: pc.ForgotPasswordURL, EditAccount: pc.EditAccountURL},
		Support: portal.Support{Name: pc.Support.Name, Phone: pc.Support.Phone, Email: pc.Support.Email, Hours: pc.Support.Hours},
		Help:    help, Today: today, Logger: log.With("part", "portal"),
	})
}

// readHelp reads the help pages an operator wrote (tutorials.html, faq.html, privacy.html,
// support.html), when portal.help_dir is set.
func readHelp(dir string) (map[string]string, error) {
	out := map[string]string{}
	if dir == "" {
		return out, nil
	}
	for _, name := range []string{"tutorials", "faq", "privacy", "support"} {
		b, err := os.ReadFile(filepath.Join(dir, name+".html"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("portal.help_dir: %w", err)
		}
		out[name] = string(b)
	}
	return out, nil
}
