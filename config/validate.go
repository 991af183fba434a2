package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	hexSHA256   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	logLevels   = map[string]bool{"debug": true, "info": true, "warn": true, "error": true}
	clientTypes = map[string]bool{"public": true, "confidential": true}
)

// Validate checks a completed configuration and returns every problem found, joined, so that
// an operator fixes them in one pass. In demo mode, parts left empty are valid: the demo fills
// them in.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	demo := c.Demo.On()

	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr %q: want host:port", c.Addr)
	}
	if err := checkBaseURL(c.BaseURL); err != nil {
		bad("base_url: %v", err)
	}
	if c.AdminAddr != "" {
		if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil {
			bad("admin_addr %q: want host:port", c.AdminAddr)
		}
	}
	if c.Tracing.OTLPEndpoint != "" {
		if err := checkHTTPURL(c.Tracing.OTLPEndpoint); err != nil {
			bad("tracing.otlp_endpoint: %v", err)
		}
	}
	if c.TLS.On() && (c.TLS.CertFile == "" || c.TLS.KeyFile == "") {
		bad("tls: cert_file and key_file go together")
	}
	if c.Upstream.URL == "" && !demo {
		bad("upstream.url is required (or turn on demo mode for the embedded demo EHR)")
	}
	if c.Upstream.URL != "" {
		if err := checkHTTPURL(c.Upstream.URL); err != nil {
			bad("upstream.url: %v", err)
		}
		if c.Upstream.BearerToken != "" && c.Upstream.BearerTokenFile != "" {
			bad("upstream: set bearer_token or bearer_token_file, not both")
		}
		errs = append(errs, c.Upstream.validateConnection()...)
	}
	if c.Redis.Embedded() && !demo {
		bad("redis.url or redis.addrs is required (the embedded Redis is for demo mode only)")
	}
	if c.Redis.URL != "" && len(c.Redis.Addrs) > 0 {
		bad("redis: set url or addrs, not both")
	}
	if c.Redis.MinReplicaAcks < 0 || c.Redis.ReplicaAckTimeout < 0 {
		bad("redis.min_replica_acks and replica_ack_timeout must not be negative")
	}
	if c.Redis.MinReplicaAcks > 0 && len(c.Redis.Addrs) > 0 && c.Redis.MasterName == "" {
		bad("redis.min_replica_acks is for a standalone server or Sentinel, not Cluster")
	}
	if c.Redis.URL != "" && !strings.HasPrefix(c.Redis.URL, "redis://") && !strings.HasPrefix(c.Redis.URL, "rediss://") && !strings.HasPrefix(c.Redis.URL, "unix://") {
		bad("redis.url %q: want redis://, rediss:// or unix://", c.Redis.URL)
	}
	if len(c.IdentityProviders) == 0 && !demo && !c.Accounts.On() {
		bad("identity_providers: at least one is required when the accounts provider is off")
	}
	errs = append(errs, c.validateIdPs()...)
	errs = append(errs, c.validateClients()...)
	if c.Tokens.SigningKeyFile == "" && !demo {
		bad("tokens.signing_key_file is required (a PEM RSA private key)")
	}
	if c.Tokens.CodeTTL > c.Tokens.LoginTTL {
		bad("tokens.code_ttl (%s) must not exceed tokens.login_ttl (%s)", c.Tokens.CodeTTL, c.Tokens.LoginTTL)
	}
	for name, d := range map[string]time.Duration{
		"tokens.access_token_ttl": c.Tokens.AccessTokenTTL, "tokens.code_ttl": c.Tokens.CodeTTL,
		"tokens.login_ttl": c.Tokens.LoginTTL, "authz.facts_ttl": c.Authz.FactsTTL,
		"tokens.refresh_token_ttl": c.Tokens.RefreshTokenTTL, "tokens.backend_token_ttl": c.Tokens.BackendTokenTTL,
		"tokens.launch_ttl":        c.Tokens.LaunchTTL,
		"upstream.connect_timeout": c.Upstream.ConnectTimeout, "upstream.header_timeout": c.Upstream.HeaderTimeout,
		"upstream.timeout": c.Upstream.Timeout,
	} {
		if d < 0 {
			bad("%s must not be negative", name)
		}
	}
	if !logLevels[c.Log.Level] {
		bad("log.level %q: want debug, info, warn or error", c.Log.Level)
	}
	errs = append(errs, c.validateAudit()...)
	errs = append(errs, c.validateAccess()...)
	errs = append(errs, c.validateLimits()...)
	if demo {
		errs = append(errs, c.validateDemoLoopback()...)
	}
	errs = append(errs, c.validatePortal()...)
	errs = append(errs, c.validateAccounts()...)
	return errors.Join(errs...)
}

