package ehr

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"

	"github.com/mypatients/gateway/config"
)

// LauncherID is the demo EHR's client at the gateway: it creates EHR launch contexts with
// POST /smart/launch and HTTP Basic.
const LauncherID = "demo-ehr"

// RegisterLauncher adds, in demo mode, the demo EHR to cfg's clients as a launch creator, with
// the secret demo.launcher_secret or a fresh one. It returns the secret when it made one up,
// for the gateway to print; "" otherwise, also when cfg already registers LauncherID.
func RegisterLauncher(cfg *config.Config) (generated string) {
	if !cfg.Demo.On() || slices.ContainsFunc(cfg.Clients, func(c config.Client) bool { return c.ID == LauncherID }) {
		return ""
	}
	secret := cfg.Demo.LauncherSecret
	if secret == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		secret = base64.RawURLEncoding.EncodeToString(b)
		generated = secret
	}
	sum := sha256.Sum256([]byte(secret))
	cfg.Clients = append(cfg.Clients, config.Client{
		ID: LauncherID, Name: "Demo EHR", Type: "confidential", SecretSHA256: hex.EncodeToString(sum[:]),
		TokenEndpointAuthMethod: config.AuthClientSecretBasic, GrantTypes: []string{}, LaunchCreator: true,
	})
	return generated
}
