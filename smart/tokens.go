package smart

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/redisstore"
)

// TokenOptions configures Tokens.
type TokenOptions struct {
	// BaseURL is the gateway's public base URL: the issuer of its tokens. The FHIR base, and
	// so the audience of access tokens, is BaseURL + "/fhir".
	BaseURL string
	// SigningKey signs access tokens and ID tokens (RS256); at least 2048 bits.
	SigningKey *rsa.PrivateKey
	// Redis keeps the records of issued tokens (and the Server's other state), under
	// KeyPrefix (see state.go).
	Redis     redis.UniversalClient
	KeyPrefix string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Tokens are the gateway's access tokens as those who receive them see them: the signing key,
// the records in Redis, and Authenticate, the one check every surface uses (the FHIR API, the
// clinicians' and the portal's /api, introspection). It is built on its own, before the Server
// that issues tokens and before the FHIR API, so that each can be given it at construction.
type Tokens struct {
	state
	signer   *tokenSigner
	baseURL  string
	fhirBase string
	now      func() time.Time
}

// NewTokens checks o and returns Tokens.
func NewTokens(o TokenOptions) (*Tokens, error) {
	if o.Redis == nil || o.SigningKey == nil {
		return nil, errors.New("smart: Redis and SigningKey are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	base := strings.TrimRight(o.BaseURL, "/")
	signer, err := newTokenSigner(o.SigningKey, base, base+"/fhir")
	if err != nil {
		return nil, err
	}
	return &Tokens{state: state{rdb: o.Redis, prefix: o.KeyPrefix}, signer: signer, baseURL: base, fhirBase: base + "/fhir", now: o.Now}, nil
}

// FHIRBase returns the FHIR base URL, the audience of the access tokens.
func (t *Tokens) FHIRBase() string { return t.fhirBase }

func (t *Tokens) tokenEndpoint() string { return t.baseURL + "/oauth/token" }

// Authenticate verifies a bearer access token and returns the caller it stands for. Besides
// the signature and claims, the token's record must still be in the store: revocation deletes
// it, and a store that cannot answer fails closed.
func (t *Tokens) Authenticate(ctx context.Context, bearer string) (gateway.Caller, error) {
	c, err := t.signer.verify(bearer, t.now())
	if err != nil {
		return gateway.Caller{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	var rec tokenRecord
	if err := redisstore.GetJSON(ctx, t.rdb, t.tokenKey(c.ID), &rec); err != nil {
		if notFound(err) {
			return gateway.Caller{}, fmt.Errorf("%w: revoked or unknown", ErrInvalidToken)
		}
		return gateway.Caller{}, fmt.Errorf("smart: look up token: %w", err)
	}
	if rec.Subject != c.Subject || rec.ClientID != c.ClientID {
		return gateway.Caller{}, fmt.Errorf("%w: record mismatch", ErrInvalidToken)
	}
	if err := t.familyAlive(ctx, rec.Family); err != nil {
		return gateway.Caller{}, err
	}
	caller := gateway.Caller{
		Subject:   c.Subject,
		Username:  c.Username,
		IdP:       c.IdP,
		FHIRUser:  c.FHIRUser,
		ClientID:  c.ClientID,
		Scopes:    strings.Fields(c.Scope),
		TokenID:   c.ID,
		Patient:   c.Patient,
		Encounter: c.Encounter,
		Sponsor:   rec.Sponsor,
	}
	if c.Backend {
		// A backend service acts for no user: an empty Subject tells every consumer so.
		caller.Subject, caller.IdP, caller.Username, caller.FHIRUser, caller.Sponsor = "", "", "", "", ""
	}
	return caller, nil
}

// familyAlive checks that the grant family of a token has not been revoked.
func (t *Tokens) familyAlive(ctx context.Context, family string) error {
	if family == "" {
		return nil
	}
	n, err := t.rdb.Exists(ctx, t.familyKey(family)).Result()
	if err != nil {
		return fmt.Errorf("smart: look up token family: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: grant revoked", ErrInvalidToken)
	}
	return nil
}

// OAuthURIsExtension is the SMART oauth-uris extension for the CapabilityStatement's
// rest.security (conformance.md, deprecated but read by fhirclient and Inferno STU1).
func (t *Tokens) OAuthURIsExtension() json.RawMessage {
	base := t.baseURL
	ext := map[string]any{
		"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
		"extension": []map[string]string{
			{"url": "authorize", "valueUri": base + "/oauth/authorize"},
			{"url": "token", "valueUri": t.tokenEndpoint()},
			{"url": "introspect", "valueUri": base + "/oauth/introspect"},
			{"url": "revoke", "valueUri": base + "/oauth/revoke"},
		},
	}
	b, _ := json.Marshal(ext)
	return b
}
