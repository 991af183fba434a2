package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// The harness runs its own two servers as children of itself ("load upstream ...", "load
// proxy ..."), so that each is a process of its own: pinned to its cores and measured from
// /proc like the gateway. Each listens on a free loopback port and prints "listening ADDR".
const (
	roleUpstream = "upstream"
	roleProxy    = "proxy"
)

// serveRole runs the canned upstream or the bare proxy until ctx ends.
func serveRole(ctx context.Context, role string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(role, flag.ContinueOnError)
	token := fs.String("token", "", "the upstream's credential")
	target := fs.String("upstream", "", "proxy: the upstream's origin, e.g. http://127.0.0.1:4711")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("%s: %w", role, err)
	}
	var h http.Handler
	switch role {
	case roleUpstream:
		data, err := loadDataset()
		if err != nil {
			return err
		}
		h = &cannedFHIR{base: "http://" + ln.Addr().String() + "/fhir", token: *token, data: data}
	case roleProxy:
		u, err := url.Parse(*target)
		if err != nil || u.Host == "" {
			return fmt.Errorf("proxy: -upstream %q is not an origin URL", *target)
		}
		h = bareProxy(u, *token)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stdout, "listening %s\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bareProxy is the baseline: the standard library's reverse proxy doing only what any proxy
// in front of an EHR must (swap the caller's credential for its own), with the same
// connection pool settings as the gateway's upstream client.
func bareProxy(target *url.URL, token string) *httputil.ReverseProxy {
	dialer := &net.Dialer{Timeout: 3 * time.Second}
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Header.Set("Authorization", "Bearer "+token)
		},
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   true,
		},
	}
}
