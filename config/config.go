// Package config is the gateway's typed configuration: one struct read from a YAML file, then
// overridden by MYPATIENTS_* environment variables, then by command-line flags, then completed
// with the embedded demo defaults and validated with every problem reported at once. It is a
// leaf: it imports no other package of ours and starts nothing.
package config

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/caarlos0/env/v11"
	"gopkg.in/yaml.v3"
)

// EnvPrefix starts the name of every environment variable the gateway reads.
const EnvPrefix = "MYPATIENTS_"

// Config is the whole configuration. The YAML keys and environment names are the reference;
// README.md documents each one.
type Config struct {
	// Addr is the listen address of the gateway.
	Addr string `yaml:"addr" env:"ADDR"`
	// BaseURL is the public base URL of the gateway as browsers and apps see it; the FHIR base
	// is BaseURL + "/fhir" and the token issuer is BaseURL.
	BaseURL string `yaml:"base_url" env:"BASE_URL"`

	// AdminAddr is the admin listener (metrics, pprof); empty starts none. Keep it off the
	// public network.
	AdminAddr string `yaml:"admin_addr" env:"ADMIN_ADDR"`
	// Tracing exports OpenTelemetry traces when an endpoint is set.
	Tracing Tracing `yaml:"tracing" envPrefix:"TRACING_"`
	// TLS, when set, makes the gateway's listener serve https itself.
	TLS TLS `yaml:"tls" envPrefix:"TLS_"`

	Demo              Demo               `yaml:"demo" envPrefix:"DEMO_"`
	Upstream          Upstream           `yaml:"upstream" envPrefix:"UPSTREAM_"`
	Redis             Redis              `yaml:"redis" envPrefix:"REDIS_"`
	IdentityProviders []IdentityProvider `yaml:"identity_providers"`
	Clients           []Client           `yaml:"clients"`
	Tokens            Tokens             `yaml:"tokens" envPrefix:"TOKENS_"`
	Authz             Authz              `yaml:"authz" envPrefix:"AUTHZ_"`
	Audit             Audit              `yaml:"audit" envPrefix:"AUDIT_"`
	Access            Access             `yaml:"access" envPrefix:"ACCESS_"`
	Portal            Portal             `yaml:"portal" envPrefix:"PORTAL_"`
	Log               Log                `yaml:"log" envPrefix:"LOG_"`
	Accounts          Accounts           `yaml:"accounts" envPrefix:"ACCOUNTS_"`
	// TrustedProxies are the CIDRs (or addresses) of the reverse proxies and load balancers
	// whose X-Forwarded-For names the client; empty trusts none.
	TrustedProxies []string `yaml:"trusted_proxies" env:"TRUSTED_PROXIES"`
	Limits         Limits   `yaml:"limits" envPrefix:"LIMITS_"`
}

// Limits are the bounds that keep the gateway available. Counted limits live in Redis and are
// shared by every replica; concurrency bounds hold per process.
type Limits struct {
	// HashConcurrency is how many memory-hard password hashes (64 MiB each) run at once in
	// the process; HashQueue how many more wait, each at most HashWait, before 503.
	HashConcurrency int           `yaml:"hash_concurrency" env:"HASH_CONCURRENCY"`
	HashQueue       int           `yaml:"hash_queue" env:"HASH_QUEUE"`
	HashWait        time.Duration `yaml:"hash_wait" env:"HASH_WAIT"`
	// SignInAccount and SignInAddress are the failed sign-ins allowed per account and per
	// client address in 15 minutes.
	SignInAccount int64 `yaml:"signin_account" env:"SIGNIN_ACCOUNT"`
	SignInAddress int64 `yaml:"signin_address" env:"SIGNIN_ADDRESS"`
	// Authorize is the authorization requests one client address may start in a minute.
	Authorize int64 `yaml:"authorize" env:"AUTHORIZE"`
	// AccessRequests is the access requests one clinician may file in an hour.
	AccessRequests int64 `yaml:"access_requests" env:"ACCESS_REQUESTS"`
	// CallerConcurrency is the FHIR requests one user (or backend client) may have in flight
	// at once in the process.
	CallerConcurrency int `yaml:"caller_concurrency" env:"CALLER_CONCURRENCY"`
}

