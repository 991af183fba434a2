package smart

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mypatients/gateway/redisstore"
)

// jwtBearerAssertion is the only client_assertion_type (RFC 7523 §2.2).
const jwtBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// maxAssertionLifetime bounds exp - now of a client assertion (SMART
// client-confidential-asymmetric.md: "no more than five minutes in the future").
const maxAssertionLifetime = 5 * time.Minute

// authenticateClient identifies the client of a token, introspection or revocation request:
// HTTP Basic for symmetric clients (RFC 6749 §2.3.1), a signed JWT for asymmetric ones
// (RFC 7523 §2.2, SMART client-confidential-asymmetric.md), client_id alone for public ones.
// Every failure is invalid_client (RFC 6749 §5.2).
func (s *Server) authenticateClient(r *http.Request) (Client, *oauthError) {
	bad := &oauthError{status: http.StatusUnauthorized, code: errInvalidClient, description: "client authentication failed"}
	f := r.PostForm
	if _, has := f["client_assertion"]; has {
		return s.authenticateAssertion(r)
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return Client{}, bad
		}
		if cid := single(f, "client_id"); cid != "" && cid != id {
			return Client{}, bad
		}
	} else {
		id = single(f, "client_id")
	}
	c, ok := s.clients[id]
	if !ok {
		return Client{}, bad
	}
	if c.Public {
		if basic {
			return Client{}, bad
		}
		return c, nil
	}
	if !basic || c.SecretSHA256 == "" {
		return Client{}, bad
	}
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(c.SecretSHA256)) != 1 {
		return Client{}, bad
	}
	return c, nil
}

// authenticateAssertion checks a private_key_jwt client assertion. Failures are counted per
// client, and a client that keeps failing is slowed down before any key is fetched.
func (s *Server) authenticateAssertion(r *http.Request) (Client, *oauthError) {
	f := r.PostForm
	if single(f, "client_assertion_type") != jwtBearerAssertion {
		return Client{}, &oauthError{status: http.StatusUnauthorized, code: errInvalidClient, description: "client_assertion_type must be " + jwtBearerAssertion}
	}
	raw := single(f, "client_assertion")
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS384, jose.ES384})
	if err != nil || len(tok.Headers) != 1 {
		return Client{}, &oauthError{status: http.StatusUnauthorized, code: errInvalidClient, description: "client_assertion must be a JWT signed with RS384 or ES384"}
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return Client{}, &oauthError{status: http.StatusUnauthorized, code: errInvalidClient, description: "client_assertion claims are unreadable"}
	}
	c, ok := s.clients[unverified.Issuer]
	if !ok || !c.asymmetric() {
		return Client{}, &oauthError{status: http.StatusUnauthorized, code: errInvalidClient, description: "the assertion's issuer is not an asymmetric client"}
	}
	if cid := single(f, "client_id"); cid != "" && cid != c.ID {
		return Client{}, &oauthError{status: http.StatusUnauthorized, code: errInvalidClient, description: "client_id does not match the assertion"}
	}
	failKey := c.ID + "|" + clientIP(r) // per source too, so one attacker cannot lock a client out everywhere
	if s.assertFails.blocked(failKey) {
		return Client{}, &oauthError{status: http.StatusTooManyRequests, code: errSlowDown, description: "too many failed client assertions; slow down"}
	}
	if err := s.verifyAssertion(r, c, tok); err != nil {
		s.assertFails.allow(failKey) // count the failure
		s.log.WarnContext(r.Context(), "client assertion refused", "client", c.ID, "err", err)
		return Client{}, &oauthError{status: http.StatusUnauthorized, code: errInvalidClient, description: "client assertion refused: " + err.Error()}
	}
	return c, nil
}

// verifyAssertion checks header, signature and claims of an assertion from client c.
func (s *Server) verifyAssertion(r *http.Request, c Client, tok *jwt.JSONWebToken) error {
	h := tok.Headers[0]
	if h.KeyID == "" {
		return errors.New("the header has no kid")
	}
	if typ, ok := h.ExtraHeaders[jose.HeaderType]; ok && typ != "JWT" {
		return errors.New("typ must be JWT")
	}
	if jku, ok := h.ExtraHeaders["jku"]; ok && (c.JWKSURL == "" || jku != c.JWKSURL) {
		return errors.New("jku is not the registered JWKS URL")
	}
	key, err := s.clientKey(r, c, h.KeyID, h.Algorithm)
	if err != nil {
		return err
	}
	var claims jwt.Claims
	if err := tok.Claims(key.Key, &claims); err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	now := s.now()
	if err := claims.ValidateWithLeeway(jwt.Expected{
		Issuer: c.ID, Subject: c.ID, AnyAudience: jwt.Audience{s.tokenEndpoint()}, Time: now,
	}, 30*time.Second); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	if claims.Expiry == nil || claims.Expiry.Time().After(now.Add(maxAssertionLifetime+30*time.Second)) {
		return errors.New("exp must be set and at most five minutes ahead")
	}
	if claims.ID == "" {
		return errors.New("jti is required")
	}
	// The jti is remembered until the assertion expires: within its lifetime it can be
	// used once (RFC 7523 §3 item 7).
	fresh, err := redisstore.PutJSONIfAbsent(r.Context(), s.rdb, s.assertionKey(c.ID, claims.ID), 1,
		time.Until(claims.Expiry.Time())+time.Minute)
	if err != nil {
		return fmt.Errorf("remember jti: %w", err)
	}
	if !fresh {
		return errors.New("jti was already used")
	}
	return nil
}

// clientKey returns the one key of c's JWKS that matches kid and the algorithm's key type.
func (s *Server) clientKey(r *http.Request, c Client, kid, alg string) (jose.JSONWebKey, error) {
	find := func(set jose.JSONWebKeySet) (jose.JSONWebKey, error) {
		var found []jose.JSONWebKey
		for _, k := range set.Key(kid) {
			if keyFits(k, alg) {
				found = append(found, k)
			}
		}
		if len(found) != 1 {
			return jose.JSONWebKey{}, fmt.Errorf("%d keys match kid %q and %s", len(found), kid, alg)
		}
		return found[0], nil
	}
	if c.JWKS != nil {
		set, err := parseJWKS(c.JWKS)
		if err != nil {
			return jose.JSONWebKey{}, err
		}
		return find(set)
	}
	set, err := s.jwks.get(r.Context(), c.JWKSURL, false)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	k, err := find(set)
	if err != nil {
		// A rotated key: fetch once more, at most as often as the cache allows.
		if set, err2 := s.jwks.get(r.Context(), c.JWKSURL, true); err2 == nil {
			return find(set)
		}
	}
	return k, err
}
