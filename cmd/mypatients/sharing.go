package main

import (
	"context"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/demo/patientportal"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/mail"
	"github.com/mypatients/gateway/sharing"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/sharing/invite"
	"github.com/mypatients/gateway/upstream"
)

// sharingParts are the HTTP surfaces of access sharing and accounts: the clinicians' and the
// patient portal's APIs, the staff login set-up page, and in demo mode the mail capture page
// and the demo patient portal.
type sharingParts struct {
	api     *sharing.ClinicianAPI
	portal  *sharing.PortalAPI
	capture *mail.Capture // demo only
	demo    http.Handler  // demo only
}

// buildSharing builds the sharing service over its stores and starts the mail outbox; decider
// (the authorizer) answers the exact-match lookup.
func buildSharing(cfg *config.Config, log *slog.Logger, rdb redis.UniversalClient, up *upstream.Client, c *common,
	grantStore *grants.Store, authn sharing.Authenticator, portalKey *rsa.PrivateKey, decider sharing.Decider,
	outbox *mail.Outbox, capture *mail.Capture) (*sharingParts, error) {
	prefix := cfg.Redis.KeyPrefix
	p := &sharingParts{capture: capture}
	var err error
	requests := sharing.RequestRule
	requests.Limit = cfg.Limits.AccessRequests
	svc := &sharing.Service{
		Grants: grantStore, Invites: invite.NewStore(rdb, prefix), Accounts: c.accts, Mail: outbox,
		EHR: sharing.EHR{Upstream: up}, Audit: c.trail, RequestLimit: limits.New(rdb, prefix, requests),
		Decider: decider, LookupLimit: limits.New(rdb, prefix, sharing.LookupRule),
		SupportEmail: cfg.Access.SupportEmail, BaseURL: cfg.BaseURL, AppURL: cfg.Access.AppURL, Logger: log,
	}
	p.api = &sharing.ClinicianAPI{Service: svc, Authn: authn}
	p.portal = &sharing.PortalAPI{Service: svc, Authn: authn, Clients: cfg.Access.PortalClients, Audit: c.trail}
	if portalKey != nil {
		p.demo, err = patientportal.New(patientportal.Options{GatewayBase: cfg.BaseURL, Prefix: "/demo/portal",
			ClientID: patientportal.ClientID, KeyID: patientportal.KeyID, Key: portalKey})
		if err != nil {
			return nil, err
		}
		log.Info("demo patient portal (plays MyChildren's as a backend-services client)", "page", cfg.BaseURL+"/demo/portal/")
	}
	return p, nil
}

// startOutbox starts the worker that delivers queued mail. Without an SMTP server, demo mode
// captures mail in process; outside demo mode mail waits in the outbox until one is configured.
func startOutbox(cfg *config.Config, run *runGroup, log *slog.Logger, rdb redis.UniversalClient) (*mail.Outbox, *mail.Capture, error) {
	m := cfg.Access.Mail
	var capture *mail.Capture
	if m.SMTPAddr == "" && cfg.Demo.On() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("demo mail capture: %w", err)
		}
		capture = mail.StartCapture(ln)
		run.onClose(func() { _ = capture.Close() })
		m.SMTPAddr, m.TLS = ln.Addr().String(), "none"
		log.Info("demo mail is captured, not sent", "smtp", m.SMTPAddr, "page", cfg.BaseURL+"/demo/mail")
	}
	var send mail.Deliverer = mail.Unconfigured{}
	if m.SMTPAddr != "" {
		s, err := mail.NewSender(mail.SMTPOptions{Addr: m.SMTPAddr, From: m.From, Username: m.Username, Password: m.Password, TLS: m.TLS})
		if err != nil {
			return nil, nil, err
		}
		send = s
	} else {
		log.Warn("access.mail.smtp_addr is not set: notifications wait in the Redis outbox until it is")
	}
	outbox := mail.NewOutbox(rdb, mail.OutboxOptions{Prefix: cfg.Redis.KeyPrefix, Send: send, Logger: log.With("part", "mail")})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); outbox.Run(ctx) }()
	run.onClose(func() {
		cancel()
		<-done
		drain, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		outbox.Drain(drain)
	})
	return outbox, capture, nil
}

// register adds the routes to mux.
func (p *sharingParts) register(mux *http.ServeMux) {
	p.api.Register(mux)
	p.portal.Register(mux)
	if p.capture != nil {
		mux.Handle("GET /demo/mail", p.capture)
	}
	if p.demo != nil {
		mux.Handle("/demo/portal/", p.demo)
	}
}
