package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/smart"
	"github.com/mypatients/gateway/smart/identity"
)

// newSMART returns the SMART server: it issues tokens through tokens, asks the accounts who
// sponsors a user signing in and whether they are in good standing, records sign-ins, and
// lists the picker's patients through the FHIR API's own search, finding each user's
// Practitioner through practitioners. builtIn are the gateway's own clients (the portal),
// registered beside the configured ones.
func newSMART(cfg *config.Config, log *slog.Logger, tokens *smart.Tokens, c *common, fhir smart.PatientSearcher,
	signIns smart.SignIns, practitioners smart.Practitioners, idpClient *http.Client, builtIn ...smart.Client) (*smart.Server, error) {
	return smart.New(smart.Options{
		Tokens: tokens, Clients: append(smartClients(cfg.Clients), builtIn...), IdPs: smartIdPs(cfg.IdentityProviders),
		AccessTokenTTL: cfg.Tokens.AccessTokenTTL, CodeTTL: cfg.Tokens.CodeTTL, LoginTTL: cfg.Tokens.LoginTTL,
		RefreshTokenTTL: cfg.Tokens.RefreshTokenTTL, BackendTokenTTL: cfg.Tokens.BackendTokenTTL, LaunchTTL: cfg.Tokens.LaunchTTL,
		Accounts: c.accts, SignIns: signIns, Audit: c.trail, Proxies: c.proxies, Patients: fhir, Practitioners: practitioners, HTTPClient: idpClient, Logger: log,
		Limits: smart.Limits{Authorize: limits.Rule{Name: "authorize", Limit: cfg.Limits.Authorize, Window: time.Minute}},
	})
}

func smartClients(cs []config.Client) []smart.Client {
	var out []smart.Client
	for _, c := range cs {
		out = append(out, smart.Client{
			ID: c.ID, Name: c.Name, Public: c.Type == "public", SecretSHA256: c.SecretSHA256,
			JWKS: c.JWKSJSON(), JWKSURL: c.JWKSURL,
			RedirectURIs: c.RedirectURIs, Scopes: c.Scopes, GrantTypes: c.GrantTypes, LaunchCreator: c.LaunchCreator,
			FirstParty: c.FirstParty, ResourceServer: c.ResourceServer,
		})
	}
	return out
}

func smartIdPs(ps []config.IdentityProvider) []smart.IdP {
	var out []smart.IdP
	for _, p := range ps {
		out = append(out, smart.IdP{
			ID: p.ID, Name: p.Name, Issuer: p.Issuer, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
			Scopes: p.Scopes,
		})
	}
	return out
}

// practitionerRules are the identity providers' rules for finding a user's Practitioner.
func practitionerRules(ps []config.IdentityProvider) map[string]identity.Rule {
	rules := map[string]identity.Rule{}
	for _, p := range ps {
		m := p.Practitioner
		rules[p.ID] = identity.Rule{Claim: m.FHIRUserClaim, IdentifierClaim: m.IdentifierClaim,
			IdentifierSystem: m.IdentifierSystem, Required: m.Required}
	}
	return rules
}
