package login

import (
	"slices"
	"strings"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/config"
)

// The demo shell: the first-party client `mypatients demo token` signs in as, so that the
// README's walk-through can call the clinicians' /api from a terminal. It is a public client
// with PKCE (a native app on loopback, RFC 8252) registered in demo mode only, which listens on
// loopback only; a real deployment's first-party clients are confidential (config refuses a
// public one).
const (
	ShellClientID    = "demo-shell"
	ShellRedirectURI = "http://127.0.0.1/demo-shell/callback"
)

// ShellScope is what the demo shell asks for: every patient the user may see, and the
// first-party scopes of the clinicians' API.
var ShellScope = strings.Join(append([]string{"user/*.rs"}, gateway.FirstPartyScopes...), " ")

// RegisterShell adds, in demo mode, the demo shell to cfg's clients as a first-party public
// client, unless cfg has a client of that id. It must run before the SMART server is built.
func RegisterShell(cfg *config.Config) {
	if !cfg.Demo.On() || slices.ContainsFunc(cfg.Clients, func(c config.Client) bool { return c.ID == ShellClientID }) {
		return
	}
	cfg.Clients = append(cfg.Clients, config.Client{
		ID: ShellClientID, Name: "MyPatients demo shell", Type: "public", TokenEndpointAuthMethod: config.AuthNone,
		GrantTypes: []string{config.GrantAuthorizationCode, config.GrantRefreshToken}, RedirectURIs: []string{ShellRedirectURI},
		FirstParty: true,
	})
}
