package main

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/authz"
	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/demo/ehr"
	"github.com/mypatients/gateway/demo/login"
	"github.com/mypatients/gateway/demo/patientportal"
	"github.com/mypatients/gateway/edge"
	"github.com/mypatients/gateway/fhirproxy"
	"github.com/mypatients/gateway/redisstore"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/smart"
	"github.com/mypatients/gateway/smart/identity"
	"github.com/mypatients/gateway/telemetry"
	"github.com/mypatients/gateway/upstream"
)

// serve runs the gateway until ctx is cancelled, then shuts down gracefully.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) error {
	fs := newFlagSet("serve", stderr)
	checkOnly := fs.Bool("check-config", false, "validate the configuration, print the problems, and exit")
	cfg, err := loadConfig(fs, args, environ)
	if err != nil {
		return err
	}
	if *checkOnly {
		fmt.Fprintln(stdout, "configuration is valid")
		return nil
	}
	log := newLogger(stderr, cfg.Log.Level)
	var run runGroup
	defer run.close()

	// The gateway's own address is taken first, so that no part started below on a free port
	// can take it.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	run.onClose(func() { ln.Close() })
	if ln, err = secureListener(cfg, ln); err != nil {
		return err
	}
	demo, rdb, c, err := startRedisAndDemo(ctx, cfg, &run, log)
	if err != nil {
		return err
	}
	tel, err := newTelemetry(cfg, &run)
	if err != nil {
		return err
	}
	if err := serveAdmin(cfg, &run, log, tel); err != nil {
		return err
	}
	var today func() time.Time
	if demo != nil && demo.ehrBase != "" {
		today = ehr.Clock() // the demo world's "today", for the portal's ages and filters
	}
	handler, err := build(ctx, cfg, &run, log, rdb, c, tel, today)
	if err != nil {
		return err
	}
	run.serve(ln, handler, log)
	log.Info("gateway listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "demo", cfg.Demo.On())
	if demo != nil {
		demo.printWelcome(stdout, cfg)
	}
	return run.wait(ctx, log)
}

// startRedisAndDemo connects to Redis and builds the shared parts, in demo mode then starting
// the embedded stand-ins of the parts the configuration leaves empty.
func startRedisAndDemo(ctx context.Context, cfg *config.Config, run *runGroup, log *slog.Logger) (*demoWorld, redis.UniversalClient, *common, error) {
	var demo *demoWorld
	if cfg.Demo.On() {
		var err error
		if demo, err = startDemoRedis(cfg, run, log); err != nil {
			return nil, nil, nil, err
		}
	}
	rdb, err := openRedis(ctx, cfg, run, log, demo != nil && demo.redisURL != "")
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := newCommon(cfg, log, rdb)
	if err != nil {
		return nil, nil, nil, err
	}
	if demo != nil {
		if err := demo.start(ctx, cfg, run, log, c); err != nil {
			return nil, nil, nil, err
		}
	}
	return demo, rdb, c, nil
}

// openRedis connects to Redis and, unless it is the demo's embedded one, checks that it is fit
// to be the system of record: it refuses an evicting Redis and warns about one that does not
// persist.
func openRedis(ctx context.Context, cfg *config.Config, run *runGroup, log *slog.Logger, embedded bool) (redis.UniversalClient, error) {
	rdb, err := redisstore.Open(ctx, redisOptions(cfg))
	if err != nil {
		return nil, err
	}
	run.onClose(func() { rdb.Close() })
	if embedded {
		return rdb, nil
	}
	d, err := redisstore.CheckDurability(ctx, rdb)
	if err != nil {
		return nil, err
	}
	if !d.Persistent() {
		log.Warn("Redis does not persist (appendonly no, no save schedule): a Redis restart signs everyone out and loses grants, suspensions and the audit trail; turn on appendonly")
	}
	return rdb, nil
}

// build constructs the gateway's parts from a complete configuration and returns its HTTP
// handler. Everything it starts is registered with run for shutdown.
func build(ctx context.Context, cfg *config.Config, run *runGroup, log *slog.Logger, rdb redis.UniversalClient, c *common,
	tel *telemetry.Telemetry, today func() time.Time) (http.Handler, error) {
	up, err := newUpstream(ctx, cfg, tel.RoundTripper)
	if err != nil {
		return nil, err
	}
	accts, grantStore := c.accts, grants.NewStore(rdb, cfg.Redis.KeyPrefix)
	authorizer, err := newAuthorizer(ctx, cfg, log, rdb, up, accts, grantStore)
	if err != nil {
		return nil, err
	}
	// The token check comes first: the FHIR API takes it, and the SMART server takes the FHIR
	// API for its patient picker.
	tokens, key, err := newTokens(cfg, log, rdb)
	if err != nil {
		return nil, err
	}
	trail, err := buildAudit(cfg, run, log, rdb, c.trail)
	if err != nil {
		return nil, err
	}
	proxy, err := fhirproxy.New(fhirproxy.Options{
		Upstream: up, PublicBase: tokens.FHIRBase(), Authn: tokens, Authz: tel.Authorizer(authorizer),
		Audit:  tel.Audit(c.trail),
		Logger: log, MaxCount: 100, SecurityExtensions: []json.RawMessage{tokens.OAuthURIsExtension()}, PageKey: cfg.Tokens.PageKey,
	})
	if err != nil {
		return nil, err
	}
	portalKey := registerDemoClients(cfg, log) // before the SMART server, which reads the clients
	pc, err := portalClient(cfg, key)
	if err != nil {
		return nil, err
	}
	outbox, capture, err := startOutbox(cfg, run, log, rdb)
	if err != nil {
		return nil, err
	}
	// The accounts provider is one of the SMART server's identity providers: built first.
	acct, err := buildAccounts(ctx, cfg, run, log, accountDeps{rdb: rdb, key: key, c: c, mail: outbox, up: up,
		grants: grantStore, tokens: tokens})
	if err != nil {
		return nil, err
	}
	practitioners := identity.New(identity.Options{Rules: practitionerRules(cfg.IdentityProviders), Upstream: up,
		Redis: rdb, KeyPrefix: cfg.Redis.KeyPrefix, CacheTTL: cfg.Authz.FactsTTL, Logger: log})
	idpClient, self := newSelfCalls(cfg.BaseURL)
	sm, err := newSMART(cfg, log, tokens, c, proxy, acct.signIns, practitioners, idpClient, pc)
	if err != nil {
		return nil, err
	}
	shared, err := buildSharing(cfg, log, rdb, up, c, grantStore, tokens, portalKey, authorizer, outbox, capture)
	if err != nil {
		return nil, err
	}
	watchParts(tel, up, outbox)
	// Every request carries its client address as trusted_proxies decide it, for its limits
	// and audit records.
	mux := http.NewServeMux()
	if err := trail.register(mux); err != nil {
		return nil, err
	}
	acct.register(mux)
	handler := c.proxies.Handler(atTheEdge(cfg, routes(mux, readiness(cfg, log, rdb, up, idpClient), sm, shared, sm.CORS(proxy))))
	self.self = handler
	// The portal reaches the gateway's own surfaces through handler, in process; its pages
	// are then added to the same mux.
	pages, err := newPortal(cfg, log, rdb, key, handler, today)
	if err != nil {
		return nil, err
	}
	pages.Register(mux)
	return tel.Handler(handler), nil
}

