package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/authz"
	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/demo/patientportal"
	"github.com/mypatients/gateway/mail"
	"github.com/mypatients/gateway/sharing"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/sharing/invite"
	"github.com/mypatients/gateway/upstream"
)

// accessParts are the parts of patient-granted access and sponsorship (issue 5), wired into
// build: stores read by the authorizer on every decision, the clinicians' and the patient
// portal's APIs, and the mail outbox.
type accessParts struct {
	accounts *accounts.Store
	setup    http.Handler // the staff login set-up page
	api      *sharing.ClinicianAPI
	portal   *sharing.PortalAPI
	capture  *mail.Capture // demo only
	demo     http.Handler  // the demo patient portal, demo only
}

// buildAccess builds the access parts, makes the authorizer read grants and sponsorship, and
// starts the mail outbox (and in demo mode the SMTP capture and the demo sponsorship of staff
// by pcp).
func buildAccess(ctx context.Context, cfg *config.Config, run *runGroup, log *slog.Logger,
	rdb redis.UniversalClient, up *upstream.Client, authorizer *authz.Authorizer, authn sharing.Authenticator,
	portalKey *rsa.PrivateKey) (*accessParts, error) {
	prefix := cfg.Redis.KeyPrefix
	p := &accessParts{accounts: accounts.NewStore(rdb, prefix)}
	p.setup = accounts.Handler(p.accounts, log)
	grantStore := grants.NewStore(rdb, prefix)
	authorizer.UseRelationships(grantStore, p.accounts)

	outbox, err := startOutbox(cfg, run, log, rdb, p)
	if err != nil {
		return nil, err
	}
	svc := &sharing.Service{
		Grants: grantStore, Invites: invite.NewStore(rdb, prefix), Accounts: p.accounts, Mail: outbox,
		EHR: sharing.EHR{Upstream: up}, SupportEmail: cfg.Access.SupportEmail,
		BaseURL: cfg.BaseURL, AppURL: cfg.Access.AppURL, Logger: log,
	}
	p.api = &sharing.ClinicianAPI{Service: svc, Authn: authn, Logger: log}
	p.portal = &sharing.PortalAPI{Service: svc, Authn: authn, Clients: cfg.Access.PortalClients}
	if cfg.Demo.On() {
		if err := seedDemoSponsorship(ctx, p.accounts); err != nil {
			return nil, err
		}
	}
	if portalKey != nil {
		p.demo, err = patientportal.New(patientportal.Options{GatewayBase: cfg.BaseURL, Prefix: "/demo/portal",
			ClientID: demoPortalID, KeyID: demoPortalKeyID, Key: portalKey})
		if err != nil {
			return nil, err
		}
		log.Info("demo patient portal (plays MyChildren's as a backend-services client)", "page", cfg.BaseURL+"/demo/portal/")
	}
	return p, nil
}

// startOutbox starts the worker that delivers queued mail. Without an SMTP server, demo mode
// captures mail in process; outside demo mode mail waits in the outbox until one is configured.
func startOutbox(cfg *config.Config, run *runGroup, log *slog.Logger, rdb redis.UniversalClient, p *accessParts) (*mail.Outbox, error) {
	m := cfg.Access.Mail
	if m.SMTPAddr == "" && cfg.Demo.On() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("demo mail capture: %w", err)
		}
		p.capture = mail.StartCapture(ln)
		run.onClose(func() { _ = p.capture.Close() })
		m.SMTPAddr, m.TLS = ln.Addr().String(), "none"
		log.Info("demo mail is captured, not sent", "smtp", m.SMTPAddr, "page", cfg.BaseURL+"/demo/mail")
	}
	var send mail.Deliverer = unconfiguredMail{}
	if m.SMTPAddr != "" {
		s, err := mail.NewSender(mail.SMTPOptions{Addr: m.SMTPAddr, From: m.From, Username: m.Username, Password: m.Password, TLS: m.TLS})
		if err != nil {
			return nil, err
		}
		send = s
	} else {
		log.Warn("access.mail.smtp_addr is not set: notifications wait in the Redis outbox until it is")
	}
	outbox := mail.NewOutbox(rdb, mail.OutboxOptions{Prefix: cfg.Redis.KeyPrefix, Send: send, Logger: log.With("part", "mail")})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); outbox.Run(ctx) }()
	run.onClose(func() { cancel(); <-done })
	return outbox, nil
}

