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
// the signature and claims (checked once per token, then remembered until it expires:
// verified.go), the token's record must still be in the store, and its grant family too:
// revocation deletes them, so a revoked token is refused on its very next use, and a store
// that cannot answer fails closed. Both are read in one round trip.
func (t *Tokens) Authenticate(ctx context.Context, bearer string) (gateway.Caller, error) {
	c, err := t.signer.verifyRemembered(bearer, t.now())
	if err != nil {
		return gateway.Caller{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	rec, familyAlive, err := t.readRecord(ctx, c)
	if err != nil {
		return gateway.Caller{}, err
	}
	if rec.Subject != c.Subject || rec.ClientID != c.ClientID || (c.Family != "" && hashSecret(rec.Family) != c.Family) {
		return gateway.Caller{}, fmt.Errorf("%w: record mismatch", ErrInvalidToken)
	}
	if err := familyAlive(); err != nil {
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

// readRecord reads the token's record and, when the token names its family, the family's key
// in the same round trip. familyAlive then checks the family (reading it on its own for a
// token that does not name it).
func (t *Tokens) readRecord(ctx context.Context, c accessClaims) (rec tokenRecord, familyAlive func() error, err error) {
	pipe := t.rdb.Pipeline()
	recCmd := pipe.Get(ctx, t.tokenKey(c.ID))
	var famCmd *redis.IntCmd
	if c.Family != "" {
		famCmd = pipe.Exists(ctx, t.familyKeyOf(c.Family))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return rec, nil, fmt.Errorf("smart: look up token: %w", err)
	}
	raw, err := recCmd.Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return rec, nil, fmt.Errorf("%w: revoked or unknown", ErrInvalidToken)
	case err != nil:
		return rec, nil, fmt.Errorf("smart: look up token: %w", err)
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return rec, nil, fmt.Errorf("smart: decode token record: %w", err)
	}
	if famCmd == nil {
		return rec, func() error { return t.familyAlive(ctx, rec.Family) }, nil
	}
	return rec, func() error { return familyFound(famCmd.Val(), famCmd.Err()) }, nil
}

// familyAlive checks that the grant family of a token has not been revoked.
func (t *Tokens) familyAlive(ctx context.Context, family string) error {
	if family == "" {
		return nil
	}
	return familyFound(t.rdb.Exists(ctx, t.familyKey(family)).Result())
}

// familyFound reads the answer to EXISTS on a family's key.
func familyFound(n int64, err error) error {
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