// validateLimits checks trusted_proxies and the limits.
func (c *Config) validateLimits() []error {
	var errs []error
	for _, p := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				errs = append(errs, fmt.Errorf("trusted_proxies: %q is not a CIDR (10.0.0.0/8) or an address", p))
			}
		}
	}
	l := c.Limits
	if l.HashConcurrency < 0 || l.HashQueue < 0 || l.HashWait < 0 || l.SignInAccount < 0 || l.SignInAddress < 0 ||
		l.Authorize < 0 || l.AccessRequests < 0 || l.CallerConcurrency < 0 {
		errs = append(errs, errors.New("limits: no limit may be negative"))
	}
	return errs
}

// validateDemoLoopback keeps demo mode on this machine: its portal, mail page and users have
// no real authentication, so every listener must be on loopback, the base URL loopback http,
// and the upstream the demo EHR or another server on loopback: never real patients.
func (c *Config) validateDemoLoopback() []error {
	var errs []error
	listeners := map[string]string{"addr": c.Addr, "demo.ehr_addr": c.Demo.EHRAddr,
		"demo.sso_addr": c.Demo.SSOAddr, "demo.redis_addr": c.Demo.RedisAddr}
	if c.Demo.AppAddr != "off" {
		listeners["demo.app_addr"] = c.Demo.AppAddr
	}
	for _, name := range slices.Sorted(maps.Keys(listeners)) {
		if host, _, err := net.SplitHostPort(listeners[name]); err == nil && !loopbackHost(host) {
			errs = append(errs, fmt.Errorf("%s %q: demo mode listens on loopback only (127.0.0.1, [::1], localhost)", name, listeners[name]))
		}
	}
	if u, err := url.Parse(c.BaseURL); err == nil && (u.Scheme != "http" || !loopbackHost(u.Hostname())) {
		errs = append(errs, fmt.Errorf("base_url %q: demo mode needs a loopback http base URL; turn demo mode off to publish the gateway", c.BaseURL))
	}
	if c.Upstream.URL != "" {
		if u, err := url.Parse(c.Upstream.URL); err == nil && !loopbackHost(u.Hostname()) {
			errs = append(errs, fmt.Errorf("upstream.url %q: demo mode reads only the demo EHR or a server on loopback, never real patients", c.Upstream.URL))
		}
	}
	return errs
}

func loopbackHost(host string) bool { return host == "localhost" || isLoopback(host) }

func (c *Config) validateIdPs() []error {
	var errs []error
	seen := map[string]bool{}
	for i, p := range c.IdentityProviders {
		where := fmt.Sprintf("identity_providers[%d]", i)
		if p.ID != "" {
			where = fmt.Sprintf("identity provider %q", p.ID)
		}
		if !idPattern.MatchString(p.ID) {
			errs = append(errs, fmt.Errorf("%s: id must be 1-32 of a-z, 0-9, _ and -", where))
		}
		if seen[p.ID] {
			errs = append(errs, fmt.Errorf("%s: id is used twice", where))
		}
		seen[p.ID] = true
		if p.Name == "" {
			errs = append(errs, fmt.Errorf("%s: name is required (it is shown on the login page)", where))
		}
		if err := checkHTTPURL(p.Issuer); err != nil {
			errs = append(errs, fmt.Errorf("%s: issuer: %v", where, err))
		}
		if p.ClientID == "" {
			errs = append(errs, fmt.Errorf("%s: client_id is required", where))
		}
		if (p.ClientSecret == "") == (p.ClientSecretFile == "") {
			errs = append(errs, fmt.Errorf("%s: set exactly one of client_secret and client_secret_file", where))
		}
		errs = append(errs, p.Practitioner.validate(where)...)
	}
	return errs
}

