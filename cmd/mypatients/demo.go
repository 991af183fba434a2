package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/mypatients/gateway/audit/auditpage"
	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/demo/app"
	"github.com/mypatients/gateway/demo/ehr"
	"github.com/mypatients/gateway/demo/idp"
	"github.com/mypatients/gateway/redisstore"
)

// demoWorld is what demo mode started, for the welcome message.
type demoWorld struct {
	redisURL, ehrBase, appURL string
	password                  string
	generatedPassword         bool
}

// startDemoRedis starts, when the configuration names no Redis, the embedded one and points
// the configuration at it. It returns the world demo mode is building.
func startDemoRedis(cfg *config.Config, run *runGroup, log *slog.Logger) (*demoWorld, error) {
	w := &demoWorld{}
	if !cfg.Redis.Embedded() {
		return w, nil
	}
	emb, err := redisstore.StartEmbedded(cfg.Demo.RedisAddr)
	if err != nil {
		return nil, err
	}
	run.onClose(emb.Close)
	cfg.Redis.URL, w.redisURL = emb.URL(), emb.URL()
	log.Warn("using the embedded in-process Redis: sessions, tokens and the audit trail are NOT durable and vanish when the gateway stops", "url", emb.URL())
	return w, nil
}

// start starts the embedded stand-in of every other part the configuration leaves empty, points
// the configuration at it, and makes the demo user staff a staff account sponsored by pcp.
func (w *demoWorld) start(ctx context.Context, cfg *config.Config, run *runGroup, log *slog.Logger, c *common) error {
	w.password = cfg.Demo.Password
	if w.password == "" {
		w.password, w.generatedPassword = randomToken()[:16], true
	}
	if err := idp.SeedDemoSponsorship(ctx, c.accts); err != nil {
		return err
	}
	if cfg.Accounts.On() {
		if err := idp.Seed(ctx, c.accts, "accounts", w.password); err != nil {
			return err
		}
	}
	if cfg.Upstream.URL == "" {
		if err := w.startEHR(cfg, run, log); err != nil {
			return err
		}
	}
	if len(cfg.IdentityProviders) == 0 {
		if err := w.startChildrensID(ctx, cfg, run, log, c); err != nil {
			return err
		}
	}
	if cfg.Demo.AppAddr != "off" {
		return w.startApp(cfg, run, log)
	}
	return nil
}

func (w *demoWorld) startEHR(cfg *config.Config, run *runGroup, log *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.Demo.EHRAddr)
	if err != nil {
		return fmt.Errorf("demo EHR: listen on %s: %w", cfg.Demo.EHRAddr, err)
	}
	token := randomToken()
	base := "http://" + ln.Addr().String() + "/fhir"
	srv, err := ehr.NewServer(ehr.Seed(), ehr.Options{BaseURL: base, BearerToken: token, DefaultCount: 20, MaxCount: 100, Logger: log.With("part", "demo-ehr")})
	if err != nil {
		ln.Close()
		return err
	}
	run.serve(ln, srv, log)
	cfg.Upstream.URL, cfg.Upstream.BearerToken, w.ehrBase = base, token, base
	log.Info("demo EHR listening (synthetic data only)", "fhir_base", base)
	return nil
}

func (w *demoWorld) startApp(cfg *config.Config, run *runGroup, log *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.Demo.AppAddr)
	if err != nil {
		return fmt.Errorf("demo app: listen on %s: %w", cfg.Demo.AppAddr, err)
	}
	h, err := app.New(app.Options{
		Addr: ln.Addr().String(), ClientID: config.DemoClientID,
		RedirectURI: "http://" + ln.Addr().String() + "/callback", GatewayBase: cfg.BaseURL,
		Logger: log.With("part", "demo-app"),
	})
	if err != nil {
		ln.Close()
		return err
	}
	run.serve(ln, h, log)
	w.appURL = "http://" + ln.Addr().String()
	return nil
}

// printWelcome tells a newcomer where to go.
func (w *demoWorld) printWelcome(out io.Writer, cfg *config.Config) {
	fmt.Fprintf(out, "\nMyPatients gateway is running in DEMO mode (synthetic data, state in memory).\n\n")
	fmt.Fprintf(out, "  Portal:          %s   (the clinicians' portal: sign in as pcp)\n", cfg.BaseURL)
	if w.appURL != "" {
		fmt.Fprintf(out, "  Example app:     %s   (a third-party SMART app: its consent screen)\n", w.appURL)
	}
	fmt.Fprintf(out, "  FHIR base:       %s/fhir\n", cfg.BaseURL)
	fmt.Fprintf(out, "  SMART discovery: %s/.well-known/smart-configuration\n", cfg.BaseURL)
	if w.ehrBase != "" {
		fmt.Fprintf(out, "  Demo EHR:        %s (behind the gateway; needs the gateway's credential)\n", w.ehrBase)
	}
	for _, p := range cfg.IdentityProviders {
		fmt.Fprintf(out, "  Sign-in:         %-20s %s\n", p.Name, p.Issuer)
	}
	if cfg.Accounts.On() {
		fmt.Fprintf(out, "  Register:        %s/accounts/register   (then approve in %s/accounts/console/ as support)\n", cfg.BaseURL, cfg.BaseURL)
	}
	fmt.Fprintf(out, "  Patient portal:  %s/demo/portal/   (plays MyChildren's: approve requests, invite, revoke)\n", cfg.BaseURL)
	if cfg.Access.Mail.SMTPAddr == "" {
		fmt.Fprintf(out, "  Captured mail:   %s/demo/mail\n", cfg.BaseURL)
	}
	if w.password != "" {
		note := ""
		if w.generatedPassword {
			note = "   (generated; set MYPATIENTS_DEMO_PASSWORD to choose one)"
		}
		fmt.Fprintf(out, "  Users:           pcp, colleague, pcp2, specialist, staff (MyPatients accounts); hospdoc, support, privacy (Children's ID)\n")
		fmt.Fprintf(out, "  Password:        %s%s\n", w.password, note)
	}
	fmt.Fprintf(out, "  Audit trail:     %s%s   (sign in as privacy, Children's ID)\n", cfg.BaseURL, auditpage.Path)
	if w.redisURL != "" {
		fmt.Fprintf(out, "                   go run ./cmd/mypatients audit   (embedded Redis at %s)\n", w.redisURL)
	}
	fmt.Fprintf(out, "\nPress Ctrl-C to stop.\n")
}

func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