// Tracing configures the OTLP/HTTP trace exporter.
type Tracing struct {
	// OTLPEndpoint is the collector's base URL, e.g. http://otel-collector:4318; empty is off.
	OTLPEndpoint string `yaml:"otlp_endpoint" env:"OTLP_ENDPOINT"`
	// ServiceName names the gateway in traces (default mypatients-gateway).
	ServiceName string `yaml:"service_name" env:"SERVICE_NAME"`
}

// TLS is the listener's certificate: PEM files, reloaded when they change.
type TLS struct {
	CertFile string `yaml:"cert_file" env:"CERT_FILE"`
	KeyFile  string `yaml:"key_file" env:"KEY_FILE"`
}

// On reports whether the listener serves TLS.
func (t TLS) On() bool { return t.CertFile != "" || t.KeyFile != "" }

// Demo configures the embedded parts that let one command run the whole system. When Enabled,
// every part left unconfigured is replaced by its embedded stand-in.
type Demo struct {
	// Enabled is true by default when no configuration file is given.
	Enabled *bool `yaml:"enabled" env:"ENABLED"`
	// EHRAddr and SSOAddr are the loopback addresses of the demo EHR and of the demo hospital
	// SSO, Children's ID. (The accounts provider is served by the gateway itself.)
	EHRAddr string `yaml:"ehr_addr" env:"EHR_ADDR"`
	SSOAddr string `yaml:"sso_addr" env:"SSO_ADDR"`
	// AppAddr is where the demo SMART app listens; "off" starts none.
	AppAddr string `yaml:"app_addr" env:"APP_ADDR"`
	// RedisAddr is where the embedded Redis listens, so `mypatients audit` can read it.
	RedisAddr string `yaml:"redis_addr" env:"REDIS_ADDR"`
	// Password is the one password of every demo user; generated and printed when empty.
	Password string `yaml:"password" env:"PASSWORD"`
	// LauncherSecret is the secret of the demo EHR's launch client "demo-ehr"; generated and
	// printed when empty.
	LauncherSecret string `yaml:"launcher_secret" env:"LAUNCHER_SECRET"`
}

// On reports whether demo mode is on.
func (d Demo) On() bool { return d.Enabled != nil && *d.Enabled }

// Upstream is the hospital's FHIR server.
type Upstream struct {
	// URL is the FHIR base URL.
	URL string `yaml:"url" env:"URL"`
	// BearerToken (or the file holding it) is the gateway's own credential at the upstream.
	BearerToken     string `yaml:"bearer_token" env:"BEARER_TOKEN"`
	BearerTokenFile string `yaml:"bearer_token_file" env:"BEARER_TOKEN_FILE"`
	// BackendServices obtains the credential with SMART Backend Services instead.
	BackendServices BackendServices `yaml:"backend_services" envPrefix:"BACKEND_SERVICES_"`
	// CAFile is a PEM bundle of authorities trusted for the EHR besides the system's;
	// ClientCertFile and ClientKeyFile a client certificate for mutual TLS.
	CAFile         string `yaml:"ca_file" env:"CA_FILE"`
	ClientCertFile string `yaml:"client_cert_file" env:"CLIENT_CERT_FILE"`
	ClientKeyFile  string `yaml:"client_key_file" env:"CLIENT_KEY_FILE"`
	// ConnectTimeout, HeaderTimeout and Timeout bound dialing, waiting for response headers,
	// and a whole request.
	ConnectTimeout time.Duration `yaml:"connect_timeout" env:"CONNECT_TIMEOUT"`
	HeaderTimeout  time.Duration `yaml:"header_timeout" env:"HEADER_TIMEOUT"`
	Timeout        time.Duration `yaml:"timeout" env:"TIMEOUT"`
}

// BackendServices is the gateway's registration at the EHR's authorization server: SMART
// Backend Services, client_credentials with a private_key_jwt assertion.
type BackendServices struct {
	ClientID string `yaml:"client_id" env:"CLIENT_ID"`
	// PrivateKeyFile is a PEM RSA (RS384) or EC P-384 (ES384) private key; Key is it, read
	// with the configuration.
	PrivateKeyFile string        `yaml:"private_key_file" env:"PRIVATE_KEY_FILE"`
	Key            crypto.Signer `yaml:"-" env:"-"`
	// KeyID is the assertion's kid; empty uses the key's RFC 7638 thumbprint.
	KeyID string `yaml:"key_id" env:"KEY_ID"`
	// Scope is asked for (default system/*.rs).
	Scope string `yaml:"scope" env:"SCOPE"`
	// TokenURL is the token endpoint; empty discovers it from the EHR's
	// .well-known/smart-configuration.
	TokenURL string `yaml:"token_url" env:"TOKEN_URL"`
}

