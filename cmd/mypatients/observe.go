package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/mail"
	"github.com/mypatients/gateway/telemetry"
	"github.com/mypatients/gateway/upstream"
)

// newTelemetry returns the metrics and the tracer; queued spans are flushed at shutdown.
func newTelemetry(cfg *config.Config, run *runGroup) (*telemetry.Telemetry, error) {
	tel, err := telemetry.New(telemetry.Options{OTLPEndpoint: cfg.Tracing.OTLPEndpoint, ServiceName: cfg.Tracing.ServiceName})
	if err != nil {
		return nil, err
	}
	run.onClose(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(ctx)
	})
	return tel, nil
}

// watchParts registers the gauges read at every scrape.
func watchParts(tel *telemetry.Telemetry, up *upstream.Client, outbox *mail.Outbox) {
	tel.Gauge("upstream_circuit_open", "1 while the circuit breaker toward the EHR is open.", func() float64 {
		if up.CircuitOpen() {
			return 1
		}
		return 0
	})
	tel.Gauge("mail_outbox_depth", "Messages waiting in the mail outbox (-1: it could not be read).", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := outbox.Pending(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
}

// serveAdmin starts the admin listener, when configured: /metrics and /debug/pprof/. It
// serves no patient data and asks for no credential, so it must stay off the public network.
func serveAdmin(cfg *config.Config, run *runGroup, log *slog.Logger, tel *telemetry.Telemetry) error {
	if cfg.AdminAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		return fmt.Errorf("admin_addr: listen on %s: %w", cfg.AdminAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", tel.MetricsHandler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	run.serve(ln, mux, log)
	log.Info("admin listening", "addr", ln.Addr().String())
	return nil
}