// newUpstream returns the gateway's client of the EHR as configured.
func newUpstream(_ context.Context, cfg *config.Config, instrument func(http.RoundTripper) http.RoundTripper) (*upstream.Client, error) {
	u := cfg.Upstream
	opts := upstream.Options{
		BaseURL: u.URL, BearerToken: u.BearerToken, CallerConcurrency: cfg.Limits.CallerConcurrency, Instrument: instrument,
		TLS:            upstream.TLS{CAFile: u.CAFile, CertFile: u.ClientCertFile, KeyFile: u.ClientKeyFile},
		ConnectTimeout: u.ConnectTimeout, HeaderTimeout: u.HeaderTimeout, Timeout: u.Timeout,
	}
	if b := u.BackendServices; b.On() {
		opts.Backend = &upstream.Backend{ClientID: b.ClientID, Key: b.Key, KeyID: b.KeyID, Scope: b.Scope, TokenURL: b.TokenURL}
	}
	return upstream.New(opts)
}

// newAuthorizer returns the authorizer, reading grants and sponsorship on every decision.
func newAuthorizer(ctx context.Context, cfg *config.Config, log *slog.Logger, rdb redis.UniversalClient, up *upstream.Client,
	accts *accounts.Store, grantStore *grants.Store) (*authz.Authorizer, error) {
	authorizer, err := authz.New(ctx, authz.Options{Upstream: up, Redis: rdb, KeyPrefix: cfg.Redis.KeyPrefix, FactsTTL: cfg.Authz.FactsTTL, Logger: log})
	if err != nil {
		return nil, err
	}
	authorizer.UseRelationships(grantStore, accts)
	return authorizer, nil
}

// routes puts the parts on mux and returns the gateway's handler.
func routes(mux *http.ServeMux, ready http.Handler, sm *smart.Server, shared *sharingParts, fhirAPI http.Handler) http.Handler {
	sm.Register(mux)
	shared.register(mux)
	mux.HandleFunc("GET /healthz", edge.Healthz)
	mux.Handle("GET /readyz", ready)
	// Everything under /fhir reaches the FHIR API exactly as sent. ServeMux would answer a
	// path with "//" or dot segments with a redirect of its own, unaudited; the API refuses
	// such spellings itself, with an OperationOutcome and an audit record.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if (p == "/fhir" || strings.HasPrefix(p, "/fhir/")) && p != "/fhir/.well-known/smart-configuration" {
			fhirAPI.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// registerDemoClients adds, in demo mode, the demo shell (the first-party client of `demo
// token`), the demo EHR (a launch creator) and the demo patient portal (a backend service) to
// the configured clients, and returns the portal's key (nil when the demo portal is off).
func registerDemoClients(cfg *config.Config, log *slog.Logger) *rsa.PrivateKey {
	login.RegisterShell(cfg)
	if secret := ehr.RegisterLauncher(cfg); secret != "" {
		log.Info("demo EHR launcher registered; create launches with POST /smart/launch", "client_id", ehr.LauncherID, "secret", secret)
	}
	key, err := patientportal.Register(cfg)
	if err != nil {
		log.Error("the demo patient portal is off", "err", err)
	}
	return key
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// runGroup owns the servers and resources started by serve and stops them in reverse order.
type runGroup struct {
	closers []func()
	errs    chan error
}

func (g *runGroup) onClose(f func()) { g.closers = append(g.closers, f) }

// serve serves h on ln until close; a server that stops on its own is reported on errs.
func (g *runGroup) serve(ln net.Listener, h http.Handler, log *slog.Logger) {
	if g.errs == nil {
		g.errs = make(chan error, 8)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.errs <- fmt.Errorf("server on %s: %w", ln.Addr(), err)
		}
	}()
	g.onClose(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
}

// wait returns when ctx is cancelled (nil) or a server stops on its own (its error).
func (g *runGroup) wait(ctx context.Context, log *slog.Logger) error {
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		return nil
	case err := <-g.errs:
		return err
	}
}

func (g *runGroup) close() {
	for i := len(g.closers) - 1; i >= 0; i-- {
		g.closers[i]()
	}
}
