package sharing

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What clinicians and sponsors type ends up in emails that people act on (the support team's
// PCP-request email, a new staff member's welcome). Every such field is refused when it is
// too long or not text, and written into an email only as oneLine makes it: one line, without
// control or formatting characters, quoted as the writer's own words.

// oneLine returns s as one line of at most max characters: every control character, line or
// paragraph separator and invisible formatting character (bidirectional overrides among them)
// becomes a space, and runs of spaces become one.
func oneLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Cf) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}

// quoted is oneLine in double quotes, inner quotes turned into single ones, so that nothing
// the writer typed can end the quotation and read as our own text.
func quoted(s string, max int) string {
	return `"` + strings.ReplaceAll(oneLine(s, max), `"`, `'`) + `"`
}

// textField checks one typed field: valid text of at most max characters, and required when
// required. Multi-line text is allowed only where multiline says so.
func textField(name, s string, max int, required, multiline bool) error {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		return refuse(errInvalidInput, name+" is not valid text.")
	case required && strings.TrimSpace(s) == "":
		return refuse(errInvalidInput, name+" is required.")
	case n > max:
		return refuse(errInvalidInput, fmt.Sprintf("%s is at most %d characters.", name, max))
	case !multiline && strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp) }):
		return refuse(errInvalidInput, name+" must be one line.")
	}
	return nil
}

// emailField checks an email address: a plain address, nothing around it.
func emailField(name, s string) error {
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s || len(s) > 254 {
		return refuse(errInvalidInput, name+" must be a plain email address.")
	}
	return nil
}

// validate checks what a requester tells about themselves.
func (c Contact) validate() error {
	for _, f := range []struct {
		name, value         string
		max                 int
		required, multiline bool
	}{
		{"name", c.Name, 200, true, false}, {"phone", c.Phone, 50, false, false},
		{"practice", c.Practice, 200, false, false}, {"note", c.Note, 1000, false, true},
	} {
		if err := textField(f.name, f.value, f.max, f.required, f.multiline); err != nil {
			return err
		}
	}
	return emailField("email", c.Email)
}
