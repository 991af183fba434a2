package config

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// readKeys reads and parses the key files exactly as the gateway will use them, so that
// `serve --check-config` fails on a key that `serve` would refuse: the signing key must be a
// PEM RSA private key (PKCS#1 or PKCS#8) of at least 2048 bits; the page key file is taken as
// raw bytes, all of them, at least 32 (32 random bytes straight from a generator are fine,
// whatever they contain).
func (c *Config) readKeys() []error {
	var errs []error
	if f := c.Tokens.SigningKeyFile; f != "" {
		k, err := ParseSigningKey(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("tokens.signing_key_file: %w", err))
		}
		c.Tokens.SigningKey = k
	}
	if f := c.Upstream.BackendServices.PrivateKeyFile; f != "" {
		k, err := ParsePrivateKey(f)
		if err == nil {
			err = backendKey(k)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("upstream.backend_services.private_key_file: %w", err))
		}
		c.Upstream.BackendServices.Key = k
	}
	if f := c.Tokens.PageKeyFile; f != "" {
		b, err := os.ReadFile(f)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("tokens.page_key_file: %w", err))
		case len(b) < 32:
			errs = append(errs, fmt.Errorf("tokens.page_key_file: %s holds %d bytes, want at least 32", f, len(b)))
		default:
			c.Tokens.PageKey = b
		}
	}
	return errs
}

// ParseSigningKey reads the token signing key from the PEM file at path.
func ParseSigningKey(path string) (*rsa.PrivateKey, error) {
	any, err := ParsePrivateKey(path)
	if err != nil {
		return nil, err
	}
	k, ok := any.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s holds a %T, want an RSA key (tokens are signed RS256)", path, any)
	}
	if k.N.BitLen() < 2048 {
		return nil, fmt.Errorf("%s is a %d-bit RSA key, want at least 2048 bits", path, k.N.BitLen())
	}
	return k, nil
}

// ParsePrivateKey reads a PEM private key: PKCS#1 (RSA), SEC 1 (EC) or PKCS#8.
func ParsePrivateKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block in " + path)
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s is not a PKCS#1, SEC 1 or PKCS#8 private key: %w", path, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s holds a %T, not a signing key", path, k)
	}
	return signer, nil
}

// backendKey accepts the keys SMART Backend Services signs with: RSA of at least 2048 bits
// (RS384) or EC P-384 (ES384).
func backendKey(k crypto.Signer) error {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() >= 2048 {
			return nil
		}
	case *ecdsa.PrivateKey:
		if k.Curve == elliptic.P384() {
			return nil
		}
	}
	return errors.New("want an RSA key of at least 2048 bits (RS384) or an EC P-384 key (ES384)")
}
