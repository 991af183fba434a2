package config

import (
	"errors"
	"fmt"
	"net"
)

// Access configures patient-granted access, access requests, sponsorship and their email
// (packages sharing, accounts and mail). The YAML section keeps its name, access.
type Access struct {
	// PortalClients are the ids of the clients (in clients[]) registered as the hospital's
	// patient portal: backend services (client_credentials, private_key_jwt, system/ scopes)
	// allowed to call /api/portal.
	PortalClients []string `yaml:"portal_clients" env:"PORTAL_CLIENTS"`
	// SupportEmail receives "Request PCP access" requests.
	SupportEmail string `yaml:"support_email" env:"SUPPORT_EMAIL"`
	// AppURL is the clinicians' sign-in page linked from emails; the base URL when empty.
	AppURL string `yaml:"app_url" env:"APP_URL"`
	Mail   Mail   `yaml:"mail" envPrefix:"MAIL_"`
}

// Mail is the SMTP server notifications go through.
type Mail struct {
	// SMTPAddr is host:port of the SMTP server. Empty in demo mode starts an in-process
	// capture server whose messages are listed at <base_url>/demo/mail.
	SMTPAddr string `yaml:"smtp_addr" env:"SMTP_ADDR"`
	// From is the sender address.
	From string `yaml:"from" env:"FROM"`
	// Username and Password (or PasswordFile) enable SMTP AUTH.
	Username     string `yaml:"username" env:"USERNAME"`
	Password     string `yaml:"password" env:"PASSWORD"`
	PasswordFile string `yaml:"password_file" env:"PASSWORD_FILE"`
	// TLS is mandatory (default), opportunistic or none (loopback servers only).
	TLS string `yaml:"tls" env:"TLS"`
}

// Demo values of the access settings.
const (
	DemoSupportEmail = "support@mypatients.example.org"
	DemoMailFrom     = "MyPatients <no-reply@mypatients.example.org>"
)

// completeAccess fills the access defaults: in demo mode a support address and a sender.
func (c *Config) completeAccess() {
	a := &c.Access
	if c.Demo.On() {
		if a.SupportEmail == "" {
			a.SupportEmail = DemoSupportEmail
		}
		if a.Mail.From == "" {
			a.Mail.From = DemoMailFrom
		}
	}
	if a.AppURL == "" {
		a.AppURL = c.BaseURL
	}
}

// validateAccess reports every problem of the access settings.
func (c *Config) validateAccess() []error {
	var errs []error
	a := c.Access
	for _, id := range a.PortalClients {
		found := false
		for _, cl := range c.Clients {
			found = found || cl.ID == id
		}
		if !found {
			errs = append(errs, fmt.Errorf("access.portal_clients: %q is not in clients", id))
		}
	}
	if a.Mail.SMTPAddr != "" {
		host, _, err := net.SplitHostPort(a.Mail.SMTPAddr)
		if err != nil {
			errs = append(errs, fmt.Errorf("access.mail.smtp_addr: %w", err))
		}
		if a.Mail.From == "" {
			errs = append(errs, errors.New("access.mail.from is required with access.mail.smtp_addr"))
		}
		switch a.Mail.TLS {
		case "", "mandatory", "opportunistic":
		case "none":
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				errs = append(errs, errors.New("access.mail.tls none is only allowed for a loopback SMTP server"))
			}
		default:
			errs = append(errs, fmt.Errorf("access.mail.tls %q is not mandatory, opportunistic or none", a.Mail.TLS))
		}
	}
	if a.Mail.Password != "" && a.Mail.PasswordFile != "" {
		errs = append(errs, errors.New("access.mail: give password or password_file, not both"))
	}
	return errs
}
