package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// TLS is how the gateway trusts the EHR and proves itself to it.
type TLS struct {
	// CAFile is a PEM bundle of the certificate authorities trusted for the EHR (and its
	// authorization server), in addition to the system's.
	CAFile string
	// CertFile and KeyFile are a client certificate for mutual TLS; both or neither.
	CertFile, KeyFile string
}

// config returns the TLS client configuration, or nil for Go's defaults.
func (t TLS) config() (*tls.Config, error) {
	if t.CAFile == "" && t.CertFile == "" && t.KeyFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("upstream: CA bundle: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("upstream: CA bundle %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("upstream: a client certificate needs both its certificate and its key file")
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("upstream: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// newTransport is the HTTP transport toward the EHR: its timeouts, TLS settings and the
// standard proxy environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
func newTransport(opts Options) (*http.Transport, error) {
	tlsConfig, err := opts.TLS.config()
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: opts.ConnectTimeout}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   opts.ConnectTimeout,
		ResponseHeaderTimeout: opts.HeaderTimeout,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}, nil
}

// authorizing sets the gateway's own credential on every request, replacing whatever the
// request carries, and with backend services retries once with a new token when the EHR
// answers 401 (the token was revoked or the EHR's keys rotated). Only bodiless requests are
// sent through it.
type authorizing struct {
	next    http.RoundTripper
	static  string
	backend *backendToken
}

func (a *authorizing) RoundTrip(r *http.Request) (*http.Response, error) {
	tok, err := a.token(r.Context(), "")
	if err != nil {
		return nil, err
	}
	resp, err := a.next.RoundTrip(withBearer(r, tok))
	if err != nil || resp.StatusCode != http.StatusUnauthorized || a.backend == nil || r.Body != nil {
		return resp, err
	}
	resp.Body.Close()
	if tok, err = a.token(r.Context(), tok); err != nil {
		return nil, err
	}
	return a.next.RoundTrip(withBearer(r, tok))
}

func (a *authorizing) token(ctx context.Context, stale string) (string, error) {
	if a.backend == nil {
		return a.static, nil
	}
	return a.backend.get(ctx, stale)
}

// withBearer returns a copy of r with only the gateway's credential.
func withBearer(r *http.Request, token string) *http.Request {
	out := r.Clone(r.Context())
	out.Header.Del("Authorization")
	if token != "" {
		out.Header.Set("Authorization", "Bearer "+token)
	}
	return out
}
