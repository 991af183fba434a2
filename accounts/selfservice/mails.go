package selfservice

import (
	"fmt"
	"time"

	"github.com/mypatients/gateway/mail"
)

// The emails of the account pages. They carry no clinical data, and a pass code only to the
// account's own address.

func msgPassCode(to, what, code string, ttl time.Duration) mail.Message {
	return mail.Message{To: to, Subject: "MyPatients: your code to " + lowerFirst(what),
		Body: fmt.Sprintf(`Hello,

Someone, probably you, asked to %s for your MyPatients account.
Your code is:

  %s

Type it on the page where you asked for it. It works once, for %d minutes. If it expires,
ask for a new one on the same page. You will also need your %s.

If you did not ask for this, ignore this email: nothing changes without the code. If it
keeps happening, tell the MyPatients support team.
`, lowerFirst(what), code, int(ttl/time.Minute), otherFactor(what))}
}

func otherFactor(what string) string {
	if what == resetSFFlow.title {
		return "password"
	}
	return "second factor (authenticator app, passkey or a recovery code)"
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

func msgNoAccount(to, baseURL string) mail.Message {
	return mail.Message{To: to, Subject: "MyPatients: about your request",
		Body: fmt.Sprintf(`Hello,

Someone, probably you, asked to reset a MyPatients password or second factor for this email
address, but no MyPatients account uses it. If you have an account, try the address you
registered with. To register:

  %s/accounts/register
`, baseURL)}
}

func msgResetNotice(to, what, baseURL string) mail.Message {
	return mail.Message{To: to, Subject: "MyPatients: your " + what + " was changed",
		Body: fmt.Sprintf(`Hello,

The %s of your MyPatients account was just changed, and every device and app signed in to
your account was signed out.

If this was you, there is nothing to do. If it was not, contact the MyPatients support team
at once: someone may have your email and your %s.

  %s/accounts/signin
`, what, map[string]string{"password": "second factor", "second factor": "password"}[what], baseURL)}
}

func msgVerifyEmail(to, link string) mail.Message {
	return mail.Message{To: to, Subject: "MyPatients: confirm your new email address",
		Body: fmt.Sprintf(`Hello,

Confirm that this is the new email address of your MyPatients account, and your new username,
by opening this link (it works once, for 24 hours):

  %s

If you did not ask for this, ignore this email.
`, link)}
}

func msgEmailChanged(to, baseURL string) mail.Message {
	return mail.Message{To: to, Subject: "MyPatients: your email address was changed",
		Body: fmt.Sprintf(`Hello,

The email address of your MyPatients account was changed, and this address no longer signs
in. If this was not you, contact the MyPatients support team at once.

  %s/accounts/signin
`, baseURL)}
}
