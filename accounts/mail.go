package accounts

import (
	"fmt"

	"github.com/mypatients/gateway/mail"
)

// SetupLinkMail is the email that (re-)sends someone the link to set up their login.
func SetupLinkMail(to, name, link string) mail.Message {
	return mail.Message{To: to, Subject: "MyPatients: set up your login",
		Body: fmt.Sprintf(`Hello %s,

Here is a new link to set up your MyPatients login: choose a password, then add an
authenticator app or a passkey. Your username is this email address. The link works once,
for 72 hours; earlier links no longer work.

  %s
`, name, link)}
}
