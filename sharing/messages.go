package sharing

import (
	"fmt"
	"html/template"

	"github.com/mypatients/gateway/mail"
)

// The emails of patient-granted access and sponsorship. They carry no clinical data: never a
// patient's name or anything from the record; at most the last four characters of an MRN, so
// that the clinician can tell which of their requests it is about.

func msgRequestApproved(to, mrn, baseURL string) mail.Message {
	return mail.Message{To: to, Subject: "MyPatients: a family approved your access request",
		Body: fmt.Sprintf(`Hello,

The family of a patient (MRN ending %s) approved your request to see their child's records
in MyPatients. Sign in to read them:

  %s

If you did not ask for this access, please tell the MyPatients support team.
`, last4(mrn), baseURL)}
}

func msgInvitation(to, token, mrn, baseURL string) mail.Message {
	return mail.Message{To: to, Subject: "MyPatients: a family invited you to see their child's records",
		Body: fmt.Sprintf(`Hello,

A family invited you to see their child's hospital records in MyPatients.

  Invitation token: %s

Sign in to MyPatients, open "Validate a Token" and enter the token with the child's MRN (it
ends in %s; the family has it on their printed invitation). The token works once and
expires in six months.

  %s
`, token, last4(mrn), baseURL)}
}

func msgPCPRequest(to string, r requestMail) mail.Message {
	return mail.Message{To: to, Subject: "MyPatients: PCP access request",
		Body: fmt.Sprintf(`A clinician says they are the primary care provider of a patient and asks for access.
Please check with the hospital's registration team and correct the PCP in the EHR if right.

  Request id:  %s
  Patient MRN: %s
  Signed in as: %s

What the requester typed, in their own words, unchecked (each in quotes, one line):

  Name:        %s
  Email:       %s
  Phone:       %s
  Practice:    %s
  Note:        %s
`, r.ID, r.MRN, r.User, quoted(r.Name, 200), quoted(r.Email, 254), quoted(r.Phone, 50), quoted(r.Practice, 200), quoted(r.Note, 1000))}
}

func msgStaffWelcome(to, name, sponsorName, setupURL string) mail.Message {
	return mail.Message{To: to, Subject: "MyPatients: your staff account",
		Body: fmt.Sprintf(`Hello %s,

%s created a MyPatients staff account for you. You will see the same patients as your
sponsoring provider, and lose access if they do. Your username is this email address.
Choose your password here (the link works once, for 72 hours):

  %s
`, oneLine(name, 200), oneLine(sponsorName, 200), setupURL)}
}

func msgStaffAddressTaken(to, sponsorName string) mail.Message {
	return mail.Message{To: to, Subject: "MyPatients: your staff account",
		Body: fmt.Sprintf(`Hello,

%s tried to create a MyPatients staff account for this email address, but the address is
already the username of a MyPatients login. Nothing changed for that login, and no new login
was set up. If you need an account from them, ask them to use another address, or ask the
MyPatients support team.
`, oneLine(sponsorName, 200))}
}

// requestMail is what the support team's email says about a PCP-access request.
type requestMail struct {
	ID, MRN, Name, User, Email, Phone, Practice, Note string
}

var signupPage = template.Must(template.New("signup").Parse(SignupInstructions))

// SignupInstructions is the printable page a clinician hands a family with no patient-portal
// account. It names no patient.
const SignupInstructions = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Share your child's records with their doctor</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:Georgia,serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;overflow-wrap:anywhere}@media print{a{color:black}}</style>
</head><body><main>
<h1>Share your child's records with their doctor</h1>
<p>Your child's doctor asked to see the records Children's Hospital keeps about your child.
You decide who may see them, through the hospital's patient portal, <strong>MyChildren's</strong>.</p>
<ol>
<li>Sign up for MyChildren's at <strong>https://my.childrens.example.org/signup</strong>, or ask at
any registration desk of the hospital. Bring your child's medical record number (MRN).</li>
<li>Sign in, choose your child, then <strong>Sharing → Requests</strong>.</li>
<li>Approve the doctor's request, or choose <strong>Invite a provider</strong> to send them an
invitation.</li>
</ol>
<p>You can stop sharing at any time from the same page.</p>
</main></body></html>
`
