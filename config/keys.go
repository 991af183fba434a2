package config

import (
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
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block in " + path)
	}
	var k *rsa.PrivateKey
	if k, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
		any, err8 := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err8 != nil {
			return nil, fmt.Errorf("%s is not a PKCS#1 or PKCS#8 private key: %w", path, err8)
		}
		rk, ok := any.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s holds a %T, want an RSA key (tokens are signed RS256)", path, any)
		}
		k = rk
	}
	if k.N.BitLen() < 2048 {
		return nil, fmt.Errorf("%s is a %d-bit RSA key, want at least 2048 bits", path, k.N.BitLen())
	}
	return k, nil
}
