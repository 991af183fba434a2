package main

import (
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/limits"
)

// common are the parts every surface shares, built once per process as soon as Redis is open:
// the accounts store with the process's one bound on password hashes, the audit trail, the
// trusted proxies and the sign-in limits.
type common struct {
	accts   *accounts.Store
	trail   *audit.Trail
	proxies limits.Proxies
	signIn  limits.SignIn
}

func newCommon(cfg *config.Config, log *slog.Logger, rdb redis.UniversalClient) (*common, error) {
	proxies, err := limits.ParseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	l, prefix := cfg.Limits, cfg.Redis.KeyPrefix
	return &common{
		accts:   accounts.NewStore(rdb, prefix, limits.NewHashGate(l.HashConcurrency, l.HashQueue, l.HashWait)),
		trail:   newTrail(cfg, rdb, log),
		proxies: proxies,
		signIn: limits.SignIn{
			Account: limits.New(rdb, prefix, limits.Rule{Name: "signin-account", Limit: l.SignInAccount, Window: 15 * time.Minute}),
			Address: limits.New(rdb, prefix, limits.Rule{Name: "signin-address", Limit: l.SignInAddress, Window: 15 * time.Minute}),
		},
	}, nil
}
