package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/fhirproxy"
	"github.com/mypatients/gateway/smart"
)

// demoLauncherID is the demo EHR's launch client (POST /smart/launch with HTTP Basic).
const demoLauncherID = "demo-ehr"

// addDemoLauncher registers demo-ehr as a launch creator in demo mode, with the secret from
// demo.launcher_secret or a generated one, which it prints.
func addDemoLauncher(cfg *config.Config, log *slog.Logger) {
	if !cfg.Demo.On() || slices.ContainsFunc(cfg.Clients, func(c config.Client) bool { return c.ID == demoLauncherID }) {
		return
	}
	secret := cfg.Demo.LauncherSecret
	if secret == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		secret = base64.RawURLEncoding.EncodeToString(b)
		log.Info("demo EHR launcher registered; create launches with POST /smart/launch", "client_id", demoLauncherID, "secret", secret)
	}
	sum := sha256.Sum256([]byte(secret))
	cfg.Clients = append(cfg.Clients, config.Client{
		ID: demoLauncherID, Name: "Demo EHR", Type: "confidential", SecretSHA256: hex.EncodeToString(sum[:]),
		TokenEndpointAuthMethod: config.AuthClientSecretBasic, GrantTypes: []string{}, LaunchCreator: true,
	})
}

func smartClients(cs []config.Client) []smart.Client {
	var out []smart.Client
	for _, c := range cs {
		out = append(out, smart.Client{
			ID: c.ID, Name: c.Name, Public: c.Type == "public", SecretSHA256: c.SecretSHA256,
			JWKS: c.JWKSJSON(), JWKSURL: c.JWKSURL,
			RedirectURIs: c.RedirectURIs, Scopes: c.Scopes, GrantTypes: c.GrantTypes, LaunchCreator: c.LaunchCreator,
		})
	}
	return out
}

// patientPicker feeds smart's standalone-launch patient picker from the FHIR API's own search
// of Patient as the clinician (fhirproxy.Handler.PatientSummaries), so that the list is narrowed,
// decided, filtered and audited exactly like the clinician's own search. api is set once the
// FHIR API is built, which needs the SMART server first.
type patientPicker struct{ api *fhirproxy.Handler }

func (p *patientPicker) ListPatients(ctx context.Context, c gateway.Caller) ([]smart.PatientSummary, error) {
	if p.api == nil {
		return nil, errors.New("patient picker: FHIR API not wired")
	}
	ps, err := p.api.PatientSummaries(ctx, c, url.Values{"_count": {"100"}})
	if errors.Is(err, fhirproxy.ErrForbidden) {
		return nil, nil // nobody visible
	}
	if err != nil {
		return nil, fmt.Errorf("patient picker: %w", err)
	}
	var out []smart.PatientSummary
	for _, s := range ps {
		out = append(out, smart.PatientSummary{ID: s.ID, Name: s.Name, BirthDate: s.BirthDate})
	}
	return out, nil
}
