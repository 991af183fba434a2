// Package patientportal plays the hospital's patient portal ("MyChildren's") in the demo, so
// that a newcomer can walk the patient-granted access flows: a guardian sees who may see their
// child and who asks, approves or denies requests, invites a clinician with a printable token,
// and revokes access. It is an ordinary SMART Backend Services client of the gateway: it gets
// its access tokens with client_credentials and a private_key_jwt assertion and calls the
// gateway's /api/portal over HTTP; it never reads the gateway's stores. Register adds its
// registration to the demo configuration. Demo only.
package patientportal

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Scope is what the demo portal asks for.
const Scope = "system/Patient.rs"

// client talks to the gateway as the backend service ClientID.
type client struct {
	base     string
	clientID string
	keyID    string
	signer   jose.Signer
	http     *http.Client

	mu     sync.Mutex
	token  string
	expiry time.Time
}

func newClient(base, clientID, keyID string, key *rsa.PrivateKey) (*client, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS384, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", keyID))
	if err != nil {
		return nil, fmt.Errorf("patientportal: signer: %w", err)
	}
	return &client{base: base, clientID: clientID, keyID: keyID, signer: signer, http: &http.Client{Timeout: 15 * time.Second}}, nil
}

// accessToken returns a cached token, or gets a new one with a fresh client assertion
// (SMART Backend Services: the client simply asks again when its token expires).
func (c *client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Until(c.expiry) > 30*time.Second {
		return c.token, nil
	}
	now := time.Now()
	assertion, err := jwt.Signed(c.signer).Claims(jwt.Claims{
		Issuer: c.clientID, Subject: c.clientID, Audience: jwt.Audience{c.base + "/oauth/token"},
		ID: rand.Text(), IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)),
	}).Serialize()
	if err != nil {
		return "", fmt.Errorf("patientportal: sign assertion: %w", err)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {Scope},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/oauth/token", bytes.NewBufferString(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("patientportal: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if status, err := c.do(req, &tok); err != nil || status != http.StatusOK || tok.AccessToken == "" {
		return "", fmt.Errorf("patientportal: token endpoint answered %d: %v", status, err)
	}
	c.token, c.expiry = tok.AccessToken, now.Add(time.Duration(tok.ExpiresIn)*time.Second)
	return c.token, nil
}

// call makes one portal API call and decodes the JSON answer into out.
func (c *client) call(ctx context.Context, method, path string, body, out any) (int, error) {
	token, err := c.accessToken(ctx)
	if err != nil {
		return 0, err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("patientportal: encode: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, fmt.Errorf("patientportal: request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, out)
}

func (c *client) do(req *http.Request, out any) (int, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("patientportal: %s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("patientportal: decode %s: %w", req.URL.Path, err)
	}
	return resp.StatusCode, nil
}