// On reports whether backend services are configured.
func (b BackendServices) On() bool { return b.ClientID != "" || b.PrivateKeyFile != "" }

// Redis says where shared state lives: URL for one server, or Addrs for Sentinel (with
// MasterName) or Cluster.
type Redis struct {
	URL          string   `yaml:"url" env:"URL"`
	Addrs        []string `yaml:"addrs" env:"ADDRS"`
	MasterName   string   `yaml:"master_name" env:"MASTER_NAME"`
	Username     string   `yaml:"username" env:"USERNAME"`
	Password     string   `yaml:"password" env:"PASSWORD"`
	PasswordFile string   `yaml:"password_file" env:"PASSWORD_FILE"`
	DB           int      `yaml:"db" env:"DB"`
	// KeyPrefix starts every key the gateway writes.
	KeyPrefix string `yaml:"key_prefix" env:"KEY_PREFIX"`
	// MinReplicaAcks, when positive, makes every write wait for that many replicas (WAIT) up
	// to ReplicaAckTimeout and fail otherwise, so a Sentinel failover loses no acknowledged
	// write. Standalone and Sentinel only.
	MinReplicaAcks    int           `yaml:"min_replica_acks" env:"MIN_REPLICA_ACKS"`
	ReplicaAckTimeout time.Duration `yaml:"replica_ack_timeout" env:"REPLICA_ACK_TIMEOUT"`
}

// Embedded reports whether no Redis is configured, so the demo's in-process one is used.
func (r Redis) Embedded() bool { return r.URL == "" && len(r.Addrs) == 0 }

// IdentityProvider is an OpenID Provider clinicians log in with.
type IdentityProvider struct {
	// ID names the provider in URLs (/login/{id}/callback) and in user ids.
	ID string `yaml:"id"`
	// Name is shown on the login page.
	Name             string   `yaml:"name"`
	Issuer           string   `yaml:"issuer"`
	ClientID         string   `yaml:"client_id"`
	ClientSecret     string   `yaml:"client_secret"`
	ClientSecretFile string   `yaml:"client_secret_file"`
	Scopes           []string `yaml:"scopes"`
	// PasswordURL is the provider's own password tool, linked under its button on the
	// portal's sign-in page (the hospital's, for its single sign-on).
	PasswordURL string `yaml:"password_url"`
	// Practitioner says how a user of this provider is matched to their Practitioner.
	Practitioner PractitionerMapping `yaml:"practitioner"`
}

// PractitionerMapping says how the ID token of a provider names the user's Practitioner at
// the EHR: a fhirUser-style claim, or an identifier claim searched at the EHR.
type PractitionerMapping struct {
	// FHIRUserClaim holds "Practitioner/<id>", or the same absolute under upstream.url
	// (default "fhirUser"). Not read when IdentifierClaim is set.
	FHIRUserClaim string `yaml:"fhir_user_claim"`
	// IdentifierClaim holds an identifier of the user (an NPI, an employee number) that is
	// searched as Practitioner?identifier=<IdentifierSystem>|<value>.
	IdentifierClaim  string `yaml:"identifier_claim"`
	IdentifierSystem string `yaml:"identifier_system"`
	// Required refuses the sign-in of a user whose token lacks the claim. A claim that is
	// present but resolves to no single Practitioner is always refused.
	Required bool `yaml:"required"`
}

