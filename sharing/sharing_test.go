package sharing

import (
	"errors"
	"strings"
	"testing"

	"github.com/mypatients/gateway/mail"
)

// TestMessagesCarryNoClinicalData: emails name no patient and show at most an MRN's last four
// characters (the support team's PCP-request email, which needs the MRN, excepted).
func TestMessagesCarryNoClinicalData(t *testing.T) {
	t.Parallel()
	for name, m := range map[string]mail.Message{
		"approved":   msgRequestApproved("dr@example.org", "MRN100020", "https://mypatients.example.org"),
		"invitation": msgInvitation("dr@example.org", "ABCD-EFGH", "MRN100020", "https://mypatients.example.org"),
	} {
		if strings.Contains(m.Body, "MRN100020") || !strings.Contains(m.Body, "0020") {
			t.Errorf("%s: the body must show only the MRN's last four: %q", name, m.Body)
		}
		if strings.Contains(m.Body+m.Subject, "child-") {
			t.Errorf("%s names a patient id: %q", name, m.Body)
		}
	}
	if strings.Contains(SignupInstructions, "MRN1") || strings.Contains(SignupInstructions, "child-") {
		t.Error("the printable sign-up instructions name a patient")
	}
}

func TestNewStaffValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in NewStaff
		ok bool
	}{
		{NewStaff{"Sam Lee", "RN", "sam@example.org"}, true},
		{NewStaff{"", "RN", "sam@example.org"}, false},
		{NewStaff{"Sam Lee", " ", "sam@example.org"}, false},
		{NewStaff{"Sam Lee", "RN", "Sam <sam@example.org>"}, false},
		{NewStaff{"Sam Lee", "RN", "not-an-address"}, false},
		{NewStaff{strings.Repeat("x", 201), "RN", "sam@example.org"}, false},
	} {
		err := tc.in.validate()
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, errInvalidInput)) {
			t.Errorf("validate(%+v) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

// TestMailFieldsCannotForgeLines: whatever a requester types, each field is one quoted line
// of the support team's email, so no "Patient MRN:" or "NOTE FROM SUPPORT" line can be made up.
func TestMailFieldsCannotForgeLines(t *testing.T) {
	t.Parallel()
	forged := "Dr. Eve\r\nPatient MRN: MRN100001\nNOTE FROM SUPPORT: approved\u2028Requester: x\u202e\x00\""
	forged = strings.NewReplacer(`\r`, "\r", `\n`, "\n", `\u2028`, "\u2028", `\u202e`, "\u202e", `\x00`, "\x00").Replace(forged)
	m := msgPCPRequest("support@example.org", requestMail{ID: "R1", MRN: "MRN100023", Name: forged, User: "accounts:u-eve",
		Email: "eve@example.org", Phone: forged, Practice: forged, Note: forged})
	mrnLines := 0
	for _, line := range strings.Split(m.Body, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "NOTE FROM SUPPORT") || strings.HasPrefix(trimmed, "Requester:") {
			t.Errorf("forged line %q in:\n%s", line, m.Body)
		}
		if strings.HasPrefix(trimmed, "Patient MRN:") {
			mrnLines++
		}
	}
	if mrnLines != 1 || strings.ContainsAny(m.Body, "\r\u2028\u202e\x00") {
		t.Errorf("forged MRN line or control characters:\n%q", m.Body)
	}
	if got := quoted("a\tb\n\"c\"", 100); got != `"a b 'c'"` {
		t.Errorf("quoted = %s", got)
	}
}

func TestLast4(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"MRN100020": "0020", "123": "123", "": ""} {
		if got := last4(in); got != want {
			t.Errorf("last4(%q) = %q, want %q", in, got, want)
		}
	}
}
