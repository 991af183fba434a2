package upstream

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Backend is the gateway's registration at the EHR's authorization server for SMART Backend
// Services: client_credentials with a private_key_jwt client assertion.
type Backend struct {
	ClientID string
	// Key signs the assertions: an RSA key (RS384) or an EC P-384 key (ES384).
	Key crypto.Signer
	// KeyID is the assertion's kid; empty uses the key's RFC 7638 thumbprint.
	KeyID string
	// Scope is asked for, for example "system/*.rs".
	Scope string
	// TokenURL is the token endpoint; empty discovers it from the FHIR base's
	// .well-known/smart-configuration.
	TokenURL string
}

// renewBefore is how long before its expiry a backend token is replaced.
const renewBefore = time.Minute

// backendToken obtains, caches and renews the gateway's access token at the EHR.
type backendToken struct {
	conf   Backend
	signer jose.Signer
	base   string
	client *http.Client

	mu       sync.Mutex
	tokenURL string
	token    *oauth2.Token
}

func newBackendToken(conf Backend, base string, client *http.Client) (*backendToken, error) {
	alg := jose.RS384
	switch k := conf.Key.(type) {
	case *rsa.PrivateKey:
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P384() {
			return nil, errors.New("upstream: backend services: an EC key must be on P-384 (ES384)")
		}
		alg = jose.ES384
	default:
		return nil, fmt.Errorf("upstream: backend services: want an RSA or EC P-384 private key, not %T", conf.Key)
	}
	if conf.KeyID == "" {
		thumb, err := (&jose.JSONWebKey{Key: conf.Key.Public()}).Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("upstream: backend services: key thumbprint: %w", err)
		}
		conf.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: conf.Key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", conf.KeyID))
	if err != nil {
		return nil, fmt.Errorf("upstream: backend services: %w", err)
	}
	return &backendToken{conf: conf, signer: signer, base: base, client: client, tokenURL: conf.TokenURL}, nil
}

// get returns a valid access token, asking for a new one when there is none, it expires
// within renewBefore, or stale is the token the EHR just refused.
func (b *backendToken) get(ctx context.Context, stale string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.token != nil && b.token.AccessToken != stale && time.Until(b.token.Expiry) > renewBefore {
		return b.token.AccessToken, nil
	}
	tok, err := b.fetch(ctx)
	if err != nil {
		return "", fmt.Errorf("%w: backend services token: %w", ErrUnavailable, err)
	}
	b.token = tok
	return tok.AccessToken, nil
}

// fetch asks the token endpoint with a fresh assertion (backend-services: one jti per use).
func (b *backendToken) fetch(ctx context.Context) (*oauth2.Token, error) {
	if b.tokenURL == "" {
		u, err := discoverTokenURL(ctx, b.client, b.base)
		if err != nil {
			return nil, err
		}
		b.tokenURL = u
	}
	now := time.Now()
	assertion, err := jwt.Signed(b.signer).Claims(jwt.Claims{
		Issuer: b.conf.ClientID, Subject: b.conf.ClientID, Audience: jwt.Audience{b.tokenURL},
		ID: rand.Text(), IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(4 * time.Minute)),
	}).Serialize()
	if err != nil {
		return nil, fmt.Errorf("sign the client assertion: %w", err)
	}
	cc := clientcredentials.Config{ClientID: b.conf.ClientID, TokenURL: b.tokenURL, AuthStyle: oauth2.AuthStyleInParams,
		EndpointParams: map[string][]string{
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {assertion},
		}}
	if b.conf.Scope != "" {
		cc.Scopes = []string{b.conf.Scope}
	}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, b.client))
	if err != nil {
		return nil, err
	}
	if tok.Expiry.IsZero() {
		tok.Expiry = now.Add(5 * time.Minute) // SMART says expires_in SHOULD be given; assume the usual 5 minutes
	}
	return tok, nil
}

// discoverTokenURL reads the token endpoint from the FHIR base's SMART configuration.
func discoverTokenURL(ctx context.Context, client *http.Client, base string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/.well-known/smart-configuration", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("discover the token endpoint: %w", err)
	}
	defer resp.Body.Close()
	var doc struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("discover the token endpoint: %s/.well-known/smart-configuration: status %d", base, resp.StatusCode)
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&doc); err != nil || doc.TokenEndpoint == "" {
		return "", fmt.Errorf("discover the token endpoint: no token_endpoint in the SMART configuration (%v)", err)
	}
	return doc.TokenEndpoint, nil
}
