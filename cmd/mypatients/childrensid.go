package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/accounts/provider"
	"github.com/mypatients/gateway/accounts/sealed"
	"github.com/mypatients/gateway/accounts/secondfactor"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/audit/auditpage"
	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/demo/idp"
	"github.com/mypatients/gateway/limits"
)

// gatewayClientID is the gateway's client id at the identity providers it starts itself.
const gatewayClientID = "mypatients-gateway"

// childrensPasswordURL is the demo hospital's own password tool, linked for its users.
const childrensPasswordURL = "https://id.childrens.example.org/password"

// startChildrensID starts the demo's hospital SSO: an instance of the accounts provider on
// its own port, with its own keys in Redis (the hospital's, not the gateway's), signing in
// hospdoc and the support team's member. The gateway logs clinicians in there, and the
// support console signs its users in there too.
func (w *demoWorld) startChildrensID(ctx context.Context, cfg *config.Config, run *runGroup, log *slog.Logger, c *common) error {
	rdb := c.accts.Redis()
	ln, err := net.Listen("tcp", cfg.Demo.SSOAddr)
	if err != nil {
		return fmt.Errorf("demo Children's ID: listen on %s: %w", cfg.Demo.SSOAddr, err)
	}
	issuer, prefix := "http://"+ln.Addr().String(), cfg.Redis.KeyPrefix+"childrens-id:"
	store := accounts.NewStore(rdb, prefix, limits.NewHashGate(2, 8, 5*time.Second))
	if err := idp.Seed(ctx, store, "childrens", w.password); err != nil {
		ln.Close()
		return err
	}
	totpKey, _ := sealed.Derive(sealed.Generate(), "totp")
	factors, _ := secondfactor.New(rdb, secondfactor.Options{Prefix: prefix, TOTPKey: totpKey})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		ln.Close()
		return err
	}
	secret := randomToken()
	p, err := provider.New(ctx, provider.Config{
		Issuer: issuer, Name: "Children's ID", IDPrefix: "childrens",
		Clients: []provider.Client{{ID: gatewayClientID, Secret: secret, RedirectURIs: []string{
			cfg.BaseURL + "/login/childrens/callback", cfg.BaseURL + consolePath + "callback", cfg.BaseURL + auditpage.Path + "callback"}}},
		Accounts: store, Factors: factors, Proxies: c.proxies, SignIn: limits.SignIn{
			Account: limits.New(rdb, prefix, limits.Rule{Name: "signin-account", Limit: 10, Window: 15 * time.Minute}),
			Address: limits.New(rdb, prefix, limits.Rule{Name: "signin-address", Limit: 100, Window: 15 * time.Minute})},
		Audit: audit.NewTrail(rdb, audit.TrailOptions{Prefix: prefix, Stream: "audit"}), SigningKey: key,
		Logger: log.With("part", "demo-childrens-id"),
	})
	if err != nil {
		ln.Close()
		return err
	}
	run.serve(ln, p, log)
	log.Info("demo identity provider listening", "id", "childrens", "issuer", issuer)
	cfg.IdentityProviders = append(cfg.IdentityProviders, config.IdentityProvider{
		ID: "childrens", Name: "Children's ID", Issuer: issuer, ClientID: gatewayClientID, ClientSecret: secret,
		PasswordURL: childrensPasswordURL}) // the hospital's password tool, on the portal's sign-in page
	cfg.Complete() // defaults for the IdP just added
	return nil
}
