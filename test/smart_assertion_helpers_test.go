package test

import (
	"crypto/rand"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Client assertions (RFC 7523) signed with the test clients' keys.

// assertion signs a client assertion; mod may change claims and headers before signing.
type assertionOpts struct {
	alg    jose.SignatureAlgorithm
	key    any
	kid    string
	claims jwt.Claims
	extra  map[jose.HeaderKey]any
}

func (e *smartEnv) assertion(t *testing.T, client string, mod func(*assertionOpts)) string {
	t.Helper()
	rk, ek := clientKeys()
	now := time.Now()
	o := assertionOpts{alg: jose.RS384, key: rk, kid: "asym-1", claims: jwt.Claims{
		Issuer: client, Subject: client, Audience: jwt.Audience{e.base + "/oauth/token"},
		Expiry: jwt.NewNumericDate(now.Add(4 * time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: rand.Text(),
	}, extra: map[jose.HeaderKey]any{jose.HeaderType: "JWT"}}
	if client == backendApp {
		o.alg, o.key, o.kid = jose.ES384, ek, "backend-1"
	}
	if mod != nil {
		mod(&o)
	}
	so := &jose.SignerOptions{ExtraHeaders: o.extra}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: o.alg, Key: jose.JSONWebKey{Key: o.key, KeyID: o.kid}}, so)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(o.claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func assertionForm(grant, assertion string) url.Values {
	return url.Values{"grant_type": {grant}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion": {assertion}}
}
