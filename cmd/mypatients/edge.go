package main

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/edge"
	"github.com/mypatients/gateway/upstream"
)

// secureListener serves TLS on ln when the configuration has a certificate.
func secureListener(cfg *config.Config, ln net.Listener) (net.Listener, error) {
	if !cfg.TLS.On() {
		return ln, nil
	}
	cert, err := edge.NewCertificate(cfg.TLS.CertFile, cfg.TLS.KeyFile)
	if err != nil {
		return nil, err
	}
	return tls.NewListener(ln, cert.TLSConfig()), nil
}

// atTheEdge adds HSTS when the gateway's public base URL is https.
func atTheEdge(cfg *config.Config, h http.Handler) http.Handler {
	if strings.HasPrefix(cfg.BaseURL, "https://") {
		return edge.HSTS(h)
	}
	return h
}

// readiness is /readyz: Redis, the EHR with the gateway's credential, and each identity
// provider's discovery.
func readiness(cfg *config.Config, log *slog.Logger, rdb redis.UniversalClient, up *upstream.Client, client *http.Client) http.Handler {
	checks := []edge.Check{
		{Name: "redis", Probe: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }},
		{Name: "ehr", Probe: up.Ready, Explain: upstream.Explain},
	}
	for _, p := range cfg.IdentityProviders {
		checks = append(checks, edge.Check{Name: "idp:" + p.ID, Probe: edge.Discovery(client, p.Issuer)})
	}
	return edge.Readyz(checks, 5*time.Second, func(ctx context.Context, name string, err error) {
		log.WarnContext(ctx, "not ready", "dependency", name, "err", err)
	})
}
