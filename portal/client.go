package portal

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mypatients/gateway"
)

// ClientID is the portal's client id at the gateway, a built-in first-party client.
const ClientID = "mypatients-portal"

// Scopes is what the portal asks for: reading the record types it shows, the directory for
// care-team contacts, its identity, a refresh token, and the first-party /api scopes.
var Scopes = []string{"openid", "fhirUser", "offline_access",
	"user/Patient.rs", "user/Encounter.rs", "user/Observation.rs", "user/DiagnosticReport.rs", "user/DocumentReference.rs",
	"user/Binary.rs", "user/MedicationRequest.rs", "user/AllergyIntolerance.rs", "user/Condition.rs",
	"user/Practitioner.rs", "user/PractitionerRole.rs", "user/Organization.rs", "user/Location.rs",
	gateway.ScopeAccessManage, gateway.ScopeStaffManage}

// ClientJWKS returns the public key set the gateway registers for the portal: the token
// signing key's public half, for RS384 client assertions, under the key's RFC 7638 thumbprint.
func ClientJWKS(key *rsa.PrivateKey) ([]byte, error) {
	kid, err := keyID(key)
	if err != nil {
		return nil, err
	}
	return json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: kid, Algorithm: string(jose.RS384), Use: "sig"}}})
}

func keyID(key *rsa.PrivateKey) (string, error) {
	thumb, err := (&jose.JSONWebKey{Key: &key.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("portal: key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(thumb), nil
}

// gatewayClient speaks to the gateway's SMART, FHIR and /api surfaces like any client.
type gatewayClient struct {
	base   string
	http   *http.Client
	signer jose.Signer
}

func newGatewayClient(base string, rt http.RoundTripper, key *rsa.PrivateKey) (*gatewayClient, error) {
	kid, err := keyID(key)
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS384, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("portal: assertion signer: %w", err)
	}
	return &gatewayClient{base: strings.TrimRight(base, "/"), signer: signer,
		http: &http.Client{Transport: rt, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}, nil
}

func (g *gatewayClient) redirectURI() string { return g.base + "/portal/callback" }
func (g *gatewayClient) fhirBase() string    { return g.base + "/fhir" }

// tokens are what the token endpoint issued.
type tokens struct {
	Access  string    `json:"access"`
	Refresh string    `json:"refresh"`
	Expires time.Time `json:"expires"`
}

// errSignIn is a token endpoint that refused: the user must sign in again.
var errSignIn = errors.New("portal: the gateway refused the grant; sign in again")

// token posts form to the token endpoint with a fresh private_key_jwt client assertion
// (SMART client-confidential-asymmetric), and returns the tokens.
func (g *gatewayClient) token(ctx context.Context, form url.Values) (tokens, error) {
	assertion, err := g.assertion()
	if err != nil {
		return tokens{}, err
	}
	form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
	form.Set("client_assertion", assertion)
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int    `json:"expires_in"`
		Error        string `json:"error"`
	}
	status, err := g.send(ctx, http.MethodPost, g.base+"/oauth/token", "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), &out)
	switch {
	case err != nil:
		return tokens{}, err
	case status == http.StatusBadRequest || status == http.StatusUnauthorized:
		return tokens{}, fmt.Errorf("%w (%s)", errSignIn, out.Error)
	case status != http.StatusOK || out.AccessToken == "":
		return tokens{}, fmt.Errorf("portal: token endpoint answered %d", status)
	}
	return tokens{Access: out.AccessToken, Refresh: out.RefreshToken, Expires: time.Now().Add(time.Duration(out.ExpiresIn) * time.Second)}, nil
}

// revoke revokes the grant behind a token (RFC 7009), best effort.
func (g *gatewayClient) revoke(ctx context.Context, token string) {
	assertion, err := g.assertion()
	if err != nil || token == "" {
		return
	}
	form := url.Values{"token": {token}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion": {assertion}}
	_, _ = g.send(ctx, http.MethodPost, g.base+"/oauth/revoke", "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil)
}

func (g *gatewayClient) assertion() (string, error) {
	now := time.Now()
	c := jwt.Claims{Issuer: ClientID, Subject: ClientID, Audience: jwt.Audience{g.base + "/oauth/token"}, ID: rand.Text(),
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute))}
	s, err := jwt.Signed(g.signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("portal: sign client assertion: %w", err)
	}
	return s, nil
}

// send makes one request and decodes a JSON answer into out (when not nil); it returns the
// status.
func (g *gatewayClient) send(ctx context.Context, method, u, bearer, contentType string, body io.Reader, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, fmt.Errorf("portal: %w", err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := g.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("portal: %s %s: %w", method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	if out == nil {
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(out); err != nil && resp.StatusCode < 500 {
		return resp.StatusCode, fmt.Errorf("portal: %s %s: read answer: %w", method, req.URL.Path, err)
	}
	return resp.StatusCode, nil
}

// api calls the gateway's /api as the signed-in clinician; in is sent as JSON when not nil.
func (g *gatewayClient) api(ctx context.Context, bearer, method, path string, in, out any) (int, error) {
	var body io.Reader
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("portal: %w", err)
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	return g.send(ctx, method, g.base+path, bearer, ct, body, out)
}
