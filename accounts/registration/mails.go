package registration

import (
	"fmt"

	"github.com/mypatients/gateway/mail"
)

// The emails of registration; no clinical data.

func msgVerify(to, name, verifyURL, statusURL string) mail.Message {
	return mail.Message{To: to, Subject: "MyPatients: confirm your email address",
		Body: fmt.Sprintf(`Hello %s,

Thank you for registering for MyPatients. Confirm your email address by opening this link
(it works once, for 24 hours):

  %s

The support team then checks your request and your documents. See where it stands at any
time here:

  %s
`, name, verifyURL, statusURL)}
}

func msgAlreadyRegistered(to, baseURL string) mail.Message {
	return mail.Message{To: to, Subject: "MyPatients: you already have an account",
		Body: fmt.Sprintf(`Hello,

Someone, probably you, registered for MyPatients with this email address, but it already
belongs to a MyPatients account. Sign in, or reset your password if you forgot it:

  %s/accounts/forgot-password
`, baseURL)}
}

func msgApproved(r Registration, setupURL string) mail.Message {
	sponsor := ""
	if r.CanSponsor {
		sponsor = "\nYou may also sponsor staff of your practice, who then see what you see.\n"
	}
	return mail.Message{To: r.Email, Subject: "MyPatients: your account is approved",
		Body: fmt.Sprintf(`Hello %s,

Your MyPatients account is approved. Your username is this email address. Set up your login
here: choose a password, then add an authenticator app or a passkey as your second factor.
The link works once, for 72 hours.

  %s
%s`, r.Name, setupURL, sponsor)}
}

func msgRejected(r Registration) mail.Message {
	note := ""
	if r.Note != "" {
		note = "\nNote from the support team: " + r.Note + "\n"
	}
	return mail.Message{To: r.Email, Subject: "MyPatients: your registration",
		Body: fmt.Sprintf(`Hello %s,

We could not approve your MyPatients registration. %s
%s
You may register again once this is resolved, or reply to the MyPatients support team.
`, r.Name, RejectReasons[r.Reason], note)}
}