// Client is a registered SMART app.
type Client struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Type is "public" or "confidential".
	Type string `yaml:"type"`
	// SecretSHA256 is the hex SHA-256 of a confidential client's secret; the secret itself is
	// never stored.
	SecretSHA256 string   `yaml:"secret_sha256"`
	RedirectURIs []string `yaml:"redirect_uris"`
	// Scopes limits what the client may be granted; empty allows every scope the gateway offers.
	Scopes []string `yaml:"scopes"`
	// TokenEndpointAuthMethod is "none" (public), "client_secret_basic" or "private_key_jwt";
	// empty derives it from type and credentials.
	TokenEndpointAuthMethod string `yaml:"token_endpoint_auth_method"`
	// JWKS (inline) or JWKSURL is the public key set of a private_key_jwt client.
	JWKS    map[string]any `yaml:"jwks"`
	JWKSURL string         `yaml:"jwks_url"`
	// GrantTypes the client may use; empty means authorization_code and refresh_token.
	GrantTypes []string `yaml:"grant_types"`
	// LaunchCreator lets this confidential client create EHR launch contexts (POST /smart/launch).
	LaunchCreator bool `yaml:"launch_creator"`
	// FirstParty marks one of the gateway's own clients (the clinicians' portal): only such a
	// client may be granted the first-party scopes (mypatients/...), and it skips the consent
	// screen. It must be confidential.
	FirstParty bool `yaml:"first_party"`
	// ResourceServer lets this confidential client introspect tokens issued to other clients.
	ResourceServer bool `yaml:"resource_server"`
}

// PortalClientID is the built-in first-party client of the clinicians' portal; no configured
// client may take its id.
const PortalClientID = "mypatients-portal"

// Tokens configures the gateway's own tokens.
type Tokens struct {
	// SigningKeyFile is a PEM RSA private key; in demo mode a key is generated when empty.
	SigningKeyFile string `yaml:"signing_key_file" env:"SIGNING_KEY_FILE"`
	// PageKeyFile holds at least 32 random bytes that sign the FHIR API's paging links. Every
	// replica must use the same key; without one, each process draws its own and paging links
	// do not survive a restart or cross replicas.
	PageKeyFile string `yaml:"page_key_file" env:"PAGE_KEY_FILE"`
	// PageKey is PageKeyFile's content, read at start, every byte of it.
	PageKey []byte `yaml:"-" env:"-"`
	// SigningKey is SigningKeyFile parsed, at start and by --check-config alike.
	SigningKey     *rsa.PrivateKey `yaml:"-" env:"-"`
	AccessTokenTTL time.Duration   `yaml:"access_token_ttl" env:"ACCESS_TOKEN_TTL"`
	CodeTTL        time.Duration   `yaml:"code_ttl" env:"CODE_TTL"`
	// LoginTTL bounds how long a login may take, from authorize to the IdP's callback.
	LoginTTL time.Duration `yaml:"login_ttl" env:"LOGIN_TTL"`
	// RefreshTokenTTL is the idle lifetime of an offline_access refresh token.
	RefreshTokenTTL time.Duration `yaml:"refresh_token_ttl" env:"REFRESH_TOKEN_TTL"`
	// BackendTokenTTL is the lifetime of a client_credentials access token.
	BackendTokenTTL time.Duration `yaml:"backend_token_ttl" env:"BACKEND_TOKEN_TTL"`
	// LaunchTTL is how long an EHR launch context waits for its app.
	LaunchTTL time.Duration `yaml:"launch_ttl" env:"LAUNCH_TTL"`
}

// Authz configures authorization.
type Authz struct {
	// FactsTTL is how long relationship facts fetched from the EHR are cached. A PCP change in
	// the EHR takes effect at most this long after it is made.
	FactsTTL time.Duration `yaml:"facts_ttl" env:"FACTS_TTL"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level" env:"LEVEL"`
}

// Load reads the YAML file at path (none when path is empty) and applies environment
// overrides from environ (KEY=VALUE pairs, as os.Environ returns). It does not apply defaults
// or validate; see Complete and Validate.
func Load(path string, environ []string) (*Config, error) {
	var c Config
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if err := unmarshalStrict(b, &c); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	envs := map[string]string{}
	for _, kv := range environ {
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				envs[kv[:i]] = kv[i+1:]
				break
			}
		}
	}
	if err := env.ParseWithOptions(&c, env.Options{Prefix: EnvPrefix, Environment: envs}); err != nil {
		return nil, fmt.Errorf("config: environment: %w", err)
	}
	if c.Demo.Enabled == nil {
		on := path == ""
		c.Demo.Enabled = &on
	}
	return &c, nil
}

func unmarshalStrict(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
