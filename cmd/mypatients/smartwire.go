package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/fhirproxy"
	"github.com/mypatients/gateway/smart"
)

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

func smartIdPs(ps []config.IdentityProvider) []smart.IdP {
	var out []smart.IdP
	for _, p := range ps {
		out = append(out, smart.IdP{
			ID: p.ID, Name: p.Name, Issuer: p.Issuer, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
			Scopes: p.Scopes, FHIRUserClaim: p.FHIRUserClaim,
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
