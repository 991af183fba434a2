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

// errClientAuth is the one answer to every failed client authentication (RFC 6749 §5.2): an
// unknown client, a wrong secret, an unknown key id and a bad signature look alike, so that
// the answer is no oracle of registered clients or keys. Why it failed goes to the log only.
var errClientAuth = &oauthError{status: http.StatusUnauthorized, code: errInvalidClient, description: "client authentication failed"}

// authenticateClient identifies the client of a token, introspection or revocation request:
// HTTP Basic for symmetric clients (RFC 6749 §2.3.1), a signed JWT for asymmetric ones
// (RFC 7523 §2.2, SMART client-confidential-asymmetric.md), client_id alone for public ones.
// Every failure is errClientAuth.
func (s *Server) authenticateClient(r *http.Request) (Client, *oauthError) {
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
			return Client{}, errClientAuth
		}
		if cid := single(f, "client_id"); cid != "" && cid != id {
			return Client{}, errClientAuth
		}
	} else {
		id = single(f, "client_id")
	}
	c, ok := s.clients[id]
	if !ok {
		return Client{}, errClientAuth
	}
	if c.Public {
		if basic {
			return Client{}, errClientAuth
		}
		return c, nil
	}
	if !basic || c.SecretSHA256 == "" {
		return Client{}, errClientAuth
	}
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(c.SecretSHA256)) != 1 {
		return Client{}, errClientAuth
	}
	return c, nil
}

// authenticateAssertion checks a private_key_jwt client assertion. Attempts are counted per
// claimed issuer and client address before anything is checked, whether or not the issuer is
// a client, and a success gives its attempt back: a client that keeps failing is slowed down
// (429) before any key is fetched, and the slow-down tells no more than the failures did.
func (s *Server) authenticateAssertion(r *http.Request) (Client, *oauthError) {
	f := r.PostForm
	tok, err := jwt.ParseSigned(single(f, "client_assertion"), []jose.SignatureAlgorithm{jose.RS384, jose.ES384})
	var claimed jwt.Claims
	if err == nil && len(tok.Headers) == 1 {
		err = tok.UnsafeClaimsWithoutVerification(&claimed)
	} else if err == nil {
		err = errors.New("more than one signature")
	}
	failKey := claimed.Issuer + "|" + s.opts.Proxies.Addr(r) // per address too: one attacker cannot lock a client out everywhere
	n, terr := s.assertFails.Take(r.Context(), failKey)
	switch {
	case terr != nil:
		s.log.ErrorContext(r.Context(), "count client assertion attempts", "err", terr)
		return Client{}, &oauthError{status: http.StatusServiceUnavailable, code: errTemporarilyUnavailable, description: "try again later"}
	case !n.Allowed:
		return Client{}, &oauthError{status: http.StatusTooManyRequests, code: errSlowDown, description: "too many failed client authentications; slow down"}
	}
	var c Client
	if err == nil {
		c, err = s.checkAssertion(r, tok, claimed.Issuer)
	}
	if err != nil {
		s.log.WarnContext(r.Context(), "client assertion refused", "claimed_client", claimed.Issuer, "err", err)
		return Client{}, errClientAuth
	}
	if err := s.assertFails.Refund(r.Context(), failKey); err != nil {
		s.log.WarnContext(r.Context(), "refund a client assertion attempt", "err", err)
	}
	return c, nil
}

// checkAssertion returns the client that signed tok, which claims to come from issuer.
func (s *Server) checkAssertion(r *http.Request, tok *jwt.JSONWebToken, issuer string) (Client, error) {
	f := r.PostForm
	if single(f, "client_assertion_type") != jwtBearerAssertion {
		return Client{}, errors.New("client_assertion_type must be " + jwtBearerAssertion)
	}
	c, ok := s.clients[issuer]
	if !ok || !c.asymmetric() {
		return Client{}, fmt.Errorf("issuer %q is not an asymmetric client", issuer)
	}
	if cid := single(f, "client_id"); cid != "" && cid != c.ID {
		return Client{}, errors.New("client_id does not match the assertion")
	}
	return c, s.verifyAssertion(r, c, tok)
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
