// Package edge is what the gateway shows the network around its handlers: the optional TLS
// listener whose certificate files are reloaded when they change, HSTS when the public base URL
// is https, and the probes an orchestrator asks, /healthz (the process is alive) and /readyz
// (every dependency answers, each one's state as JSON). It knows no FHIR, OAuth or policy.
package edge

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"
)

// Certificate serves a certificate and key from files, reloading them when either file
// changes, so a renewed certificate is used without a restart.
type Certificate struct {
	certFile, keyFile string

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time
}

// NewCertificate loads the pair once, so that a bad pair fails the start.
func NewCertificate(certFile, keyFile string) (*Certificate, error) {
	c := &Certificate{certFile: certFile, keyFile: keyFile}
	if _, err := c.get(); err != nil {
		return nil, err
	}
	return c, nil
}

// TLSConfig is the listener's TLS configuration.
func (c *Certificate) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.get() },
	}
}

// get returns the current pair, reloaded when a file is newer than the loaded one. A pair
// that fails to load keeps the previous one in use.
func (c *Certificate) get() (*tls.Certificate, error) {
	latest, err := newest(c.certFile, c.keyFile)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cert != nil && (err != nil || !latest.After(c.modTime)) {
		return c.cert, nil
	}
	cert, lerr := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	switch {
	case lerr == nil:
		c.cert, c.modTime = &cert, latest
	case c.cert == nil:
		return nil, fmt.Errorf("edge: TLS certificate: %w", lerr)
	}
	return c.cert, nil
}

func newest(files ...string) (time.Time, error) {
	var t time.Time
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return time.Time{}, err
		}
		if st.ModTime().After(t) {
			t = st.ModTime()
		}
	}
	return t, nil
}

// HSTS adds Strict-Transport-Security to every answer: browsers honour it only over https,
// and the gateway is reached over https whenever its public base URL is https, directly or
// through a TLS-terminating proxy.
func HSTS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		next.ServeHTTP(w, r)
	})
}
