package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// smartConfig is the part of the SMART discovery document the app relies on (SMART App
// Launch 2.2, conformance.md).
type smartConfig struct {
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	Capabilities          []string `json:"capabilities"`
}

// discovery fetches the gateway's SMART configuration once it answers. A failure is not
// remembered, so the next sign-in tries again: the app may start before the gateway listens.
type discovery struct {
	base string
	http *http.Client

	mu       sync.Mutex
	endpoint *oauth2.Endpoint
}

func newDiscovery(base string, client *http.Client) *discovery {
	return &discovery{base: base, http: client}
}

// get returns the gateway's endpoints, fetching them if they are not known yet.
func (d *discovery) get(ctx context.Context) (oauth2.Endpoint, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.endpoint != nil {
		return *d.endpoint, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conf, err := d.fetch(ctx)
	if err != nil {
		return oauth2.Endpoint{}, err
	}
	d.endpoint = &oauth2.Endpoint{
		AuthURL:  conf.AuthorizationEndpoint,
		TokenURL: conf.TokenEndpoint,
		// A public client authenticates with client_id in the body and no secret; Basic
		// with an empty password would be read as a failed confidential-client login.
		AuthStyle: oauth2.AuthStyleInParams,
	}
	return *d.endpoint, nil
}

func (d *discovery) fetch(ctx context.Context) (smartConfig, error) {
	u := d.base + "/.well-known/smart-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return smartConfig{}, fmt.Errorf("discovery: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.http.Do(req)
	if err != nil {
		return smartConfig{}, fmt.Errorf("discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return smartConfig{}, fmt.Errorf("discovery: GET %s: %s", u, resp.Status)
	}
	var conf smartConfig
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&conf); err != nil {
		return smartConfig{}, fmt.Errorf("discovery: decode %s: %w", u, err)
	}
	if err := conf.check(); err != nil {
		return smartConfig{}, fmt.Errorf("discovery: %s: %w", u, err)
	}
	return conf, nil
}

// check refuses a configuration the app cannot use safely.
func (c smartConfig) check() error {
	for _, e := range []struct{ name, value string }{
		{"authorization_endpoint", c.AuthorizationEndpoint},
		{"token_endpoint", c.TokenEndpoint},
	} {
		if _, err := absoluteURL(e.value); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
	}
	// SMART servers must support S256 (app-launch.md); without it the app will not sign in.
	if !slices.Contains(c.CodeChallengeMethods, "S256") {
		return fmt.Errorf("code_challenge_methods_supported %q lacks S256", c.CodeChallengeMethods)
	}
	return nil
}

// oauthConfig is the app's OAuth client configuration for the discovered endpoints.
func (a *app) oauthConfig(ep oauth2.Endpoint) *oauth2.Config {
	return &oauth2.Config{
		ClientID:    a.opts.ClientID,
		Endpoint:    ep,
		RedirectURL: a.opts.RedirectURI,
		Scopes:      splitScope(a.opts.Scope),
	}
}

func splitScope(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