// unconfiguredMail fails every send, so messages stay queued (with backoff) until an SMTP
// server is configured and the gateway restarted.
type unconfiguredMail struct{}

func (unconfiguredMail) Send(context.Context, mail.Message) error {
	return errors.New("no SMTP server configured (access.mail.smtp_addr)")
}

// register adds the access routes to mux.
func (p *accessParts) register(mux *http.ServeMux) {
	p.api.Register(mux)
	p.portal.Register(mux)
	mux.Handle(accounts.SetupPath, p.setup)
	if p.capture != nil {
		mux.Handle("GET /demo/mail", p.capture)
	}
	if p.demo != nil {
		mux.Handle("/demo/portal/", p.demo)
	}
}

// auditWriter names the sponsor in every audit record of a sponsored staff user's request.
func (p *accessParts) auditWriter(w audit.Writer) audit.Writer { return sponsorAudit{w, p.accounts} }

type sponsorAudit struct {
	audit.Writer
	sponsors *accounts.Store
}

func (s sponsorAudit) Write(ctx context.Context, r audit.Record) error {
	if r.User != "" {
		st, err := s.sponsors.Get(ctx, r.User)
		switch {
		case err == nil:
			r.Sponsor = st.Sponsor
		case !errors.Is(err, accounts.ErrNotFound):
			// Unable to say who the sponsor is: the record must not be written incomplete,
			// and without a record no data is released.
			return fmt.Errorf("audit: sponsor of %s: %w", r.User, err)
		}
	}
	return s.Writer.Write(ctx, r)
}

// The demo's sponsorship: staff (Rosa Garcia, RN) is sponsored by pcp (Dr. Patel).
const (
	demoStaffUser   = "accounts:u-staff"
	demoSponsorUser = "accounts:u-pcp"
)

func seedDemoSponsorship(ctx context.Context, s *accounts.Store) error {
	if _, err := s.Get(ctx, demoStaffUser); err == nil {
		return nil
	} else if !errors.Is(err, accounts.ErrNotFound) {
		return err
	}
	// Rosa signs in as the demo IdP's user "staff"; her email is claimed all the same so that
	// no new staff account can take it as its username.
	const email = "rosa.garcia@maple-pediatrics.example.org"
	if err := s.Claim(ctx, email, demoStaffUser); err != nil && !errors.Is(err, accounts.ErrUsernameTaken) {
		return fmt.Errorf("demo sponsorship: %w", err)
	}
	_, err := s.Sponsor(ctx, accounts.Staff{ID: demoStaffUser, Name: "Rosa Garcia, RN", Role: "RN",
		Email: email, Sponsor: demoSponsorUser, SponsorPractitioner: "Practitioner/dr-patel"}, time.Now())
	if err != nil {
		return fmt.Errorf("demo sponsorship: %w", err)
	}
	return nil
}

// The demo patient portal's registration: a backend service with a key generated per run.
const (
	demoPortalID    = "demo-portal"
	demoPortalKeyID = "demo-portal-1"
)

// addDemoPortal registers, in demo mode, the demo patient portal as a private_key_jwt backend
// client allowed to call /api/portal, and returns its private key (nil outside demo mode or
// when the configuration already has a client of that id). It runs before the SMART server
// is built, which reads the clients.
func addDemoPortal(cfg *config.Config, log *slog.Logger) *rsa.PrivateKey {
	if !cfg.Demo.On() {
		return nil
	}
	for _, c := range cfg.Clients {
		if c.ID == demoPortalID {
			return nil
		}
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Error("demo portal: no key; the demo patient portal is off", "err", err)
		return nil
	}
	raw, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: demoPortalKeyID, Algorithm: "RS384", Use: "sig"}}})
	var jwks map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &jwks)
	}
	if err != nil {
		log.Error("demo portal: encode key; the demo patient portal is off", "err", err)
		return nil
	}
	cfg.Clients = append(cfg.Clients, config.Client{
		ID: demoPortalID, Name: "MyChildren's (demo patient portal)", Type: "confidential", JWKS: jwks,
		TokenEndpointAuthMethod: config.AuthPrivateKeyJWT, GrantTypes: []string{config.GrantClientCredentials},
		Scopes: []string{patientportal.Scope},
	})
	cfg.Access.PortalClients = append(cfg.Access.PortalClients, demoPortalID)
	return key
}
