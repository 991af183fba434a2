package smart

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Bounds on how long a client's JWKS fetched by URL is cached: its Cache-Control max-age
// within these (SMART client-confidential-asymmetric.md asks servers to follow the header).
const (
	jwksDefaultTTL = 5 * time.Minute
	jwksMaxTTL     = time.Hour
	jwksMinRefetch = 10 * time.Second
)

// parseJWKS reads a JSON Web Key Set and keeps only public keys.
func parseJWKS(b []byte) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return set, fmt.Errorf("jwks: %w", err)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			return set, errors.New("jwks: holds a private key")
		}
	}
	return set, nil
}

// keyFits reports whether k may verify a signature of alg: RS384 needs an RSA key of at
// least 2048 bits, ES384 a P-384 key, and a key's own alg, when set, must agree.
func keyFits(k jose.JSONWebKey, alg string) bool {
	if k.Algorithm != "" && k.Algorithm != alg {
		return false
	}
	if k.Use != "" && k.Use != "sig" {
		return false
	}
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		return alg == string(jose.RS384) && pub.N.BitLen() >= 2048
	case *ecdsa.PublicKey:
		return alg == string(jose.ES384) && pub.Curve == elliptic.P384()
	}
	return false
}

// jwksCache holds clients' key sets fetched by URL.
type jwksCache struct {
	client  *http.Client
	mu      sync.Mutex
	entries map[string]jwksEntry
}

type jwksEntry struct {
	set     jose.JSONWebKeySet
	fetched time.Time
	expires time.Time
}

func newJWKSCache(c *http.Client) *jwksCache {
	return &jwksCache{client: c, entries: map[string]jwksEntry{}}
}

// get returns the key set at url from the cache while it is fresh; refresh asks for a new
// copy unless the cached one is only seconds old.
func (c *jwksCache) get(ctx context.Context, url string, refresh bool) (jose.JSONWebKeySet, error) {
	c.mu.Lock()
	e, ok := c.entries[url]
	c.mu.Unlock()
	now := time.Now()
	if ok && now.Before(e.expires) && (!refresh || now.Sub(e.fetched) < jwksMinRefetch) {
		return e.set, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks %s: %w", url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return jose.JSONWebKeySet{}, fmt.Errorf("fetch jwks: status %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("read jwks: %w", err)
	}
	set, err := parseJWKS(b)
	if err != nil {
		return set, err
	}
	c.mu.Lock()
	c.entries[url] = jwksEntry{set: set, fetched: now, expires: now.Add(cacheTTL(resp.Header.Get("Cache-Control")))}
	c.mu.Unlock()
	return set, nil
}

// cacheTTL reads max-age from a Cache-Control header; no-store or no-cache mean zero.
func cacheTTL(cc string) time.Duration {
	ttl := jwksDefaultTTL
	for _, d := range strings.Split(cc, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-store" || d == "no-cache":
			return 0
		case strings.HasPrefix(d, "max-age="):
			if n, err := strconv.Atoi(strings.TrimPrefix(d, "max-age=")); err == nil && n >= 0 {
				ttl = time.Duration(n) * time.Second
			}
		}
	}
	return min(ttl, jwksMaxTTL)
}
