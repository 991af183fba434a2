package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/smart"
)

// newTokens returns the access-token check, with the configured signing key.
func newTokens(cfg *config.Config, log *slog.Logger, rdb redis.UniversalClient) (*smart.Tokens, error) {
	key, err := loadSigningKey(cfg, log)
	if err != nil {
		return nil, err
	}
	return smart.NewTokens(smart.TokenOptions{BaseURL: cfg.BaseURL, SigningKey: key, Redis: rdb, KeyPrefix: cfg.Redis.KeyPrefix})
}

// loadSigningKey reads the token signing key, or in demo mode without a key file generates
// one: tokens then stop working when the gateway restarts.
func loadSigningKey(cfg *config.Config, log *slog.Logger) (*rsa.PrivateKey, error) {
	if cfg.Tokens.SigningKeyFile == "" {
		log.Warn("generated a signing key for this run: access tokens become invalid when the gateway restarts")
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	b, err := os.ReadFile(cfg.Tokens.SigningKeyFile)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("signing key: no PEM block in " + cfg.Tokens.SigningKeyFile)
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("signing key: not an RSA key")
	}
	return rk, nil
}
