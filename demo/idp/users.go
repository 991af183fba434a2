package idp

import (
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// DemoUsers returns the fixed demo users of the IdP with the given id: "accounts" (MyPatients
// accounts) or "childrens" (Children's ID, the hospital SSO). Any other id has no users. The
// subjects are fixed strings, so a user keeps their identity across restarts; the usernames and
// Practitioner ids are those of the demo world in demo/ehr/README.md.
func DemoUsers(idpID string) []User {
	switch idpID {
	case "accounts":
		return []User{
			{Subject: "u-pcp", Username: "pcp", Name: "Dr. Priya Patel",
				Email: "priya.patel@maple-pediatrics.example.org", FHIRUser: "Practitioner/dr-patel"},
			{Subject: "u-colleague", Username: "colleague", Name: "Dr. Chidi Okafor",
				Email: "chidi.okafor@maple-pediatrics.example.org", FHIRUser: "Practitioner/dr-okafor"},
			{Subject: "u-pcp2", Username: "pcp2", Name: "Dr. Ingrid Lindqvist",
				Email: "ingrid.lindqvist@harbor-family.example.org", FHIRUser: "Practitioner/dr-lindqvist"},
			{Subject: "u-specialist", Username: "specialist", Name: "Dr. Claire Moreau",
				Email: "claire.moreau@lakeside-cardiology.example.org", FHIRUser: "Practitioner/dr-moreau"},
			// Staff have no Practitioner resource; pcp sponsors them (SeedDemoSponsorship).
			{Subject: "u-staff", Username: "staff", Name: "Rosa Garcia, RN",
				Email: "rosa.garcia@maple-pediatrics.example.org"},
		}
	case "childrens":
		return []User{
			{Subject: "c-hospdoc", Username: "hospdoc", Name: "Dr. Samir Haddad",
				Email: "samir.haddad@childrens.example.org", FHIRUser: "Practitioner/dr-haddad"},
			// The privacy officer reads the audit trail (the auditors' page); no clinician.
			{Subject: "c-privacy", Username: "privacy", Name: "Nadia Brooks, Privacy Office",
				Email: "privacy.office@childrens.example.org"},
		}
	default:
		return nil
	}
}

// directory answers who a username or subject is and checks the shared password.
type directory struct {
	byName   map[string]User // by normalized username
	bySub    map[string]User
	password string
}

func newDirectory(users []User, password string) directory {
	d := directory{
		byName:   make(map[string]User, len(users)),
		bySub:    make(map[string]User, len(users)),
		password: password,
	}
	for _, u := range users {
		d.byName[normalizeUsername(u.Username)] = u
		d.bySub[u.Subject] = u
	}
	return d
}

// normalizeUsername makes usernames case- and surrounding-space-insensitive, both for lookup and
// as the rate-limit key, so "PCP " and "pcp" count as one account.
func normalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// authenticate returns the user when username exists and password is the demo password. It
// does the same work whether or not the user exists: the password is always compared (in
// constant time, over SHA-256 digests so that lengths do not leak either).
func (d directory) authenticate(username, password string) (User, bool) {
	u, found := d.byName[normalizeUsername(username)]
	ok := secretsEqual(password, d.password)
	if !found || !ok {
		return User{}, false
	}
	return u, true
}

// loggable is what a log line may say about a typed username: the name when it is an account,
// otherwise a placeholder, because people do type their password into the username field.
func (d directory) loggable(username string) string {
	if _, ok := d.byName[normalizeUsername(username)]; ok {
		return normalizeUsername(username)
	}
	return "(unknown)"
}

// bySubject returns the user with the given sub claim.
func (d directory) bySubject(sub string) (User, bool) {
	u, ok := d.bySub[sub]
	return u, ok
}

// setUserinfo fills the claims the granted scopes allow (OIDC Core §5.4): profile gives
// preferred_username and name, email gives email, fhirUser gives fhirUser (SMART App Launch
// 2.0), when the user has one.
func setUserinfo(info *oidc.UserInfo, u User, scopes []string) {
	info.Subject = u.Subject
	for _, scope := range scopes {
		switch scope {
		case oidc.ScopeProfile:
			info.PreferredUsername = u.Username
			info.Name = u.Name
		case oidc.ScopeEmail:
			info.Email = u.Email
		case fhirUserScope:
			if u.FHIRUser != "" {
				info.AppendClaims(fhirUserClaim, u.FHIRUser)
			}
		}
	}
}
