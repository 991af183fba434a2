package patientportal

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"

	"github.com/mypatients/gateway/config"
)

// The demo patient portal's registration at the gateway: a backend service with a key
// generated per run.
const (
	ClientID = "demo-portal"
	KeyID    = "demo-portal-1"
)

// Register adds, in demo mode, the demo patient portal to cfg as a private_key_jwt backend
// client allowed to call /api/portal, and returns its private key. It returns nil outside demo
// mode or when cfg already has a client of that id. It must run before the SMART server is
// built, which reads the clients.
func Register(cfg *config.Config) (*rsa.PrivateKey, error) {
	if !cfg.Demo.On() || slices.ContainsFunc(cfg.Clients, func(c config.Client) bool { return c.ID == ClientID }) {
		return nil, nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("demo portal: key: %w", err)
	}
	raw, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: KeyID, Algorithm: "RS384", Use: "sig"}}})
	var jwks map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &jwks)
	}
	if err != nil {
		return nil, fmt.Errorf("demo portal: encode key: %w", err)
	}
	cfg.Clients = append(cfg.Clients, config.Client{
		ID: ClientID, Name: "MyChildren's (demo patient portal)", Type: "confidential", JWKS: jwks,
		TokenEndpointAuthMethod: config.AuthPrivateKeyJWT, GrantTypes: []string{config.GrantClientCredentials},
		Scopes: []string{Scope},
	})
	cfg.Access.PortalClients = append(cfg.Access.PortalClients, ClientID)
	return key, nil
}
