package main

import (
	"crypto/rand"
	"crypto/rsa"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/smart"
)

// newTokens returns the access-token check, with the configured signing key (parsed with the
// configuration, config.ParseSigningKey) or, in demo mode without a key file, one generated
// for this run: tokens then stop working when the gateway restarts. It returns the key too,
// which signs the portal's client assertions.
func newTokens(cfg *config.Config, log *slog.Logger, rdb redis.UniversalClient) (*smart.Tokens, *rsa.PrivateKey, error) {
	key := cfg.Tokens.SigningKey
	if key == nil {
		log.Warn("generated a signing key for this run: access tokens become invalid when the gateway restarts")
		var err error
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, nil, err
		}
	}
	t, err := smart.NewTokens(smart.TokenOptions{BaseURL: cfg.BaseURL, SigningKey: key, Redis: rdb, KeyPrefix: cfg.Redis.KeyPrefix})
	return t, key, err
}
