package config

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Portal configures the clinicians' portal (package portal): its sessions, the hospital's
// time zone, the links of its sign-in page and the text of its help pages.
type Portal struct {
	// TimeZone is the hospital's IANA time zone; every time the portal shows is in it.
	TimeZone string `yaml:"time_zone" env:"TIME_ZONE"`
	// IdleTimeout signs a session out after this long without a request; AbsoluteTimeout
	// after this long whatever happens.
	IdleTimeout     time.Duration `yaml:"idle_timeout" env:"IDLE_TIMEOUT"`
	AbsoluteTimeout time.Duration `yaml:"absolute_timeout" env:"ABSOLUTE_TIMEOUT"`
	// AccountsIdP is the id of the identity provider that is "MyPatients account" on the
	// sign-in page (with the register and forgot-password links); every other one is shown
	// as the hospital's sign-in, with its password_url.
	AccountsIdP string `yaml:"accounts_idp" env:"ACCOUNTS_IDP"`
	// RegisterURL, ForgotPasswordURL and EditAccountURL are the accounts provider's pages.
	RegisterURL       string `yaml:"register_url" env:"REGISTER_URL"`
	ForgotPasswordURL string `yaml:"forgot_password_url" env:"FORGOT_PASSWORD_URL"`
	EditAccountURL    string `yaml:"edit_account_url" env:"EDIT_ACCOUNT_URL"`
	// HelpDir holds HTML fragments that replace the built-in help text: tutorials.html,
	// faq.html, privacy.html, support.html (any subset). They are sanitized like notes.
	HelpDir string `yaml:"help_dir" env:"HELP_DIR"`
	// Support is the support team's contact, on the help pages and every refusal.
	Support Support `yaml:"support" envPrefix:"SUPPORT_"`
}

// Support is how clinicians reach the support team.
type Support struct {
	Name  string `yaml:"name" env:"NAME"`
	Phone string `yaml:"phone" env:"PHONE"`
	Email string `yaml:"email" env:"EMAIL"`
	Hours string `yaml:"hours" env:"HOURS"`
}

// completePortal fills the portal's defaults.
func (c *Config) completePortal() {
	p := &c.Portal
	setDefault(&p.TimeZone, "America/New_York")
	setDuration(&p.IdleTimeout, 15*time.Minute)
	setDuration(&p.AbsoluteTimeout, 12*time.Hour)
	setDefault(&p.AccountsIdP, "accounts")
	setDefault(&p.RegisterURL, c.BaseURL+"/accounts/register")
	setDefault(&p.ForgotPasswordURL, c.BaseURL+"/accounts/password/forgot")
	setDefault(&p.EditAccountURL, c.BaseURL+"/accounts/account")
	setDefault(&p.Support.Name, "MyPatients support team")
	setDefault(&p.Support.Email, c.Access.SupportEmail)
	setDefault(&p.Support.Hours, "Monday to Friday, 8 am to 6 pm")
}

// validatePortal reports every problem of the portal settings.
func (c *Config) validatePortal() []error {
	var errs []error
	p := c.Portal
	if _, err := time.LoadLocation(p.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("portal.time_zone %q: %w", p.TimeZone, err))
	}
	if p.IdleTimeout < time.Second || p.AbsoluteTimeout < p.IdleTimeout {
		errs = append(errs, errors.New("portal: idle_timeout must be at least 1s and absolute_timeout at least idle_timeout"))
	}
	for _, u := range []struct{ key, v string }{{"register_url", p.RegisterURL}, {"forgot_password_url", p.ForgotPasswordURL},
		{"edit_account_url", p.EditAccountURL}} {
		if err := checkHTTPURL(u.v); err != nil {
			errs = append(errs, fmt.Errorf("portal.%s: %v", u.key, err))
		}
	}
	if p.HelpDir != "" {
		if st, err := os.Stat(p.HelpDir); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("portal.help_dir %q is not a directory", p.HelpDir))
		}
	}
	return errs
}