func (m PractitionerMapping) validate(where string) []error {
	var errs []error
	switch {
	case (m.IdentifierClaim == "") != (m.IdentifierSystem == ""):
		errs = append(errs, fmt.Errorf("%s: practitioner.identifier_claim and identifier_system go together", where))
	case m.IdentifierSystem != "":
		if u, err := url.Parse(m.IdentifierSystem); err != nil || !u.IsAbs() || strings.Contains(m.IdentifierSystem, "|") {
			errs = append(errs, fmt.Errorf("%s: practitioner.identifier_system %q: want an absolute URI without |", where, m.IdentifierSystem))
		}
	}
	return errs
}

func (c *Config) validateClients() []error {
	var errs []error
	seen := map[string]bool{}
	for i, cl := range c.Clients {
		where := fmt.Sprintf("clients[%d]", i)
		if cl.ID != "" {
			where = fmt.Sprintf("client %q", cl.ID)
		}
		if cl.ID == "" {
			errs = append(errs, fmt.Errorf("%s: id is required", where))
		}
		if seen[cl.ID] {
			errs = append(errs, fmt.Errorf("%s: id is used twice", where))
		}
		if cl.ID == PortalClientID {
			errs = append(errs, fmt.Errorf("%s: this id is the built-in clinicians' portal's", where))
		}
		seen[cl.ID] = true
		if !clientTypes[cl.Type] {
			errs = append(errs, fmt.Errorf("%s: type must be public or confidential", where))
		}
		errs = append(errs, cl.validateAuth(where)...)
		if len(cl.RedirectURIs) == 0 && cl.usesAuthorize() {
			errs = append(errs, fmt.Errorf("%s: at least one redirect_uri is required", where))
		}
		if (cl.FirstParty || cl.ResourceServer) && cl.Type != "confidential" {
			errs = append(errs, fmt.Errorf("%s: first_party and resource_server clients must be confidential", where))
		}
		if cl.FirstParty && !cl.usesAuthorize() {
			errs = append(errs, fmt.Errorf("%s: a first_party client signs clinicians in: it needs grant type authorization_code", where))
		}
		for _, r := range cl.RedirectURIs {
			if err := CheckRedirectURI(r); err != nil {
				errs = append(errs, fmt.Errorf("%s: redirect_uri %q: %v", where, r, err))
			}
		}
	}
	return errs
}

// CheckRedirectURI accepts absolute https URIs, http only on loopback, and private-use
// schemes of native apps; never fragments.
func CheckRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch {
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return errors.New("must not contain a fragment")
	case u.Scheme == "https" && u.Host != "":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return errors.New("http is allowed only on loopback (127.0.0.1, [::1])")
	case u.Scheme != "" && strings.Contains(u.Scheme, "."):
		return nil // private-use scheme such as org.example.app:/callback
	}
	return errors.New("must be https, loopback http, or a private-use scheme")
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return nil
}

func checkBaseURL(raw string) error {
	if err := checkHTTPURL(raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw)
	if u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Path, "/") {
		return fmt.Errorf("%q must have no query, fragment or trailing slash", raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) && u.Hostname() != "localhost" {
		return fmt.Errorf("%q: http is allowed only on loopback; use https", raw)
	}
	return nil
}

// validateConnection checks the credential and TLS settings toward the EHR.
func (u Upstream) validateConnection() []error {
	var errs []error
	b := u.BackendServices
	if b.On() {
		if u.BearerToken != "" || u.BearerTokenFile != "" {
			errs = append(errs, errors.New("upstream: set a bearer token or backend_services, not both"))
		}
		if b.ClientID == "" || b.PrivateKeyFile == "" {
			errs = append(errs, errors.New("upstream.backend_services: client_id and private_key_file are required"))
		}
		if b.TokenURL != "" {
			if err := checkHTTPURL(b.TokenURL); err != nil {
				errs = append(errs, fmt.Errorf("upstream.backend_services.token_url: %v", err))
			}
		}
	}
	if (u.ClientCertFile == "") != (u.ClientKeyFile == "") {
		errs = append(errs, errors.New("upstream: client_cert_file and client_key_file go together"))
	}
	return errs
}
