package config

import "time"

// Demo defaults: every demo part on its own loopback port next to the gateway.
const (
	DefaultAddr      = "127.0.0.1:8080"
	DefaultEHRAddr   = "127.0.0.1:8081"
	DefaultSSOAddr   = "127.0.0.1:8083"
	DefaultRedisAddr = "127.0.0.1:8084"
	DefaultAppAddr   = "127.0.0.1:8765"
	// DemoClientID and DemoRedirectURI are the demo SMART app registered in demo mode.
	DemoClientID    = "demo-app"
	DemoRedirectURI = "http://127.0.0.1:8765/callback"
)

// Complete fills in defaults for everything left empty. Demo parts are not filled in here:
// their addresses are known only once they listen (see cmd/mypatients).
func (c *Config) Complete() {
	setDefault(&c.Addr, DefaultAddr)
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
		if c.TLS.On() {
			c.BaseURL = "https://" + c.Addr
		}
	}
	c.completeAccess()
	c.completePortal()
	c.completeAccounts()
	if c.Demo.On() {
		setDefault(&c.Demo.EHRAddr, DefaultEHRAddr)
		setDefault(&c.Demo.SSOAddr, DefaultSSOAddr)
		setDefault(&c.Demo.RedisAddr, DefaultRedisAddr)
		setDefault(&c.Demo.AppAddr, DefaultAppAddr)
		if len(c.Clients) == 0 {
			c.Clients = []Client{{
				ID: DemoClientID, Name: "Demo SMART app", Type: "public",
				RedirectURIs: []string{DemoRedirectURI},
			}}
		}
	}
	setDefault(&c.Redis.KeyPrefix, "mypatients:")
	if c.Upstream.BackendServices.On() {
		setDefault(&c.Upstream.BackendServices.Scope, "system/*.rs")
	}
	setDuration(&c.Upstream.ConnectTimeout, 3*time.Second)
	setDuration(&c.Upstream.HeaderTimeout, 15*time.Second)
	setDuration(&c.Upstream.Timeout, 30*time.Second)
	setDuration(&c.Tokens.AccessTokenTTL, time.Hour)
	setDuration(&c.Tokens.CodeTTL, time.Minute)
	setDuration(&c.Tokens.LoginTTL, 10*time.Minute)
	setDuration(&c.Tokens.RefreshTokenTTL, 30*24*time.Hour)
	setDuration(&c.Tokens.BackendTokenTTL, 5*time.Minute)
	setDuration(&c.Tokens.LaunchTTL, 5*time.Minute)
	for i := range c.Clients {
		c.Clients[i].complete()
	}
	setDuration(&c.Authz.FactsTTL, 30*time.Second)
	c.completeAudit()
	c.Limits.complete()
	setDefault(&c.Log.Level, "info")
	setDefault(&c.Tracing.ServiceName, "mypatients-gateway")
	for i := range c.IdentityProviders {
		p := &c.IdentityProviders[i]
		if p.Practitioner.IdentifierClaim == "" {
			setDefault(&p.Practitioner.FHIRUserClaim, "fhirUser")
		}
		if len(p.Scopes) == 0 {
			p.Scopes = []string{"openid", "profile", "email", "fhirUser"}
		}
	}
}

func setDefault(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

func setDuration(d *time.Duration, v time.Duration) {
	if *d == 0 {
		*d = v
	}
}

// complete fills the limits' defaults.
func (l *Limits) complete() {
	setInt(&l.HashConcurrency, 2)
	setInt(&l.HashQueue, 8)
	setDuration(&l.HashWait, 3*time.Second)
	setInt(&l.SignInAccount, 5)
	setInt(&l.SignInAddress, 50)
	setInt(&l.Authorize, 60)
	setInt(&l.AccessRequests, 10)
	setInt(&l.CallerConcurrency, 8)
}

func setInt[T int | int64](n *T, v T) {
	if *n == 0 {
		*n = v
	}
}
