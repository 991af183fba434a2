package main

import (
	"github.com/mypatients/gateway/config"
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
