// Package mail sends the gateway's notifications by SMTP (github.com/wneessen/go-mail) through
// an outbox in Redis: a message is queued first and sent by a worker that retries with
// backoff, so a mail outage delays messages but loses none. The templates carry no clinical
// data: never a patient's name or record, at most the last four characters of an MRN. In the
// demo and in tests, Capture is a real SMTP server (github.com/emersion/go-smtp) that keeps
// what it receives in memory and lists it on a small web page (written through package web).
// The outbox owns its Redis keys (the prefix and {mail}:...). Nothing here decides access or
// writes a message's words: the concerns that send mail do.
package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one email in plain text.
type Message struct {
	ID      string `json:"id"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	// Attempts counts failed sends; NotBefore delays the next one.
	Attempts  int       `json:"attempts"`
	NotBefore time.Time `json:"not_before"`
	Queued    time.Time `json:"queued"`
}

// SMTPOptions says how to reach the mail server.
type SMTPOptions struct {
	// Addr is host:port of the SMTP server.
	Addr string
	// From is the sender address.
	From string
	// Username and Password enable SMTP AUTH (PLAIN, over TLS only) when Username is set.
	Username, Password string
	// TLS is "mandatory" (STARTTLS required; the default), "opportunistic" or "none" (only
	// for a server on loopback, such as the demo's capture).
	TLS string
	// Timeout bounds one SMTP conversation; 0 means 15s.
	Timeout time.Duration
}

// Sender sends one message over SMTP.
type Sender struct {
	opts SMTPOptions
	host string
	port int
}

// NewSender validates opts and returns a Sender.
func NewSender(opts SMTPOptions) (*Sender, error) {
	host, portText, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP address %q: %w", opts.Addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP port %q: %w", portText, err)
	}
	if opts.From == "" {
		return nil, errors.New("mail: a sender address is required")
	}
	switch opts.TLS {
	case "":
		opts.TLS = "mandatory"
	case "mandatory", "opportunistic", "none":
	default:
		return nil, fmt.Errorf("mail: TLS %q is not mandatory, opportunistic or none", opts.TLS)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 15 * time.Second
	}
	return &Sender{opts: opts, host: host, port: port}, nil
}

// Send delivers m, in one SMTP conversation.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.opts.From); err != nil {
		return fmt.Errorf("mail: from %q: %w", s.opts.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	policy := map[string]gomail.TLSPolicy{
		"mandatory": gomail.TLSMandatory, "opportunistic": gomail.TLSOpportunistic, "none": gomail.NoTLS,
	}[s.opts.TLS]
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTLSPolicy(policy), gomail.WithTimeout(s.opts.Timeout)}
	if s.opts.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(s.opts.Username), gomail.WithPassword(s.opts.Password))
	}
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("mail: client for %s: %w", s.opts.Addr, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send to %s via %s: %w", m.To, s.opts.Addr, err)
	}
	return nil
}

// Unconfigured is the Deliverer of a gateway with no SMTP server: it fails every send, so that
// messages stay queued (with backoff) until a server is configured and the gateway restarted.
type Unconfigured struct{}

// Send fails.
func (Unconfigured) Send(context.Context, Message) error {
	return errors.New("no SMTP server configured (access.mail.smtp_addr)")
}
